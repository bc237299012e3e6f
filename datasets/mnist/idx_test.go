package mnist

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/goras-ml/goras/datasets/internal/idx"
)

// idxFile builds an IDX file: magic, the dimension sizes, then body.
// A dimension is written as uint32(d): -1<<31 gives the header 2³¹, a
// value an int of a 32-bit build cannot hold as a constant.
func idxFile(magic uint32, dims []int, body []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, uint32(d))
	}
	return append(b, body...)
}

// imagesIDX is an IDX3 file of n images of rows×cols whose pixel k is k%256.
func imagesIDX(n, rows, cols int) []byte {
	px := make([]byte, n*rows*cols)
	for k := range px {
		px[k] = byte(k)
	}
	return idxFile(idx.ImagesMagic, []int{n, rows, cols}, px)
}

func labelsIDX(labels ...byte) []byte {
	return idxFile(idx.LabelsMagic, []int{len(labels)}, labels)
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// stream hides the size of a reader, like a pipe or network body.
type stream struct{ io.Reader }

func wantErr(t *testing.T, err error, subs ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", subs)
	}
	for _, s := range subs {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q\n  does not contain %q", err, s)
		}
	}
}

func TestReadImagesGood(t *testing.T) {
	raw := imagesIDX(3, 4, 5)
	for name, r := range map[string]io.Reader{
		"raw":         bytes.NewReader(raw),
		"gzip":        bytes.NewReader(gz(raw)),
		"raw stream":  stream{bytes.NewReader(raw)},
		"gzip stream": stream{bytes.NewReader(gz(raw))},
	} {
		t.Run(name, func(t *testing.T) {
			im, err := ReadImages(r, "x")
			if err != nil {
				t.Fatal(err)
			}
			if im.N != 3 || im.Rows != 4 || im.Cols != 5 || len(im.Pixels) != 60 {
				t.Fatalf("got N=%d Rows=%d Cols=%d len=%d, want 3 4 5 60", im.N, im.Rows, im.Cols, len(im.Pixels))
			}
			if !bytes.Equal(im.Pixels, raw[16:]) {
				t.Fatal("pixels differ from the file body")
			}
		})
	}
}

