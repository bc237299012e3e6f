package plot_test

import (
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"

	"github.com/goras-ml/goras/metrics"
	"github.com/goras-ml/goras/plot"
)

// A confusion matrix drawn as a heat map and read back: the PNG is 5.5
// inches square (the smallest side, for up to seven classes) at 96 DPI,
// 528×528 pixels, on white.
func ExampleSaveConfusion() {
	dir, err := os.MkdirTemp("", "plot-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "confusion.png")

	c := metrics.ConfusionMatrix([]int{0, 1, 2, 2, 2}, []int{0, 0, 1, 2, 2}, 3)
	if err := plot.SaveConfusion(path, c); err != nil {
		fmt.Println(err)
		return
	}
	f, err := os.Open(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		fmt.Println(err)
		return
	}
	r, g, b, _ := img.At(0, 0).RGBA()
	fmt.Println(img.Bounds(), r>>8, g>>8, b>>8)

	// The file's extension chooses the format; any other is refused.
	fmt.Println(plot.SaveConfusion("confusion.jpg", c))
	// Output:
	// (0,0)-(528,528) 255 255 255
	// plot: "confusion.jpg": the file name must end in .png or .svg
}

// A training log as History.Save or callbacks.CSVLogger writes it, read
// back for SaveCurves; CSVLogger's "NA" reads as NaN and is left out of the
// curves.
func ExampleReadHistoryCSV() {
	log := "epoch,loss,val_loss,seconds\n0,0.52,0.31,4.1\n1,0.24,NA,4.0\n"
	h, err := plot.ReadHistoryCSV(strings.NewReader(log))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(h.Epoch, h.History["loss"], h.History["val_loss"], h.Seconds)
	// Output: [0 1] [0.52 0.24] [0.31 NaN] [4.1 4]
}
