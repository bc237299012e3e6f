package layers_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/layers"
)

// Scale is a layer of one's own: y = α·x with one learned scalar α, which
// starts at the config's "initial". It implements layers.Layer with an op
// of its own (see package autograd on writing ops), and registers its class
// name so that a model file that holds it can be read back.
type Scale struct {
	name    string
	initial float64
	alpha   *autograd.Param
}

func init() { layers.Register("Scale", scaleFromConfig) }

// scaleFromConfig reads what Config wrote, also after a trip through JSON.
func scaleFromConfig(config map[string]any) (layers.Layer, error) {
	r := layers.NewConfigReader("Scale", config)
	s := &Scale{name: r.Name(), initial: r.Float("initial", 1)}
	return s, r.Err()
}

func (s *Scale) Name() string        { return s.name }
func (s *Scale) SetName(name string) { s.name = name }
func (s *Scale) ClassName() string   { return "Scale" }

func (s *Scale) Config() map[string]any {
	return map[string]any{"name": s.name, "initial": s.initial}
}

// Build makes α; the output has the input's shape.
func (s *Scale) Build(input []int, _ *rand.Rand) ([]int, error) {
	s.alpha = autograd.NewParam(s.name+"/alpha", true, 1)
	s.alpha.Value.Data()[0] = float32(s.initial)
	return input, nil
}

func (s *Scale) Params() []*autograd.Param { return []*autograd.Param{s.alpha} }

func (s *Scale) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	op := &scaleOp{x: x, alpha: s.alpha}
	op.y = p.NewVar(x.Grad != nil || s.alpha.Grad != nil, x.Shape()...)
	p.Use(s.alpha)
	p.AddOp(op)
	return op.y
}

type scaleOp struct {
	x, y  *autograd.Var
	alpha *autograd.Param
}

func (o *scaleOp) Forward(bool) {
	a, y := o.alpha.Value.Data()[0], o.y.Value.Data()
	for i, v := range o.x.Value.Data() {
		y[i] = a * v
	}
}

// Backward: dx += α·dy, dα += Σ x·dy.
func (o *scaleOp) Backward() {
	if o.y.Grad == nil {
		return
	}
	a, dy := o.alpha.Value.Data()[0], o.y.Grad.Data()
	var da float32
	for i, v := range o.x.Value.Data() {
		if o.x.Grad != nil {
			o.x.Grad.Data()[i] += a * dy[i]
		}
		da += v * dy[i]
	}
	if o.alpha.Grad != nil {
		o.alpha.Grad.Data()[0] += da
	}
}

// Example_customLayer saves a layer of one's own as a model file keeps it
// (class name and config as JSON), reads it back with FromConfig, and runs
// it.
func Example_customLayer() {
	saved, _ := json.Marshal(map[string]any{"class_name": "Scale", "config": (&Scale{name: "scale", initial: 2.5}).Config()})
	fmt.Println(string(saved))

	var entry struct {
		ClassName string         `json:"class_name"`
		Config    map[string]any `json:"config"`
	}
	if err := json.Unmarshal(saved, &entry); err != nil {
		fmt.Println(err)
		return
	}
	l, err := layers.FromConfig(entry.ClassName, entry.Config)
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := l.Build([]int{3}, nil); err != nil {
		fmt.Println(err)
		return
	}
	p := autograd.NewInferencePlan(1)
	x := p.Input(3)
	copy(x.Value.Data(), []float32{1, -2, 4})
	y := l.Call(p, x)
	p.Forward(false)
	fmt.Println(l.Name(), l.ClassName(), y.Value.Data())

	_, err = layers.FromConfig("Scael", entry.Config)
	fmt.Println(err.Error()[strings.LastIndex(err.Error(), ";")+2:])
	// Output:
	// {"class_name":"Scale","config":{"initial":2.5,"name":"scale"}}
	// scale Scale [2.5 -5 10]
	// a layer of your own must be registered with layers.Register, by the program that reads it, before it is read
}
