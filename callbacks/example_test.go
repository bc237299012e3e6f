package callbacks_test

import (
	"fmt"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/callbacks"
)

// EarlyStopping's defaults are Keras's; Mode "auto" resolves from the name.
func ExampleNewEarlyStopping() {
	es, err := callbacks.NewEarlyStopping(callbacks.EarlyStoppingConfig{Monitor: "val_accuracy", Patience: 3, RestoreBestWeights: true})
	if err != nil {
		panic(err)
	}
	c := es.Config()
	fmt.Println(c.Monitor, c.Mode, c.Patience, c.MinDelta, c.Baseline == nil, c.StartFromEpoch)
	// Pass it to Fit: model.Fit(ctx, x, y, goras.ValidationSplit(0.1), goras.Callbacks(es))
	// Output: val_accuracy max 3 0 true 0
}

// A LambdaCallback prints what Fit logs at each epoch's end.
func ExampleLambdaCallback() {
	cb := &callbacks.LambdaCallback{EpochEnd: func(epoch int, logs goras.Logs) {
		fmt.Printf("epoch %d: loss %.2f\n", epoch+1, logs["loss"])
	}}
	cb.OnEpochEnd(0, goras.Logs{"loss": 0.25}) // Fit makes this call
	// Output: epoch 1: loss 0.25
}
