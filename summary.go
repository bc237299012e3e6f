package goras

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/tensor"
)

// Column widths of Keras 3's summary table in an 80-column terminal (its
// default when it cannot tell): three columns for a model that is a chain
// of layers, four, with "Connected to", for any other graph.
var (
	chainWidths = []int{33, 24, 15}
	graphWidths = []int{21, 19, 11, 20}
)

// Summary prints the model as Keras 3's model.summary() does: each layer's
// name, type, output shape and parameter count (and, for a graph that is
// not a chain, the tensors each layer is called on), then the totals with
// their size in memory. It builds the model if needed.
func (m *Model) Summary(w io.Writer) error {
	if err := m.Build(); err != nil {
		return err
	}
	chain := m.isChain()
	t := table{widths: chainWidths, right: []bool{false, false, true}}
	header := []string{"Layer (type)", "Output Shape", "Param #"}
	if !chain {
		t = table{widths: graphWidths, right: []bool{false, false, true, false}}
		header = append(header, "Connected to")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Model: %q\n", m.name)
	b.WriteString(t.rule('┏', '━', '┳', '┓'))
	b.WriteString(t.row('┃', header))
	b.WriteString(t.rule('┡', '━', '╇', '┩'))
	var trainable, frozen int
	for i, r := range m.summaryRows(chain) {
		if i > 0 {
			b.WriteString(t.rule('├', '─', '┼', '┤'))
		}
		for _, p := range r.layer.Params() {
			if p.Trainable && !m.frozen[r.layer] {
				trainable += p.Value.Len()
			} else {
				frozen += p.Value.Len()
			}
		}
		cells := []string{fmt.Sprintf("%s (%s)", r.layer.Name(), r.layer.ClassName()), tensor.ShapeString(r.shape, true), commas(r.params)}
		if !chain {
			cells = append(cells, r.connected)
		}
		b.WriteString(t.row('│', cells))
	}
	b.WriteString(t.rule('└', '─', '┴', '┘'))
	// As Keras 3, once the optimizer has made its variables (at the first
	// step) they count in the total and get a line of their own.
	opt := 0
	if c := m.compiled; c != nil && c.optimizer.Iterations() > 0 {
		for _, v := range c.optimizer.Variables() {
			opt += v.Value.Len()
		}
	}
	total := trainable + frozen + opt
	fmt.Fprintf(&b, " Total params: %s (%s)\n", commas(total), memory(total))
	fmt.Fprintf(&b, " Trainable params: %s (%s)\n", commas(trainable), memory(trainable))
	fmt.Fprintf(&b, " Non-trainable params: %s (%s)\n", commas(frozen), memory(frozen))
	if opt > 0 {
		fmt.Fprintf(&b, " Optimizer params: %s (%s)\n", commas(opt), memory(opt))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// isChain says whether the model is a Sequential, or a graph Keras would
// print as one: one input, each layer called once, on the previous call.
func (m *Model) isChain() bool {
	if m.sequential {
		return true
	}
	if len(m.inputs) != 1 || len(m.outputs) != 1 {
		return false
	}
	prev := m.inputs[0]
	for _, t := range m.nodes {
		if len(t.inputs) != 1 || t.inputs[0] != prev {
			return false
		}
		prev = t
	}
	return len(m.nodes) == len(m.layers)
}

type summaryRow struct {
	layer     layers.Layer
	shape     []int
	params    int
	connected string
}

// summaryRows lists each layer once, in call order, the inputs first
// (except in a Sequential model, whose Input is no layer of it), with the
// tensors of every call it takes part in, as Keras writes them:
// layer_name[call index][tensor index].
func (m *Model) summaryRows(chain bool) []summaryRow {
	var rows []summaryRow
	if !m.sequential {
		for _, in := range m.inputs {
			rows = append(rows, summaryRow{layer: in.layer, shape: in.shape, connected: "-"})
		}
	}
	callIndex := map[*KerasTensor]int{} // which call of its layer made a tensor
	calls := map[layers.Layer]int{}
	at := map[layers.Layer]int{}
	for _, t := range m.nodes {
		callIndex[t] = calls[t.layer]
		calls[t.layer]++
		i, seen := at[t.layer]
		if !seen {
			n := 0
			for _, p := range t.layer.Params() {
				n += p.Value.Len()
			}
			at[t.layer] = len(rows)
			rows = append(rows, summaryRow{layer: t.layer, shape: t.shape, params: n})
			i = len(rows) - 1
		}
		for _, in := range t.inputs {
			if rows[i].connected != "" {
				rows[i].connected += ", "
			}
			rows[i].connected += fmt.Sprintf("%s[%d][0]", in.layer.Name(), callIndex[in])
		}
	}
	return rows
}

// table draws Keras's (rich's) box table: cells wrap onto more lines at
// spaces, or mid-word when a word is wider than its column.
type table struct {
	widths []int
	right  []bool // right-aligned columns
}

func (t table) rule(left, fill, mid, right rune) string {
	var b strings.Builder
	b.WriteRune(left)
	for i, w := range t.widths {
		if i > 0 {
			b.WriteRune(mid)
		}
		b.WriteString(strings.Repeat(string(fill), w))
	}
	b.WriteRune(right)
	b.WriteByte('\n')
	return b.String()
}

// row lays out one table row, as many lines high as its longest cell.
func (t table) row(bar rune, cells []string) string {
	lines := make([][]string, len(cells))
	height := 1
	for i, c := range cells {
		lines[i] = wrap(c, t.widths[i]-2)
		height = max(height, len(lines[i]))
	}
	var b strings.Builder
	for l := range height {
		b.WriteRune(bar)
		for i, w := range t.widths {
			s := ""
			if l < len(lines[i]) {
				s = lines[i][l]
			}
			pad := strings.Repeat(" ", w-2-utf8.RuneCountInString(s))
			if t.right[i] {
				b.WriteString(" " + pad + s + " ")
			} else {
				b.WriteString(" " + s + pad + " ")
			}
			b.WriteRune(bar)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// wrap breaks s into lines of at most width runes.
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		for utf8.RuneCountInString(word) > width { // too long for any line
			if line != "" {
				lines, line = append(lines, line), ""
			}
			r := []rune(word)
			lines, word = append(lines, string(r[:width])), string(r[width:])
		}
		switch {
		case line == "":
			line = word
		case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) <= width:
			line += " " + word
		default:
			lines, line = append(lines, line), word
		}
	}
	return append(lines, line)
}

// commas formats n with thousands separators: 39760 → "39,760".
func commas(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// memory is Keras's readable_memory_size of n float32 weights.
func memory(n int) string {
	size := float64(n) * 4
	for _, unit := range []string{"B", "KB", "MB", "GB"} {
		if size/1024 < 1 {
			return fmt.Sprintf("%.2f %s", size, unit)
		}
		size /= 1024
	}
	return fmt.Sprintf("%.2f TB", size)
}
