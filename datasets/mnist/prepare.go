package mnist

import (
	"errors"
	"fmt"
	"image"
	_ "image/gif" // LoadImage reads GIF, JPEG and PNG files
	_ "image/jpeg"
	_ "image/png"
	"io"
	"math"
	"os"
	"slices"

	"github.com/goras-ml/goras/tensor"
)

// The geometry of an MNIST digit: the ink's longer side is scaled to
// DigitBox pixels and the result is placed in a Side×Side field with its
// centre of mass at (Centre, Centre) in pixel-index coordinates.
const (
	Side     = 28
	DigitBox = 20
	// Centre is where the ink's centre of mass lands, in pixel indices
	// (x and y both). Measured on the 10,000 test digits: the mean is
	// (14.01, 13.99) with a standard deviation of 0.29 px on each axis,
	// that of rounding to whole pixels, and the longer side of the box of
	// non-zero pixels is 20 for all but 3.
	Centre = 14
)

// Thresholds on ink after its contrast is stretched to [0, 1].
const (
	// inkThreshold decides which pixels count for the bounding box: fainter
	// ones (anti-aliasing, paper grain, JPEG ringing) do not widen it.
	inkThreshold = 0.2
	// noiseFloor is the level under which ink is treated as background, so
	// a grey paper texture does not end up as a faint haze in the 28×28.
	noiseFloor = 0.08
	// minContrast is the least difference between background and the
	// strongest ink (on a 0..1 luminance scale) that counts as a drawing.
	minContrast = 0.1
	// maxPixels bounds the images PrepareImage and LoadImage accept
	// (64 megapixels: a large phone photo is 12-50).
	maxPixels = 64 << 20
	// maxPixelsPerByte bounds how many pixels one byte of a PNG, GIF or
	// JPEG file can encode: PNG's deflate expands at most 1032 times, at
	// 8 one-bit pixels a byte; GIF's LZW codes of 9+ bits stand for at most
	// 4096 pixels; a JPEG spends at least a bit on each 8×8 block.
	maxPixelsPerByte = 1032 * 8
)

// ErrNoInk is returned (wrapped) for an image with nothing drawn on it:
// one flat colour, or too little contrast to tell ink from background.
var ErrNoInk = errors.New("no ink found")

// LoadImage reads a PNG, JPEG or GIF file (the first frame of a GIF) of a
// handwritten digit and turns it into an MNIST input with PrepareImage:
// Side×Side values in [0, 1], row-major, ink high. The error names the file
// when it cannot be read, is not an image of a known format, is too large,
// or shows no digit.
func LoadImage(path string) ([]float32, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mnist: %w", err)
	}
	defer f.Close()
	return decodeImage(f, path)
}

// decodeImage is LoadImage on an opened file; name is used in errors.
func decodeImage(r io.ReadSeeker, name string) ([]float32, error) {
	cfg, format, err := image.DecodeConfig(r)
	if err != nil {
		return nil, fmt.Errorf("mnist: %s is not a readable PNG, JPEG or GIF image: %v", name, err)
	}
	pixels := int64(cfg.Width) * int64(cfg.Height)
	if cfg.Width <= 0 || cfg.Height <= 0 || pixels > maxPixels {
		return nil, fmt.Errorf("mnist: %s is %d×%d pixels; PrepareImage takes 1 to %d megapixels", name, cfg.Width, cfg.Height, maxPixels>>20)
	}
	// The decoders allocate the whole picture before reading its data, so
	// a header claiming more pixels than the file could encode is refused
	// first: a 60-byte PNG must not cost 512 MB.
	size, err := r.Seek(0, io.SeekEnd)
	if err == nil && pixels > size*maxPixelsPerByte {
		return nil, fmt.Errorf("mnist: %s claims %d×%d pixels, more than a file of %d bytes can encode: it is truncated or corrupt", name, cfg.Width, cfg.Height, size)
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("mnist: %s: %w", name, err)
	}
	img, _, err := image.Decode(r)
	if err != nil {
		return nil, fmt.Errorf("mnist: %s: broken %s image: %v", name, format, err)
	}
	x, err := prepare(img)
	if err != nil {
		return nil, fmt.Errorf("mnist: %s: %w", name, err)
	}
	return x, nil
}

