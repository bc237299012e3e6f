// Package e2e drives goras studio in a real headless browser (Debian's
// chromium, through chromedp): it trains a network on a small subset of
// MNIST and watches the curve grow, downloads every run as one CSV through
// the Train page's link and finds the run trained in it, draws a digit with
// pointer events and reads the class, clicks a confusion-matrix cell and
// sees its digits, uploads a picture of a digit, uploads a model of RGB
// pictures with class names and reads the names it answers with for an
// uploaded picture, looks at a Fashion-MNIST model's confusion matrix, and
// saves a screenshot of each page into docs/studio. It is its own module
// so that chromedp never enters goras's go.mod; .ci/studio-e2e runs it.
package e2e

import (
	"context"
	"encoding/csv"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/goras-ml/goras/studio"
)

// shots is where the screenshots go: docs/studio in the repository.
const shots = "../../docs/studio"

func browser(t *testing.T) (context.Context, context.CancelFunc) {
	t.Helper()
	path := os.Getenv("CHROMIUM")
	if path == "" {
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if p, err := exec.LookPath(name); err == nil {
				path = p
				break
			}
		}
	}
	if path == "" {
		t.Fatal("no chromium found: install it (apt-get install -y chromium) or set CHROMIUM; .ci/studio-e2e does both")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // CI runs as root
		chromedp.WindowSize(1400, 1000),
		chromedp.Flag("disable-gpu", true),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelC := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	if err := chromedp.Do(bctx); err != nil { // starts the browser, with no timeout
		cancelC()
		cancelA()
		t.Fatalf("starting %s: %v", path, err)
	}
	ctx, cancelT := context.WithTimeout(bctx, 3*time.Minute)
	return ctx, func() { cancelT(); cancelC(); cancelA() }
}

func TestStudioInBrowser(t *testing.T) {
	dir := t.TempDir()
	s, err := studio.New(studio.Options{Dir: dir, Log: testLog{t}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	srv := httptest.NewServer(s) // 127.0.0.1, a free port
	defer srv.Close()
	ctx, cancel := browser(t)
	defer cancel()
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, chromedp.Navigate(srv.URL+"/#train"), chromedp.WaitVisible(chromedp.CSS("#train-form")))

	train(t, ctx)
	exportRuns(t, ctx)
	screenshot(t, ctx, "train")
	class := drawDigit(t, ctx)
	t.Logf("the model read the drawn 7 as %s", class)
	screenshot(t, ctx, "draw")
	clickConfusionCell(t, ctx)
	screenshot(t, ctx, "look")
	run(t, ctx, chromedp.Navigate(srv.URL+"/#learn"), chromedp.WaitVisible(chromedp.CSS("#learn-chart[data-steps]")), chromedp.Sleep(3500*time.Millisecond))
	screenshot(t, ctx, "learn")
	run(t, ctx, chromedp.Navigate(srv.URL+"/#models"), chromedp.WaitVisible(chromedp.CSS("#models-table tbody tr")), chromedp.WaitVisible(chromedp.CSS("#inspect-graph rect")))
	screenshot(t, ctx, "models")

	// Models of other pictures, and pictures uploaded.
	uploadDigit(t, ctx, srv.URL, filepath.Join(dir, "lenet5-e2e", "model.safetensors"), t.TempDir())
	colourModel(t, ctx, srv.URL, t.TempDir())
	fashionLook(t, ctx, srv.URL, dir)
}

// train starts a one-epoch LeNet-5 run on 3,000 images and watches the
// loss chart gain points while it trains, until the run is done.
func train(t *testing.T, ctx context.Context) {
	for sel, v := range map[string]string{
		"#train-network": "lenet5", "#train-optimizer": "adam", "#train-loss": "categorical_crossentropy",
		"#train-epochs": "1", "#train-size": "3000", "#train-val": "2000", "#train-batch": "32", "#train-name": "lenet5-e2e",
	} {
		run(t, ctx, chromedp.SetValue(chromedp.CSS(sel), v))
	}
	run(t, ctx, chromedp.Click(chromedp.CSS("#train-start")))
	// A second run while this one trains: the studio trains one at a time,
	// and the page says which run to stop or wait for.
	run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#runs-table tr[data-run="lenet5-e2e"]`)),
		chromedp.SetValue(chromedp.CSS("#train-name"), "second-e2e"), chromedp.Click(chromedp.CSS("#train-start")),
		chromedp.WaitVisible(chromedp.CSS("#notice.error")))
	if msg := get(t, ctx, chromedp.Text(chromedp.CSS("#notice"))); !strings.Contains(msg, `trains one run at a time and run "lenet5-e2e" is training`) {
		t.Errorf("starting a second run while lenet5-e2e trains: the page says %q", msg)
	}
	var seen []int
	state := ""
	deadline := time.Now().Add(2 * time.Minute)
	for state != "done" {
		if time.Now().After(deadline) {
			t.Fatalf("the run did not finish; state %q, points seen %v", state, seen)
		}
		points := get(t, ctx, chromedp.Evaluate[string](`(document.querySelector('#chart-loss').dataset.points || '0') + ' ' +
			((document.querySelector('#runs-table tr[data-run="lenet5-e2e"] td:nth-child(3)') || {}).textContent || '')`))
		f := strings.Fields(points)
		n, _ := strconv.Atoi(f[0])
		if len(seen) == 0 || seen[len(seen)-1] != n {
			seen = append(seen, n)
		}
		if len(f) > 1 {
			state = f[1]
		}
		time.Sleep(40 * time.Millisecond)
	}
	grew := 0
	for i := 1; i < len(seen); i++ {
		if seen[i] > seen[i-1] && seen[i-1] > 0 {
			grew++
		}
	}
	if grew == 0 || seen[len(seen)-1] < 10 {
		t.Errorf("the loss chart did not gain points while training: counts seen %v", seen)
	}
	t.Logf("loss chart point counts seen while training: %v", seen)
	// Let the page fetch the finished run's history for the screenshot.
	run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#runs-table tr[data-run="lenet5-e2e"] td.state-done`)), chromedp.Sleep(500*time.Millisecond))
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#runs-table tr[data-run="second-e2e"]').length`)); n != 0 {
		t.Errorf("the refused second run is listed (%d rows)", n)
	}
	// The refusal's notice stays until the page changes: leave and come
	// back, as a user would, for the screenshot.
	get(t, ctx, chromedp.Evaluate[string](`document.querySelector('#train-name').value = ''; location.hash = '#draw'`))
	run(t, ctx, chromedp.WaitVisible(chromedp.CSS("#draw-canvas")))
	get(t, ctx, chromedp.Evaluate[string](`location.hash = '#train'`))
	run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#runs-table tr[data-run="lenet5-e2e"] td.state-done`)), chromedp.Sleep(500*time.Millisecond))
	if msg := get(t, ctx, chromedp.Text(chromedp.CSS("#notice"))); msg != "" {
		t.Errorf("back on the Train page, the notice still says %q", msg)
	}
}

