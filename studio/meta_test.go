package studio

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A run.json that is not a regular file, or too large, or not JSON, is
// refused with an error naming it in the runs folder; GET /api/runs lists
// its run with that error.
func TestRunJSONRefused(t *testing.T) {
	dir := t.TempDir()
	mk := func(name string) string {
		if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		return filepath.Join(dir, name, metaFile)
	}
	if err := os.Mkdir(mk("folder"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mk("huge"), []byte(`{"source": "studio", "error": "`+strings.Repeat("x", maxMetaSize)+`"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mk("garbled"), []byte(`{"source": `), 0o644); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"folder":  {"folder/run.json is a directory, not a regular file", "remove it"},
		"huge":    {"huge/run.json is 1048609 bytes, larger than the 1 MB a run.json may be"},
		"garbled": {"garbled/run.json is not the JSON the studio writes"},
	}
	for name, says := range want {
		_, err := readMeta(dir, name)
		if err == nil {
			t.Errorf("%s: read", name)
			continue
		}
		for _, s := range says {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: error %q does not say %q", name, err, s)
			}
		}
		if strings.Contains(err.Error(), dir) {
			t.Errorf("%s: error %q shows the server's path", name, err)
		}
	}
	// The runs are listed, each with its error, and the studio still serves.
	ts := newTestServer(t, Options{Dir: dir})
	var runs []runJSON
	getJSONWithin(t, ts, "/api/runs", &runs)
	if len(runs) != len(want) {
		t.Fatalf("runs: %+v", runs)
	}
	for _, r := range runs {
		if !strings.Contains(r.Error, want[r.Name][0]) {
			t.Errorf("run %s: error %q, want one saying %q", r.Name, r.Error, want[r.Name][0])
		}
	}
}

// getJSONWithin is ts.getJSON, failing rather than hanging when the
// answer takes more than 30 s.
func getJSONWithin(t *testing.T, ts *testServer, path string, v any) {
	t.Helper()
	c := *ts.ts.Client()
	c.Timeout = 30 * time.Second
	res, err := c.Get(ts.ts.URL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", path, res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}
