package mnist

import (
	"math"
	"slices"
	"testing"
)

func TestImagesFloat32(t *testing.T) {
	im := &Images{N: 2, Rows: 1, Cols: 3, Pixels: []uint8{0, 1, 255, 128, 51, 254}}
	x := im.Float32()
	if !slices.Equal(x.Shape(), []int{2, 1, 3}) {
		t.Fatalf("shape %v, want [2 1 3]", x.Shape())
	}
	// Keras: x.astype("float32") / 255, rounded once to float32.
	want := []float32{0, 1.0 / 255, 1, 128.0 / 255, 0.2, 254.0 / 255}
	for i, v := range x.Data() {
		if v != want[i] {
			t.Errorf("x[%d] = %v, want %v", i, v, want[i])
		}
	}
	if x.Data()[2] != 1 || x.Data()[4] != float32(0.2) {
		t.Errorf("255 → %v, 51 → %v; want exactly 1 and float32(0.2)", x.Data()[2], x.Data()[4])
	}
}

func TestImagesSliceIsAView(t *testing.T) {
	im := &Images{N: 4, Rows: 1, Cols: 2, Pixels: []uint8{0, 1, 2, 3, 4, 5, 6, 7}}
	s := im.Slice(1, 3)
	if s.N != 2 || !slices.Equal(s.Pixels, []uint8{2, 3, 4, 5}) {
		t.Fatalf("Slice(1,3) = %+v", s)
	}
	s.Pixels[0] = 99
	if im.Pixels[2] != 99 {
		t.Error("Slice copied the pixels; want a view")
	}
	if cap(s.Pixels) != 4 {
		t.Errorf("cap %d: appending to a slice could overwrite the next image", cap(s.Pixels))
	}
	if got := im.Image(3); !slices.Equal(got, []uint8{6, 7}) {
		t.Errorf("Image(3) = %v", got)
	}
	if e := im.Slice(4, 4); e.N != 0 || len(e.Pixels) != 0 {
		t.Errorf("empty slice: %+v", e)
	}
	defer func() {
		if recover() == nil {
			t.Error("Slice(3, 5) of 4 images did not panic")
		}
	}()
	im.Slice(3, 5)
}

func TestLabelsFloat32(t *testing.T) {
	y := Labels{5, 0, 9}.Float32()
	if !slices.Equal(y.Shape(), []int{3}) || !slices.Equal(y.Data(), []float32{5, 0, 9}) {
		t.Fatalf("got %v %v", y.Shape(), y.Data())
	}
}

func TestToCategorical(t *testing.T) {
	y, err := ToCategorical([]uint8{2, 0, 1}, 4)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{
		0, 0, 1, 0,
		1, 0, 0, 0,
		0, 1, 0, 0,
	}
	if !slices.Equal(y.Shape(), []int{3, 4}) || !slices.Equal(y.Data(), want) {
		t.Fatalf("got %v %v, want [3 4] %v", y.Shape(), y.Data(), want)
	}

	// numClasses ≤ 0: max+1 classes, as Keras's num_classes=None.
	y, err = ToCategorical(Labels{1, 3}, 0)
	if err != nil || !slices.Equal(y.Shape(), []int{2, 4}) || !slices.Equal(y.Data(), []float32{0, 1, 0, 0, 0, 0, 0, 1}) {
		t.Fatalf("inferred: got %v %v %v", y.Shape(), y.Data(), err)
	}

	y, err = ToCategorical(nil, 10)
	if err != nil || !slices.Equal(y.Shape(), []int{0, 10}) {
		t.Fatalf("no labels, 10 classes: %v %v", y, err)
	}
	_, err = ToCategorical([]uint8{1, 10, 2}, 10)
	wantErr(t, err, "label 10 at index 1", "numClasses=10")
	_, err = ToCategorical(nil, -1)
	wantErr(t, err, "0 labels")
	// A size past what an int counts is an error, not a panic in make.
	_, err = ToCategorical([]uint8{1, 2}, math.MaxInt/4)
	wantErr(t, err, "2 labels × numClasses=", "more than one tensor can hold")
}
