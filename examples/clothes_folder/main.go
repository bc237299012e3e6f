// Command clothes_folder writes Fashion-MNIST test pictures as PNG files,
// one folder per class, the way your own pictures would be laid out for
// `goras train --data DIR` (Keras's image_dataset_from_directory):
//
//	go run ./examples/clothes_folder clothes        # 3,000 pictures in clothes/Bag, clothes/Coat, ...
//	goras train --model lenet5 --data clothes --epochs 20 --output clothes.safetensors
//	goras predict clothes.safetensors clothes/Bag/0018.png
package main

import (
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/goras-ml/goras/datasets/fashionmnist"
	"github.com/goras-ml/goras/internal/atomicfile"
)

func main() {
	n := flag.Int("n", 3000, "how many of the 10,000 test pictures to write")
	flag.Parse()
	if flag.NArg() != 1 {
		log.Fatal("usage: go run ./examples/clothes_folder [-n N] DIR")
	}
	_, test, err := fashionmnist.LoadData()
	if err != nil {
		log.Fatal(err)
	}
	if err := write(flag.Arg(0), test, *n); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("wrote %d pictures in %d folders under %s\n", min(*n, test.X.N), len(fashionmnist.ClassNames()), flag.Arg(0))
}

// write puts the first n pictures of d into dir/<class>/NNNN.png. A class
// name's slash ("T-shirt/top") would make a sub-folder, so it becomes "-".
func write(dir string, d fashionmnist.Dataset, n int) error {
	names := fashionmnist.ClassNames()
	size := d.X.Rows * d.X.Cols
	for i := range min(n, d.X.N) {
		img := image.NewGray(image.Rect(0, 0, d.X.Cols, d.X.Rows))
		copy(img.Pix, d.X.Pixels[i*size:(i+1)*size])
		class := filepath.Join(dir, strings.ReplaceAll(names[d.Y[i]], "/", "-"))
		if err := os.MkdirAll(class, 0o755); err != nil {
			return err
		}
		err := atomicfile.Write(filepath.Join(class, fmt.Sprintf("%04d.png", i)), func(w io.Writer) error { return png.Encode(w, img) })
		if err != nil {
			return err
		}
	}
	return nil
}
