//go:build !unix

package studio

import "os"

// metaOpenFlags open run.json (see meta_open_unix.go; no named pipes
// live in folders here).
const metaOpenFlags = os.O_RDONLY
