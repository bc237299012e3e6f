package autograd

// Keras's hinge losses, for labels -1/1 (0/1 labels are turned into -1/1,
// as Keras does when every target of the batch is 0 or 1).

// hingeLabels reports whether every target is 0 or 1, in which case Keras's
// convert_binary_labels_to_hinge maps y to 2y - 1 for the whole batch.
func hingeLabels(t []float32) bool {
	for _, y := range t {
		if y != 0 && y != 1 {
			return false
		}
	}
	return true
}

// hinge is mean(max(1 - y·p, 0)), squared when squared is set.
type hinge struct {
	pred, target *Var
	squared      bool
	loss         float64
}

// Hinge adds the loss mean(max(1 - target·pred, 0)) for targets -1 or 1
// (or 0/1, converted).
func (p *Plan) Hinge(pred, target *Var) LossOp {
	checkSameLen("Hinge", pred, target)
	op := &hinge{pred: pred, target: target}
	p.add(op)
	return op
}

// SquaredHinge adds the loss mean(max(1 - target·pred, 0)²).
func (p *Plan) SquaredHinge(pred, target *Var) LossOp {
	checkSameLen("SquaredHinge", pred, target)
	op := &hinge{pred: pred, target: target, squared: true}
	p.add(op)
	return op
}

// margin is max(1 - y·p, 0) for target y (converted when binary) and p.
func margin(y, p float32, binary bool) float64 {
	if binary {
		y = 2*y - 1
	}
	return max(1-float64(y)*float64(p), 0)
}

func (o *hinge) Forward(bool) {
	t := o.target.Value.Data()
	binary := hingeLabels(t)
	var s float64
	for i, v := range o.pred.Value.Data() {
		h := margin(t[i], v, binary)
		if o.squared {
			h *= h
		}
		s += h
	}
	o.loss = s / float64(len(t))
}

// Backward: -y where the margin is positive (times 2·margin when squared).
func (o *hinge) Backward() {
	if o.pred.Grad == nil {
		return
	}
	t, g := o.target.Value.Data(), o.pred.Grad.Data()
	binary := hingeLabels(t)
	inv := 1 / float64(len(t))
	for i, v := range o.pred.Value.Data() {
		h := margin(t[i], v, binary)
		if h <= 0 {
			continue
		}
		y := float64(t[i])
		if binary {
			y = 2*y - 1
		}
		d := -y
		if o.squared {
			d *= 2 * h
		}
		g[i] += float32(d * inv)
	}
}

func (o *hinge) Loss() float64 { return o.loss }

// SampleLosses writes each sample's mean of max(1 - y·p, 0) (squared when
// squared), 0/1 targets converted when the whole batch's are, as in Forward.
func (o *hinge) SampleLosses(dst []float64) {
	binary := hingeLabels(o.target.Value.Data())
	sampleMeans("Hinge", dst, o.pred, o.target, func(p, y float32) float64 {
		h := margin(y, p, binary)
		if o.squared {
			h *= h
		}
		return h
	})
}

// categoricalHinge is Keras's categorical_hinge, per row
// max(neg - pos + 1, 0) with pos = Σ y·p and neg = max((1 - y)·p),
// averaged over the rows.
type categoricalHinge struct {
	pred, target *Var
	m, n         int
	loss         float64
}

// CategoricalHinge adds the loss for one-hot targets of pred's shape.
func (p *Plan) CategoricalHinge(pred, target *Var) LossOp {
	checkSameShape("CategoricalHinge", pred, target)
	m, n := mustRows("CategoricalHinge", pred)
	op := &categoricalHinge{pred: pred, target: target, m: m, n: n}
	p.add(op)
	return op
}

// row returns the row's loss and the column of its largest (1-y)·p (the
// first, on ties).
func (o *categoricalHinge) row(p, y []float32) (float64, int) {
	var pos float64
	best, arg := 0.0, -1
	for j, v := range p {
		pos += float64(y[j]) * float64(v)
		if q := (1 - float64(y[j])) * float64(v); arg < 0 || q > best {
			best, arg = q, j
		}
	}
	return max(best-pos+1, 0), arg
}

func (o *categoricalHinge) Forward(bool) {
	p, t := o.pred.Value.Data(), o.target.Value.Data()
	var s float64
	for r := range o.m {
		l, _ := o.row(p[r*o.n:(r+1)*o.n], t[r*o.n:(r+1)*o.n])
		s += l
	}
	o.loss = s / float64(o.m)
}

// Backward: where a row's loss is positive, -y_j for every column, plus
// (1 - y_j*) at the column j* of neg.
func (o *categoricalHinge) Backward() {
	if o.pred.Grad == nil {
		return
	}
	p, t, g := o.pred.Value.Data(), o.target.Value.Data(), o.pred.Grad.Data()
	inv := 1 / float64(o.m)
	for r := range o.m {
		pr, yr, gr := p[r*o.n:(r+1)*o.n], t[r*o.n:(r+1)*o.n], g[r*o.n:(r+1)*o.n]
		l, arg := o.row(pr, yr)
		if l <= 0 {
			continue
		}
		for j, y := range yr {
			gr[j] -= float32(float64(y) * inv)
		}
		gr[arg] += float32((1 - float64(yr[arg])) * inv)
	}
}

func (o *categoricalHinge) Loss() float64 { return o.loss }

// SampleLosses writes each sample's mean of its rows' losses (one row per
// sample for a (batch, classes) prediction).
func (o *categoricalHinge) SampleLosses(dst []float64) {
	samplesOf("CategoricalHinge", o.pred, dst)
	p, t := o.pred.Value.Data(), o.target.Value.Data()
	r := o.m / len(dst)
	for s := range dst {
		var sum float64
		for i := s * r; i < (s+1)*r; i++ {
			l, _ := o.row(p[i*o.n:(i+1)*o.n], t[i*o.n:(i+1)*o.n])
			sum += l
		}
		dst[s] = sum / float64(r)
	}
}
