package callbacks

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/goras-ml/goras"
)

// CSVLoggerConfig holds the optional arguments of Keras's CSVLogger.
type CSVLoggerConfig struct {
	// Separator is the one-character field separator. Default ",".
	Separator string
	// Append adds rows to an existing file (to continue training), writing
	// the header only if the file is empty. Default false: the file is
	// overwritten when training begins.
	Append bool
	// Output receives the message printed when a write fails. Default
	// os.Stderr.
	Output io.Writer
}

// CSVLogger streams the epoch logs to a CSV file, as
// keras.callbacks.CSVLogger: a header "epoch,<logged names, sorted>" (the
// names of the first epoch's logs), then one row per epoch with the epoch
// counted from 0 and each value as Python prints a float (e.g. 0.25, 1e-05),
// "NA" for a name missing from an epoch's logs. Rows end in "\r\n", as
// Python's csv module writes them, so the file is byte for byte what Keras
// writes. The file is flushed after every epoch and closed when training
// ends.
//
// Put it after callbacks that add to the logs (ReduceLROnPlateau,
// LearningRateScheduler add "learning_rate") to record what they add.
type CSVLogger struct {
	goras.BaseCallback
	filename string
	cfg      CSVLoggerConfig
	sep      rune

	file   *os.File
	w      *csv.Writer
	keys   []string
	header bool // write the header before the first row
	err    error
}

// NewCSVLogger logs to filename, e.g. "training.log".
func NewCSVLogger(filename string, cfg CSVLoggerConfig) (*CSVLogger, error) {
	if filename == "" {
		return nil, errors.New("callbacks: CSVLogger needs a file name, e.g. \"training.csv\"")
	}
	if cfg.Separator == "" {
		cfg.Separator = ","
	}
	sep, size := utf8.DecodeRuneInString(cfg.Separator)
	if size != len(cfg.Separator) || sep == '"' || sep == '\r' || sep == '\n' || sep == utf8.RuneError {
		return nil, fmt.Errorf("callbacks: CSVLogger: Separator must be one character other than a quote or a line break, got %q", cfg.Separator)
	}
	cfg.Output = orStderr(cfg.Output)
	return &CSVLogger{filename: filename, cfg: cfg, sep: sep}, nil
}

// Err is the first error met while writing the file, or nil. On an error
// the logger prints it, stops training and writes nothing more.
func (c *CSVLogger) Err() error { return c.err }

// OnTrainBegin opens (creates, truncates or appends to) the file.
func (c *CSVLogger) OnTrainBegin(goras.Logs) {
	c.close()
	c.keys, c.err = nil, nil
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	c.header = true
	if c.cfg.Append {
		flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
		// Keras writes the header only if the file's first line is empty.
		if f, err := os.Open(c.filename); err == nil {
			line, _ := bufio.NewReader(f).ReadString('\n')
			f.Close()
			c.header = line == ""
		}
	}
	f, err := os.OpenFile(c.filename, flags, 0o644)
	if err != nil {
		c.fail(err)
		return
	}
	c.file = f
	c.w = csv.NewWriter(f)
	c.w.Comma = c.sep
	c.w.UseCRLF = true
}

// OnEpochEnd writes the epoch's row and flushes it to the file.
func (c *CSVLogger) OnEpochEnd(epoch int, logs goras.Logs) {
	if c.w == nil {
		return
	}
	if c.keys == nil {
		c.keys = slices.Sorted(maps.Keys(logs))
		if c.header {
			if err := c.w.Write(append([]string{"epoch"}, c.keys...)); err != nil {
				c.fail(err)
				return
			}
		}
	}
	row := make([]string, 0, 1+len(c.keys))
	row = append(row, strconv.Itoa(epoch))
	for _, k := range c.keys {
		if v, ok := logs[k]; ok {
			row = append(row, pyRepr(v))
		} else {
			row = append(row, "NA")
		}
	}
	if err := c.w.Write(row); err != nil {
		c.fail(err)
		return
	}
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		c.fail(err)
	}
}

// OnTrainEnd closes the file.
func (c *CSVLogger) OnTrainEnd(goras.Logs) {
	if err := c.close(); err != nil && c.err == nil {
		c.fail(err)
	}
}

func (c *CSVLogger) close() error {
	if c.file == nil {
		return nil
	}
	c.w.Flush()
	err := errors.Join(c.w.Error(), c.file.Close())
	c.file, c.w = nil, nil
	return err
}

func (c *CSVLogger) fail(err error) {
	c.err = fmt.Errorf("callbacks: CSVLogger %s: %w", c.filename, err)
	fmt.Fprintf(c.cfg.Output, "%v; training stopped\n", c.err)
	if c.file != nil {
		c.file.Close()
		c.file, c.w = nil, nil
	}
	if c.Model != nil {
		c.Model.StopTraining = true
	}
}
