package studio

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goras-ml/goras/datasets/mnist"
)

// newHookedServer is newTestServer with s's fields set by set before it
// serves (so that handlers read them without a race).
func newHookedServer(t *testing.T, opts Options, set func(s *Server)) *testServer {
	t.Helper()
	opts.Dir = t.TempDir()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	set(s)
	ts := httptest.NewServer(s)
	t.Cleanup(func() { s.Close(); ts.Close() })
	return &testServer{s, opts.Dir, ts}
}

// While MaxHeavyRequests heavy requests are in flight, one more is
// refused at once with 503, Retry-After and a message saying what is
// busy; light requests are still served; once the N end, heavy ones are
// served again.
func TestHeavyRequestsBounded(t *testing.T) {
	const n = 3
	_, model := saveNetwork(t, t.TempDir(), "mlp", "m.safetensors")
	entered := make(chan string, 2*n)
	release := make(chan struct{})
	ts := newHookedServer(t, Options{Model: model, MaxHeavyRequests: n}, func(s *Server) {
		s.heavyHook = func(r *http.Request) {
			entered <- r.URL.Path
			<-release
		}
	})
	answers := make(chan string, n)
	for range n {
		go func() {
			res, err := ts.ts.Client().Get(ts.ts.URL + "/api/models/m")
			if err != nil {
				answers <- err.Error()
				return
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			answers <- res.Status
		}()
	}
	for range n {
		<-entered
	}

	for _, path := range []string{"/api/look/confusion", "/api/models/m", "/api/learn/params", "/api/export/runs.csv"} {
		res, err := ts.ts.Client().Get(ts.ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		wantError(t, "heavy request "+path+" while full", res.StatusCode, b, http.StatusServiceUnavailable,
			"GET "+path+" refused", "the studio is busy", fmt.Sprintf("%d requests that compute", n), "retry in a moment")
		if ra := res.Header.Get("Retry-After"); ra != "1" {
			t.Errorf("%s: Retry-After %q, want 1", path, ra)
		}
	}
	var info map[string]any
	ts.getJSON(t, "/api/info", &info) // light: served while heavy ones are full

	close(release)
	for range n {
		if a := <-answers; a != "200 OK" {
			t.Errorf("a heavy request in flight was answered %s", a)
		}
	}
	// Each slot is free again: N at once pass, and then more.
	for range n + 1 {
		var m map[string]any
		ts.getJSON(t, "/api/models/m", &m)
	}
}

// One run trains at a time by default (MaxTraining more when set): a
// start beyond is refused with 409 naming the runs training, leaves no
// folder, and is accepted once they have ended.
func TestTrainingRunsBounded(t *testing.T) {
	for _, slots := range []int{0, 2} {
		t.Run(fmt.Sprintf("MaxTraining=%d", slots), func(t *testing.T) {
			loading := make(chan struct{}, 1)
			release := make(chan struct{})
			ts := newTestServer(t, Options{MaxTraining: slots, LoadData: func(ctx context.Context) (mnist.Dataset, mnist.Dataset, error) {
				loading <- struct{}{}
				select {
				case <-release:
				case <-ctx.Done():
					return mnist.Dataset{}, mnist.Dataset{}, ctx.Err()
				}
				return fakeDigits(100, 1), fakeDigits(20, 2), nil
			}})
			start := func(name string) (int, []byte) {
				return ts.do(t, "POST", "/api/runs", strings.NewReader(`{"name": "`+name+`", "epochs": 1, "batch_size": 50}`))
			}
			running := []string{"a", "b"}[:max(1, slots)]
			for _, name := range running {
				if code, b := start(name); code != http.StatusCreated {
					t.Fatalf("start %s: %d %s", name, code, b)
				}
			}
			<-loading // the first run's data is loading: it holds its slot

			code, b := start("late")
			says := []string{`run "late" was not started`, "one run at a time", `run "a" is training`, "stop it"}
			if slots == 2 {
				says = []string{`run "late" was not started`, "2 runs at a time", `runs "a", "b" are training`, "stop one"}
			}
			wantError(t, "a start beyond the limit", code, b, http.StatusConflict, says...)
			if _, err := os.Stat(filepath.Join(ts.dir, "late")); !os.IsNotExist(err) {
				t.Errorf("the refused run left its folder: %v", err)
			}

			close(release)
			for _, name := range running {
				if ev := ts.readEvents(t, name); len(ev) == 0 || ev[len(ev)-1] != "end" {
					t.Fatalf("run %s: events %v", name, ev)
				}
			}
			if code, b := start("late"); code != http.StatusCreated {
				t.Fatalf("a start once the runs ended: %d %s", code, b)
			}
			ts.readEvents(t, "late")
			var d runDetail
			ts.getJSON(t, "/api/runs/late", &d)
			if d.State != stateDone {
				t.Errorf("the late run: state %q (%s)", d.State, d.Error)
			}
		})
	}
}

// A body that does not arrive in time is answered 408, and frees its
// heavy request's slot.
func TestSlowBodyTimesOut(t *testing.T) {
	_, model := saveNetwork(t, t.TempDir(), "mlp", "m.safetensors")
	ts := newHookedServer(t, Options{Model: model, MaxHeavyRequests: 1}, func(s *Server) { s.bodyGrace = 50 * time.Millisecond })
	pr, pw := io.Pipe()
	defer pw.Close()
	req, err := http.NewRequest("POST", ts.ts.URL+"/api/current", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = 100
	req.Header.Set("Content-Type", "application/json")
	go pw.Write([]byte(`{"model": `)) // and nothing more
	client := *ts.ts.Client()
	client.Timeout = time.Minute // a server that waits for the body fails the test, not hangs it
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	wantError(t, "a trickled body", res.StatusCode, b, http.StatusRequestTimeout, "did not arrive in time", "whole, at once")
	pw.Close()
	code, b := ts.do(t, "POST", "/api/current", strings.NewReader(`{"model": "m"}`), "Content-Type", "application/json")
	if code != http.StatusOK {
		t.Errorf("a body sent at once after a slow one: %d %s", code, b)
	}
}
