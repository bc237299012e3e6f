package main

import (
	"testing"

	"github.com/goras-ml/goras/datasets/fashionmnist"
	"github.com/goras-ml/goras/datasets/imagefolder"
)

// The folder written reads back through imagefolder as the same pictures
// under their class names, pixel for pixel.
func TestFolderReadsBack(t *testing.T) {
	d := fashionmnist.Dataset{X: &fashionmnist.Images{N: 4, Rows: 2, Cols: 3, Pixels: []uint8{
		0, 10, 20, 30, 40, 50,
		255, 0, 255, 0, 255, 0,
		1, 2, 3, 4, 5, 6,
		9, 9, 9, 9, 9, 9}}, Y: fashionmnist.Labels{0, 9, 0, 3}}
	dir := t.TempDir()
	if err := write(dir, d, 10); err != nil {
		t.Fatal(err)
	}
	got, err := imagefolder.Load(dir, imagefolder.ImageSize(2, 3), imagefolder.ColorMode("grayscale"), imagefolder.Shuffle(false), imagefolder.Rescale(1))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Ankle boot", "Dress", "T-shirt-top"}
	if len(got.ClassNames) != 3 || got.ClassNames[0] != want[0] || got.ClassNames[1] != want[1] || got.ClassNames[2] != want[2] {
		t.Fatalf("classes %v, want %v", got.ClassNames, want)
	}
	// Sorted paths: Ankle boot/0001, Dress/0003, T-shirt-top/0000, T-shirt-top/0002.
	order := []int{1, 3, 0, 2}
	x := make([]float32, 4*6)
	got.X.Gather(x, []int{0, 1, 2, 3})
	for r, i := range order {
		for j := range 6 {
			if v := x[r*6+j]; v != float32(d.X.Pixels[i*6+j]) {
				t.Fatalf("picture %d pixel %d: %v, want %v", i, j, v, d.X.Pixels[i*6+j])
			}
		}
	}
}
