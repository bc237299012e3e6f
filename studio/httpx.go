package studio

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Body limits, by what a request carries.
const (
	// maxJSONBody bounds the settings of a training run and other small
	// JSON bodies.
	maxJSONBody = 64 << 10
	// maxImageBody bounds a picture sent to /api/predict or /api/draw: a
	// phone photo is 2-8 MB.
	maxImageBody = 16 << 20
	// MaxUpload bounds an uploaded model file (64 MB holds 16 million
	// float32 weights, 20 times the bounty CNN).
	MaxUpload = 64 << 20
)

// apiError is an error with the HTTP status it is answered with.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

// errorf makes an error answered with status.
func errorf(status int, format string, args ...any) error {
	return &apiError{status, fmt.Sprintf(format, args...)}
}

// badRequest is errorf(400, ...), the answer to most mistakes in a request.
func badRequest(format string, args ...any) error {
	return errorf(http.StatusBadRequest, format, args...)
}

// handlerFunc is a handler that returns its error instead of writing it,
// so that every error reaches the client the same way: a JSON object
// {"error": "..."} with the error's status.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// methods maps HTTP methods to the handlers of one path.
type methods map[string]handlerFunc

// ServeHTTP dispatches on the method; a method the path does not take is
// answered 405 naming those it takes.
func (ms methods) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, ok := ms[r.Method]
	if !ok && r.Method == http.MethodHead {
		h, ok = ms[http.MethodGet]
	}
	if !ok {
		allowed := make([]string, 0, len(ms))
		for m := range ms {
			allowed = append(allowed, m)
		}
		sort.Strings(allowed)
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeError(w, errorf(http.StatusMethodNotAllowed, "%s %s: method not allowed; this path takes %s",
			r.Method, r.URL.Path, strings.Join(allowed, ", ")))
		return
	}
	if err := h(w, r); err != nil {
		writeError(w, err)
	}
}

// writeError answers with err as {"error": "..."}: its status when it is an
// apiError, 413 for a body over its limit, 500 otherwise.
func writeError(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	var ae *apiError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		status = ae.status
	case errors.As(err, &tooBig):
		status = http.StatusRequestEntityTooLarge
		err = fmt.Errorf("the request body is larger than the %s this endpoint takes", byteSize(tooBig.Limit))
	}
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err = w.Write(append(b, '\n'))
	return err
}

// readJSON decodes a bounded JSON body into v, refusing unknown fields so
// that a misspelt setting is reported rather than ignored.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return errorf(http.StatusUnsupportedMediaType, "the body must be JSON (Content-Type: application/json), got %q", ct)
	}
	dec := json.NewDecoder(s.limitBody(w, r, maxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if berr := bodyError(err); berr != nil {
			return berr
		}
		return badRequest("the body is not the JSON object expected: %v", err)
	}
	return nil
}

// readBody reads a body of at most limit bytes.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(s.limitBody(w, r, limit))
	if err != nil {
		if berr := bodyError(err); berr != nil {
			return nil, berr
		}
		return nil, badRequest("reading the request body: %v", err)
	}
	return b, nil
}

// byteSize says 64 MB, 16 KB ...
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// queryInt reads an integer query parameter in [lo, hi], def when absent.
func queryInt(q url.Values, key string, def, lo, hi int) (int, error) {
	s := q.Get(key)
	if s == "" {
		return def, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi {
		return 0, badRequest("query parameter %s must be an integer from %d to %d, got %q", key, lo, hi, s)
	}
	return v, nil
}

// queryFloat reads a finite number query parameter in [lo, hi], def when
// absent.
func queryFloat(q url.Values, key string, def, lo, hi float64) (float64, error) {
	s := q.Get(key)
	if s == "" {
		return def, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || v < lo || v > hi {
		return 0, badRequest("query parameter %s must be a number from %g to %g, got %q", key, lo, hi, s)
	}
	return v, nil
}

// guard refuses what a page of another site, or a site that rebinds its
// name to 127.0.0.1, could make a browser send:
//   - a Host header naming neither loopback nor the address served
//     (DNS rebinding), unless anyHost;
//   - a state-changing request (any method but GET, HEAD and OPTIONS) whose
//     Origin is not the server's own or whose Sec-Fetch-Site says it comes
//     from another site. Clients that send neither header (curl, scripts)
//     are not browsers and pass.
func guard(next http.Handler, anyHost bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !anyHost && !loopbackHost(r.Host) {
			writeError(w, errorf(http.StatusForbidden, "host %q is not served: the studio answers on localhost, 127.0.0.1 or [::1] "+
				"(start it with --addr to serve another address)", r.Host))
			return
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Referrer-Policy", "no-referrer")
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
		default:
			if err := sameOrigin(r); err != nil {
				writeError(w, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// sameOrigin checks that a state-changing request comes from the studio's
// own pages (or from no browser at all).
func sameOrigin(r *http.Request) error {
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "", "same-origin", "none":
	default:
		return errorf(http.StatusForbidden, "%s %s refused: the request comes from another site (Sec-Fetch-Site: %s); "+
			"only the studio's own pages may change its state", r.Method, r.URL.Path, site)
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host != r.Host {
		return errorf(http.StatusForbidden, "%s %s refused: the request comes from origin %q, not from the studio at %s; "+
			"only the studio's own pages may change its state", r.Method, r.URL.Path, origin, r.Host)
	}
	return nil
}

// loopbackHost reports whether a Host header names a loopback address.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
