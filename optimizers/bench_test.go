package optimizers

import "testing"

// mlpSizes are the parameter tensors of the course's MNIST MLP,
// Dense(128) + Dense(10) on 784 inputs: 101,770 parameters.
var mlpSizes = []int{784 * 128, 128, 128 * 10, 10}

func benchApply(b *testing.B, s spec) {
	o := s.new(b)
	w := initWeights(mlpSizes)
	if err := o.Build(w); err != nil {
		b.Fatal(err)
	}
	g := gradSeq(mlpSizes, 0)
	n := 0
	for _, x := range mlpSizes {
		n += x
	}
	b.SetBytes(int64(4 * n))
	b.ReportAllocs()
	for b.Loop() {
		o.Apply(w, g)
	}
}

func BenchmarkSGD(b *testing.B)         { benchApply(b, spec{kind: "sgd"}) }
func BenchmarkSGDMomentum(b *testing.B) { benchApply(b, spec{kind: "sgd", momentum: 0.9}) }
func BenchmarkAdam(b *testing.B)        { benchApply(b, spec{kind: "adam"}) }
func BenchmarkAdamClipnorm(b *testing.B) {
	benchApply(b, spec{kind: "adam", clipnorm: 1})
}
func BenchmarkRMSprop(b *testing.B) { benchApply(b, spec{kind: "rmsprop"}) }
func BenchmarkAdagrad(b *testing.B) { benchApply(b, spec{kind: "adagrad"}) }

func BenchmarkNadam(b *testing.B)    { benchApply(b, spec{kind: "nadam"}) }
func BenchmarkAdamax(b *testing.B)   { benchApply(b, spec{kind: "adamax"}) }
func BenchmarkLion(b *testing.B)     { benchApply(b, spec{kind: "lion"}) }
func BenchmarkAdadelta(b *testing.B) { benchApply(b, spec{kind: "adadelta"}) }
func BenchmarkRMSpropMomentum(b *testing.B) {
	benchApply(b, spec{kind: "rmsprop", momentum: 0.9})
}
func BenchmarkRMSpropCentered(b *testing.B) {
	benchApply(b, spec{kind: "rmsprop", centered: true})
}
func BenchmarkRMSpropCenteredMomentum(b *testing.B) {
	benchApply(b, spec{kind: "rmsprop", momentum: 0.9, centered: true})
}
func BenchmarkAdamAMSGrad(b *testing.B) { benchApply(b, spec{kind: "adam", amsgrad: true}) }
func BenchmarkFtrl(b *testing.B)        { benchApply(b, spec{kind: "ftrl"}) }
