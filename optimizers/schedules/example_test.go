package schedules_test

import (
	"fmt"

	"github.com/goras-ml/goras/optimizers/schedules"
)

// A linear warm-up from 0 to 0.1 over 100 steps, then a cosine decay to 0
// over 1000 steps.
func ExampleNewCosineDecay() {
	s, err := schedules.NewCosineDecay(0, 1000, schedules.WarmupTarget(0.1), schedules.WarmupSteps(100))
	if err != nil {
		panic(err)
	}
	for _, step := range []int64{0, 50, 100, 600, 1100} {
		fmt.Printf("step %4d: %.4f\n", step, s.At(step))
	}
	// Output:
	// step    0: 0.0000
	// step   50: 0.0500
	// step  100: 0.1000
	// step  600: 0.0500
	// step 1100: 0.0000
}
