package imagefolder

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/goras-ml/goras/tensor"
)

// formats are the file extensions indexed, as Keras's allowlist less BMP,
// which Go's standard library does not decode.
var formats = []string{".png", ".jpg", ".jpeg", ".gif"}

// index lists the class folders of dir and the pictures in each, as Keras's
// index_directory: class folders are the entries of dir that are
// directories not starting with "." (sorted, unless names gives them),
// each walked recursively, files sorted by path.
func index(dir string, names []string) (classes, paths []string, labels []int, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("imagefolder: %w", err)
	}
	var subdirs, loose []string
	for _, e := range entries {
		switch {
		case strings.HasPrefix(e.Name(), "."):
		case isDir(dir, e):
			subdirs = append(subdirs, e.Name())
		case isImage(e.Name()):
			loose = append(loose, e.Name())
		}
	}
	if err := checkClasses(dir, subdirs, loose); err != nil {
		return nil, nil, nil, err
	}
	classes = subdirs
	if names != nil {
		for i, n := range names {
			if !slices.Contains(subdirs, n) {
				return nil, nil, nil, fmt.Errorf("imagefolder: ClassNames names %q, which is not a folder of %s; its folders are %s", n, dir, strings.Join(subdirs, ", "))
			}
			// Twice named, a folder's pictures would be in the set twice,
			// under two labels.
			if slices.Contains(names[:i], n) {
				return nil, nil, nil, fmt.Errorf("imagefolder: ClassNames names %q twice; name each class folder once", n)
			}
		}
		classes = names
	}
	for label, class := range classes {
		found, bmp, err := walk(filepath.Join(dir, class))
		if err != nil {
			return nil, nil, nil, err
		}
		if len(found) == 0 {
			hint := ""
			if bmp != "" {
				hint = fmt.Sprintf(" (it has BMP files, e.g. %s, which goras does not read: convert them to PNG)", bmp)
			}
			return nil, nil, nil, fmt.Errorf("imagefolder: the class folder %s holds no PNG, JPEG or GIF pictures%s; add some or remove the folder",
				filepath.Join(dir, class), hint)
		}
		paths = append(paths, found...)
		for range found {
			labels = append(labels, label)
		}
	}
	return classes, paths, labels, nil
}

// checkClasses explains a directory that is not a folder per class.
func checkClasses(dir string, subdirs, loose []string) error {
	switch {
	case len(subdirs) == 0 && len(loose) > 0:
		return fmt.Errorf("imagefolder: %s holds %d pictures (e.g. %s) but no class folders: put each class's pictures in a folder named after it, %s/cats/…, %s/dogs/…",
			dir, len(loose), loose[0], dir, dir)
	case len(subdirs) == 0:
		return fmt.Errorf("imagefolder: %s is empty: it should hold one folder per class, each with that class's pictures (PNG, JPEG or GIF)", dir)
	case len(subdirs) == 1:
		return fmt.Errorf("imagefolder: %s holds one class folder, %s: a classifier needs at least two classes, each in a folder of its own", dir, subdirs[0])
	}
	return nil
}

// isDir reports whether the entry e of dir is a folder or a link to one:
// Keras's isdir follows links, so a class folder may be a link (to share
// pictures between data sets); ignored, the classes after it would shift
// their labels.
func isDir(dir string, e fs.DirEntry) bool {
	if e.Type()&fs.ModeSymlink == 0 {
		return e.IsDir()
	}
	st, err := os.Stat(filepath.Join(dir, e.Name()))
	return err == nil && st.IsDir()
}

// walk lists the pictures under dir, recursively, sorted by path; bmp
// names a BMP file found, if any, for the error of a folder without
// pictures.
func walk(dir string) (paths []string, bmp string, err error) {
	// WalkDir does not follow a link at its root, as a class folder may
	// be; with a trailing separator Lstat does. Links below are not
	// followed, as in Keras (follow_links=False).
	root := dir
	if st, err := os.Lstat(dir); err == nil && st.Mode()&fs.ModeSymlink != 0 {
		root += string(filepath.Separator)
	}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		switch {
		case isImage(d.Name()):
			paths = append(paths, p)
		case strings.EqualFold(filepath.Ext(d.Name()), ".bmp") && bmp == "":
			bmp = p
		}
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("imagefolder: %w", err)
	}
	// Keras sorts by folder, then by name within it: a folder's own files
	// come before those of its subfolders.
	slices.SortFunc(paths, func(a, b string) int {
		if c := strings.Compare(filepath.Dir(a), filepath.Dir(b)); c != 0 {
			return c
		}
		return strings.Compare(filepath.Base(a), filepath.Base(b))
	})
	return paths, bmp, nil
}

func isImage(name string) bool {
	return slices.Contains(formats, strings.ToLower(filepath.Ext(name)))
}

// shuffle permutes paths and labels together with the seed's stream.
func shuffle(paths []string, labels []int, seed uint64) {
	perm := tensor.NewRNG(seed).Perm(len(paths))
	p2, l2 := make([]string, len(paths)), make([]int, len(labels))
	for i, j := range perm {
		p2[i], l2[i] = paths[j], labels[j]
	}
	copy(paths, p2)
	copy(labels, l2)
}

// split returns the range of the subset, as Keras's
// get_training_or_validation_split: validation is the last
// int(fraction·n) items.
func split(n int, fraction float64, subset string) (lo, hi int) {
	val := int(fraction * float64(n))
	if subset == "validation" {
		return n - val, n
	}
	return 0, n - val
}
