package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/goras-ml/goras/studio"
	"github.com/spf13/cobra"
)

func newStudioCmd() *cobra.Command {
	var addr, dir, model string
	cmd := &cobra.Command{
		Use:   "studio",
		Short: "Watch networks learn, look inside them and draw digits for them, in the browser",
		Long: `Start goras studio, a local web app: train networks and watch their curves live,
draw a digit and see what the model reads and every layer's feature maps, look at
the test digits it gets wrong and its confusion matrix, walk gradient descent
along one weight and race the optimizers, and inspect, download or upload models.
The first line printed is the address to open.

Runs are kept in --dir (history.csv and model.safetensors per run), so they are
there again after a restart; what goras train writes there (--history, --output,
--checkpoint-dir) shows up too. The studio listens on loopback only unless --addr
names another address; it refuses changes requested by pages of other sites.
Ctrl-C stops it, saving the runs in training as they are.`,
		Example: "  goras studio\n" +
			"  goras studio --dir runs --model lenet5.safetensors\n" +
			"  goras train --model lenet5 --history runs/lenet5.csv --output runs/lenet5.safetensors",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runStudio(cmd.Context(), cmd, addr, dir, model)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&addr, "addr", "127.0.0.1:8080", "`HOST:PORT` to listen on (port 0 picks a free one); another host than\nloopback makes the studio reachable from other machines")
	fl.StringVar(&dir, "dir", "runs", "the runs folder `DIR`: runs, histories and model files; created if missing")
	fl.StringVar(&model, "model", "", "a model `FILE` the pages use until you pick another (default: the first\nmodel trained or uploaded)")
	return cmd
}

// runStudio serves the studio until ctx ends.
func runStudio(ctx context.Context, cmd *cobra.Command, addr, dir, model string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--addr %s: %w", addr, err)
	}
	host, _, _ := net.SplitHostPort(ln.Addr().String())
	ip := net.ParseIP(host)
	s, err := studio.New(studio.Options{Dir: dir, Model: model, Log: cmd.ErrOrStderr(), AnyHost: ip == nil || !ip.IsLoopback()})
	if err != nil {
		ln.Close()
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "goras studio: open http://%s/\n", ln.Addr())
	// No ReadTimeout or WriteTimeout: they would cut the event streams of
	// runs in training (studio.Server bounds request bodies itself).
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		s.Close()
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.Close() // stop the jobs first: event streams end with them
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
