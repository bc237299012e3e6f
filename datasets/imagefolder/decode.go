package imagefolder

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // registers GIF with image.Decode
	_ "image/jpeg"
	_ "image/png"
	"os"
)

// maxPixels bounds the pictures read: 2^26 pixels (67 megapixels), above
// any camera's, so that a file declaring 100000×100000 pixels is refused
// from its header instead of being decoded into 40 GB.
const maxPixels = 1 << 26

// maxPixelsPerByte bounds how many pixels one byte of a PNG, GIF or JPEG
// file can encode (PNG's deflate expands at most 1032 times, at 8 one-bit
// pixels a byte; GIF's and JPEG's codes hold fewer), as package mnist's
// reader bounds them. The decoders allocate the whole picture from its
// header, so a 60-byte PNG claiming 8192×8192 16-bit pixels would cost
// 512 MB, once per core while a folder is decoded.
const maxPixelsPerByte = 1032 * 8

// probe reads the header of the picture at path: its format and size.
func probe(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	cfg, format, err := image.DecodeConfig(f)
	if err != nil {
		return fmt.Errorf("not a PNG, JPEG or GIF picture that Go can read: %v", err)
	}
	return checkSize(cfg.Width, cfg.Height, format, st.Size())
}

// checkSize checks the size a picture file of size bytes declares.
func checkSize(w, h int, format string, size int64) error {
	if w < 1 || h < 1 || int64(w)*int64(h) > maxPixels {
		return fmt.Errorf("a %s of %d×%d pixels; goras reads pictures of 1 to %d pixels", format, w, h, maxPixels)
	}
	if int64(w)*int64(h) > size*maxPixelsPerByte {
		return fmt.Errorf("a %s claiming %d×%d pixels, more than a file of %d bytes can encode: it is truncated or corrupt", format, w, h, size)
	}
	return nil
}

// decode reads the picture at path, converts it to c channels and resizes
// it for c's options into dst (height·width·c bytes).
func (c *config) decode(dst []uint8, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return c.decodeBytes(dst, b)
}

// decodeBytes is decode on a picture file's bytes.
func (c *config) decodeBytes(dst []uint8, b []byte) error {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("not a PNG, JPEG or GIF picture that Go can read: %v", err)
	}
	if err := checkSize(cfg.Width, cfg.Height, format, int64(len(b))); err != nil {
		return err
	}
	img, _, err := image.Decode(bytes.NewReader(b)) // a GIF's first frame
	if err != nil {
		return fmt.Errorf("damaged %s: %v", format, err)
	}
	src := toPixels(img, c.channels())
	out := pixels{h: c.height, w: c.width, c: c.channels(), v: dst}
	bilinear := c.interpolation == "bilinear"
	switch {
	case c.crop:
		top, left, h, w := cropBox(src.h, src.w, c.height, c.width)
		resize(out, crop(src, top, left, h, w), bilinear)
	case c.pad:
		resizeWithPad(out, src, bilinear)
	default:
		resize(out, src, bilinear)
	}
	return nil
}

// toPixels converts img to bytes with ch channels: luma for 1 (a JPEG's
// own Y channel; 0.299 R + 0.587 G + 0.114 B otherwise), the colours without
// alpha for 3, with it for 4 (opaque where the picture has none), colours
// un-premultiplied as a PNG stores them.
func toPixels(img image.Image, ch int) pixels {
	r := img.Bounds()
	p := pixels{h: r.Dy(), w: r.Dx(), c: ch, v: make([]uint8, r.Dx()*r.Dy()*ch)}
	if ycc, ok := img.(*image.YCbCr); ok && ch == 1 {
		for y := range p.h {
			copy(p.v[y*p.w:(y+1)*p.w], ycc.Y[ycc.YOffset(r.Min.X, r.Min.Y+y):])
		}
		return p
	}
	if g, ok := img.(*image.Gray); ok && ch == 1 {
		for y := range p.h {
			copy(p.v[y*p.w:(y+1)*p.w], g.Pix[g.PixOffset(r.Min.X, r.Min.Y+y):])
		}
		return p
	}
	i := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := nrgba(img, x, y)
			switch ch {
			case 1:
				p.v[i] = uint8((19595*uint32(c.R) + 38470*uint32(c.G) + 7471*uint32(c.B) + 1<<15) >> 16)
			case 3:
				p.v[i], p.v[i+1], p.v[i+2] = c.R, c.G, c.B
			default:
				p.v[i], p.v[i+1], p.v[i+2], p.v[i+3] = c.R, c.G, c.B, c.A
			}
			i += ch
		}
	}
	return p
}

// nrgba is the pixel at (x, y) as non-premultiplied 8-bit colour, read
// directly for the types Go's decoders return most.
func nrgba(img image.Image, x, y int) color.NRGBA {
	switch m := img.(type) {
	case *image.NRGBA:
		o := m.PixOffset(x, y)
		return color.NRGBA{m.Pix[o], m.Pix[o+1], m.Pix[o+2], m.Pix[o+3]}
	case *image.Gray:
		v := m.Pix[m.PixOffset(x, y)]
		return color.NRGBA{v, v, v, 255}
	case *image.YCbCr:
		yi, ci := m.YOffset(x, y), m.COffset(x, y)
		r, g, b := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
		return color.NRGBA{r, g, b, 255}
	}
	return color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
}
