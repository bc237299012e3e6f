package studio

import (
	"errors"
	"io"
	"net/http"
	"os"
	"time"
)

// heavyRequest bounds a handler that loads or computes on models: while
// Options.MaxHeavyRequests of them are being served, one more is answered
// 503 with Retry-After at once, rather than queued, so that a script
// firing requests cannot pile up goroutines, each about to hold a model's
// answers on a test set or a batch of decoded pictures. The slot is held
// until the handler returns, reading the body included: a body read
// before it would let any number of clients each hold one.
func (s *Server) heavyRequest(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		select {
		case s.heavy <- struct{}{}:
		default:
			w.Header().Set("Retry-After", "1")
			return errorf(http.StatusServiceUnavailable, "%s %s refused: the studio is busy, it is already working on %d requests that compute "+
				"(predictions, the Look and Learn pages, loading models), as many as it serves at once; retry in a moment",
				r.Method, r.URL.Path, cap(s.heavy))
		}
		defer func() { <-s.heavy }()
		if s.heavyHook != nil {
			s.heavyHook(r)
		}
		return h(w, r)
	}
}

// Request bodies must arrive within defaultBodyGrace plus their size limit
// at bodyRate: 30 s for the settings of a run, 94 s for a picture, under 5
// minutes for a model upload.
const (
	defaultBodyGrace = 30 * time.Second
	bodyRate         = 256 << 10 // bytes per second
)

// limitBody is r's body, cut at limit bytes (an error *http.MaxBytesError
// beyond) and at a deadline (os.ErrDeadlineExceeded after it), so that a
// client trickling a body cannot hold a request, and a heavy request's
// slot, for ever. The deadline needs no lifting: net/http clears it once
// the body is read to its end, and sets its own before the connection's
// next request; until then it bounds the reading of what a handler left
// of the body too. Where the connection cannot take a deadline (an
// httptest.ResponseRecorder) there is none.
func (s *Server) limitBody(w http.ResponseWriter, r *http.Request, limit int64) io.Reader {
	wait := s.bodyGrace + time.Duration(limit/bodyRate)*time.Second
	http.NewResponseController(w).SetReadDeadline(time.Now().Add(wait))
	return http.MaxBytesReader(w, r.Body, limit)
}

// bodyError is err as writeError answers it when reading a body failed
// for its size (413) or its slowness (408), nil for any other error.
func bodyError(err error) error {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return err
	case errors.Is(err, os.ErrDeadlineExceeded):
		return errorf(http.StatusRequestTimeout, "the request body did not arrive in time: the studio waits %s for a body, "+
			"and a second more for every %d KB the endpoint takes; send the body whole, at once", defaultBodyGrace, bodyRate>>10)
	}
	return nil
}