// LoadImages reads each file with LoadImage and stacks them into a tensor
// of shape (N, Side, Side), ready for Predict on a model that starts with
// layers.Input(28, 28); Reshape it to (N, 28, 28, 1) for a convolutional
// one. The first failing file's error is returned.
func LoadImages(paths ...string) (*tensor.Tensor, error) {
	t := tensor.New(len(paths), Side, Side)
	for i, p := range paths {
		x, err := LoadImage(p)
		if err != nil {
			return nil, err
		}
		copy(t.Data()[i*Side*Side:], x)
	}
	return t, nil
}

// PrepareImage turns a picture of one handwritten digit into an MNIST
// input the way the data set was made, so a model trained on MNIST sees
// what it knows: Side×Side float32 values in [0, 1] (multiples of 1/255, as
// x/255 of the uint8 data), row-major, ink high on a zero background.
//
// The steps: luminance (Rec. 601 weights; transparent pixels count as white
// paper); inversion when the background is light, judged by the mean of the
// border pixels; contrast stretched so the background (the border's median)
// is 0 and the strongest ink 1; a crop to the bounding box of the ink above
// 0.2; the longer side scaled to DigitBox (20) pixels keeping the aspect
// ratio, averaging the area each new pixel covers; and the
// result placed in the Side×Side field so that its centre of mass falls on
// pixel (Centre, Centre), rounded to whole pixels.
//
// The digit should fill most of the picture with little else on it:
// PrepareImage does not find a digit inside a cluttered photo. The error
// wraps ErrNoInk for a blank image.
func PrepareImage(img image.Image) ([]float32, error) {
	x, err := prepare(img)
	if err != nil {
		return nil, fmt.Errorf("mnist: PrepareImage: %w", err)
	}
	return x, nil
}

// prepare is PrepareImage without the package prefix on its errors, which
// LoadImage and PrepareImage each add their own way.
func prepare(img image.Image) ([]float32, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("%w: the image is empty (%d×%d)", ErrNoInk, w, h)
	}
	// Divided, not multiplied: w*h of a picture with huge bounds (an
	// image.Uniform's are ±1e9) overflows an int, at once on 32-bit.
	if w > maxPixels/h {
		return nil, fmt.Errorf("the image is %d×%d pixels; at most %d megapixels are taken", w, h, maxPixels>>20)
	}
	ink, crop, err := stretchInk(luminance(img), w, h)
	if err != nil {
		return nil, err
	}
	box, ow, oh := scaleToBox(ink, w, crop)
	return placeByMass(box, ow, oh), nil
}

// stretchInk turns the w×h luminance lum, in place, into ink high on a zero
// background: inverted when the border is light, contrast stretched so the
// background (the border's median) is 0 and the strongest ink 1, and faint
// values under noiseFloor cleared. It returns the ink and the bounding box
// of the pixels above inkThreshold, or an error wrapping ErrNoInk when
// there is too little contrast to tell ink from paper.
func stretchInk(lum []float64, w, h int) ([]float64, image.Rectangle, error) {
	ink := lum
	// Light background → dark ink: invert so ink is high, as in MNIST.
	border := borderValues(ink, w, h)
	mean := 0.0
	for _, v := range border {
		mean += v
	}
	if mean/float64(len(border)) > 0.5 {
		for i, v := range ink {
			ink[i] = 1 - v
		}
		for i, v := range border {
			border[i] = 1 - v
		}
	}
	slices.Sort(border)
	bg := border[len(border)/2]
	peak := slices.Max(ink)
	if peak-bg < minContrast {
		return nil, image.Rectangle{}, fmt.Errorf("%w: the strongest ink differs from the background by %.3f of full contrast (at least %.1f needed)", ErrNoInk, peak-bg, minContrast)
	}
	x0, y0, x1, y1 := w, h, 0, 0
	for y := range h {
		for x := range w {
			v := (ink[y*w+x] - bg) / (peak - bg)
			if v < noiseFloor {
				v = 0
			}
			ink[y*w+x] = v
			if v > inkThreshold {
				x0, y0 = min(x0, x), min(y0, y)
				x1, y1 = max(x1, x+1), max(y1, y+1)
			}
		}
	}
	// Not image.Rect, which would swap the corners of an empty box: the
	// strongest ink is 1 after stretching, so the box always holds it.
	return ink, image.Rectangle{Min: image.Point{X: x0, Y: y0}, Max: image.Point{X: x1, Y: y1}}, nil
}

