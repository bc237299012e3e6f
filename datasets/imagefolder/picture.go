package imagefolder

import (
	"fmt"
	"os"
)

// LoadImage reads one picture the way Load reads each picture of a folder,
// for predicting with a model trained on one: decoded (PNG, JPEG, GIF's
// first frame), converted to ColorMode, resized to ImageSize (with
// Interpolation, CropToAspectRatio or PadToAspectRatio) and multiplied by
// Rescale, as keras.utils.load_img followed by img_to_array. It returns
// height·width·channels values in NHWC order, the same, bit for bit, as a
// batch of Load's Images holds for that file. Options about labels, classes
// and splits are checked but play no part. The error names the file.
func LoadImage(path string, opts ...Option) ([]float32, error) {
	c := newConfig(opts)
	if err := c.check(false); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("imagefolder: %s: %v", path, err)
	}
	return c.image(b, path)
}

// DecodeImage is LoadImage on a picture file's bytes (an upload, say),
// named name in errors: the same values, bit for bit, as LoadImage gives
// for a file holding b.
func DecodeImage(b []byte, name string, opts ...Option) ([]float32, error) {
	c := newConfig(opts)
	if err := c.check(false); err != nil {
		return nil, err
	}
	return c.image(b, name)
}

// image decodes, converts and resizes the picture file's bytes b and
// scales them as Images.Gather does.
func (c *config) image(b []byte, name string) ([]float32, error) {
	im := newImages(c, []string{name}, 0)
	px := make([]uint8, im.size)
	if err := c.decodeBytes(px, b); err != nil {
		return nil, fmt.Errorf("imagefolder: %s: %v", name, err)
	}
	out := make([]float32, im.size)
	im.write(out, px)
	return out, nil
}
