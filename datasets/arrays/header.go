package arrays

import (
	"fmt"
	"strconv"
	"strings"
)

// The header of a .npy file is a Python dict literal, e.g.
//
//	{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
//
// parseLiteral reads the small part of Python's literal syntax numpy
// writes there: dicts, strings, True/False/None, integers, tuples and lists.
// It never evaluates anything.

// literal is a parsed value: string, bool, int64, nil, []any (tuple or
// list) or map[string]any.
type literal = any

type litParser struct {
	s     string
	i     int
	depth int
}

// maxDepth bounds nesting, so that a header of 60,000 "(" cannot exhaust
// the stack.
const maxDepth = 16

func parseLiteral(s string) (literal, error) {
	p := &litParser{s: s}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(p.s) {
		return nil, fmt.Errorf("unexpected %q after the header's dict", p.rest())
	}
	return v, nil
}

func (p *litParser) rest() string {
	r := p.s[p.i:]
	if len(r) > 20 {
		r = r[:20] + "…"
	}
	return r
}

func (p *litParser) space() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *litParser) value() (literal, error) {
	p.space()
	if p.i >= len(p.s) {
		return nil, fmt.Errorf("the header ends inside its dict")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.dict()
	case c == '(' || c == '[':
		return p.sequence(c)
	case c == '\'' || c == '"':
		return p.str()
	case c == '-' || c >= '0' && c <= '9':
		return p.integer()
	}
	for word, v := range map[string]literal{"True": true, "False": false, "None": nil} {
		if strings.HasPrefix(p.s[p.i:], word) {
			p.i += len(word)
			return v, nil
		}
	}
	return nil, fmt.Errorf("unexpected %q in the header", p.rest())
}

func (p *litParser) enter() error {
	if p.depth++; p.depth > maxDepth {
		return fmt.Errorf("the header nests deeper than %d levels", maxDepth)
	}
	return nil
}

func (p *litParser) dict() (literal, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	p.i++ // {
	m := map[string]any{}
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return m, nil
		}
		k, err := p.value()
		if err != nil {
			return nil, err
		}
		key, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("a header key is %v, not a string", k)
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, fmt.Errorf("no ':' after the header key %q", key)
		}
		p.i++
		if m[key], err = p.value(); err != nil {
			return nil, err
		}
		if err := p.separator('}'); err != nil {
			return nil, err
		}
	}
}

// separator consumes a ',' or sees the closing bracket.
func (p *litParser) separator(closing byte) error {
	p.space()
	switch {
	case p.i < len(p.s) && p.s[p.i] == ',':
		p.i++
		return nil
	case p.i < len(p.s) && p.s[p.i] == closing:
		return nil
	}
	return fmt.Errorf("expected ',' or %q in the header, got %q", closing, p.rest())
}

func (p *litParser) sequence(open byte) (literal, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	closing := byte(')')
	if open == '[' {
		closing = ']'
	}
	p.i++
	var list []any
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == closing {
			p.i++
			return list, nil
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		list = append(list, v)
		if err := p.separator(closing); err != nil {
			return nil, err
		}
	}
}

func (p *litParser) str() (literal, error) {
	quote := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], quote)
	if end < 0 {
		return nil, fmt.Errorf("a string in the header is not closed")
	}
	v := p.s[p.i+1 : p.i+1+end]
	if strings.IndexByte(v, '\\') >= 0 {
		return nil, fmt.Errorf("the header string %q holds a backslash, which numpy never writes", v)
	}
	p.i += end + 2
	return v, nil
}

func (p *litParser) integer() (literal, error) {
	j := p.i
	if p.s[j] == '-' {
		j++
	}
	for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
		j++
	}
	for j < len(p.s) && p.s[j] == 'L' { // Python 2's long suffix
		j++
	}
	num := strings.TrimSuffix(p.s[p.i:j], "L")
	v, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("the header number %q is not an integer that fits 64 bits", p.s[p.i:j])
	}
	p.i = j
	return v, nil
}
