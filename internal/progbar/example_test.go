package progbar_test

import (
	"os"
	"time"

	"github.com/goras-ml/goras/internal/progbar"
)

// A fake clock: each batch takes 20 ms, so the output is reproducible.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func Example() {
	const epochs, steps = 2, 50
	clock := &fakeClock{t: time.Unix(0, 0)}
	for epoch := 1; epoch <= epochs; epoch++ {
		progbar.EpochHeader(os.Stdout, epoch, epochs)
		// Not a terminal: verbose 1 prints the bar once, at the end.
		bar := progbar.New(os.Stdout, steps, 1, false, progbar.WithClock(clock.now))
		var sumLoss, sumHits float64
		running := make([]progbar.Metric, 2)
		for step := 1; step <= steps; step++ {
			clock.t = clock.t.Add(20 * time.Millisecond)
			sumLoss += 1 / float64(epoch*step)
			sumHits += 0.9
			running[0] = progbar.Metric{Name: "accuracy", Value: sumHits / float64(step)}
			running[1] = progbar.Metric{Name: "loss", Value: sumLoss / float64(step)}
			bar.Update(step, running)
		}
		bar.Finish(append(running, progbar.Metric{Name: "val_loss", Value: 0.0004}))
	}
	// Output:
	// Epoch 1/2
	// 50/50 ━━━━━━━━━━━━━━━━━━━━ 1s 20ms/step - accuracy: 0.9000 - loss: 0.0900 - val_loss: 4.0000e-04
	// Epoch 2/2
	// 50/50 ━━━━━━━━━━━━━━━━━━━━ 1s 20ms/step - accuracy: 0.9000 - loss: 0.0450 - val_loss: 4.0000e-04
}

func ExampleNew_verbose2() {
	clock := &fakeClock{t: time.Unix(0, 0)}
	bar := progbar.New(os.Stdout, 5000, 2, false, progbar.WithClock(clock.now))
	for step := 1; step <= 5000; step++ {
		clock.t = clock.t.Add(2400 * time.Microsecond)
		bar.Update(step, nil)
	}
	bar.Finish([]progbar.Metric{{Name: "loss", Value: 0.25}, {Name: "val_loss", Value: 0.3}})
	// Output:
	// 5000/5000 - 12s - 2ms/step - loss: 0.2500 - val_loss: 0.3000
}
