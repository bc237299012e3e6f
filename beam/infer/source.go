package infer

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/goras-ml/goras/beam/internal/beamfs"
	"github.com/goras-ml/goras/datasets/mnist"
)

// Item is one digit to read: its name, which becomes the "file" of its
// prediction, and its pixels as an MNIST digit (28×28 values in [0, 1],
// row-major, ink high), as mnist.LoadImage and mnist.Images.Gather give them.
type Item struct {
	Name   string
	Pixels []float32
}

// Files reads pictures (PNG, JPEG, GIF) at paths, local or on any Beam file
// system, each made into an MNIST digit by mnist.LoadImage, as `goras
// predict` does. It returns the digits and, for each picture that cannot be
// read, a line saying why (what `goras predict` prints on stderr).
func Files(s beam.Scope, paths []string) (items, bad beam.PCollection) {
	s = s.Scope("goras.Files")
	col := beam.Reshuffle(s, beam.CreateList(s, paths))
	return beam.ParDo2(s, &readPictureFn{}, col)
}

type readPictureFn struct{}

func (*readPictureFn) ProcessElement(ctx context.Context, path string, emit func(Item), bad func(string)) error {
	px, err := readPicture(ctx, path)
	if err != nil {
		bad(err.Error())
		return nil
	}
	emit(Item{Name: path, Pixels: px})
	return nil
}

// readPicture is mnist.LoadImage on a file of any Beam file system; errors
// read as `goras predict`'s, naming path.
func readPicture(ctx context.Context, path string) ([]float32, error) {
	local, done, err := beamfs.ToLocal(ctx, path)
	if err != nil {
		return nil, err
	}
	defer done()
	px, err := mnist.LoadImage(local)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "mnist: ")
		return nil, errors.New(strings.ReplaceAll(msg, local, path))
	}
	return px, nil
}

// IDX reads IDX image files (gzipped or raw, as mnist.ReadImages), local or
// on any Beam file system: one digit per image, named SHARD#INDEX with the
// index zero-padded to five digits or more (t10k-images-idx3-ubyte#00042),
// so that names sort in the shard's order. Each shard is read by one worker;
// a shard that cannot be read fails the pipeline.
func IDX(s beam.Scope, shards []string) beam.PCollection {
	s = s.Scope("goras.IDX")
	col := beam.Reshuffle(s, beam.CreateList(s, shards))
	return beam.ParDo(s, &readShardFn{}, col)
}

type readShardFn struct{}

func (*readShardFn) ProcessElement(ctx context.Context, shard string, emit func(Item)) error {
	r, err := beamfs.Open(ctx, shard)
	if err != nil {
		return err
	}
	defer r.Close()
	im, err := mnist.ReadImages(r, shard)
	if err != nil {
		return err
	}
	if im.Rows != mnist.Side || im.Cols != mnist.Side {
		return fmt.Errorf("%s holds %d×%d images; the models read MNIST's %d×%d digits", shard, im.Rows, im.Cols, mnist.Side, mnist.Side)
	}
	width := max(5, len(fmt.Sprint(im.N-1)))
	side := im.Rows * im.Cols
	for i := 0; i < im.N; i++ {
		px := make([]float32, side)
		im.Gather(px, []int{i}) // scaled as Float32 and Fit's batches scale them
		emit(Item{Name: fmt.Sprintf("%s#%0*d", shard, width, i), Pixels: px})
	}
	return nil
}
