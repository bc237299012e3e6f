package arrays

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/goras-ml/goras/tensor"
)

// Table is a CSV file of numbers: X holds its rows, shape (rows, columns);
// Columns holds the names of the header row, or nil when the file has none.
type Table struct {
	X       *tensor.Tensor
	Columns []string
}

// CSVOption configures LoadCSV and ReadCSV.
type CSVOption func(*csvConfig)

type csvConfig struct{ comma rune }

// Comma sets the field separator, e.g. ';' or '\t'. Default ','.
func Comma(r rune) CSVOption { return func(c *csvConfig) { c.comma = r } }

// LoadCSV reads the CSV file at path; see ReadCSV.
func LoadCSV(path string, opts ...CSVOption) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("arrays: %w", err)
	}
	defer f.Close()
	return ReadCSV(f, path, opts...)
}

// ReadCSV reads a table of numbers, one row per line, as numpy.loadtxt
// (delimiter=",") or pandas.read_csv(...).to_numpy() would, into a tensor
// of shape (rows, columns); name is used in errors. Lines starting with #
// are comments (numpy.savetxt writes its header that way). A first row
// holding anything that is not a number is the header: its fields become
// Table.Columns. Every row must have the same number of fields; a field
// must be a number as Go's strconv.ParseFloat reads it (spaces around it
// are ignored; nan and inf are accepted). An empty field, a ragged row or
// a word in the data is an error naming the line and the column.
func ReadCSV(r io.Reader, name string, opts ...CSVOption) (*Table, error) {
	c := csvConfig{comma: ','}
	for _, o := range opts {
		o(&c)
	}
	// Excel's "CSV UTF-8" starts the file with a byte-order mark, which
	// pandas skips. Left in, it makes the first field of a table without a
	// header a word, so that its first row would be taken for the header
	// and lost.
	br := bufio.NewReader(r)
	if b, _ := br.Peek(len(utf8BOM)); string(b) == utf8BOM {
		br.Discard(len(utf8BOM))
	}
	cr := csv.NewReader(br)
	cr.Comma, cr.Comment = c.comma, '#'
	cr.ReuseRecord = true
	if err := validComma(c.comma); err != nil {
		return nil, fmt.Errorf("arrays: %s: %w", name, err)
	}
	tab := &Table{}
	var data []float32
	cols := -1
	for row := 0; ; row++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("arrays: %s: %w", name, csvError(err))
		}
		if row == 0 && !allNumbers(rec) {
			tab.Columns = make([]string, len(rec))
			for i, f := range rec {
				tab.Columns[i] = strings.TrimSpace(f)
			}
			cols = len(rec)
			continue
		}
		if cols < 0 {
			cols = len(rec)
		}
		if data, err = appendRow(data, rec, cr); err != nil {
			return nil, fmt.Errorf("arrays: %s: %w", name, err)
		}
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("arrays: %s: no rows of numbers", name)
	}
	t, err := tensor.FromSlice(data, len(data)/cols, cols)
	if err != nil {
		return nil, fmt.Errorf("arrays: %s: %w", name, err)
	}
	tab.X = t
	return tab, nil
}

// utf8BOM is the byte-order mark some programs put before UTF-8 text.
const utf8BOM = "\ufeff"

func validComma(r rune) error {
	if r == '#' || r == '"' || r == '\r' || r == '\n' || r == 0xFFFD || r <= 0 {
		return fmt.Errorf("%q cannot separate fields", r)
	}
	return nil
}

// allNumbers reports whether every field of rec parses as a number or is
// empty (a missing value, which appendRow reports, not a column name).
func allNumbers(rec []string) bool {
	for _, f := range rec {
		s := strings.TrimSpace(f)
		if _, err := strconv.ParseFloat(s, 32); s != "" && err != nil && !errors.Is(err, strconv.ErrRange) {
			return false
		}
	}
	return true
}

// appendRow parses the fields of one row onto data.
func appendRow(data []float32, rec []string, cr *csv.Reader) ([]float32, error) {
	for i, f := range rec {
		s := strings.TrimSpace(f)
		v, err := strconv.ParseFloat(s, 32)
		if err == nil || errors.Is(err, strconv.ErrRange) && s != "" {
			data = append(data, float32(v)) // out of range: ±Inf, as numpy's float32
			continue
		}
		line, col := cr.FieldPos(i)
		if s == "" {
			return nil, fmt.Errorf("line %d, column %d: empty field; write nan for a missing value", line, col)
		}
		return nil, fmt.Errorf("line %d, column %d: %q is not a number", line, col, truncate(s, 40))
	}
	return data, nil
}

// csvError rewords encoding/csv's ragged-row error, which is the usual one.
func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
		return fmt.Errorf("line %d has a different number of fields from the first row; every row needs one value per column", pe.Line)
	}
	return err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
