package studio

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestInfoAndPages(t *testing.T) {
	ts := newTestServer(t, Options{})
	var info struct {
		Networks []struct {
			Name      string `json:"name"`
			BatchSize int    `json:"batch_size"`
		} `json:"networks"`
		Optimizers []string `json:"optimizers"`
		Current    string   `json:"current"`
		MaxUpload  int      `json:"max_upload"`
	}
	ts.getJSON(t, "/api/info", &info)
	if len(info.Networks) < 3 || info.MaxUpload != 64<<20 || info.Current != "" {
		t.Errorf("info = %+v", info)
	}
	for _, n := range info.Networks {
		if n.Name == "mlp" && n.BatchSize != 100 {
			t.Errorf("mlp's batch size %d, want the recipe's 100", n.BatchSize)
		}
	}
	for path, want := range map[string]string{"/": "<title>goras studio</title>", "/assets/app.js": "export async function api", "/assets/style.css": ":root"} {
		code, b := ts.do(t, "GET", path, nil)
		if code != 200 || !bytes.Contains(b, []byte(want)) {
			t.Errorf("GET %s: %d, body without %q", path, code, want)
		}
	}
	code, b := ts.do(t, "GET", "/etc/passwd", nil)
	wantError(t, "unknown page", code, b, http.StatusNotFound, "no page")
	code, b = ts.do(t, "GET", "/assets/../server.go", nil)
	if code == 200 && bytes.Contains(b, []byte("package studio")) {
		t.Errorf("GET /assets/../server.go served a source file")
	}
}

func TestBadRequestsAnswer4xx(t *testing.T) {
	ts := newTestServer(t, Options{})
	json := "application/json"
	cases := []struct {
		what, method, path string
		body               string
		header             []string
		code               int
		says               []string
	}{
		{"unknown endpoint", "GET", "/api/nope", "", nil, 404, []string{"no API endpoint", "docs/studio.md"}},
		{"wrong method", "DELETE", "/api/runs", "", nil, 405, []string{"method not allowed", "GET, POST"}},
		{"wrong method on stop", "GET", "/api/runs/x/stop", "", nil, 405, []string{"takes POST"}},
		{"cross-origin POST", "POST", "/api/runs", `{}`, []string{"Origin", "https://evil.example", "Content-Type", json}, 403, []string{"evil.example", "studio's own pages"}},
		{"cross-site fetch", "POST", "/api/current", `{"model":"x"}`, []string{"Sec-Fetch-Site", "cross-site"}, 403, []string{"another site"}},
		{"cross-origin upload", "POST", "/api/models?name=x", "x", []string{"Origin", "http://localhost.evil:8080"}, 403, []string{"origin"}},
		{"not JSON", "POST", "/api/runs", `network=mlp`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, []string{"must be JSON"}},
		{"malformed JSON", "POST", "/api/runs", `{"epochs": "many"}`, nil, 400, []string{"not the JSON object expected"}},
		{"unknown setting", "POST", "/api/runs", `{"epoch": 3}`, nil, 400, []string{"epoch"}},
		{"huge JSON", "POST", "/api/runs", `{"name": "` + strings.Repeat("a", 70<<10) + `"}`, nil, 413, []string{"64 KB"}},
		{"unknown run", "GET", "/api/runs/nosuch", "", nil, 404, []string{`no run named "nosuch"`}},
		{"unknown run's events", "GET", "/api/runs/nosuch/events", "", nil, 404, []string{"nosuch"}},
		{"bad run name", "GET", "/api/runs/..", "", nil, 404, nil},
		{"bad run name 2", "GET", "/api/runs/.hidden", "", nil, 400, []string{"not valid"}},
		{"stop unknown run", "POST", "/api/runs/nosuch/stop", "", nil, 404, []string{"nosuch"}},
		{"no model yet", "GET", "/api/look/confusion", "", nil, 404, []string{"no model chosen yet"}},
		{"unknown model", "GET", "/api/models/nosuch", "", nil, 404, []string{`no model named "nosuch"`}},
		{"bad query", "GET", "/api/learn/race?steps=lots", "", nil, 400, []string{"steps", "integer"}},
		{"race out of window", "GET", "/api/learn/race?x=7", "", nil, 400, []string{"x must be a number from -2 to 2"}},
		{"set unknown current", "POST", "/api/current", `{"model": "nosuch"}`, nil, 404, []string{"nosuch"}},
	}
	for _, c := range cases {
		code, b := ts.do(t, c.method, c.path, strings.NewReader(c.body), c.header...)
		wantError(t, c.what, code, b, c.code, c.says...)
	}
}

func TestForeignHostRefused(t *testing.T) {
	s := newTestServer(t, Options{}).Server
	for host, want := range map[string]int{"127.0.0.1:8080": 200, "localhost:1": 200, "[::1]:80": 200, "evil.example:8080": 403, "10.0.0.2": 403} {
		req := httptest.NewRequest("GET", "/api/info", nil)
		req.Host = host
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("Host %s: %d, want %d (%s)", host, rec.Code, want, rec.Body)
		}
	}
	open := newTestServer(t, Options{AnyHost: true}).Server
	req := httptest.NewRequest("GET", "/api/info", nil)
	req.Host = "studio.lan:8080"
	rec := httptest.NewRecorder()
	open.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Errorf("AnyHost: %d", rec.Code)
	}
}

func TestSameOriginPostPasses(t *testing.T) {
	ts := newTestServer(t, Options{})
	_, path := saveNetwork(t, ts.dir, "mlp", "m1.safetensors")
	_ = path
	origin := ts.ts.URL
	code, b := ts.do(t, "POST", "/api/current", strings.NewReader(`{"model": "m1"}`),
		"Origin", origin, "Sec-Fetch-Site", "same-origin", "Content-Type", "application/json")
	if code != 200 {
		t.Fatalf("same-origin POST: %d %s", code, b)
	}
	var cur map[string]string
	ts.getJSON(t, "/api/current", &cur)
	if cur["model"] != "m1" {
		t.Errorf("current = %v, want m1", cur)
	}
	_ = json.Valid(b)
}
