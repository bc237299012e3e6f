package arrays_test

import (
	"fmt"

	"github.com/goras-ml/goras/datasets/arrays"
)

func ExampleLoadNPY() {
	// testdata/f4.npy was written by np.save("f4.npy", np.arange(6, dtype="<f4").reshape(2, 3) * 0.5 - 1).
	x, err := arrays.LoadNPY("testdata/f4.npy")
	if err != nil {
		panic(err)
	}
	fmt.Println(x.Shape(), x.Data())
	// Output:
	// [2 3] [-1 -0.5 0 0.5 1 1.5]
}

func ExampleLoadCSV() {
	tab, err := arrays.LoadCSV("testdata/table.csv")
	if err != nil {
		panic(err)
	}
	fmt.Println(tab.Columns, tab.X.Shape(), tab.X.Data())
	// Output:
	// [a b c] [2 3] [1 2.5 -3 4000 0 0.125]
}
