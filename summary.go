package goras

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/goras-ml/goras/tensor"
)

// Column widths of Keras 3's summary table for a Sequential model.
var summaryWidths = [3]int{33, 24, 15}

// Summary prints the model as Keras 3's model.summary() does: each layer's
// name, type, output shape and parameter count, then the totals with their
// size in memory. It builds the model if needed.
func (m *Model) Summary(w io.Writer) error {
	if err := m.Build(); err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Model: %q\n", m.name)
	b.WriteString(rule('┏', '━', '┳', '┓'))
	b.WriteString(row('┃', "Layer (type)", "Output Shape", "Param #"))
	b.WriteString(rule('┡', '━', '╇', '┩'))
	var trainable, frozen int
	for i, l := range m.Layers() {
		n := 0
		for _, p := range l.Params() {
			n += p.Value.Len()
			if p.Trainable {
				trainable += p.Value.Len()
			} else {
				frozen += p.Value.Len()
			}
		}
		if i > 0 {
			b.WriteString(rule('├', '─', '┼', '┤'))
		}
		name := fmt.Sprintf("%s (%s)", l.Name(), l.ClassName())
		b.WriteString(row('│', name, tensor.ShapeString(m.shapes[i], true), commas(n)))
	}
	b.WriteString(rule('└', '─', '┴', '┘'))
	fmt.Fprintf(&b, " Total params: %s (%s)\n", commas(trainable+frozen), memory(trainable+frozen))
	fmt.Fprintf(&b, " Trainable params: %s (%s)\n", commas(trainable), memory(trainable))
	fmt.Fprintf(&b, " Non-trainable params: %s (%s)\n", commas(frozen), memory(frozen))
	_, err := io.WriteString(w, b.String())
	return err
}

func rule(left, fill, mid, right rune) string {
	var b strings.Builder
	b.WriteRune(left)
	for i, w := range summaryWidths {
		if i > 0 {
			b.WriteRune(mid)
		}
		b.WriteString(strings.Repeat(string(fill), w))
	}
	b.WriteRune(right)
	b.WriteByte('\n')
	return b.String()
}

// row lays out one table row: name and shape left-aligned, count right-aligned.
func row(bar rune, name, shape, count string) string {
	cell := func(s string, w int, right bool) string {
		s = truncate(s, w-2)
		pad := strings.Repeat(" ", w-2-utf8.RuneCountInString(s))
		if right {
			return " " + pad + s + " "
		}
		return " " + s + pad + " "
	}
	return fmt.Sprintf("%c%s%c%s%c%s%c\n", bar, cell(name, summaryWidths[0], false), bar,
		cell(shape, summaryWidths[1], false), bar, cell(count, summaryWidths[2], true), bar)
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
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
