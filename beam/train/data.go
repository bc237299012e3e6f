package train

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/goras-ml/goras/beam/internal/beamfs"
	"github.com/goras-ml/goras/datasets/mnist"
)

// dataCache holds MNIST once per worker process and data location: every
// job a worker runs on the same data shares one copy (47 MB of training
// pixels), read-only.
var dataCache = struct {
	sync.Mutex
	sets map[string]*mnistSets
}{sets: map[string]*mnistSets{}}

type mnistSets struct {
	once        sync.Once
	train, test mnist.Dataset
	err         error
}

// loadMNIST returns MNIST from dir ("" for mnist.LoadData's own search), read
// once per process. A dir on a remote file system is copied to a local
// temporary directory first, which stays for the life of the process.
func loadMNIST(ctx context.Context, dir string) (train, test mnist.Dataset, err error) {
	dataCache.Lock()
	s := dataCache.sets[dir]
	if s == nil {
		s = &mnistSets{}
		dataCache.sets[dir] = s
	}
	dataCache.Unlock()
	s.once.Do(func() {
		local := dir
		if dir != "" && !beamfs.IsLocal(dir) {
			if local, s.err = fetchMNIST(ctx, dir); s.err != nil {
				return
			}
		}
		opts := []mnist.Option{mnist.WithContext(ctx)}
		if local != "" {
			opts = append(opts, mnist.WithDir(local))
		}
		s.train, s.test, s.err = mnist.LoadData(opts...)
	})
	return s.train, s.test, s.err
}

// fetchMNIST copies the four MNIST files from a remote directory into a
// local one, each under the first of its names (gzipped, raw) found.
func fetchMNIST(ctx context.Context, dir string) (string, error) {
	local, err := os.MkdirTemp("", "goras-beam-mnist-")
	if err != nil {
		return "", err
	}
	for _, f := range mnist.Files() {
		var b []byte
		for _, name := range []string{f.Name, f.RawName()} {
			if b, err = beamfs.Read(ctx, beamfs.Join(dir, name)); err == nil {
				if err := os.WriteFile(filepath.Join(local, name), b, 0o644); err != nil {
					return "", err
				}
				break
			}
		}
		if err != nil {
			return "", fmt.Errorf("%s holds neither %s nor %s: %w", dir, f.Name, f.RawName(), err)
		}
	}
	return local, nil
}

// gather copies images rows of d into a new data set, for the folds of a
// k-fold job, which are not one contiguous range.
func gather(d mnist.Dataset, rows []int) mnist.Dataset {
	side := d.X.Rows * d.X.Cols
	px := make([]uint8, 0, len(rows)*side)
	y := make(mnist.Labels, 0, len(rows))
	for _, r := range rows {
		px = append(px, d.X.Image(r)...)
		y = append(y, d.Y[r])
	}
	return mnist.Dataset{X: &mnist.Images{N: len(rows), Rows: d.X.Rows, Cols: d.X.Cols, Pixels: px}, Y: y}
}

// sets returns the job's training and validation images.
func (s split) sets(train mnist.Dataset) (tr, val mnist.Dataset) {
	if s.train != nil {
		return gather(train, s.train), gather(train, s.val)
	}
	n := train.X.N
	return mnist.Dataset{X: train.X.Slice(0, s.trainN), Y: train.Y[:s.trainN]},
		mnist.Dataset{X: train.X.Slice(s.valLo, n), Y: train.Y[s.valLo:n]}
}
