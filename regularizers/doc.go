// Package regularizers holds the Keras weight regularizers
// (keras.regularizers): penalties on a layer's weights that training adds to
// the loss, with their gradients.
//
// As in Keras, the penalties have no ½ factor:
//
//	L1(l1)      l1·Σ|w|
//	L2(l2)      l2·Σw²            gradient 2·l2·w
//	L1L2(l1,l2) l1·Σ|w| + l2·Σw²
//
// so L2(l2) equals "weight decay" of 2·l2 in SGD. The string names a course
// uses are "l1" and "l2" (factor 0.01) and "l1_l2" (0.01 and 0.01).
//
// Penalty and AddGradient work on the raw []float32 of a weight and never
// allocate, so a compiled training step can call them every batch.
// Name (the Keras class name: L1, L2, L1L2) and Config round-trip through
// FromConfig, for model files; Serialize writes them as a layer config holds
// them, and Register adds regularizers of one's own to the same registry.
package regularizers
