package quantize

// ModelBytes is what Load counts against its limit for m (its weights
// and one sample's buffers), for FuzzLoad to predict with small models
// only.
func ModelBytes(m *Model) int64 {
	w, a := m.modelBytes()
	return w + a
}
