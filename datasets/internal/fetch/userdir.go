package fetch

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// checkUserDir refuses a directory named with WithDir that holds none of
// the files: the caller asked for the data to come from there, so quietly
// taking it from the cache or the network instead would hide a wrong path.
// A directory holding some of the files is used for those.
func (c *Config) checkUserDir() error {
	if c.Dir == "" || c.DirFrom != "WithDir" {
		return nil
	}
	entries, err := os.ReadDir(c.Dir)
	if err != nil {
		return nil // a missing directory is noted, and skipped, by the search
	}
	for _, f := range c.Files {
		for _, name := range candidates(f) {
			if _, err := os.Stat(filepath.Join(c.Dir, name)); err == nil {
				return nil
			}
		}
	}
	state := "is empty"
	if len(entries) > 0 {
		state = fmt.Sprintf("holds none of them (%d other entries)", len(entries))
	}
	var names []string
	for _, f := range c.Files {
		names = append(names, f.Name)
	}
	return fmt.Errorf("%s: the data directory %s (WithDir) should hold the %s %s files, %s (gzipped or not), but it %s.\n"+
		"Copy the files there, or name no directory to take each file from the first of: %s",
		c.Name, c.Dir, count(len(c.Files)), c.Title, strings.Join(names, ", "), state, c.otherSources())
}

// count spells small numbers out, as in "the four MNIST files".
func count(n int) string {
	if words := []string{"zero", "one", "two", "three", "four", "five", "six"}; n < len(words) {
		return words[n]
	}
	return fmt.Sprint(n)
}

// otherSources says where Find looks when no directory is named.
func (c *Config) otherSources() string {
	var places []string
	if d := os.Getenv(c.EnvDir); d != "" {
		places = append(places, "$"+c.EnvDir+" ("+d+")")
	}
	if c.CacheDir != "" {
		places = append(places, "the cache "+c.CacheDir)
	}
	for _, s := range c.System {
		places = append(places, s.Label+" ("+s.Path+")")
	}
	if c.Module != nil {
		places = append(places, "the Go module cache ("+c.Module.Path+")")
	}
	switch {
	case c.Download && c.Module != nil:
		places = append(places, "a download (go mod download, then HTTP mirrors)")
	case c.Download:
		places = append(places, "a download (HTTP mirrors)")
	}
	return strings.Join(places, ", ") + "."
}
