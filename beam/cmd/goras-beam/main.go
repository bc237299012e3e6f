// Command goras-beam runs goras's many-model jobs on Apache Beam: ensembles,
// hyper-parameter sweeps and k-fold cross validation (many trainings, one
// collecting step that chooses on validation and reads the test set once),
// and batch prediction of many pictures. With no --runner it runs them on
// prism, in this process, using every core; the same binary runs them on
// Flink, Spark or Dataflow (docs/scale.md).
//
//	goras-beam ensemble --recipe best-long --seeds 1-5 --out runs/ensemble
//	goras-beam sweep --out runs/sweep sweep.json
//	goras-beam kfold --recipe fast --folds 5 --out runs/kfold
//	goras-beam predict --model best.safetensors --out preds.jsonl --idx t10k-images-idx3-ubyte.gz
//
// Beam's own flags (--runner, --endpoint, --environment_type, --project,
// ...) are taken by every subcommand. Started with flags only (--worker
// ...), as a runner's worker container starts it, it is a Beam worker.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
)

// command is one subcommand: its flags, then what it does with them and
// its positional arguments.
type command struct {
	summary, usage string
	flags          func(fs *flag.FlagSet) func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{
	"ensemble": ensembleCmd,
	"sweep":    sweepCmd,
	"kfold":    kfoldCmd,
	"predict":  predictCmd,
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main without the process: it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && !isHelp(args[0]) {
		// A runner's worker container starts the binary with Beam's flags
		// only (--worker --id ...): beam.Init then runs the worker and
		// does not return.
		flag.Parse()
		beam.Init()
		usage(stderr)
		return 2
	}
	if isHelp(args[0]) || args[0] == "help" {
		usage(stdout)
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "goras-beam: unknown command %q; the commands are %s (goras-beam help)\n", args[0], strings.Join(names(), ", "))
		return 2
	}
	own := flag.NewFlagSet("goras-beam "+args[0], flag.ContinueOnError)
	own.SetOutput(stderr)
	do := cmd.flags(own)
	// Beam's flags live in the process's flag set; the subcommand's set
	// shares their values, so that they can be given after the command.
	fs := flag.NewFlagSet(own.Name(), flag.ContinueOnError)
	fs.SetOutput(stderr)
	own.VisitAll(func(f *flag.Flag) { fs.Var(f.Value, f.Name, f.Usage) })
	flag.CommandLine.VisitAll(func(f *flag.Flag) {
		if fs.Lookup(f.Name) == nil {
			fs.Var(f.Value, f.Name, f.Usage)
		}
	})
	fs.Usage = func() {
		fmt.Fprintf(stderr, "%s\n\nusage: %s\n\n", cmd.summary, cmd.usage)
		own.PrintDefaults()
		fmt.Fprintln(stderr, "\nBeam's flags (--runner, --endpoint, --environment_type, --project, --region, ...) are taken too; see docs/scale.md.")
	}
	pos, err := parse(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2 // the flag package has said why
	}
	beam.Init()
	if err := do(ctx, pos, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "goras-beam %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// parse parses flags given before, between and after the positional
// arguments, which the flag package alone stops at.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func isHelp(a string) bool { return a == "-h" || a == "-help" || a == "--help" }

func names() []string {
	var out []string
	for n := range commands {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func usage(w io.Writer) {
	fmt.Fprint(w, "goras-beam runs many goras trainings, or predictions of many pictures, on Apache Beam\n"+
		"(prism in this process by default; Flink, Spark or Dataflow with --runner, see docs/scale.md).\n\ncommands:\n")
	for _, n := range names() {
		fmt.Fprintf(w, "  %-9s %s\n", n, commands[n].summary)
	}
	fmt.Fprint(w, "\ngoras-beam COMMAND --help describes a command's flags.\n")
}
