package studio_test

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/goras-ml/goras/studio"
)

// A studio is an http.Handler: serve it, open it in a browser, or talk to
// its API. Here the optimizers race on the Learn page's surface from
// (1.8, 1.2): plain SGD stops in the local minimum, momentum reaches the
// global one.
func Example() {
	dir, _ := os.MkdirTemp("", "runs")
	defer os.RemoveAll(dir)
	s, err := studio.New(studio.Options{Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	srv := httptest.NewServer(s)
	defer srv.Close()

	res, err := http.Get(srv.URL + "/api/learn/race?x=1.8&y=1.2&steps=300")
	if err != nil {
		log.Fatal(err)
	}
	defer res.Body.Close()
	var race struct {
		Paths []struct {
			Name      string  `json:"name"`
			FinalLoss float64 `json:"final_loss"`
		} `json:"paths"`
	}
	if err := json.NewDecoder(res.Body).Decode(&race); err != nil {
		log.Fatal(err)
	}
	for _, p := range race.Paths {
		fmt.Printf("%-8s %.2f\n", p.Name, p.FinalLoss)
	}
	// Output:
	// SGD      0.48
	// Momentum -0.51
	// AdaGrad  0.48
	// RMSprop  0.48
	// Adam     0.48
}
