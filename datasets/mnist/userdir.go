package mnist

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// checkUserDir refuses a directory named with WithDir that holds none of
// the four files: the caller asked for the data to come from there, so
// quietly taking it from the cache or the network instead would hide a
// wrong path. A directory holding some of the files is used for those.
func (c *config) checkUserDir() error {
	if c.dir == "" || c.dirFrom != "WithDir" {
		return nil
	}
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		return nil // a missing directory is noted, and skipped, by the search
	}
	for _, f := range c.files {
		for _, name := range candidates(f) {
			if _, err := os.Stat(filepath.Join(c.dir, name)); err == nil {
				return nil
			}
		}
	}
	state := "is empty"
	if len(entries) > 0 {
		state = fmt.Sprintf("holds none of them (%d other entries)", len(entries))
	}
	var names []string
	for _, f := range c.files {
		names = append(names, f.Name)
	}
	return fmt.Errorf("mnist: the data directory %s (WithDir) should hold the four MNIST files, %s (gzipped or not), but it %s.\n"+
		"Copy the files there, or name no directory to take each file from the first of: %s",
		c.dir, strings.Join(names, ", "), state, c.otherSources())
}

// otherSources says where LoadData looks when no directory is named.
func (c *config) otherSources() string {
	var places []string
	if d := os.Getenv(EnvDir); d != "" {
		places = append(places, "$"+EnvDir+" ("+d+")")
	}
	if c.cacheDir != "" {
		places = append(places, "the cache "+c.cacheDir)
	}
	places = append(places, "the Go module cache ("+goMNISTModule+")")
	if c.download {
		places = append(places, "a download (go mod download, then HTTP mirrors)")
	}
	return strings.Join(places, ", ") + "."
}
