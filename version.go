package goras

// Version is the goras version, written into model files and printed by
// `goras version`.
const Version = "0.1.0-dev"
