package onnx

import (
	"fmt"
	"math"

	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/onnx/internal/onnxpb"
)

// Imports of Resize and Upsample on images: UpSampling2D for whole
// factors, Resizing for other sizes, when the node places its pixels as
// goras does (half-pixel centres; or, for nearest by whole factors,
// repetition).

// importResize maps Resize: mode nearest with asymmetric coordinates and
// floor (PyTorch's nearest) by whole factors is UpSampling2D; nearest with
// half-pixel centres rounding halves up (goras's, and Keras's, nearest) is
// Resizing; linear with half-pixel centres (PyTorch's bilinear with
// align_corners=False) is UpSampling2D("bilinear") by whole factors and
// Resizing elsewhere. Other placements are errors that name them.
func importResize(im *importer, n *onnxpb.NodeProto) error {
	v := im.in(n, 0)
	if v.c != nil || len(v.shape) != 3 {
		return fmt.Errorf("it resizes %s; goras resizes images (N, C, H, W) along H and W", describe(v))
	}
	if a := attr(n, "axes"); a != nil {
		return fmt.Errorf("its axes attribute (opset 18) is not supported; give scales or sizes for every axis")
	}
	if p := attrString(n, "keep_aspect_ratio_policy", "stretch"); p != "stretch" {
		return fmt.Errorf("keep_aspect_ratio_policy %q is not supported: goras resizes to the sizes given (stretch)", p)
	}
	scales, sizes := im.in(n, 1), (*ival)(nil)
	if im.opset >= 11 {
		scales, sizes = im.in(n, 2), im.in(n, 3)
	}
	out, err := resizeTarget(v.shape, scales, sizes)
	if err != nil {
		return err
	}
	coord := attrString(n, "coordinate_transformation_mode", "half_pixel")
	if im.opset < 11 {
		coord = "asymmetric" // Resize-10 has no choice
	}
	in := [2]int{v.shape[1], v.shape[2]}
	if coord == "pytorch_half_pixel" && (out[0] > 1 || in[0] == 1) && (out[1] > 1 || in[1] == 1) {
		coord = "half_pixel" // the same but for one output pixel from several
	}
	whole := out[0]%in[0] == 0 && out[1]%in[1] == 0
	var l layers.Layer
	switch mode := attrString(n, "mode", "nearest"); {
	case mode == "nearest" && coord == "asymmetric" && attrString(n, "nearest_mode", "round_prefer_floor") == "floor" && whole:
		l = layers.UpSampling2D(layers.WithSize(out[0]/in[0], out[1]/in[1]))
	case mode == "nearest" && coord == "half_pixel" && halvesUp(n, in, out):
		l = layers.Resizing(out[0], out[1], layers.WithInterpolation("nearest"))
	case mode == "linear" && coord == "half_pixel" && attrInt(n, "antialias", 0) != 0 && (out[0] < in[0] || out[1] < in[1]):
		return fmt.Errorf("antialias = 1 when shrinking: goras's bilinear resampling reads the two nearest pixels, without antialiasing")
	case mode == "linear" && coord == "half_pixel" && whole:
		l = layers.UpSampling2D(layers.WithSize(out[0]/in[0], out[1]/in[1]), layers.WithUpSamplingInterpolation("bilinear"))
	case mode == "linear" && coord == "half_pixel":
		l = layers.Resizing(out[0], out[1])
	case mode != "nearest" && mode != "linear":
		return fmt.Errorf("mode %q: goras resamples nearest or (bi)linear", mode)
	default:
		return fmt.Errorf("mode %s with coordinate_transformation_mode %s (nearest_mode %s) from %d×%d to %d×%d: goras places pixels at half-pixel centres "+
			"(PyTorch's align_corners=False; nearest rounds halves up) or, for nearest by whole factors, repeats them (asymmetric, floor)",
			mode, coord, attrString(n, "nearest_mode", "round_prefer_floor"), in[0], in[1], out[0], out[1])
	}
	x, err := im.image(v)
	if err != nil {
		return err
	}
	t := im.call(l, nil, x)
	im.set(n, 0, computed(t, []int{v.shape[0], out[0], out[1]}, []int{1, 2, 0}))
	return nil
}

