package atomicfile_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/goras-ml/goras/internal/atomicfile"
)

// Write a file so that no reader ever sees it half-written, after checking
// early that the path can be written at all.
func Example() {
	dir, _ := os.MkdirTemp("", "atomicfile-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "history.csv")

	if err := atomicfile.CheckWritable(path); err != nil {
		fmt.Println(err)
		return
	}
	// ... long work ...
	err := atomicfile.Write(path, func(w io.Writer) error {
		_, err := fmt.Fprintln(w, "epoch,loss")
		return err
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := os.ReadFile(path)
	fmt.Print(string(b))

	// A read-only file is never replaced.
	os.Chmod(path, 0o444)
	err = atomicfile.Write(path, func(w io.Writer) error { return nil })
	fmt.Println(strings.ReplaceAll(err.Error(), dir, "DIR"))
	// Output:
	// epoch,loss
	// cannot write DIR/history.csv: it is read-only; remove it or choose another path
}
