package layers

import "github.com/goras-ml/goras/autograd"

// Readers of the resampling the image layers work out at Build, for code
// that writes a layer in another form (the ONNX exporter writes them as
// Slice, Pad and Resize): one computation of the window, the layer's own.

// Resample is the resampling Build worked out for the layer's input, as
// Call applies it: the window of the image read (cropped to the output's
// aspect ratio, padded with the fill value, or the whole image), the
// output size and the interpolation. It is the zero value before Build.
func (l *ResizingLayer) Resample() autograd.Resample { return l.resample }

// Resample is what the layer does at inference, worked out by Build: the
// largest centred window of the output's aspect ratio, resized to the
// output size (bilinear). It is the zero value before Build.
func (l *RandomCropLayer) Resample() autograd.Resample { return l.resample }

// Window is what Build worked out for the layer's input: for an image at
// least as large as the output, the rows and columns removed (top,
// bottom, left, right) and a nil resample; for a smaller image, the
// resampling Call applies instead (a copy).
func (l *CenterCropLayer) Window() (crop [4]int, resample *autograd.Resample) {
	if l.resample != nil {
		r := *l.resample
		return [4]int{}, &r
	}
	return l.crop, nil
}
