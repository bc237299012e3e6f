// Package pagetest holds the check every tutorial chapter's test runs on
// its pages: the Go code a page shows is the chapter's program, character
// for character, so that the pages cannot drift from the code they explain.
package pagetest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var goBlock = regexp.MustCompile("(?s)```go\n(.*?)```")

// QuotesTheProgram checks that every ```go block of the chapter's pages,
// docs/tutorial/{en,zh-TW}/<name>.md for the directory the test runs in,
// appears in the program's non-test .go files, and that each page quotes
// some code.
func QuotesTheProgram(t *testing.T) {
	t.Helper()
	var src strings.Builder
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src.Write(b)
	}
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"en", "zh-TW"} {
		page := filepath.Join("..", "..", "..", "docs", "tutorial", lang, filepath.Base(dir)+".md")
		b, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		quotes := goBlock.FindAllStringSubmatch(string(b), -1)
		if len(quotes) == 0 {
			t.Errorf("%s quotes no Go code", page)
		}
		for _, q := range quotes {
			if !strings.Contains(src.String(), q[1]) {
				t.Errorf("%s quotes code that is not in the program:\n%s", page, q[1])
			}
		}
	}
}
