package confignum_test

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/goras-ml/goras/internal/confignum"
)

// The same config decoded three ways holds three types of number; Float reads
// them all, and refuses what is no number.
func ExampleFloat() {
	var plain map[string]any
	json.Unmarshal([]byte(`{"l2": 0.01}`), &plain)

	var numbers map[string]any
	d := json.NewDecoder(strings.NewReader(`{"l2": 0.01}`))
	d.UseNumber()
	d.Decode(&numbers)

	byCode := map[string]any{"l2": float32(0.01)}

	for _, cfg := range []map[string]any{plain, numbers, byCode} {
		v, ok := confignum.Float(cfg["l2"])
		fmt.Printf("%T %.4g %v\n", cfg["l2"], v, ok)
	}
	v, ok := confignum.Float("0.01")
	fmt.Println(v, ok)
	// Output:
	// float64 0.01 true
	// json.Number 0.01 true
	// float32 0.01 true
	// 0 false
}
