package mixedprecision

import (
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/internal/kernel"
)

// Policy is a dtype policy, Keras's DTypePolicy: the dtype layers compute
// in and the dtype their weights are kept in.
type Policy struct{ name string }

// Name is the policy's name: "float32" or "mixed_bfloat16".
func (p Policy) Name() string {
	if p.name == "" {
		return float32Name
	}
	return p.name
}

// ComputeDtype is the dtype of the products' inputs: "float32", or
// "bfloat16" for mixed_bfloat16.
func (p Policy) ComputeDtype() string {
	if p.Name() == bf16Name {
		return "bfloat16"
	}
	return "float32"
}

// VariableDtype is the dtype weights are kept in: always "float32".
func (p Policy) VariableDtype() string { return "float32" }

// String is Keras's repr of the policy, <DTypePolicy "name">.
func (p Policy) String() string { return fmt.Sprintf("<DTypePolicy %q>", p.Name()) }

const (
	float32Name = "float32"
	bf16Name    = "mixed_bfloat16"
)

// Names lists the policies goras has.
func Names() []string { return []string{float32Name, bf16Name} }

// NewPolicy returns the named policy (Keras's DTypePolicy(name)), or an
// error naming the policies goras has.
func NewPolicy(name string) (Policy, error) {
	switch name {
	case float32Name, bf16Name:
		return Policy{name: name}, nil
	case "mixed_float16", "float16", "bfloat16", "float64":
		return Policy{}, fmt.Errorf("mixedprecision: policy %q is one of Keras's that goras does not have; goras has %q and %q (mixed_bfloat16 is the mixed policy CPUs run fast)", name, float32Name, bf16Name)
	}
	return Policy{}, fmt.Errorf("mixedprecision: unknown policy %q; the policies are %q and %q", name, float32Name, bf16Name)
}

var global struct {
	sync.Mutex
	policy Policy
	notice io.Writer
}

func init() { global.notice = os.Stderr }

// setProducts switches the products' precision; tests replace it to play
// a CPU without AVX512_BF16.
var setProducts = autograd.SetBF16Products

// SetGlobalPolicy sets the policy of the layers built from now on (Keras's
// keras.mixed_precision.set_global_policy): "float32" or "mixed_bfloat16".
// An unknown name is an error and changes nothing. Where bfloat16
// products are not fast (a CPU without AVX512_BF16 or AMX, or one whose
// AMX the OS refused), mixed_bfloat16 writes a one-line notice saying
// which (see SetNoticeOutput) and the policy stays float32.
func SetGlobalPolicy(name string) error {
	p, err := NewPolicy(name)
	if err != nil {
		return err
	}
	global.Lock()
	defer global.Unlock()
	on := setProducts(p.name == bf16Name)
	if p.name == bf16Name && !on {
		if global.notice != nil {
			why := kernel.BF16Unavailable()
			if why == "" { // a test playing a CPU without them
				why = kernel.NoBF16
			}
			fmt.Fprintf(global.notice, "mixedprecision: %s, so mixed_bfloat16 would be slower than float32; the policy stays float32\n", why)
		}
		p = Policy{name: float32Name}
	}
	global.policy = p
	return nil
}

// GlobalPolicy returns the policy in force (Keras's
// keras.mixed_precision.global_policy); float32 until SetGlobalPolicy
// says otherwise.
func GlobalPolicy() Policy {
	global.Lock()
	defer global.Unlock()
	return global.policy
}

// SetNoticeOutput sends SetGlobalPolicy's notice to w (default os.Stderr);
// nil silences it.
func SetNoticeOutput(w io.Writer) {
	global.Lock()
	global.notice = w
	global.Unlock()
}
