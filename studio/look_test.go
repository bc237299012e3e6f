package studio

import (
	"bytes"
	"math"
	"net/http"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/tensor"
)

func TestLook(t *testing.T) {
	ts := newTestServer(t, Options{})
	m, _ := saveNetwork(t, ts.dir, "mlp", "m.safetensors")
	test := fakeDigits(100, 2) // the server's test set
	probs, err := m.Predict(test.X, goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	pred := tensor.ArgMax(probs)
	var counts [10][10]int
	wrong := 0
	for i, y := range test.Y {
		counts[y][pred[i]]++
		if int(y) != pred[i] {
			wrong++
		}
	}
	var conf struct {
		Counts   [][]int `json:"counts"`
		Accuracy float64 `json:"accuracy"`
		Total    int     `json:"total"`
	}
	ts.getJSON(t, "/api/look/confusion?model=m", &conf)
	for r := range 10 {
		for c := range 10 {
			if conf.Counts[r][c] != counts[r][c] {
				t.Fatalf("confusion[%d][%d] = %d, want %d", r, c, conf.Counts[r][c], counts[r][c])
			}
		}
	}
	if conf.Total != 100 || conf.Accuracy != float64(100-wrong)/100 {
		t.Errorf("total %d accuracy %v, want 100 and %v", conf.Total, conf.Accuracy, float64(100-wrong)/100)
	}
	var grid struct {
		Total, Errors int
		Digits        []digitJSON
	}
	ts.getJSON(t, "/api/look/digits?model=m&offset=95&count=10", &grid)
	if grid.Total != 100 || grid.Errors != wrong || len(grid.Digits) != 5 || grid.Digits[0].Index != 95 {
		t.Fatalf("digits: total %d errors %d, %d digits", grid.Total, grid.Errors, len(grid.Digits))
	}
	d := grid.Digits[0]
	if d.Label != int(test.Y[95]) || d.Predicted != pred[95] || d.Probability != probs.Data()[95*10+pred[95]] || !bytes.Equal(d.Pixels, test.X.Image(95)) {
		t.Errorf("digit 95: %+v", d)
	}
	// The busiest off-diagonal cell, and the mistakes, surest first.
	bt, bp := 0, 1
	for r := range 10 {
		for c := range 10 {
			if r != c && counts[r][c] > counts[bt][bp] {
				bt, bp = r, c
			}
		}
	}
	var cell struct {
		Count  int
		Digits []digitJSON
	}
	ts.getJSON(t, "/api/look/cell?model=m&true="+itoa(bt)+"&pred="+itoa(bp), &cell)
	if cell.Count != counts[bt][bp] || len(cell.Digits) != cell.Count {
		t.Errorf("cell (%d, %d): %d digits, want %d", bt, bp, cell.Count, counts[bt][bp])
	}
	for _, d := range cell.Digits {
		if d.Label != bt || d.Predicted != bp {
			t.Errorf("cell (%d, %d) holds digit %+v", bt, bp, d)
		}
	}
	var mis struct {
		Count  int
		Digits []digitJSON
	}
	ts.getJSON(t, "/api/look/mistakes?model=m&count=5", &mis)
	if mis.Count != wrong || len(mis.Digits) != min(5, wrong) {
		t.Fatalf("mistakes: %d, want %d", mis.Count, wrong)
	}
	for i := 1; i < len(mis.Digits); i++ {
		if mis.Digits[i].Probability > mis.Digits[i-1].Probability || mis.Digits[i].Label == mis.Digits[i].Predicted {
			t.Errorf("mistakes not surest first: %+v", mis.Digits)
		}
	}
	code, b := ts.do(t, "GET", "/api/look/cell?model=m&true=3", nil)
	wantError(t, "cell without pred", code, b, http.StatusBadRequest, "?true=CLASS&pred=CLASS")
	code, b = ts.do(t, "GET", "/api/look/cell?model=m&true=3&pred=10", nil)
	wantError(t, "cell out of range", code, b, http.StatusBadRequest, "pred must be an integer from 0 to 9")
}

func itoa(n int) string { return string(rune('0' + n)) }

func TestLookWeights(t *testing.T) {
	ts := newTestServer(t, Options{})
	mlp, _ := saveNetwork(t, ts.dir, "mlp", "mlp.safetensors")
	lenet, _ := saveNetwork(t, ts.dir, "lenet5", "lenet.safetensors")
	var w struct {
		Layer  string        `json:"layer"`
		Shape  []int         `json:"shape"`
		Limit  float64       `json:"limit"`
		Images []kernelImage `json:"images"`
	}
	ts.getJSON(t, "/api/look/weights?model=mlp", &w)
	k := mlp.Params()[0].Value.Data() // dense/kernel (784, 50)
	if len(w.Images) != 50 || w.Images[7].H != 28 || w.Images[7].Values[300] != k[300*50+7] {
		t.Errorf("MLP: %d images; unit 7 pixel 300 = %v, want %v", len(w.Images), w.Images[7].Values[300], k[300*50+7])
	}
	limit := 0.0
	for _, v := range k {
		limit = math.Max(limit, math.Abs(float64(v)))
	}
	if w.Limit != limit {
		t.Errorf("limit %v, want max |w| %v", w.Limit, limit)
	}
	ts.getJSON(t, "/api/look/weights?model=lenet", &w)
	k = lenet.Params()[0].Value.Data() // conv2d/kernel (5, 5, 1, 6)
	if len(w.Images) != 6 || w.Images[4].H != 5 || w.Images[4].Values[13] != k[13*6+4] {
		t.Errorf("LeNet-5: %d images of %d×%d", len(w.Images), w.Images[0].H, w.Images[0].W)
	}
}
