package autograd

import (
	"fmt"

	"github.com/goras-ml/goras/internal/kernel"
)

// matMul is y = x·w over the last axis of x: x (..., in), w (in, out) → y (..., out).
// It is the heart of a Dense layer.
type matMul struct {
	x, y    *Var
	w       *Param
	m, k, n int
	sparse  bool      // the last Forward found x mostly zeros: skip them in dW too
	work    []float32 // the sparse products' buffer, made by the first Forward
	bf16    bool      // bfloat16 products (w.BF16Products when built): gemm is GemmBF16
	gemm    func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
	// setW and setX say the op is the only writer of w's and x's
	// gradients (overwrite.go): its products then set them (beta 0).
	setW, setX bool
	// rows and rowsT list the non-zeros of x and xᵀ for the sparse
	// products, made by Plan.Prepare from the inputs the next Forward reads
	// (prepare.go); prepared says the next Backward may use rowsT, and
	// rowsReady the next Forward rows (each use clears its flag).
	prepared, rowsReady bool
	rows, rowsT         *kernel.SparseRows
}

// SetBF16Products makes the matrix products and convolutions of plans
// built from now on multiply operands rounded to bfloat16, accumulating in
// float32 (kernel.GemmBF16), when on is set and the CPU has fast bfloat16
// products, and reports whether they will; plans already built keep their
// precision. A weight's own setting (Param.SetBF16Products) overrides it
// for the products that read that weight. mixedprecision.SetGlobalPolicy is
// its Keras-named form.
func SetBF16Products(on bool) bool { return kernel.SetBF16Products(on) }

// MatMul multiplies x's last axis by the weight matrix w (in, out).
func (p *Plan) MatMul(x *Var, w *Param) *Var {
	xs := mustShape("MatMul", x, 2)
	ws := w.Value.Shape()
	m, k := rows(xs)
	if len(ws) != 2 || ws[0] != k {
		panic(fmt.Sprintf("autograd: MatMul of %v by weights %v", xs, ws))
	}
	op := &matMul{x: x, w: w, m: m, k: k, n: ws[1], gemm: kernel.Gemm}
	if w.BF16Products() {
		op.bf16, op.gemm = true, kernel.GemmBF16
	}
	ys := append(append([]int(nil), xs[:len(xs)-1]...), ws[1])
	op.y = p.newVar(op, x.Grad != nil || w.Grad != nil, ys...)
	p.Use(w)
	p.add(op)
	return op.y
}

// Forward skips the zeros of x when they are most of it (raw MNIST pixels
// are 80 % background): the choice depends on the data and the CPU only.
func (o *matMul) Forward(bool) {
	o.makeWork()
	x := o.x.Value.Data()
	if o.rowsReady { // Prepare found x sparse and listed its non-zeros
		o.sparse, o.rowsReady = true, false
		kernel.GemmSparseRows(o.rows, o.n, o.w.Value.Data(), o.n, 0, o.y.Value.Data(), o.n, o.packWork())
		return
	}
	o.sparse = !o.bf16 && kernel.PreferSparse(o.m, o.k, x, o.k)
	if o.sparse {
		kernel.GemmSparseA(o.m, o.n, o.k, x, o.k, o.w.Value.Data(), o.n, 0, o.y.Value.Data(), o.n, o.packWork())
		return
	}
	o.gemm(false, false, o.m, o.n, o.k, 1, x, o.k, o.w.Value.Data(), o.n, 0, o.y.Value.Data(), o.n)
}

// Backward adds, or sets when it is their first writer, the gradients of w
// and x. Setting (the product's beta 0) gives the bits of adding into
// zeros with one exception: the SIMD tiles' FMAs round a product too small
// for float32 (below 2⁻¹⁵⁰) to -0, so a sum whose every product underflows
// so is stored as -0 where +0 + (-0) gave +0. Only the sign of a zero
// gradient differs then, which SGD and Adam turn into the same weights
// unless the weight is itself -0. (The convolutions avoid it by clearing
// each piece of a gradient just before adding into it: kernel.Conv2D.SetGrads.)
func (o *matMul) Backward() {
	if o.y.Grad == nil {
		return
	}
	dy := o.y.Grad.Data()
	if o.w.Grad != nil { // dW (in, out) += xᵀ·dy
		beta := betaOf(o.setW)
		switch {
		case o.sparse && o.prepared:
			kernel.GemmSparseRows(o.rowsT, o.n, dy, o.n, beta, o.w.Grad.Data(), o.n, o.packWork())
		case o.sparse:
			kernel.GemmSparseAT(o.m, o.n, o.k, o.x.Value.Data(), o.k, dy, o.n, beta, o.w.Grad.Data(), o.n, o.work)
		default:
			o.gemm(true, false, o.k, o.n, o.m, 1, o.x.Value.Data(), o.k, dy, o.n, beta, o.w.Grad.Data(), o.n)
		}
	}
	o.prepared = false
	if o.x.Grad != nil { // dx (m, in) += dy·wᵀ
		o.gemm(false, true, o.m, o.k, o.n, 1, dy, o.n, o.w.Value.Data(), o.n, betaOf(o.setX), o.x.Grad.Data(), o.k)
	}
}

func (o *matMul) gradSlots(dst []gradSlot) []gradSlot {
	if o.y.Grad == nil {
		return dst
	}
	return setSlot(setSlot(dst, o.w.Grad, &o.setW), o.x.Grad, &o.setX)
}

// betaOf is a product's beta: 0 sets C, 1 adds to it.
func betaOf(set bool) float32 {
	if set {
		return 0
	}
	return 1
}
