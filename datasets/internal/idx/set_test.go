package idx

import (
	"encoding/binary"
	"slices"
	"strings"
	"sync"
	"testing"
)

// tinySet is the four files of a set of 2 training and 1 test image of
// 2×3 pixels, raw IDX.
func tinySet() (blobs [][]byte, where []string) {
	images := func(n int) []byte {
		b := binary.BigEndian.AppendUint32(nil, ImagesMagic)
		for _, d := range []int{n, 2, 3} {
			b = binary.BigEndian.AppendUint32(b, uint32(d))
		}
		for i := range n * 6 {
			b = append(b, byte(i*7))
		}
		return b
	}
	labels := func(y ...byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, LabelsMagic)
		return append(binary.BigEndian.AppendUint32(b, uint32(len(y))), y...)
	}
	return [][]byte{images(2), labels(3, 7), images(1), labels(9)},
		[]string{"train-images", "train-labels", "test-images", "test-labels"}
}

func TestDecodeSet(t *testing.T) {
	blobs, where := tinySet()
	set, err := DecodeSet("mnist", blobs, where, 10, "a digit")
	if err != nil {
		t.Fatal(err)
	}
	if set.TrainX.N != 2 || set.TestX.N != 1 || !slices.Equal(set.TrainY, []byte{3, 7}) || !slices.Equal(set.TestY, []byte{9}) ||
		set.TrainX.Pixels[11] != 11*7 {
		t.Errorf("DecodeSet = %+v %+v", set.TrainX, set.TestX)
	}
	_, err = DecodeSet("mnist", blobs, where, 8, "a digit")
	if err == nil || !strings.Contains(err.Error(), "mnist: test-labels: label 9 at index 0 is not a digit 0..7") {
		t.Errorf("a label past the classes: error %v", err)
	}
}

// A panic while one file is decoded, on the goroutine DecodeSet starts for
// it, comes back as an error naming the file, and the others' goroutines
// still finish, instead of ending the process.
func TestDecodeSetPanicComesBack(t *testing.T) {
	t.Cleanup(func() { testHookDecode = nil })
	testHookDecode = func(i int) {
		if i == 2 {
			panic("injected")
		}
	}
	blobs, where := tinySet()
	var wg sync.WaitGroup // several at once: each call's goroutines keep to their own files
	for range 4 {
		wg.Go(func() {
			set, err := DecodeSet("fashionmnist", blobs, where, 10, "a class")
			if set != nil || err == nil || !strings.Contains(err.Error(), "fashionmnist: test-images: panic while reading the file (a bug in goras: please report it): injected") {
				t.Errorf("a panic while reading test-images: %v, error %v; want an error naming the file", set, err)
			}
		})
	}
	wg.Wait()
}
