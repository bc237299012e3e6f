package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/internal/safetensors"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/saving"
)

// docFixtures builds, at path, each file or directory the command lines of
// docs/errors.md name; the catalogue lists them with what they are, and
// TestErrorsDoc holds the two lists equal. A name a command uses that is
// not here (out.safetensors, missing.png) is meant not to exist.
var docFixtures = mergeFixtures(modelFixtures, checkpointFixtures, dataFixtures, pictureFixtures, historyFixtures, folderFixtures)

// fixtures maps a file name to what builds it at a path.
type fixtures = map[string]func(t *testing.T, path string)

func mergeFixtures(groups ...fixtures) fixtures {
	all := fixtures{}
	for _, g := range groups {
		for name, build := range g {
			if all[name] != nil {
				panic("two fixtures are called " + name)
			}
			all[name] = build
		}
	}
	return all
}

// modelFixtures are model files, good and bad.
var modelFixtures = fixtures{
	"model.safetensors": func(t *testing.T, path string) { tinyModel(t, filepath.Dir(path), filepath.Base(path)) },
	"truncated.safetensors": func(t *testing.T, path string) {
		b := readFile(t, savedTiny(t))
		writeFile(t, path, b[:len(b)-1000])
	},
	"empty.safetensors":   func(t *testing.T, path string) { writeFile(t, path, nil) },
	"picture.safetensors": func(t *testing.T, path string) { barPicture(t, path) },
	"many-tensors.safetensors": func(t *testing.T, path string) {
		var sb strings.Builder
		sb.WriteByte('{')
		for i := range 1_500_000 {
			if i > 0 {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, `"t%d":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`, i)
		}
		sb.WriteByte('}')
		writeFile(t, path, rawSafetensors(sb.String()))
	},
	"dense-1e6.safetensors": func(t *testing.T, path string) {
		hugeArch(t, path, "28,28", `{"class_name":"Flatten","config":{}},{"class_name":"Dense","config":{"units":1000000}}`)
	},
	"dense-1e9.safetensors": func(t *testing.T, path string) {
		hugeArch(t, path, "28,28", `{"class_name":"Flatten","config":{}},{"class_name":"Dense","config":{"units":1000000000}}`)
	},
	"conv-1e6.safetensors": func(t *testing.T, path string) {
		hugeArch(t, path, "28,28,1", `{"class_name":"Conv2D","config":{"filters":1000000,"kernel_size":[3,3]}}`)
	},
	"input-1e5.safetensors": func(t *testing.T, path string) {
		hugeArch(t, path, "100000,100000", `{"class_name":"Flatten","config":{}},{"class_name":"Dense","config":{"units":10}}`)
	},
	"unknown-layer.safetensors": func(t *testing.T, path string) {
		hugeArch(t, path, "28,28", `{"class_name":"Flatten","config":{}},{"class_name":"Dense2","config":{"units":10}}`)
	},
	"wrong-shape.safetensors": func(t *testing.T, path string) {
		f := readSafetensors(t, savedTiny(t))
		f.Tensors[0].Shape = []int{392, 20} // the same 7,840 values, another shape
		writeSafetensors(t, path, f.Tensors, f.Metadata)
	},
	"foreign.safetensors": func(t *testing.T, path string) {
		writeSafetensors(t, path, []safetensors.Tensor{{Name: "fc1.weight", Shape: []int{2, 2}, Data: []float32{1, 2, 3, 4}}}, nil)
	},
	"weights-only.safetensors": func(t *testing.T, path string) {
		_, m := tinyModel(t, t.TempDir(), "m.safetensors")
		if err := saving.SaveWeights(m, path); err != nil {
			t.Fatal(err)
		}
	},
	"nan-weights.safetensors": func(t *testing.T, path string) {
		_, m := tinyModel(t, t.TempDir(), "m.safetensors")
		m.Params()[0].Value.Data()[100] = float32(math.NaN())
		if err := saving.Save(m, path); err != nil {
			t.Fatal(err)
		}
	},
	"linear.safetensors": func(t *testing.T, path string) {
		saveModelFixture(t, path, goras.NewSequential(layers.Input(28, 28), layers.Flatten(), layers.Dense(10)))
	},
	"input-32x32.safetensors": func(t *testing.T, path string) {
		saveModelFixture(t, path, goras.NewSequential(layers.Input(32, 32), layers.Flatten(), layers.Dense(10, layers.WithActivation("softmax"))))
	},
	"models": func(t *testing.T, path string) { mkdir(t, path) },
	// Links to a device: a reader that trusted the path would read zeros
	// for ever (or allocate what their first bytes claim).
	"device.safetensors": func(t *testing.T, path string) { symlink(t, "/dev/zero", path) },
	"device.onnx":        func(t *testing.T, path string) { symlink(t, "/dev/zero", path) },
}

