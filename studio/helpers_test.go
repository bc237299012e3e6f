package studio

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"image/color"
	"image/png"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/applications"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/internal/testdigits"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/saving"
)

// fakeDigits makes n 28×28 images whose class k is a bright 8×8 block at
// one of ten places, over faint noise: learnable in one epoch, cheap.
func fakeDigits(n int, seed uint64) mnist.Dataset {
	rng := rand.New(rand.NewPCG(seed, 7))
	im := &mnist.Images{N: n, Rows: 28, Cols: 28, Pixels: make([]uint8, n*784)}
	y := make(mnist.Labels, n)
	for i := range n {
		k := i % 10
		y[i] = uint8(k)
		px := im.Pixels[i*784 : (i+1)*784]
		for j := range px {
			px[j] = uint8(rng.IntN(40))
		}
		r0, c0 := 2+(k/5)*14, 1+(k%5)*5
		for r := r0; r < r0+8; r++ {
			for c := c0; c < c0+5; c++ {
				px[r*28+c] = 200 + uint8(rng.IntN(55))
			}
		}
	}
	return mnist.Dataset{X: im, Y: y}
}

// testServer is a studio on a temporary runs folder with fake data.
type testServer struct {
	*Server
	dir string
	ts  *httptest.Server
}

func newTestServer(t *testing.T, opts Options) *testServer {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	if opts.LoadData == nil {
		opts.LoadData = func(context.Context) (mnist.Dataset, mnist.Dataset, error) {
			return fakeDigits(300, 1), fakeDigits(100, 2), nil
		}
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(func() { s.Close(); ts.Close() })
	return &testServer{s, opts.Dir, ts}
}

// do sends a request and returns the status and the body.
func (ts *testServer) do(t *testing.T, method, path string, body io.Reader, header ...string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, ts.ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := ts.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, b
}

// getJSON GETs path, wants 200 and decodes the answer into v.
func (ts *testServer) getJSON(t *testing.T, path string, v any) {
	t.Helper()
	code, b := ts.do(t, "GET", path, nil)
	if code != 200 {
		t.Fatalf("GET %s: %d %s", path, code, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v in %s", path, err, b)
	}
}

// wantError checks an error answer: its status and that its message says
// what is expected (each of the fragments).
func wantError(t *testing.T, what string, code int, b []byte, wantCode int, fragments ...string) {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(b, &e); err != nil || e.Error == "" {
		t.Fatalf("%s: answer %d %q is not a JSON error", what, code, b)
	}
	if code != wantCode {
		t.Errorf("%s: status %d (%s), want %d", what, code, e.Error, wantCode)
	}
	for _, f := range fragments {
		if !strings.Contains(e.Error, f) {
			t.Errorf("%s: error %q does not say %q", what, e.Error, f)
		}
	}
}

// trainRun starts a run and waits until it ends, reading its event stream;
// it returns the event names seen, in order.
func (ts *testServer) trainRun(t *testing.T, settings string) (name string, events []string) {
	t.Helper()
	code, b := ts.do(t, "POST", "/api/runs", strings.NewReader(settings), "Content-Type", "application/json")
	if code != http.StatusCreated {
		t.Fatalf("POST /api/runs %s: %d %s", settings, code, b)
	}
	var run runJSON
	if err := json.Unmarshal(b, &run); err != nil {
		t.Fatal(err)
	}
	return run.Name, ts.readEvents(t, run.Name)
}

// readEvents reads a run's event stream until it ends.
func (ts *testServer) readEvents(t *testing.T, name string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.ts.URL+"/api/runs/"+name+"/events", nil)
	res, err := ts.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("events: Content-Type %q", ct)
	}
	var events []string
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if ev, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
			events = append(events, ev)
		}
	}
	return events
}

// saveModel trains nothing: it saves network name (seed 3), compiled with
// categorical cross-entropy and Adam, as file in dir, and returns it.
func saveNetwork(t *testing.T, dir, name, file string) (*goras.Model, string) {
	t.Helper()
	spec, err := applications.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	m, err := spec.New(3)
	if err != nil {
		t.Fatal(err)
	}
	adam, _ := optimizers.NewAdam()
	if err := m.Compile(goras.CompileOptions{Optimizer: adam, Loss: losses.CategoricalCrossentropy{}, Metrics: []string{"accuracy"}}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, file)
	if err := saving.Save(m, path); err != nil {
		t.Fatal(err)
	}
	return m, path
}

// digitPNG draws test digit i of d as a user's picture: dark ink on white,
// magnified, as a PNG.
func digitPNG(t *testing.T, d mnist.Dataset, i int) []byte {
	t.Helper()
	img := testdigits.Picture(d.X.Image(i), 4, 140, 130, 14, 9, color.RGBA{20, 20, 30, 255}, color.RGBA{250, 248, 240, 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
