package layers

// The shared checks of checks_test.go, for the black-box tests (package
// layers_test), so that they check configs as the other tests do.
var (
	CheckConfigRoundTrip = checkRoundTrip
	DecodeConfig         = decodeConfig
)
