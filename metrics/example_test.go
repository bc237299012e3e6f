package metrics_test

import (
	"fmt"

	"github.com/goras-ml/goras/metrics"
	"github.com/goras-ml/goras/tensor"
)

// "accuracy" with class-index targets becomes sparse categorical accuracy;
// it accumulates over batches, as over the batches of an epoch.
func ExampleGet() {
	acc, err := metrics.Get("accuracy", []int{3}, []int{})
	if err != nil {
		fmt.Println(err)
		return
	}
	pred1, _ := tensor.FromSlice([]float32{
		0.7, 0.2, 0.1, // class 0
		0.1, 0.8, 0.1, // class 1
	}, 2, 3)
	target1, _ := tensor.FromSlice([]float32{0, 2}, 2)
	acc.Update(pred1, target1)
	fmt.Println(acc.Name(), acc.Result())

	pred2, _ := tensor.FromSlice([]float32{0.2, 0.3, 0.5, 0.6, 0.3, 0.1}, 2, 3)
	target2, _ := tensor.FromSlice([]float32{2, 0}, 2)
	acc.Update(pred2, target2)
	fmt.Println(acc.Name(), acc.Result())
	// Output:
	// accuracy 0.5
	// accuracy 0.75
}

// Five samples of three classes: rows are true classes, columns predicted.
func ExampleConfusionMatrix() {
	yTrue := []int{0, 1, 2, 2, 2}
	yPred := []int{0, 0, 1, 2, 2}
	c := metrics.ConfusionMatrix(yTrue, yPred, 3)
	fmt.Print(c)
	fmt.Println("accuracy:", c.Accuracy())
	fmt.Printf("class 2: precision %.2f recall %.2f\n", c.Precision(2), c.Recall(2))
	// Output:
	// true\pred      0      1      2  total
	//         0      1      0      0      1
	//         1      1      0      0      1
	//         2      0      1      2      3
	//     total      2      1      2      5
	// accuracy: 0.6
	// class 2: precision 1.00 recall 0.67
}

// Keras's AUC, precision and recall score yes/no predictions against 0/1
// targets; the names are Keras's.
func ExampleNewAUC() {
	pred, _ := tensor.FromSlice([]float32{0.1, 0.4, 0.35, 0.8}, 4, 1)
	target, _ := tensor.FromSlice([]float32{0, 0, 1, 1}, 4, 1)
	for _, name := range []string{"auc", "precision", "recall"} {
		m, _ := metrics.Get(name, []int{1}, []int{1})
		m.Update(pred, target)
		fmt.Printf("%s %.4f\n", m.Name(), m.Result())
	}
	// Output:
	// auc 0.7500
	// precision 1.0000
	// recall 0.5000
}
