package studio

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// sseHeartbeat is how often an idle event stream sends a comment, so that
// proxies and browsers keep it open.
const sseHeartbeat = 15 * time.Second

// events is what a job has to tell a stream that has seen epochs epochs
// and batches batch points.
type events struct {
	epochs  []epochEvent
	batches []batchPoint
	state   stateEvent
	changed <-chan struct{}
}

type epochEvent struct {
	Epoch   int                `json:"epoch"`
	Logs    map[string]jsonNum `json:"logs"`
	Seconds jsonNum            `json:"seconds"`
}

type stateEvent struct {
	State    string `json:"state"`
	Error    string `json:"error,omitempty"`
	Epoch    string `json:"epoch_line,omitempty"`
	Progress string `json:"progress,omitempty"`
}

// since copies what happened after the first epochs epochs and batches
// batch points.
func (j *job) since(epochs, batches int) events {
	j.mu.Lock()
	defer j.mu.Unlock()
	ev := events{state: stateEvent{j.state, j.err, j.epoch, j.progress}, changed: j.changed}
	for i := epochs; i < len(j.hist.Epoch); i++ {
		logs := map[string]jsonNum{}
		for k, v := range j.hist.History {
			logs[k] = jsonNum(v[i])
		}
		ev.epochs = append(ev.epochs, epochEvent{j.hist.Epoch[i], logs, jsonNum(j.hist.Seconds[i])})
	}
	if batches < len(j.batches) {
		ev.batches = append(ev.batches, j.batches[batches:]...)
	}
	return ev
}

// runEvents streams a run's training as server-sent events:
//
//	event: reset     the stream starts (again): forget what was drawn
//	event: epoch     {"epoch": 0, "logs": {...}, "seconds": 1.2}, one per epoch done
//	event: batch     {"x": 0.5, "logs": {...}}, the running means mid-epoch
//	event: state     {"state": "running", "epoch_line": "Epoch 1/3", "progress": "..."}
//	event: end       the run is not training (any more); the stream closes
//
// Every epoch and batch point is sent from the start, so a page that
// (re)connects draws the whole curve.
func (s *Server) runEvents(w http.ResponseWriter, r *http.Request) error {
	run, err := s.runs.get(r.PathValue("name"))
	if err != nil {
		return err
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		return errors.New("studio: the connection cannot stream events")
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(event string, v any) {
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b)
	}
	send("reset", map[string]string{"name": run.Name})
	j := s.jobs.get(run.Name)
	if j == nil {
		rj, _ := s.describeRun(run)
		send("state", stateEvent{State: rj.State, Error: rj.Error})
		send("end", map[string]string{"state": rj.State})
		flusher.Flush()
		return nil
	}
	epochs, batches, last := 0, 0, stateEvent{}
	for {
		ev := j.since(epochs, batches)
		for _, e := range ev.epochs {
			send("epoch", e)
		}
		for _, b := range ev.batches {
			send("batch", b)
		}
		epochs, batches = epochs+len(ev.epochs), batches+len(ev.batches)
		if ev.state != last {
			send("state", ev.state)
			last = ev.state
		}
		if ev.state.State != stateRunning {
			send("end", map[string]string{"state": ev.state.State})
			flusher.Flush()
			return nil
		}
		flusher.Flush()
		select {
		case <-ev.changed:
		case <-r.Context().Done():
			return nil
		case <-time.After(sseHeartbeat):
			fmt.Fprint(w, ": ping\n\n")
		}
	}
}
