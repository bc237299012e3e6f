package train

import (
	"fmt"
	"testing"

	"github.com/goras-ml/goras/recipes"
	"github.com/goras-ml/goras/tensor"
)

// BenchmarkTrainStepBounty is one training step of the bounty CNN
// (recipes.Best: augmentation, three convolutions, BN, dense 256, Adam) at
// its batch of 128 and at the smaller batches one of 2, 4 or 8 data-parallel
// replicas would take, with the weight count and the gradient's size: the
// figures docs/scale.md's data-parallel estimate starts from.
//
//	go test -run XXX -bench TrainStepBounty -benchtime 30x ./train/
func BenchmarkTrainStepBounty(b *testing.B) {
	for _, batch := range []int{128, 64, 32, 16} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			m, err := recipes.Best().Build(1)
			if err != nil {
				b.Fatal(err)
			}
			rng := tensor.NewRNG(1)
			x := tensor.New(batch, 28, 28, 1)
			x.FillUniform(rng, 0, 1)
			y := tensor.New(batch, 10)
			for i := 0; i < batch; i++ {
				y.Data()[i*10+i%10] = 1
			}
			if _, err := m.TrainOnBatch(x, y); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				m.TrainOnBatch(x, y)
			}
			b.ReportMetric(float64(m.CountParams()), "weights")
			b.ReportMetric(float64(4*m.CountParams())/1e6, "gradient-MB")
		})
	}
}
