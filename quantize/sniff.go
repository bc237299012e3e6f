package quantize

import (
	"encoding/binary"
	"encoding/json"
	"io"
	"os"
)

// IsQuantizedFile reports whether path is a quantized model file, one
// Save wrote (its safetensors header's __metadata__ says format
// "goras-int8"), reading only the header: commands that take both float
// and int8 model files choose the loader by it. A file that cannot be read
// or parsed is not one; Load says what is wrong with it.
func IsQuantizedFile(path string) bool {
	// Opening a named pipe would wait for a writer, forever if none comes.
	if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var n [8]byte
	if _, err := io.ReadFull(f, n[:]); err != nil {
		return false
	}
	hl := binary.LittleEndian.Uint64(n[:])
	if fi, err := f.Stat(); err != nil || hl > maxHeader || hl > uint64(fi.Size()-8) {
		return false
	}
	head := make([]byte, hl)
	if _, err := io.ReadFull(f, head); err != nil {
		return false
	}
	var h struct {
		Meta map[string]string `json:"__metadata__"`
	}
	return json.Unmarshal(head, &h) == nil && h.Meta["format"] == fileFormat
}
