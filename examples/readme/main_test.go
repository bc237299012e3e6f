package main

import (
	"os"
	"strings"
	"testing"
)

// The README's "The course in Go" block is this program from its package
// clause on, byte for byte, so that what a newcomer pastes compiles (go vet
// ./examples/readme builds it).
func TestREADMEHoldsThisProgram(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	program := string(b[strings.Index(string(b), "package main\n"):])
	s := string(readme)
	i := strings.Index(s, "## The course in Go")
	if i < 0 {
		t.Fatal(`README.md has no "## The course in Go" section`)
	}
	s = s[i:]
	start := strings.Index(s, "```go\n")
	if start < 0 {
		t.Fatal(`"The course in Go" has no go code block`)
	}
	s = s[start+len("```go\n"):]
	end := strings.Index(s, "```")
	if end < 0 {
		t.Fatal(`"The course in Go": the go code block is not closed`)
	}
	if block := s[:end]; block != program {
		t.Errorf("README.md's \"The course in Go\" block differs from examples/readme/main.go; paste the program into the README:\n--- README\n%s--- main.go\n%s", block, program)
	}
}
