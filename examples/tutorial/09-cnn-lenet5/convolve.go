package main

import (
	"fmt"
	"io"
	"math"
	"path/filepath"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/tensor"
)

// edgeKernel responds to horizontal edges: it adds the row of pixels above
// the centre (the middle one twice) and subtracts the row below, so it is
// large where ink lies above paper — the lower edge of a stroke — and
// negative at an upper edge.
var edgeKernel = [][]float64{
	{1, 2, 1},
	{0, 0, 0},
	{-1, -2, -1},
}

// convolve slides kernel k over img without padding (Keras's "valid"),
// computing out[i][j] = Σᵤ Σᵥ img[i+u][j+v] · k[u][v]: an image of
// (height − kh + 1) × (width − kw + 1). As in every deep-learning library,
// the kernel is not flipped (mathematicians call this correlation).
func convolve(img, k [][]float64) [][]float64 {
	oh, ow := len(img)-len(k)+1, len(img[0])-len(k[0])+1
	out := make([][]float64, oh)
	for i := range out {
		out[i] = make([]float64, ow)
		for j := range out[i] {
			for u := range k {
				for v := range k[u] {
					out[i][j] += img[i+u][j+v] * k[u][v]
				}
			}
		}
	}
	return out
}

// pad surrounds img with p rows and columns of zeros on every side, which
// is what Keras's padding="same" does before a convolution of a (2p+1)×(2p+1)
// kernel, so that the map keeps the image's size.
func pad(img [][]float64, p int) [][]float64 {
	out := make([][]float64, len(img)+2*p)
	for i := range out {
		out[i] = make([]float64, len(img[0])+2*p)
		if r := i - p; r >= 0 && r < len(img) {
			copy(out[i][p:], img[r])
		}
	}
	return out
}

// maxPool keeps the largest value of each 2×2 patch (Keras's MaxPooling2D
// with its defaults): half the height and width, an odd last row or
// column dropped.
func maxPool(m [][]float64) [][]float64 {
	out := make([][]float64, len(m)/2)
	for i := range out {
		out[i] = make([]float64, len(m[0])/2)
		for j := range out[i] {
			out[i][j] = max(m[2*i][2*j], m[2*i][2*j+1], m[2*i+1][2*j], m[2*i+1][2*j+1])
		}
	}
	return out
}

// gorasConv computes the same feature map with goras: a Conv2D layer with
// one 3×3 filter and no bias, whose weights are set to k.
func gorasConv(img, k [][]float64) ([][]float64, error) {
	h, w := len(img), len(img[0])
	model := goras.NewSequential(
		layers.Input(h, w, 1),
		layers.Conv2D(1, len(k), layers.WithUseBias(false)),
	)
	if err := model.Build(); err != nil {
		return nil, err
	}
	kernel := tensor.New(len(k), len(k[0]), 1, 1) // (height, width, input channels, filters)
	for u := range k {
		for v := range k[u] {
			kernel.Set(float32(k[u][v]), u, v, 0, 0)
		}
	}
	if err := model.SetWeights([]*tensor.Tensor{kernel}); err != nil {
		return nil, err
	}
	return predictMap(model, img)
}

// gorasPool pools m with goras's MaxPooling2D.
func gorasPool(m [][]float64) ([][]float64, error) {
	model := goras.NewSequential(layers.Input(len(m), len(m[0]), 1), layers.MaxPooling2D())
	return predictMap(model, m)
}

// predictMap runs a model of one input and one output channel on one
// image.
func predictMap(model *goras.Model, img [][]float64) ([][]float64, error) {
	h, w := len(img), len(img[0])
	x := tensor.New(1, h, w, 1)
	for i := range img {
		for j, v := range img[i] {
			x.Set(float32(v), 0, i, j, 0)
		}
	}
	y, err := model.Predict(x, goras.Verbose(0))
	if err != nil {
		return nil, err
	}
	oh, ow := y.Dim(1), y.Dim(2)
	out := make([][]float64, oh)
	for i := range out {
		out[i] = make([]float64, ow)
		for j := range out[i] {
			out[i][j] = float64(y.At(0, i, j, 0))
		}
	}
	return out, nil
}

// slid is what slide computed.
type slid struct {
	digit, hand, goras, handPool, gorasPool [][]float64
}

// slide convolves test image i with edgeKernel by hand and with goras,
// pools both, prints a worked example and how far goras is from the hand
// result, and draws the digit, the kernel, the map and the pooled map.
func slide(w io.Writer, images *mnist.Images, i int, dir string) (*slid, error) {
	s := &slid{digit: digitRows(images, i)}
	var err error
	s.hand = convolve(s.digit, edgeKernel)
	if s.goras, err = gorasConv(s.digit, edgeKernel); err != nil {
		return nil, err
	}
	s.handPool = maxPool(s.hand)
	if s.gorasPool, err = gorasPool(s.goras); err != nil {
		return nil, err
	}
	bi, bj := argmax(s.hand)
	fmt.Fprintf(w, "Test image %d (28×28), kernel 3×3 → feature map %d×%d → 2×2 max pooling → %d×%d\n\n",
		i, len(s.hand), len(s.hand[0]), len(s.handPool), len(s.handPool[0]))
	fmt.Fprintf(w, "The largest value of the map is at row %d, column %d: the 3×3 patch of pixels there, times the kernel:\n", bi, bj)
	sum := 0.0
	for u := range edgeKernel {
		fmt.Fprint(w, "   ")
		for v, k := range edgeKernel[u] {
			p := s.digit[bi+u][bj+v]
			sum += p * k
			fmt.Fprintf(w, "  %.3f × %2g", p, k)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "  sum by hand %.4f, goras's Conv2D %.4f\n", sum, s.goras[bi][bj])
	fmt.Fprintf(w, "Largest difference between the hand map and goras's, over all %d×%d values: %.2g\n",
		len(s.hand), len(s.hand[0]), maxDiff(s.hand, s.goras))
	fmt.Fprintf(w, "Largest difference after pooling (%d×%d values): %.2g\n\n",
		len(s.handPool), len(s.handPool[0]), maxDiff(s.handPool, s.gorasPool))
	path := filepath.Join(dir, "09-convolution.png")
	if err := saveConvolution(path, s, bi, bj); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "wrote %s\n\n", path)
	return s, nil
}

// digitRows returns image i with pixels divided by 255, row by row.
func digitRows(images *mnist.Images, i int) [][]float64 {
	px := images.Image(i)
	rows := make([][]float64, images.Rows)
	for r := range rows {
		rows[r] = make([]float64, images.Cols)
		for c := range rows[r] {
			rows[r][c] = float64(px[r*images.Cols+c]) / 255
		}
	}
	return rows
}

func argmax(m [][]float64) (bi, bj int) {
	for i := range m {
		for j := range m[i] {
			if m[i][j] > m[bi][bj] {
				bi, bj = i, j
			}
		}
	}
	return bi, bj
}

func maxDiff(a, b [][]float64) float64 {
	d := 0.0
	for i := range a {
		for j := range a[i] {
			d = math.Max(d, math.Abs(a[i][j]-b[i][j]))
		}
	}
	return d
}
