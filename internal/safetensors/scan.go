package safetensors

// scanEntry reads a tensor record written the plain way every writer
// writes it — {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
// keys in any order, no escapes, integers only — without encoding/json,
// whose per-record decoders cost more than a kilobyte each: a header of a
// million records would otherwise take gigabytes and tens of seconds.
// raw must be valid JSON (the header's decoder has checked it). Anything
// unusual (another key, a repeated key, an escape or a non-ASCII byte in a
// string, a number that is not a plain non-negative integer below 2^64,
// null) returns ok false, and the caller decodes the record with
// encoding/json for an exact message.
func scanEntry(raw []byte) (dtype string, shape, offs []uint64, ok bool) {
	s := scanner{b: raw}
	if !s.skip('{') {
		return "", nil, nil, false
	}
	var have [3]bool
	for first := true; !s.skip('}'); first = false {
		if !first && !s.skip(',') {
			return "", nil, nil, false
		}
		key, kok := s.str()
		if !kok || !s.skip(':') {
			return "", nil, nil, false
		}
		var k int
		var vok bool
		switch key {
		case "dtype":
			k = 0
			dtype, vok = s.str()
		case "shape":
			k = 1
			shape, vok = s.ints()
		case "data_offsets":
			k = 2
			offs, vok = s.ints()
		}
		if !vok || have[k] {
			return "", nil, nil, false
		}
		have[k] = true
	}
	return dtype, shape, offs, have[0] && have[1] && have[2]
}

// scanner walks valid JSON bytes.
type scanner struct{ b []byte }

func (s *scanner) space() {
	for len(s.b) > 0 && (s.b[0] == ' ' || s.b[0] == '\t' || s.b[0] == '\n' || s.b[0] == '\r') {
		s.b = s.b[1:]
	}
}

// skip consumes c, after white space, if it comes next.
func (s *scanner) skip(c byte) bool {
	s.space()
	if len(s.b) > 0 && s.b[0] == c {
		s.b = s.b[1:]
		return true
	}
	return false
}

// str reads a string of plain ASCII: no escapes, and no other bytes,
// which encoding/json would check as UTF-8 (keys and dtypes are ASCII).
func (s *scanner) str() (string, bool) {
	if !s.skip('"') {
		return "", false
	}
	for i, c := range s.b {
		switch {
		case c == '\\' || c >= 0x80:
			return "", false
		case c == '"':
			out := string(s.b[:i])
			s.b = s.b[i+1:]
			return out, true
		}
	}
	return "", false
}

// ints reads an array of plain non-negative integers that fit in uint64.
func (s *scanner) ints() ([]uint64, bool) {
	if !s.skip('[') {
		return nil, false
	}
	out := []uint64{}
	if s.skip(']') {
		return out, true
	}
	for {
		s.space()
		var v uint64
		n := 0
		for n < len(s.b) && s.b[n] >= '0' && s.b[n] <= '9' {
			d := uint64(s.b[n] - '0')
			if v > (1<<64-1-d)/10 {
				return nil, false // past uint64
			}
			v = v*10 + d
			n++
		}
		if n == 0 || (n < len(s.b) && (s.b[n] == '.' || s.b[n] == 'e' || s.b[n] == 'E')) {
			return nil, false
		}
		s.b = s.b[n:]
		out = append(out, v)
		if s.skip(']') {
			return out, true
		}
		if !s.skip(',') {
			return nil, false
		}
	}
}
