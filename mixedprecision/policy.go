package mixedprecision

import (
	"fmt"
	"io"
	"os"
	"slices"
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

// setProducts switches the products' precision, and setWeightProducts one
// weight's; tests replace them to play a CPU without AVX512_BF16.
var (
	setProducts       = autograd.SetBF16Products
	setWeightProducts = (*autograd.Param).SetBF16Products
)

// SetGlobalPolicy sets the policy of the layers built from now on (Keras's
// keras.mixed_precision.set_global_policy): "float32" or "mixed_bfloat16".
// An unknown name is an error and changes nothing. Where bfloat16
// products are not fast (a CPU without AVX512_BF16 or AMX, or one whose
// AMX the OS refused), mixed_bfloat16 writes a one-line notice saying
// which (see SetNoticeOutput) and the policy stays float32. A model given
// its own policy (SetPolicy) keeps it whatever the global one.
func SetGlobalPolicy(name string) error {
	p, err := NewPolicy(name)
	if err != nil {
		return err
	}
	global.Lock()
	defer global.Unlock()
	on := setProducts(p.name == bf16Name)
	if p.name == bf16Name && !on {
		p = fallback()
	}
	global.policy = p
	return nil
}

// fallback writes the notice that mixed_bfloat16 stays float32 here, and
// returns float32. The caller holds global's lock.
func fallback() Policy {
	if global.notice != nil {
		why := kernel.BF16Unavailable()
		if why == "" { // a test playing a CPU without them
			why = kernel.NoBF16
		}
		fmt.Fprintf(global.notice, "mixedprecision: %s, so mixed_bfloat16 would be slower than float32; the policy stays float32\n", why)
	}
	return Policy{name: float32Name}
}

// Weighted is a model (*goras.Model) or a layer: something whose weights
// SetPolicy and PolicyOf can reach.
type Weighted interface {
	Params() []*autograd.Param
}

// SetPolicy gives w a policy of its own (as Keras's dtype argument does a
// layer), "float32" or "mixed_bfloat16", and returns the policy w now has:
// the plans built for it from now on compute the matrix products and
// convolutions that read its weights in that precision, whatever the
// global policy was or will be. Models in one process, trained at once by
// as many goroutines (a Beam worker's jobs), each train in their own
// policy; the global one is the process's and would race. w must be built
// (Build or Compile made its weights), or SetPolicy is an error; call it
// before its first Fit, Evaluate or Predict, since plans already built
// keep their precision, and not while another goroutine uses w. A
// model's weights made again (Model.SetSeed rebuilds them) keep their
// layers' policies. A model's config (ToJSON, and its
// saved files) gives each layer whose weights compute in mixed_bfloat16
// Keras's "dtype" policy (and the float32 layers theirs too when the model
// mixes the two or the global policy is mixed_bfloat16), and a model read
// from a config gives its layers the policies it names (Keras names
// every layer's, float32 included) whenever it builds them. As
// SetGlobalPolicy, mixed_bfloat16 where bfloat16 products are not fast
// writes a notice and gives float32.
func SetPolicy(w Weighted, name string) (Policy, error) {
	p, err := NewPolicy(name)
	if err != nil {
		return Policy{}, err
	}
	ws := w.Params()
	if !built(ws) {
		return Policy{}, fmt.Errorf("mixedprecision: %T has no weights to give policy %s; build it first (Build or Compile)", w, name)
	}
	on := false
	for _, x := range ws {
		on = setWeightProducts(x, p.name == bf16Name)
	}
	if p.name == bf16Name && !on {
		global.Lock()
		p = fallback()
		global.Unlock()
	}
	return p, nil
}

// PolicyOf returns the policy in which plans built now for w would compute
// its products: mixed_bfloat16 when the products reading every one of its
// weights would be bfloat16 ones (its own policy, or else the global
// one), float32 otherwise; the global policy for w without weights, or
// not built yet.
func PolicyOf(w Weighted) Policy {
	ws := w.Params()
	if !built(ws) {
		return GlobalPolicy()
	}
	for _, x := range ws {
		if !x.BF16Products() {
			return Policy{name: float32Name}
		}
	}
	return Policy{name: bf16Name}
}

// DeclaredPolicyOf returns the policy w was given: the one all its weights
// have of their own (SetPolicy) as it was asked, even where this CPU
// computes it in float32 (mixed_bfloat16 without fast bfloat16 products),
// else PolicyOf(w). A model's config writes it, so that a model saved on
// one machine computes as it was set to on another.
func DeclaredPolicyOf(w Weighted) Policy {
	ws := w.Params()
	if !built(ws) {
		return GlobalPolicy()
	}
	set0, on0 := ws[0].OwnBF16Products()
	for _, x := range ws[1:] {
		if set, on := x.OwnBF16Products(); set != set0 || on != on0 {
			return PolicyOf(w)
		}
	}
	switch {
	case !set0:
		return PolicyOf(w)
	case on0:
		return Policy{name: bf16Name}
	}
	return Policy{name: float32Name}
}

// built reports whether ws are weights made: some, none nil (a layer
// not built yet lists nil ones).
func built(ws []*autograd.Param) bool {
	return len(ws) > 0 && !slices.Contains(ws, nil)
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
