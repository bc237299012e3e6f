package train

import (
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
)

// TestMain initializes Beam; its pipelines run on prism, in this process.
func TestMain(m *testing.M) { ptest.Main(m) }