// scaleToBox resamples the crop of ink (w pixels a row) so that its longer
// side is DigitBox pixels, keeping the aspect ratio, by area averaging; it
// returns the ow×oh result, row-major.
func scaleToBox(ink []float64, w int, crop image.Rectangle) (box []float64, ow, oh int) {
	x0, y0, x1 := crop.Min.X, crop.Min.Y, crop.Max.X
	cw, ch := crop.Dx(), crop.Dy()
	scale := float64(DigitBox) / float64(max(cw, ch))
	ow = max(1, int(math.Round(float64(cw)*scale)))
	oh = max(1, int(math.Round(float64(ch)*scale)))
	wx, wy := resampleWeights(cw, ow), resampleWeights(ch, oh)
	rows := make([]float64, ch*ow) // horizontal pass: ch rows of ow
	for y := range ch {
		src := ink[(y0+y)*w+x0 : (y0+y)*w+x1]
		for x, k := range wx {
			rows[y*ow+x] = k.apply(src, 1)
		}
	}
	box = make([]float64, oh*ow) // vertical pass
	for x := range ow {
		for y, k := range wy {
			box[y*ow+x] = k.apply(rows[x:], ow)
		}
	}
	return box, ow, oh
}

// placeByMass puts the ow×oh digit box in the Side×Side field, shifted by
// whole pixels so that its centre of mass falls on (Centre, Centre), with
// values rounded to multiples of 1/255 as MNIST's bytes are. Ink shifted
// past the edge is dropped.
func placeByMass(box []float64, ow, oh int) []float32 {
	var sum, sx, sy float64
	for y := range oh {
		for x := range ow {
			v := box[y*ow+x]
			sum, sx, sy = sum+v, sx+v*float64(x), sy+v*float64(y)
		}
	}
	dx := int(math.Round(Centre - sx/sum))
	dy := int(math.Round(Centre - sy/sum))
	out := make([]float32, Side*Side)
	for y := range oh {
		for x := range ow {
			tx, ty := x+dx, y+dy
			if tx < 0 || ty < 0 || tx >= Side || ty >= Side {
				continue
			}
			v := math.Round(min(max(box[y*ow+x], 0), 1) * 255)
			out[ty*Side+tx] = scale255[int(v)]
		}
	}
	return out
}

// luminance returns img's pixels as Rec. 601 luma in [0, 1], row-major,
// composited over white so a transparent background reads as paper.
func luminance(img image.Image) []float64 {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	out := make([]float64, w*h)
	if g, ok := img.(*image.Gray); ok { // the common case for scans, no alpha
		for y := range h {
			row := g.Pix[y*g.Stride : y*g.Stride+w]
			for x, v := range row {
				out[y*w+x] = float64(v) / 255
			}
		}
		return out
	}
	for y := range h {
		for x := range w {
			// RGBA is alpha-premultiplied, 16 bits per channel.
			r, g, bl, a := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			l := 0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)
			out[y*w+x] = (l + float64(0xffff-a)) / 0xffff
		}
	}
	return out
}

// borderValues copies the outermost ring of pixels.
func borderValues(v []float64, w, h int) []float64 {
	var out []float64
	for y := range h {
		if y == 0 || y == h-1 {
			out = append(out, v[y*w:(y+1)*w]...)
			continue
		}
		out = append(out, v[y*w])
		if w > 1 {
			out = append(out, v[y*w+w-1])
		}
	}
	return out
}

// taps are the weights of one output sample over input samples
// first, first+1, ...
type taps struct {
	first   int
	weights []float64
}

// apply sums the weighted inputs, src[(first+i)*stride] · weights[i].
func (k taps) apply(src []float64, stride int) float64 {
	s := 0.0
	for i, wt := range k.weights {
		s += wt * src[(k.first+i)*stride]
	}
	return s
}

// resampleWeights maps n input samples onto m output samples by area
// averaging: output pixel i covers input interval [i·n/m, (i+1)·n/m) and
// each input pixel weighs by how much of it lies inside (OpenCV's
// INTER_AREA). Shrinking, every input pixel counts once (anti-aliasing
// without the extra blur of a wider filter, which made strokes thinner and
// fainter than MNIST's); enlarging, it blends the two nearest pixels at
// the seams. Weights of each output sum to 1.
func resampleWeights(n, m int) []taps {
	ratio := float64(n) / float64(m) // input pixels per output pixel
	out := make([]taps, m)
	for i := range out {
		lo, hi := float64(i)*ratio, float64(i+1)*ratio
		first := int(math.Floor(lo))
		k := taps{first: first}
		for j := first; j < n && float64(j) < hi; j++ {
			k.weights = append(k.weights, (min(hi, float64(j+1))-max(lo, float64(j)))/ratio)
		}
		out[i] = k
	}
	return out
}
