package configread_test

import (
	"fmt"

	"github.com/goras-ml/goras/internal/configread"
)

// l1l2 is a made-up vocabulary object, as a regularizer would be.
type l1l2 struct{ l1, l2 float64 }

// fromConfig is the shape of every fromConfig function: read every key,
// keep the defaults of absent ones, check once with Err.
func fromConfig(config map[string]any) (l1l2, error) {
	r := configread.New("regularizers: L1L2 config", config)
	v := l1l2{l1: 0, l2: 0.01} // defaults
	if f, ok := r.Float("l1"); ok {
		v.l1 = f
	}
	if f, ok := r.Float("l2"); ok {
		v.l2 = f
	}
	return v, r.Err()
}

func ExampleReader() {
	v, err := fromConfig(map[string]any{"l1": 0.5})
	fmt.Println(v, err)

	// A key of the wrong type and a key nothing reads are errors that say
	// what was expected.
	_, err = fromConfig(map[string]any{"l1": "0.5"})
	fmt.Println(err)
	_, err = fromConfig(map[string]any{"l3": 1.0})
	fmt.Println(err)
	// Output:
	// {0.5 0.01} <nil>
	// regularizers: L1L2 config: "l1" must be a number, got "0.5"
	// regularizers: L1L2 config: unknown key(s) l3; accepted: l1, l2
}

// A registry finds a class by Keras's class name or by its snake_case alias.
func ExampleRegistry() {
	reg := configread.NewRegistry[l1l2]("regularizers", "regularizer")
	reg.Builtin("L1L2", fromConfig, "l1_l2")
	for _, name := range []string{"L1L2", "l1_l2"} {
		v, err := reg.Build(name, map[string]any{"l2": 0.1})
		fmt.Println(name, v, err)
	}
	fmt.Println(reg.ClassNames(), reg.IsBuiltin("l1l2"))
	// Output:
	// L1L2 {0 0.1} <nil>
	// l1_l2 {0 0.1} <nil>
	// [L1L2] true
}
