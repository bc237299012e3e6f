package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// flagError is the root command's FlagErrorFunc: a flag that could not be
// parsed, with the help command to read, and for a misspelt flag the one
// it most likely meant (pflag suggests nothing itself).
func flagError(c *cobra.Command, err error) error {
	const unknown = "unknown flag: --"
	if msg := err.Error(); strings.HasPrefix(msg, unknown) {
		if s := suggestFlag(c, strings.TrimPrefix(msg, unknown)); s != "" {
			return fmt.Errorf("%w; did you mean --%s? (see '%s --help')", err, s, c.CommandPath())
		}
	}
	return fmt.Errorf("%w (see '%s --help')", err, c.CommandPath())
}

// flagAliases are the short names Keras users type for goras's flags,
// which spelling distance alone gets wrong (--lr is nearer to --l2).
var flagAliases = map[string]string{"lr": "learning-rate", "bs": "batch-size", "batch": "batch-size", "opt": "optimizer"}

// suggestFlag returns the flag of c closest to name: a known alias, a flag
// within two edits (Levenshtein distance), or one that starts with name;
// "" when none is close.
func suggestFlag(c *cobra.Command, name string) string {
	name = strings.ToLower(name)
	if a, ok := flagAliases[name]; ok && c.Flags().Lookup(a) != nil {
		return a
	}
	best, bestDist := "", 3
	visit := func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		d := editDistance(name, f.Name)
		if len(name) >= 3 && strings.HasPrefix(f.Name, name) {
			d = min(d, 1) // a flag cut short
		}
		if d < bestDist || d == bestDist && f.Name < best {
			best, bestDist = f.Name, d
		}
	}
	c.Flags().VisitAll(visit)
	c.InheritedFlags().VisitAll(visit)
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
