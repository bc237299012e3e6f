package callbacks

import (
	"fmt"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/optimizers"
)

// settableRate panics unless m is compiled with an optimizer whose rate can
// be set: a callback that changes the rate cannot work otherwise, and
// finding out at train begin beats finding out after an epoch.
func settableRate(who string, m *goras.Model) {
	opt := mustModel(who, m).Optimizer()
	if opt == nil {
		panic("callbacks: " + who + ": the model is not compiled; call Compile before Fit")
	}
	if err := opt.SetLearningRate(opt.LearningRate()); err != nil {
		panic(fmt.Sprintf("callbacks: %s cannot change the learning rate: %v", who, err))
	}
}

func setRate(who string, opt optimizers.Optimizer, lr float64) {
	if err := opt.SetLearningRate(lr); err != nil {
		panic(fmt.Sprintf("callbacks: %s: %v", who, err))
	}
}
