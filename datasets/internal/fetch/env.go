package fetch

import (
	"os"
	"path/filepath"
	"strings"
)

// EnvCache names goras's cache root; each data set is cached in a folder
// of its own under it.
const EnvCache = "GORAS_CACHE"

// DefaultCache returns the cache folder sub of a data set and how it was
// chosen: $GORAS_CACHE/sub, else os.UserCacheDir()/goras/sub
// (~/.cache/goras/sub on Linux), else "" when neither is known.
func DefaultCache(sub string) (dir, from string) {
	if d := os.Getenv(EnvCache); d != "" {
		return filepath.Join(d, sub), "$" + EnvCache
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "goras", sub), "cache"
	}
	return "", ""
}

// EnvList returns the comma-separated entries of the environment variable
// name, trimmed, empty ones dropped.
func EnvList(name string) []string {
	var out []string
	for _, m := range strings.Split(os.Getenv(name), ",") {
		if m = strings.TrimSpace(m); m != "" {
			out = append(out, m)
		}
	}
	return out
}
