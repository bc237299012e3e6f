package arrays

import (
	"archive/zip"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/goras-ml/goras/tensor"
)

// maxDeflateRatio is the most deflate can expand: 1032 output bytes per
// input byte. A member claiming more than that is refused unread.
const maxDeflateRatio = 1032

// upfrontRatio bounds the unpacked/packed ratio up to which a member's
// declared size is allocated at once. Past it, the buffer grows as the
// data arrives: a member claiming deflate's most would otherwise make a
// 1 MB file allocate 1 GB before its data is found missing.
const upfrontRatio = 64

// LoadNPZ reads the .npz file at path (numpy.savez or savez_compressed: a
// zip of .npy files) and returns its arrays by name, the names numpy gives
// them ("x_train" for x_train.npy; "arr_0", "arr_1" for arrays saved
// without names). Each array is read as ReadNPY reads one, and errors name
// the file and the member. Keras's mnist.npz, for example, gives
// x_train (60000, 28, 28), y_train (60000,), x_test and y_test.
func LoadNPZ(path string) (map[string]*tensor.Tensor, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("arrays: %w", err)
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return nil, fmt.Errorf("arrays: %w", err)
	}
	zr, err := zip.NewReader(file, st.Size())
	if err != nil {
		return nil, fmt.Errorf("arrays: %s: not a readable .npz (zip) file: %w", path, err)
	}
	out := map[string]*tensor.Tensor{}
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		key := strings.TrimSuffix(f.Name, ".npy")
		if key == f.Name {
			return nil, fmt.Errorf("arrays: %s: member %q is not a .npy array; an .npz file holds only arrays", path, f.Name)
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("arrays: %s: the array %q appears twice", path, key)
		}
		t, err := readMember(f, path, st.Size())
		if err != nil {
			return nil, err
		}
		out[key] = t
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("arrays: %s: the .npz file holds no arrays", path)
	}
	return out, nil
}

// readMember reads one .npy member, after checking that the size its zip
// entry declares is one its compressed bytes can hold.
func readMember(f *zip.File, path string, fileSize int64) (*tensor.Tensor, error) {
	name := path + ":" + f.Name
	size, packed := f.UncompressedSize64, f.CompressedSize64
	switch {
	case packed > uint64(fileSize):
		return nil, fmt.Errorf("arrays: %s: the zip claims %d compressed bytes in a file of %d: corrupt file?", name, packed, fileSize)
	case f.Method == zip.Store && size != packed:
		return nil, fmt.Errorf("arrays: %s: a stored member of %d bytes claims %d: corrupt file?", name, packed, size)
	case f.Method == zip.Deflate && size > packed*maxDeflateRatio+1024:
		return nil, fmt.Errorf("arrays: %s: %d compressed bytes cannot unpack to the %d the zip claims: corrupt file?", name, packed, size)
	case f.Method != zip.Store && f.Method != zip.Deflate:
		return nil, fmt.Errorf("arrays: %s: zip compression method %d; numpy writes stored or deflated members", name, f.Method)
	case size > maxElements*8+maxHeader:
		return nil, fmt.Errorf("arrays: %s: %d bytes, over the limit for one array", name, size)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("arrays: %s: %w", name, err)
	}
	defer rc.Close()
	return readNPY(rc, name, int64(size), f.Method == zip.Store || size <= packed*upfrontRatio)
}

// Names returns the keys of arrays, sorted: a stable order to list what an
// .npz file held.
func Names(arrays map[string]*tensor.Tensor) []string {
	names := make([]string, 0, len(arrays))
	for k := range arrays {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
