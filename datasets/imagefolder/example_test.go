package imagefolder_test

import (
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"

	"github.com/goras-ml/goras/datasets/imagefolder"
)

func Example() {
	// A folder with a class per subfolder: two dark and one light picture.
	dir, _ := os.MkdirTemp("", "imagefolder-example-")
	defer os.RemoveAll(dir)
	for _, p := range []struct {
		class, file string
		grey        uint8
	}{{"dark", "1.png", 0}, {"dark", "2.png", 51}, {"light", "1.png", 255}} {
		m := image.NewGray(image.Rect(0, 0, 10, 6)) // any size: each is resized
		for i := range m.Pix {
			m.Pix[i] = p.grey
		}
		os.MkdirAll(filepath.Join(dir, p.class), 0o755)
		f, _ := os.Create(filepath.Join(dir, p.class, p.file))
		png.Encode(f, m)
		f.Close()
	}

	d, err := imagefolder.Load(dir, imagefolder.ImageSize(2, 2), imagefolder.ColorMode("grayscale"),
		imagefolder.Shuffle(false), imagefolder.Logger(os.Stdout))
	if err != nil {
		fmt.Println(err)
		return
	}
	x := make([]float32, 3*2*2)
	y := make([]float32, 3)
	d.X.Gather(x, []int{0, 1, 2})
	d.Y.Gather(y, []int{0, 1, 2})
	fmt.Println(d.ClassNames, d.X.Shape(), y)
	fmt.Println(x[0], x[4], x[8]) // one value of each picture, in [0, 1]
	// Output:
	// Found 3 files belonging to 2 classes.
	// [dark light] [3 2 2 1] [0 0 1]
	// 0 0.2 1
}