// exportRuns fetches the Train page's "Download all runs (CSV)" link, as
// the page names it, and finds the run just trained in the CSV: its one
// epoch, with its settings and numbers.
func exportRuns(t *testing.T, ctx context.Context) {
	run(t, ctx, chromedp.WaitVisible(chromedp.CSS("#runs-export")))
	if text := get(t, ctx, chromedp.Text(chromedp.CSS("#runs-export"))); text != "Download all runs (CSV)" {
		t.Errorf("the export link reads %q", text)
	}
	got := get(t, ctx, chromedp.Evaluate[[]string](`(async () => {
		const a = document.querySelector('#runs-export');
		const res = await fetch(a.href);
		return [a.getAttribute('href'), String(res.status), res.headers.get('Content-Type') || '', res.headers.get('Content-Disposition') || '', await res.text()];
	})()`, chromedp.EvalAwaitPromise))
	href, status, ctype, disp, body := got[0], got[1], got[2], got[3], got[4]
	if status != "200" || !strings.HasPrefix(ctype, "text/csv") || !strings.Contains(disp, "attachment") {
		t.Fatalf("GET %s from the page: status %s, Content-Type %q, Content-Disposition %q", href, status, ctype, disp)
	}
	records, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(records) < 2 {
		t.Fatalf("the export is not a CSV with rows: %v\n%s", err, body)
	}
	col := map[string]int{}
	for i, c := range records[0] {
		col[c] = i
	}
	for _, c := range []string{"run", "source", "state", "settings.network", "settings.train_size", "epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds", "error"} {
		if _, ok := col[c]; !ok {
			t.Fatalf("the export's header %q has no column %s", records[0], c)
		}
	}
	var rows [][]string
	for _, rec := range records[1:] {
		if rec[col["run"]] == "lenet5-e2e" {
			rows = append(rows, rec)
		}
	}
	if len(rows) != 1 {
		t.Fatalf("the export has %d rows of lenet5-e2e, want 1 (its one epoch):\n%s", len(rows), body)
	}
	r := rows[0]
	for c, want := range map[string]string{"source": "studio", "state": "done", "settings.network": "lenet5", "settings.train_size": "3000", "epoch": "0", "error": ""} {
		if r[col[c]] != want {
			t.Errorf("lenet5-e2e's row: %s %q, want %q", c, r[col[c]], want)
		}
	}
	for _, c := range []string{"loss", "val_accuracy", "seconds"} {
		if v, err := strconv.ParseFloat(r[col[c]], 64); err != nil || v <= 0 {
			t.Errorf("lenet5-e2e's row: %s %q, want a number above 0", c, r[col[c]])
		}
	}
	t.Logf("GET %s from the page: %d rows; lenet5-e2e: %q", href, len(records)-1, r)
}

