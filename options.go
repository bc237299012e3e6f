package goras

import (
	"fmt"
	"io"
	"os"
)

// Option is an argument of Fit, Evaluate or Predict, named as in Keras.
type Option func(*settings)

type settings struct {
	used            []string
	batchSize       int
	epochs          int
	verbose         int
	shuffle         bool
	validationSplit float64
	valX, valY      Data
	callbacks       []Callback
	initialEpoch    int
	validationFreq  int
	stepsPerEpoch   int
	sampleWeight    []float32
	classWeight     map[int]float64
	out, warn       io.Writer
}

func (s *settings) mark(name string) { s.used = append(s.used, name) }

// BatchSize is the number of samples per step. Default 32.
func BatchSize(n int) Option { return func(s *settings) { s.mark("batch_size"); s.batchSize = n } }

// Epochs is the number of passes over the training data. Default 1.
func Epochs(n int) Option { return func(s *settings) { s.mark("epochs"); s.epochs = n } }

// Verbose is 0 (silent), 1 (progress bar; one line per epoch when the output
// is not a terminal) or 2 (one line per epoch). Default 1.
func Verbose(v int) Option { return func(s *settings) { s.mark("verbose"); s.verbose = v } }

// Shuffle reshuffles the training samples before every epoch. Default true.
func Shuffle(on bool) Option { return func(s *settings) { s.mark("shuffle"); s.shuffle = on } }

// ValidationSplit holds out this fraction of the training data, taken from
// the end before any shuffling, as Keras does, and reports val_ metrics on
// it after every epoch. Default 0.
func ValidationSplit(f float64) Option {
	return func(s *settings) { s.mark("validation_split"); s.validationSplit = f }
}

// ValidationData is evaluated after every epoch (val_loss, val_accuracy...).
// It overrides ValidationSplit.
func ValidationData(x, y Data) Option {
	return func(s *settings) { s.mark("validation_data"); s.valX, s.valY = x, y }
}

// Callbacks are called during training, in order.
func Callbacks(cbs ...Callback) Option {
	return func(s *settings) { s.mark("callbacks"); s.callbacks = append(s.callbacks, cbs...) }
}

// InitialEpoch is the epoch to start counting from, to resume training.
// Default 0.
func InitialEpoch(n int) Option {
	return func(s *settings) { s.mark("initial_epoch"); s.initialEpoch = n }
}

// ValidationFreq validates after every n-th epoch only (epochs n, 2n, ...
// counted from 1, as Keras's validation_freq). Default 1.
func ValidationFreq(n int) Option {
	return func(s *settings) { s.mark("validation_freq"); s.validationFreq = n }
}

// StepsPerEpoch ends each epoch after n batches (Keras's steps_per_epoch);
// default 0: every sample once. With fewer batches than the data holds, an
// epoch trains on the first n batches of its shuffled order.
func StepsPerEpoch(n int) Option {
	return func(s *settings) { s.mark("steps_per_epoch"); s.stepsPerEpoch = n }
}

// Output is where progress is printed. Default os.Stdout.
func Output(w io.Writer) Option { return func(s *settings) { s.mark("output"); s.out = w } }

// Warnings is where warnings (such as unscaled inputs) are printed.
// Default os.Stderr; io.Discard silences them.
func Warnings(w io.Writer) Option { return func(s *settings) { s.mark("warnings"); s.warn = w } }

// parse applies opts over Keras's defaults, rejecting options that the
// method (fit, evaluate or predict) does not take.
func parse(method string, opts []Option, allowed ...string) (*settings, error) {
	s := &settings{batchSize: 32, epochs: 1, verbose: 1, shuffle: true, validationFreq: 1, out: os.Stdout, warn: os.Stderr}
	for _, o := range opts {
		if o != nil {
			o(s)
		}
	}
	for _, name := range s.used {
		ok := name == "output" || name == "warnings"
		for _, a := range allowed {
			ok = ok || a == name
		}
		if !ok {
			return nil, fmt.Errorf("goras: %s does not take %s", method, name)
		}
	}
	switch {
	case s.batchSize <= 0:
		return nil, fmt.Errorf("goras: batch_size must be positive, got %d", s.batchSize)
	case s.epochs < 0:
		return nil, fmt.Errorf("goras: epochs must be ≥ 0, got %d", s.epochs)
	case s.verbose < 0 || s.verbose > 2:
		return nil, fmt.Errorf("goras: verbose must be 0, 1 or 2, got %d", s.verbose)
	case !(s.validationSplit >= 0 && s.validationSplit < 1): // NaN too
		return nil, fmt.Errorf("goras: validation_split must be in [0, 1), got %g", s.validationSplit)
	case s.validationFreq < 1:
		return nil, fmt.Errorf("goras: validation_freq must be ≥ 1, got %d", s.validationFreq)
	case s.stepsPerEpoch < 0:
		return nil, fmt.Errorf("goras: steps_per_epoch must be ≥ 0 (0: the whole data), got %d", s.stepsPerEpoch)
	case s.initialEpoch < 0:
		return nil, fmt.Errorf("goras: initial_epoch must be ≥ 0, got %d", s.initialEpoch)
	case s.sampleWeight != nil && s.classWeight != nil:
		return nil, fmt.Errorf("goras: %s takes sample_weight or class_weight, not both; multiply the class weights into sample_weight", method)
	case isNil(s.valX) != isNil(s.valY):
		return nil, fmt.Errorf("goras: validation_data needs both x and y")
	}
	return s, nil
}