func TestReadLabelsGood(t *testing.T) {
	raw := labelsIDX(5, 0, 4, 1, 9)
	for name, b := range map[string][]byte{"raw": raw, "gzip": gz(raw)} {
		l, err := ReadLabels(bytes.NewReader(b), name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(l, []byte{5, 0, 4, 1, 9}) {
			t.Fatalf("%s: got %v", name, l)
		}
	}
	l, err := ReadLabels(bytes.NewReader(labelsIDX()), "none")
	if err != nil || len(l) != 0 {
		t.Fatalf("zero labels: got %v, %v", l, err)
	}
}

func TestReadImagesRejects(t *testing.T) {
	good := imagesIDX(3, 4, 5)
	badCRC := gz(good)
	badCRC[len(badCRC)-8] ^= 0xff // the CRC-32 in the gzip trailer
	for _, tc := range []struct {
		name string
		r    io.Reader
		want []string
	}{
		{"empty", bytes.NewReader(nil), []string{"empty file"}},
		{"empty gzip stream", bytes.NewReader(gz(nil)), []string{"truncated header", "0 bytes", "needs 16"}},
		{"labels as images", bytes.NewReader(labelsIDX(1, 2)), []string{"wrong magic number 0x00000801, want 0x00000803", "labels file"}},
		{"not idx", bytes.NewReader([]byte("PK\x03\x04hello world, a zip file")), []string{"wrong magic number 0x504b0304", "not an IDX file"}},
		{"float idx", bytes.NewReader(idxFile(0x00000d03, []int{1, 1, 1}, make([]byte, 4))), []string{"wrong magic", "element type 0x0d"}},
		{"two dims", bytes.NewReader(idxFile(0x00000802, []int{1, 1}, []byte{0})), []string{"wrong magic", "2 dimensions, want 3"}},
		{"truncated header", bytes.NewReader(good[:11]), []string{"truncated header", "11 bytes", "needs 16"}},
		{"truncated header gzip", bytes.NewReader(gz(good[:11])), []string{"truncated header", "11 bytes"}},
		{"truncated data", bytes.NewReader(good[:26]), []string{"truncated: header says 3 images of 4×5 (60 bytes) but only 10 bytes follow"}},
		{"truncated data stream", stream{bytes.NewReader(good[:26])}, []string{"truncated: header says 3 images of 4×5 (60 bytes) but only 10 bytes follow"}},
		{"truncated data gzip", bytes.NewReader(gz(good[:26])), []string{"truncated: header says 3 images of 4×5 (60 bytes) but only 10 bytes follow"}},
		{"gzip stream cut", bytes.NewReader(gz(good)[:30]), []string{"gzip", "unexpected EOF"}},
		{"bad gzip header", bytes.NewReader([]byte{0x1f, 0x8b, 0x07, 0, 0, 0, 0, 0, 0, 0, 0}), []string{"bad gzip data"}},
		{"bad gzip checksum", bytes.NewReader(badCRC), []string{"bad gzip data", "checksum"}},
		{"trailing garbage", bytes.NewReader(append(good[:len(good):len(good)], 1, 2, 3)), []string{"trailing garbage: 3 bytes after the 3 images of 4×5"}},
		{"trailing garbage gzip", bytes.NewReader(gz(append(good[:len(good):len(good)], 1, 2, 3))), []string{"trailing garbage: 3 bytes"}},
		{"too many images", bytes.NewReader(idxFile(idx.ImagesMagic, []int{20_000_000, 28, 28}, nil)), []string{"20000000 images", "limit of 10000000"}},
		{"zero rows", bytes.NewReader(idxFile(idx.ImagesMagic, []int{1, 0, 28}, nil)), []string{"0×28", "1..1024"}},
		{"huge cols", bytes.NewReader(idxFile(idx.ImagesMagic, []int{1, 28, -1 << 31}, nil)), []string{"28×2147483648"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			im, err := ReadImages(tc.r, "train-images-idx3-ubyte.gz")
			if im != nil {
				t.Errorf("got images %+v along with the error", im)
			}
			wantErr(t, err, append([]string{"mnist: train-images-idx3-ubyte.gz: "}, tc.want...)...)
		})
	}
}

func TestReadLabelsRejects(t *testing.T) {
	good := labelsIDX(1, 2, 3, 4)
	for _, tc := range []struct {
		name string
		b    []byte
		want []string
	}{
		{"empty", nil, []string{"empty file"}},
		{"images as labels", imagesIDX(1, 2, 2), []string{"wrong magic number 0x00000803, want 0x00000801", "images file"}},
		{"truncated header", good[:6], []string{"truncated header", "6 bytes", "needs 8"}},
		{"truncated data", good[:10], []string{"truncated: header says 4 labels (4 bytes) but only 2 bytes follow"}},
		{"trailing garbage", append(good[:len(good):len(good)], 7), []string{"trailing garbage: 1 bytes after the 4 labels"}},
		{"too many", idxFile(idx.LabelsMagic, []int{1 << 30}, nil), []string{"1073741824 labels", "limit"}},
		{"not a digit", labelsIDX(3, 12, 4), []string{"label 12 at index 1 is not a digit 0..9"}},
		{"not a digit gzip", gz(labelsIDX(3, 4, 255)), []string{"label 255 at index 2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadLabels(bytes.NewReader(tc.b), "t10k-labels-idx1-ubyte")
			wantErr(t, err, append([]string{"mnist: t10k-labels-idx1-ubyte: "}, tc.want...)...)
		})
	}
}

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A header announcing far more pixels than follow must fail without
// allocating for them: from the file's size when the reader can tell it
// (raw or gzipped), else after buffers that grew only with the data.
func TestHostileHeaderDoesNotAllocate(t *testing.T) {
	// 40 bytes of gzip announcing MNIST's 47 MB of training pixels.
	hdr := gz(idxFile(idx.ImagesMagic, []int{60000, 28, 28}, nil))
	var err error
	got := allocated(func() { _, err = ReadImages(bytes.NewReader(hdr), "train.gz") })
	wantErr(t, err, "mnist: train.gz: truncated or corrupt: header says 60000 images of 28×28 (47040000 bytes) but the gzip file is "+
		strconv.Itoa(len(hdr))+" bytes, which unpack to at most "+strconv.Itoa(len(hdr)*1032))
	if got > 1<<20 {
		t.Errorf("a %d-byte gzip file: allocated %d bytes, want under 1 MiB", len(hdr), got)
	}
	// The same through a pipe, whose size is unknown: the first buffer
	// only (was 64 MiB).
	got = allocated(func() { _, err = ReadImages(stream{bytes.NewReader(hdr)}, "pipe") })
	wantErr(t, err, "pipe", "truncated: header says 60000 images of 28×28 (47040000 bytes) but only 0 bytes follow")
	if got > 3<<20 {
		t.Errorf("a %d-byte gzip stream: allocated %d bytes, want under 3 MiB", len(hdr), got)
	}
	// With the size known (a raw file), nothing big is allocated at all.
	got = allocated(func() {
		_, err = ReadImages(bytes.NewReader(idxFile(idx.ImagesMagic, []int{9_999_999, 28, 28}, []byte{1})), "hostile")
	})
	wantErr(t, err, "hostile", "header says 9999999 images of 28×28, 7839999216 bytes, more than the limit of 1073741824 (1 GiB)")
	got = allocated(func() {
		_, err = ReadImages(bytes.NewReader(idxFile(idx.ImagesMagic, []int{1000, 28, 28}, []byte{1})), "hostile")
	})
	wantErr(t, err, "hostile", "truncated: header says 1000 images of 28×28 (784000 bytes) but only 1 bytes follow")
	if got > 1<<20 {
		t.Errorf("allocated %d bytes, want under 1 MiB", got)
	}
}

// zeroBomb is a gzip file of members many copies of one member holding
// 16 MiB of zeros: 16 KiB each on disk, 16 MiB each unpacked.
func zeroBomb(members int) []byte {
	one := gz(make([]byte, 16<<20))
	return bytes.Repeat(one, members)
}

// A small IDX file followed by gigabytes of zeros inside the gzip stream
// must be refused after reading a bounded amount, not decompressed whole.
func TestGzipBombIsNotReadWhole(t *testing.T) {
	head := gz(labelsIDX(1, 2, 3))
	r := &countingReader{r: bytes.NewReader(append(head, zeroBomb(256)...))} // 4 GiB unpacked
	_, err := ReadLabels(r, "bomb.gz")
	wantErr(t, err, "mnist: bomb.gz: trailing garbage: at least 65537 bytes after the 3 labels")
	if r.n > 512<<10 {
		t.Errorf("read %d compressed bytes (%d MiB unpacked), want under 512 KiB", r.n, r.n*1032>>20)
	}
	// Announced data the gzip file is too small to hold is refused from
	// its size (4 GiB of zeros would hold it).
	hdr := idxFile(idx.ImagesMagic, []int{40000, 128, 128}, nil) // 655 MB of pixels
	bomb := append(gz(hdr), zeroBomb(8)...)                      // 128 KiB → 128 MiB
	got := allocated(func() { _, err = ReadImages(bytes.NewReader(bomb), "bomb.gz") })
	wantErr(t, err, "bomb.gz: truncated or corrupt: header says 40000 images of 128×128 (655360000 bytes) but the gzip file is")
	if got > 1<<20 {
		t.Errorf("allocated %d bytes, want under 1 MiB", got)
	}
}

// Trailing bytes after a raw file's data are counted from its size.
func TestTrailingGarbageCountedFromSize(t *testing.T) {
	b := append(labelsIDX(1, 2), make([]byte, 1<<20)...)
	_, err := ReadLabels(bytes.NewReader(b), "big")
	wantErr(t, err, "mnist: big: trailing garbage: 1048576 bytes after the 2 labels")
}

func TestReadFiles(t *testing.T) {
	dir := t.TempDir()
	ip := filepath.Join(dir, "imgs.gz")
	lp := filepath.Join(dir, "labels")
	os.WriteFile(ip, gz(imagesIDX(2, 3, 3)), 0o644)
	os.WriteFile(lp, labelsIDX(7, 2), 0o644)
	im, err := ReadImagesFile(ip)
	if err != nil || im.N != 2 || im.Rows != 3 {
		t.Fatalf("ReadImagesFile: %+v, %v", im, err)
	}
	l, err := ReadLabelsFile(lp)
	if err != nil || !bytes.Equal(l, []byte{7, 2}) {
		t.Fatalf("ReadLabelsFile: %v, %v", l, err)
	}
	_, err = ReadImagesFile(lp)
	wantErr(t, err, lp, "wrong magic")
	_, err = ReadLabelsFile(filepath.Join(dir, "nope"))
	wantErr(t, err, "mnist: ", filepath.Join(dir, "nope"), "no such file")
	_, err = ReadLabelsFile(dir)
	wantErr(t, err, dir, "is a directory")
	// A truncated raw file is caught from its size before reading.
	os.WriteFile(lp, labelsIDX(1, 2, 3)[:9], 0o644)
	_, err = ReadLabelsFile(lp)
	wantErr(t, err, lp, "header says 3 labels (3 bytes) but only 1 bytes follow")
}
