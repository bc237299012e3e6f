package callbacks

import (
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/goras-ml/goras"
)

// Mode says whether a monitored quantity should fall or rise: "auto" (the
// default, also ""), "min" or "max".
type Mode string

// The modes of a monitored quantity.
const (
	Auto Mode = "auto"
	Min  Mode = "min"
	Max  Mode = "max"
)

// maxNames are metrics Keras 3 marks with direction "up" (higher is better).
var maxNames = map[string]bool{
	"precision": true, "recall": true, "f1_score": true, "fbeta_score": true,
	"r2_score": true, "true_positives": true, "true_negatives": true,
	"precision_at_recall": true, "recall_at_precision": true,
	"sensitivity_at_specificity": true, "specificity_at_sensitivity": true,
	"iou": true, "mean_iou": true, "one_hot_iou": true, "one_hot_mean_iou": true,
	"binary_iou": true, "cosine_similarity": true,
}

// minNames are metrics Keras 3 marks with direction "down" (lower is better).
var minNames = map[string]bool{
	"mse": true, "mae": true, "mape": true, "msle": true,
	"mean_squared_error": true, "mean_absolute_error": true,
	"mean_absolute_percentage_error": true, "mean_squared_logarithmic_error": true,
	"root_mean_squared_error": true, "hinge": true, "squared_hinge": true,
	"categorical_hinge": true, "kl_divergence": true, "kld": true,
	"logcosh": true, "log_cosh": true, "poisson": true,
	"false_positives": true, "false_negatives": true,
}

// resolveMonitor checks the monitor and mode of a callback's config: an
// empty monitor is Keras's default, "val_loss"; the name must be a metric
// name (checkMonitor); the mode is resolved (resolveMode). It returns the
// monitor and the mode to keep.
func resolveMonitor(who, monitor string, mode Mode) (string, Mode, error) {
	if monitor == "" {
		monitor = "val_loss"
	}
	if err := checkMonitor(who, monitor); err != nil {
		return "", "", err
	}
	mode, err := resolveMode(who, monitor, mode)
	return monitor, mode, err
}

// resolveMode turns mode into "min" or "max" for the monitored name. In auto
// mode it infers the direction from the name as Keras 3 does through each
// metric's direction: losses and errors fall, accuracies, AUC, precision and
// recall rise. Keras reports an undecidable name at the first epoch's end;
// goras knows its metric names up front and reports it at construction.
func resolveMode(who, monitor string, mode Mode) (Mode, error) {
	switch mode {
	case Min, Max:
		return mode, nil
	case "", Auto:
	default:
		return "", fmt.Errorf("callbacks: %s: Mode must be \"auto\", \"min\" or \"max\", got %q", who, string(mode))
	}
	name := strings.TrimPrefix(monitor, "val_")
	switch {
	case name == "loss" || strings.HasSuffix(name, "_loss") || strings.HasSuffix(name, "crossentropy") || minNames[name]:
		return Min, nil
	case strings.Contains(name, "acc") || strings.Contains(name, "auc") || maxNames[name]:
		return Max, nil
	}
	return "", fmt.Errorf("callbacks: %s: cannot tell whether %q should be minimized or maximized; set Mode to callbacks.Min or callbacks.Max", who, monitor)
}

// monitor compares a monitored quantity with a reference, as Keras's
// MonitorCallback: an improvement is current - minDelta < best in min mode
// and current - minDelta > best in max mode, with minDelta's sign flipped in
// min mode so that both demand a change of at least |minDelta|.
type monitor struct {
	name     string
	max      bool
	minDelta float64 // signed: negative in min mode
}

func newMonitor(name string, mode Mode, minDelta float64) monitor {
	m := monitor{name: name, max: mode == Max, minDelta: math.Abs(minDelta)}
	if !m.max {
		m.minDelta = -m.minDelta
	}
	return m
}

// worst is the starting best: +Inf in min mode, -Inf in max mode.
func (m monitor) worst() float64 {
	if m.max {
		return math.Inf(-1)
	}
	return math.Inf(1)
}

func (m monitor) improves(current, reference float64) bool {
	if m.max {
		return current-m.minDelta > reference
	}
	return current-m.minDelta < reference
}

// value reads the monitored quantity from logs, warning once per call (as
// Keras warns every epoch) when it is absent.
func (m monitor) value(w io.Writer, who string, logs goras.Logs) (float64, bool) {
	v, ok := logs[m.name]
	if !ok {
		fmt.Fprintf(w, "callbacks: %s conditioned on metric %q which is not available. Available metrics are: %s\n",
			who, m.name, strings.Join(slices.Sorted(maps.Keys(logs)), ","))
	}
	return v, ok
}

func checkMonitor(who, name string) error {
	if strings.TrimSpace(name) == "" || name != strings.TrimSpace(name) {
		return fmt.Errorf("callbacks: %s: Monitor %q is not a metric name such as \"val_loss\" or \"accuracy\"", who, name)
	}
	return nil
}

func checkVerbose(who string, v int) error {
	if v != 0 && v != 1 {
		return fmt.Errorf("callbacks: %s: Verbose must be 0 (silent) or 1 (messages), got %d", who, v)
	}
	return nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func orStdout(w io.Writer) io.Writer {
	if w == nil {
		return os.Stdout
	}
	return w
}

func orStderr(w io.Writer) io.Writer {
	if w == nil {
		return os.Stderr
	}
	return w
}

// mustModel panics when a callback's hook runs before Fit gave it a model.
func mustModel(who string, m *goras.Model) *goras.Model {
	if m == nil {
		panic("callbacks: " + who + " used outside Fit: no model set (call SetModel first)")
	}
	return m
}