// checkpointFixtures are checkpoint directories and links.
var checkpointFixtures = fixtures{
	"ckpt": func(t *testing.T, path string) { checkpointDir(t, path, 1) },
	"damaged": func(t *testing.T, path string) {
		checkpointDir(t, path, 1)
		p := filepath.Join(path, "ckpt-0001.safetensors")
		b := readFile(t, p)
		b[len(b)-1] ^= 0x40 // one bit of the last weight, as a disk error
		writeFile(t, p, b)
	},
	"renamed": func(t *testing.T, path string) {
		checkpointDir(t, path, 1)
		if err := os.Rename(filepath.Join(path, "ckpt-0001.safetensors"), filepath.Join(path, "ckpt-0003.safetensors")); err != nil {
			t.Fatal(err)
		}
	},
	"no-settings": func(t *testing.T, path string) {
		checkpointDir(t, path, 1)
		if err := os.Remove(filepath.Join(path, runFile)); err != nil {
			t.Fatal(err)
		}
	},
	"loop": func(t *testing.T, path string) {
		symlink(t, "loop-back", path)
		symlink(t, filepath.Base(path), filepath.Join(filepath.Dir(path), "loop-back"))
	},
	"dangling":  func(t *testing.T, path string) { symlink(t, "gone", path) },
	"notes.txt": func(t *testing.T, path string) { writeFile(t, path, []byte("notes\n")) },
	"busy": func(t *testing.T, path string) {
		checkpointDir(t, path, 1)
		writeFile(t, filepath.Join(path, lockFile), []byte("1\n"))
	},
}