// halvesUp reports whether a nearest Resize with half-pixel centres picks
// goras's pixels: it rounds halves up (round_prefer_ceil), or no output
// pixel sits halfway between two inputs, so that the rounding of halves
// does not matter.
func halvesUp(n *onnxpb.NodeProto, in, out [2]int) bool {
	switch attrString(n, "nearest_mode", "round_prefer_floor") {
	case "round_prefer_ceil":
		return true
	case "round_prefer_floor":
		for a := range 2 {
			for o := 0; o < out[a]; o++ {
				if (2*o+1)*in[a]%(2*out[a]) == 0 {
					return false
				}
			}
		}
		return true
	}
	return false
}

// resizeTarget works out the output size of a Resize of an image of ONNX
// shape (C, H, W) from its sizes (N, C, H', W'), or from its scales (1, 1,
// sh, sw), which must give whole sizes exactly: ONNX places pixels by the
// scale given, goras by out/in.
func resizeTarget(shape []int, scales, sizes *ival) ([2]int, error) {
	var out [2]int
	switch {
	case sizes != nil:
		if sizes.c == nil {
			return out, fmt.Errorf("its sizes are computed by the model; goras needs them constant")
		}
		s, err := sizes.c.ints()
		if err != nil || len(s) != 4 || s[1] != int64(shape[0]) {
			return out, fmt.Errorf("its sizes %v should be (N, %d, H, W): goras resizes rows and columns", sizes.c.i, shape[0])
		}
		for a := range 2 {
			if s[a+2] < 1 || s[a+2] > maxDim {
				return out, fmt.Errorf("its sizes %v are out of range", s)
			}
			out[a] = int(s[a+2])
		}
	case scales != nil && scales.c != nil && scales.c.len() > 0:
		s := scales.c.floats()
		if len(s) != 4 || s[0] != 1 || s[1] != 1 {
			return out, fmt.Errorf("its scales %v should be (1, 1, sh, sw): goras resizes rows and columns", s)
		}
		for a := range 2 {
			o := float64(s[a+2]) * float64(shape[a+1])
			if !(o >= 1) || o > maxDim || o != math.Trunc(o) {
				return out, fmt.Errorf("scale %v of %d rows or columns gives %v, not a whole number: goras resamples to whole sizes, placing pixels by out/in", s[a+2], shape[a+1], o)
			}
			out[a] = int(o)
		}
	case scales != nil && scales.c == nil:
		return out, fmt.Errorf("its scales are computed by the model; goras needs them constant")
	default:
		return out, fmt.Errorf("it has neither scales nor sizes")
	}
	return out, nil
}

// importUpsample maps Upsample (opsets 7 to 9): nearest by whole factors
// is UpSampling2D. Its linear mode places pixels at asymmetric coordinates,
// which goras's bilinear (half-pixel centres) does not.
func importUpsample(im *importer, n *onnxpb.NodeProto) error {
	v := im.in(n, 0)
	if v.c != nil || len(v.shape) != 3 {
		return fmt.Errorf("it upsamples %s; goras upsamples images (N, C, H, W) along H and W", describe(v))
	}
	if mode := attrString(n, "mode", "nearest"); mode != "nearest" {
		return fmt.Errorf("mode %q places pixels at asymmetric coordinates (in = out/scale), which goras's bilinear (half-pixel centres) does not; "+
			"export the model at opset 11 or later, where PyTorch writes Resize with half_pixel", mode)
	}
	var s []float32
	if im.opset < 9 {
		if a := attr(n, "scales"); a != nil {
			wantType(a, onnxpb.AttributeProto_FLOATS)
			s = a.GetFloats()
		}
	} else if c := im.in(n, 1); c != nil && c.c != nil {
		s = c.c.floats()
	}
	if len(s) != 4 || s[0] != 1 || s[1] != 1 || s[2] < 1 || s[3] < 1 || s[2] != float32(math.Trunc(float64(s[2]))) ||
		s[3] != float32(math.Trunc(float64(s[3]))) || s[2] > maxAttrValue || s[3] > maxAttrValue {
		return fmt.Errorf("its scales %v should be constant whole factors (1, 1, sh, sw): goras's nearest upsampling repeats pixels", s)
	}
	x, err := im.image(v)
	if err != nil {
		return err
	}
	t := im.call(layers.UpSampling2D(layers.WithSize(int(s[2]), int(s[3]))), nil, x)
	im.set(n, 0, computed(t, []int{v.shape[0], v.shape[1] * int(s[2]), v.shape[2] * int(s[3])}, []int{1, 2, 0}))
	return nil
}
