package callbacks

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/goras-ml/goras"
)

// pyRepr writes v as Python's repr(float) does, so that files and messages
// read as Keras's: the shortest round-tripping digits, fixed notation with
// at least one decimal ("1.0", "0.0001") for exponents -4 to 15, otherwise
// scientific ("1e-05", "1.5e+16"), and "nan", "inf", "-inf".
func pyRepr(v float64) string {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	e := strconv.FormatFloat(v, 'e', -1, 64) // d.ddde±XX
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if v != 0 && (exp < -4 || exp >= 16) {
		return e
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// A field of a Keras-style file name template: "{epoch:02d}" or
// "{val_loss:.2f}". Python's format-spec mini-language is supported as far
// as file names need it: [sign][0][width][.precision][type] with the types
// d, f, F, e, E, g, G and %.
var (
	fieldRE = regexp.MustCompile(`\{([^{}:]*)(?::([^{}]*))?\}`)
	specRE  = regexp.MustCompile(`^([+ -])?(0)?([0-9]+)?(?:\.([0-9]+))?([dfFeEgG%])?$`)
)

type field struct {
	name    string
	sign    string
	zero    bool
	width   string
	prec    string // "" = none
	verb    byte   // 0 = none
	literal string // text before the field, braces unescaped
}

// template is a parsed file name template.
type template struct {
	fields []field
	tail   string
}

// parseTemplate splits s into literal text and fields, checking every spec.
// "{{" and "}}" stand for literal braces, as in Python.
func parseTemplate(s string) (*template, error) {
	t := &template{}
	var lit strings.Builder
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "{{"):
			lit.WriteByte('{')
			i += 2
		case strings.HasPrefix(s[i:], "}}"):
			lit.WriteByte('}')
			i += 2
		case s[i] == '{':
			loc := fieldRE.FindStringSubmatchIndex(s[i:])
			if loc == nil || loc[0] != 0 {
				return nil, fmt.Errorf("unclosed or malformed field at %q", s[i:])
			}
			name := s[i+loc[2] : i+loc[3]]
			spec := ""
			if loc[4] >= 0 {
				spec = s[i+loc[4] : i+loc[5]]
			}
			if name == "" {
				return nil, fmt.Errorf("field %q has no name; write e.g. {epoch:02d} or {val_loss:.2f}", s[i:i+loc[1]])
			}
			m := specRE.FindStringSubmatch(spec)
			if m == nil {
				return nil, fmt.Errorf("field {%s:%s}: unsupported format spec %q; supported: [sign][0][width][.precision][type] with type d, f, e, g or %%", name, spec, spec)
			}
			f := field{name: name, sign: m[1], zero: m[2] != "", width: m[3], prec: m[4], literal: lit.String()}
			if m[5] != "" {
				f.verb = m[5][0]
			}
			if f.verb == 'd' && f.prec != "" {
				return nil, fmt.Errorf("field {%s:%s}: precision is not allowed with integer format d", name, spec)
			}
			t.fields = append(t.fields, f)
			lit.Reset()
			i += loc[1]
		case s[i] == '}':
			return nil, fmt.Errorf("single '}' at %q; write }} for a literal brace", s[i:])
		default:
			lit.WriteByte(s[i])
			i++
		}
	}
	t.tail = lit.String()
	return t, nil
}

// format fills the template from epoch (the 1-based epoch, an integer, as
// Keras passes epoch+1) and logs (floats).
func (t *template) format(epoch int, logs goras.Logs) (string, error) {
	var b strings.Builder
	for _, f := range t.fields {
		b.WriteString(f.literal)
		var s string
		var err error
		if f.name == "epoch" {
			s, err = f.formatInt(epoch)
		} else if v, ok := logs[f.name]; ok {
			s, err = f.formatFloat(v)
		} else {
			return "", fmt.Errorf("field {%s}: no such value; available: epoch, %s", f.name, strings.Join(slices.Sorted(maps.Keys(logs)), ", "))
		}
		if err != nil {
			return "", err
		}
		b.WriteString(s)
	}
	b.WriteString(t.tail)
	return b.String(), nil
}

func (f field) flags() string {
	fl := ""
	if f.sign == "+" || f.sign == " " {
		fl += f.sign
	}
	if f.zero {
		fl += "0"
	}
	return fl + f.width
}

func (f field) formatInt(v int) (string, error) {
	switch f.verb {
	case 0, 'd':
		if f.prec != "" {
			return "", fmt.Errorf("field {%s}: precision is not allowed with an integer", f.name)
		}
		return fmt.Sprintf("%"+f.flags()+"d", v), nil
	}
	return f.formatFloat(float64(v)) // Python formats ints with f, e, g, %
}

func (f field) formatFloat(v float64) (string, error) {
	verb := f.verb
	prec := f.prec
	switch verb {
	case 'd':
		return "", fmt.Errorf("field {%s:...d}: format d needs an integer, but %s is a float; use e.g. .4f", f.name, f.name)
	case 0:
		if prec == "" { // str(float): Python's repr
			s := pyRepr(v)
			if f.sign == "+" && v >= 0 {
				s = "+" + s
			}
			return pad(s, f), nil
		}
		verb = 'g'
	default:
		if prec == "" {
			prec = "6" // Python's default precision for f, e, g and %
		}
	}
	if math.IsNaN(v) || math.IsInf(v, 0) { // Python writes nan, inf, -inf
		s := pyRepr(v)
		if verb == 'F' || verb == 'E' || verb == 'G' {
			s = strings.ToUpper(s)
		}
		return pad(s, field{width: f.width}), nil
	}
	if verb == '%' {
		return fmt.Sprintf("%"+f.flags()+"."+prec+"f%%", v*100), nil
	}
	return fmt.Sprintf("%"+f.flags()+"."+prec+string(verb), v), nil
}

// pad right-aligns s to the field's width, with zeros after the sign when
// asked, as Python does for numbers.
func pad(s string, f field) string {
	w, _ := strconv.Atoi(f.width)
	if len(s) >= w {
		return s
	}
	if f.zero {
		sign := ""
		if s[0] == '-' || s[0] == '+' {
			sign, s = s[:1], s[1:]
		}
		return sign + strings.Repeat("0", w-len(s)-len(sign)) + s
	}
	return strings.Repeat(" ", w-len(s)) + s
}