// drawDigit draws a 7 on the Draw page's canvas with mouse events (the
// browser turns them into pointer events) and returns the class read.
func drawDigit(t *testing.T, ctx context.Context) string {
	get(t, ctx, chromedp.Evaluate[string](`location.hash = '#draw'`))
	run(t, ctx, chromedp.WaitVisible(chromedp.CSS("#draw-canvas")))
	rect := get(t, ctx, chromedp.Evaluate[[]float64](`(() => { const r = document.querySelector('#draw-canvas').getBoundingClientRect(); return [r.left, r.top, r.width]; })()`))
	x0, y0, w := rect[0], rect[1], rect[2]
	p := func(fx, fy float64) (float64, float64) { return x0 + fx*w, y0 + fy*w }
	stroke := [][2]float64{{0.25, 0.2}, {0.45, 0.2}, {0.7, 0.2}, {0.62, 0.4}, {0.55, 0.6}, {0.48, 0.85}}
	x, y := p(stroke[0][0], stroke[0][1])
	acts := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y), chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x, y, chromedp.ButtonLeft)}
	for i := 1; i < len(stroke); i++ {
		a, b := stroke[i-1], stroke[i]
		for k := 1; k <= 6; k++ { // small moves, as a hand makes
			f := float64(k) / 6
			x, y = p(a[0]+f*(b[0]-a[0]), a[1]+f*(b[1]-a[1]))
			acts = append(acts, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y, chromedp.ButtonLeft), chromedp.Sleep(10*time.Millisecond))
		}
	}
	acts = append(acts, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x, y, chromedp.ButtonLeft))
	run(t, ctx, acts...)
	run(t, ctx, chromedp.WaitVisible(chromedp.CSS("#draw-bars .bar")), chromedp.Sleep(700*time.Millisecond))
	class := get(t, ctx, chromedp.Text(chromedp.CSS("#draw-class")))
	if n, err := strconv.Atoi(class); err != nil || n < 0 || n > 9 {
		t.Fatalf("the Draw page shows class %q, want a digit", class)
	}
	sum := get(t, ctx, chromedp.Evaluate[float64](`[...document.querySelectorAll('#draw-bars .prob')].reduce((s, e) => s + Number(e.textContent), 0)`))
	if sum < 0.99 || sum > 1.01 {
		t.Errorf("the ten probabilities shown sum to %v", sum)
	}
	maps := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#draw-maps canvas').length`))
	if maps != 6+6+16+16 {
		t.Errorf("LeNet-5's feature maps: %d pictures, want 6+6+16+16", maps)
	}
	return class
}

// clickConfusionCell opens Look, clicks the cell (true 1, read 1) and
// waits for its digits.
func clickConfusionCell(t *testing.T, ctx context.Context) {
	get(t, ctx, chromedp.Evaluate[string](`location.hash = '#look'`))
	run(t, ctx,
		chromedp.WaitVisible(chromedp.CSS(`table.confusion td[data-true="1"][data-pred="1"]`)),
		chromedp.Click(chromedp.CSS(`table.confusion td[data-true="1"][data-pred="1"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#cell-digits .digit`)))
	n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#cell-digits .digit').length`))
	title := get(t, ctx, chromedp.Text(chromedp.CSS("#cell-title")))
	if n == 0 || !strings.HasPrefix(title, "true 1, read as 1") {
		t.Errorf("clicking cell (1, 1) shows %d digits titled %q", n, title)
	}
	run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#look-weights canvas`)), chromedp.WaitVisible(chromedp.CSS(`#look-mistakes .digit`)))
}

func screenshot(t *testing.T, ctx context.Context, page string) {
	run(t, ctx, chromedp.Sleep(300*time.Millisecond))
	png := get(t, ctx, chromedp.FullScreenshot(100))
	path := filepath.Join(shots, page+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("saved %s (%d KB)", path, len(png)>>10)
}

func run(t *testing.T, ctx context.Context, acts ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, acts...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

// get runs one action that answers a value.
func get[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	return v
}

// testLog sends the studio's log lines to the test's.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