// checkpointDir makes dir as goras train --checkpoint-dir leaves it after
// epochs epochs of a run: its settings, then one checkpoint per epoch (of
// tinyModel's model, which is all a failing command reads of it).
func checkpointDir(t *testing.T, dir string, epochs int) {
	t.Helper()
	if err := writeRunSettings(dir, runSettings{Model: "mlp", Epochs: 2, BatchSize: 100, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	_, m := tinyModel(t, t.TempDir(), "m.safetensors")
	for e := range epochs {
		if err := saving.SaveCheckpoint(m, saving.CheckpointPath(dir, e), e, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// dataFixtures are --data-dir directories.
var dataFixtures = fixtures{
	"empty-dir": func(t *testing.T, path string) { mkdir(t, path) },
	"other-dir": func(t *testing.T, path string) {
		mkdir(t, path)
		writeFile(t, filepath.Join(path, "notes.txt"), []byte("notes\n"))
	},
	"damaged-mnist": func(t *testing.T, path string) {
		mkdir(t, path)
		writeFile(t, filepath.Join(path, "t10k-labels-idx1-ubyte.gz"), bytes.Repeat([]byte{0x1f}, 1000))
	},
}

// pictureFixtures are pictures for goras predict.
var pictureFixtures = fixtures{
	"digit.png":  barPicture,
	"digit2.png": barPicture,
	"notes.png":  func(t *testing.T, path string) { writeFile(t, path, []byte("not a picture\n")) },
	"blank.png":  func(t *testing.T, path string) { writePNG(t, path, image.NewGray(image.Rect(0, 0, 40, 40))) },
	"digits":     func(t *testing.T, path string) { mkdir(t, path); barPicture(t, filepath.Join(path, "a.png")) },
	"huge.png":   func(t *testing.T, path string) { pngClaiming(t, path, 16_000, 16_000) },
	"claims.png": func(t *testing.T, path string) { pngClaiming(t, path, 4000, 4000) },
	"device.png": func(t *testing.T, path string) { symlink(t, "/dev/zero", path) },
}

// historyFixtures are files goras train writes over, and histories for
// goras plot.
var historyFixtures = fixtures{
	"readonly.safetensors": func(t *testing.T, path string) { readOnly(t, path) },
	"readonly.csv":         func(t *testing.T, path string) { readOnly(t, path) },
	"huge-epochs.csv":      csvFixture("epoch,loss,seconds\n0,0.5,1\n1000000000000,0.4,1\n"),
	"huge-values.csv":      csvFixture("epoch,loss,val_loss,seconds\n0,1e308,-1e308,1\n1,-1e308,1e308,1\n"),
	"nan-loss.csv":         csvFixture("epoch,loss,seconds\n0,0.5,1\n1,NaN,1\n"),
	"short.json":           csvFixture(`{"epoch": [0, 1], "history": {"loss": [0.5]}}`),
	"settings.json":        csvFixture(`{"epochs": 3}`),
	"device.csv":           func(t *testing.T, path string) { symlink(t, "/dev/zero", path) },
}

func csvFixture(content string) func(t *testing.T, path string) {
	return func(t *testing.T, path string) { writeFile(t, path, []byte(content)) }
}

func readOnly(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("old"), 0o444); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// saveModelFixture saves m, seeded, to path.
func saveModelFixture(t *testing.T, path string, m *goras.Model) {
	t.Helper()
	m.SetSeed(3)
	if err := saving.Save(m, path); err != nil {
		t.Fatal(err)
	}
}

// savedTiny saves tinyModel's model in a directory of its own and returns
// the file.
func savedTiny(t *testing.T) string {
	path, _ := tinyModel(t, t.TempDir(), "m.safetensors")
	return path
}

// hugeArch writes a goras model file of no weights whose architecture is
// an Input of shape input followed by layers (JSON): a file of a few
// hundred bytes that declares what it likes.
func hugeArch(t *testing.T, path, input, layers string) {
	t.Helper()
	arch := `{"class_name":"Sequential","config":{"name":"s","layers":[{"class_name":"InputLayer","config":{"batch_shape":[null,` + input + `]}},` + layers + `]}}`
	writeSafetensors(t, path, nil, map[string]string{"format": "goras", "architecture": arch})
	if b := readFile(t, path); len(b) > 1024 {
		t.Fatalf("%s is %d bytes, not the 1 KB file the catalogue says", path, len(b))
	}
}

// rawSafetensors is a safetensors file of the given header and no data.
func rawSafetensors(header string) []byte {
	b := make([]byte, 8, 8+len(header))
	binary.LittleEndian.PutUint64(b, uint64(len(header)))
	return append(b, header...)
}

func readSafetensors(t *testing.T, path string) *safetensors.File {
	t.Helper()
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func writeSafetensors(t *testing.T, path string, ts []safetensors.Tensor, meta map[string]string) {
	t.Helper()
	if err := safetensors.WriteFile(path, ts, meta); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func mkdir(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(path, 0o755); err != nil {
		t.Fatal(err)
	}
}

// pngClaiming writes a 1×1 PNG whose header claims w×h pixels (its
// checksum fixed, so that only the size is wrong).
func pngClaiming(t *testing.T, path string, w, h uint32) {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	p := b.Bytes()
	// 8 bytes of signature, then the IHDR chunk: length (4), type (4),
	// width (4), height (4), 5 more bytes, CRC of type and data (4).
	binary.BigEndian.PutUint32(p[16:], w)
	binary.BigEndian.PutUint32(p[20:], h)
	binary.BigEndian.PutUint32(p[29:], crc32.ChecksumIEEE(p[12:29]))
	writeFile(t, path, p)
}
