package crossval_test

import (
	"fmt"

	"github.com/goras-ml/goras/crossval"
)

// Splitter cuts samples as scikit-learn's KFold does.
func ExampleSplitter_Split() {
	folds, _ := crossval.Splitter{K: 3}.Split(7)
	for _, f := range folds {
		fmt.Println(f.Index, f.Test, f.Train)
	}
	// Output:
	// 0 [0 1 2] [3 4 5 6]
	// 1 [3 4] [0 1 2 5 6]
	// 2 [5 6] [0 1 2 3 4]
}
