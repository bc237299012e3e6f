package metrics_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/goras-ml/goras/metrics"
	"github.com/goras-ml/goras/tensor"
)

// top2 is a metric written as a user would: the share of samples whose
// class is among the two highest predictions, for sparse or one-hot targets.
type top2 struct {
	oneHot    bool
	hit, seen int
}

func init() {
	metrics.Register("user_top2_accuracy", func(pred, target []int) (metrics.Metric, error) {
		if len(pred) != 1 || pred[0] < 2 {
			return nil, fmt.Errorf("needs an output of at least 2 classes per sample, got shape %v", pred)
		}
		return &top2{oneHot: len(target) == 1 && target[0] == pred[0]}, nil
	})
}

func (m *top2) Name() string { return "user_top2_accuracy" }
func (m *top2) Reset()       { m.hit, m.seen = 0, 0 }

func (m *top2) Update(pred, target *tensor.Tensor) {
	n := pred.Dim(1)
	for i := range pred.Dim(0) {
		row := pred.Data()[i*n : (i+1)*n]
		class := int(target.Data()[i])
		if m.oneHot {
			class = tensor.ArgMaxRow(target.Data()[i*n : (i+1)*n])
		}
		higher := 0
		for _, v := range row {
			if v > row[class] {
				higher++
			}
		}
		if higher < 2 {
			m.hit++
		}
		m.seen++
	}
}

func (m *top2) Result() float64 { return float64(m.hit) / float64(max(m.seen, 1)) }

func TestRegisteredMetricIsFoundByGet(t *testing.T) {
	pred, _ := tensor.FromSlice([]float32{
		0.5, 0.3, 0.2, // class 1: second → hit
		0.1, 0.2, 0.7, // class 0: third → miss
		0.2, 0.6, 0.2, // class 2: tied second → hit
		0.4, 0.35, 0.25, // class 0: first → hit
	}, 4, 3)
	sparse, _ := tensor.FromSlice([]float32{1, 0, 2, 0}, 4)
	oneHot, _ := tensor.FromSlice([]float32{0, 1, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0}, 4, 3)
	for _, c := range []struct {
		target *tensor.Tensor
		shape  []int
	}{{sparse, nil}, {oneHot, []int{3}}} {
		m, err := metrics.Get("User_Top2_Accuracy", []int{3}, c.shape)
		if err != nil {
			t.Fatal(err)
		}
		m.Update(pred, c.target)
		if got := m.Result(); got != 0.75 || m.Name() != "user_top2_accuracy" {
			t.Errorf("target shape %v: %s = %v, want user_top2_accuracy = 0.75", c.shape, m.Name(), got)
		}
	}
	// Every Get is a fresh metric: one's updates are not another's.
	a, _ := metrics.Get("user_top2_accuracy", []int{3}, nil)
	b, _ := metrics.Get("user_top2_accuracy", []int{3}, nil)
	a.Update(pred, sparse)
	if b.Result() != 0 {
		t.Errorf("a second metric shares the first's state: %v", b.Result())
	}
}

func TestRegisteredMetricErrors(t *testing.T) {
	if _, err := metrics.Get("user_top2_accuracy", []int{1}, []int{1}); err == nil ||
		!strings.Contains(err.Error(), "user_top2_accuracy: needs an output of at least 2 classes per sample, got shape [1]") {
		t.Errorf("wrong shapes: error %v, want the metric's own explanation", err)
	}
	_, err := metrics.Get("macro_f2", []int{3}, nil)
	if err == nil || !strings.Contains(err.Error(), "metrics.Register") || !strings.Contains(err.Error(), "user_top2_accuracy") {
		t.Errorf("unknown metric: error %v, want one listing the registered metrics and naming metrics.Register", err)
	}
	if names := "," + strings.Join(metrics.Names(), ",") + ","; !strings.Contains(names, ",accuracy,") || !strings.Contains(names, ",binary_accuracy,") {
		t.Errorf("Names() = %v, want the built-ins too", metrics.Names())
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "already a metric") {
			t.Errorf("registering accuracy: panic %v, want one saying it is taken", r)
		}
	}()
	metrics.Register("Accuracy", func(pred, target []int) (metrics.Metric, error) { return &top2{}, nil })
}
