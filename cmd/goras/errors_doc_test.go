package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"
)

// docs/errors.md is the catalogue of bad inputs goras has been tried with
// and what a user sees for each. TestErrorsDoc reads it and runs every row
// for real: a command line through run, as the other tests of this package
// do, in a temporary directory holding the files the command names (built
// by docFixtures), or a Go API case (docGoCases). A row the test cannot run
// fails, and so does a runner or fixture no row uses: the catalogue and
// the test cannot drift apart.

// errorsDoc is the catalogue, from this package's directory.
const errorsDoc = "../../docs/errors.md"

// docRowTimeout bounds every row: a hang is one of the failures the
// catalogue promises away.
const docRowTimeout = 2 * time.Minute

// docRow is one row of the catalogue's tables.
type docRow struct {
	line      int
	section   string
	name      string
	reproduce string   // a goras command line, or "Go API: ..."
	exit      string   // "0" or "1" for a command line, "error" for the Go API
	messages  []string // substrings the output (or the error) must hold
}

// goAPI is the prefix of a reproduce cell that names a Go API case.
const goAPI = "Go API: "

var (
	backquoted = regexp.MustCompile("`([^`]+)`")
	// fixtureLine is an entry of the catalogue's list of the files its
	// command lines name: "- `name`: what it is", or "- `a`, `b`: ...".
	fixtureLine = regexp.MustCompile("^- (`[^`]+`(?:, `[^`]+`)*): ")
)

// readErrorsDoc parses the catalogue: its table rows, and the names of its
// list of files.
func readErrorsDoc(t *testing.T) (rows []docRow, fixtures []string) {
	t.Helper()
	b, err := os.ReadFile(errorsDoc)
	if err != nil {
		t.Fatal(err)
	}
	section := ""
	for i, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "## "):
			section = strings.TrimPrefix(line, "## ")
		case fixtureLine.MatchString(line):
			for _, m := range backquoted.FindAllStringSubmatch(fixtureLine.FindStringSubmatch(line)[1], -1) {
				fixtures = append(fixtures, m[1])
			}
		case strings.HasPrefix(line, "|"):
			if row, ok := parseDocRow(t, i+1, section, line); ok {
				rows = append(rows, row)
			}
		}
	}
	return rows, fixtures
}

// parseDocRow reads one table line; ok is false for a header or separator
// line, and a malformed row is an error.
func parseDocRow(t *testing.T, n int, section, line string) (docRow, bool) {
	t.Helper()
	cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
	for i := range cells {
		cells[i] = strings.TrimSpace(cells[i])
	}
	if len(cells) > 0 && (cells[0] == "case" || strings.HasPrefix(cells[0], "---")) {
		return docRow{}, false
	}
	if len(cells) != 4 {
		t.Errorf("%s:%d: a row has 4 cells (case | reproduce | exit | message), this one %d: %s", errorsDoc, n, len(cells), line)
		return docRow{}, false
	}
	row := docRow{line: n, section: section, name: cells[0], reproduce: cells[1], exit: cells[2]}
	for _, m := range backquoted.FindAllStringSubmatch(cells[3], -1) {
		row.messages = append(row.messages, m[1])
	}
	if len(row.messages) == 0 {
		t.Errorf("%s:%d: the message cell holds no `substring`: %s", errorsDoc, n, cells[3])
		return docRow{}, false
	}
	return row, true
}

// command returns the goras command line of a row's reproduce cell, which
// is one backquoted `goras ...`.
func (r docRow) command() ([]string, error) {
	m := backquoted.FindAllStringSubmatch(r.reproduce, -1)
	if len(m) != 1 || m[0][0] != r.reproduce || !strings.HasPrefix(m[0][1], "goras ") {
		return nil, fmt.Errorf("the reproduce cell must be one `goras ...` command line or start with %q, got %s", goAPI, r.reproduce)
	}
	if strings.ContainsAny(m[0][1], `'"\`) {
		return nil, fmt.Errorf("the command line %s has quotes, which this test does not split", m[0][1])
	}
	return strings.Fields(m[0][1])[1:], nil
}

func (r docRow) String() string {
	return fmt.Sprintf("%s:%d (%s: %s)", errorsDoc, r.line, r.section, r.name)
}

// TestErrorsDoc runs every row of docs/errors.md and checks that it ends
// as the row says, with the row's message, without a panic or a hang.
func TestErrorsDoc(t *testing.T) {
	rows, fixtures := readErrorsDoc(t)
	if len(rows) < 60 {
		t.Fatalf("%s has %d rows; the catalogue has more than 60", errorsDoc, len(rows))
	}
	usedGo, usedFixtures, names, reproduced := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, row := range rows {
		reproduced[row.reproduce] = true
		if names[row.name] {
			t.Errorf("%v: two rows are called %q", row, row.name)
		}
		names[row.name] = true
		if key, ok := strings.CutPrefix(row.reproduce, goAPI); ok {
			usedGo[key] = true
			t.Run(row.name, func(t *testing.T) { runDocGo(t, row, key) })
			continue
		}
		args, err := row.command()
		if err != nil {
			t.Errorf("%v: %v", row, err)
			continue
		}
		for _, a := range args {
			usedFixtures[fixtureName(a)] = true
		}
		t.Run(row.name, func(t *testing.T) { runDocCLI(t, row, args) })
	}
	for key := range docGoCases {
		if !usedGo[key] {
			t.Errorf("docGoCases[%q] has no row in %s", key, errorsDoc)
		}
	}
	for name := range docFixtures {
		if !usedFixtures[name] {
			t.Errorf("docFixtures[%q] is named by no command line in %s", name, errorsDoc)
		}
	}
	for cmd := range docNeedsMNIST {
		if !reproduced[cmd] {
			t.Errorf("docNeedsMNIST[%q] is no row's command line in %s", cmd, errorsDoc)
		}
	}
	for cmd := range docOnly64Bit {
		if !reproduced[cmd] {
			t.Errorf("docOnly64Bit[%q] is no row's command line in %s", cmd, errorsDoc)
		}
	}
	listed := map[string]bool{}
	for _, name := range fixtures {
		listed[name] = true
		if docFixtures[name] == nil {
			t.Errorf("%s lists the file %s, which the test does not build (docFixtures)", errorsDoc, name)
		}
	}
	for name := range docFixtures {
		if !listed[name] {
			t.Errorf("the test builds %s (docFixtures), which %s does not list with the files its command lines name", name, errorsDoc)
		}
	}
}

// fixtureName is the file or directory of docFixtures an argument names:
// the argument itself, or its first path element (damaged/ckpt-0001.safetensors).
func fixtureName(arg string) string {
	name, _, _ := strings.Cut(arg, "/")
	return name
}

// runDocCLI runs a command-line row in a new directory holding the files
// it names.
func runDocCLI(t *testing.T, row docRow, args []string) {
	if docNeedsMNIST[row.reproduce] {
		skipShort(t)
	}
	if why, ok := docOnly64Bit[row.reproduce]; ok && strconv.IntSize == 32 {
		t.Skipf("a 64-bit row; on this 32-bit build %s", why)
	}
	if row.exit != "0" && row.exit != "1" {
		t.Fatalf("%v: the exit cell of a command line is 0 or 1, got %q", row, row.exit)
	}
	dir := t.TempDir()
	built := map[string]bool{}
	for _, a := range args {
		name := fixtureName(a)
		if build, ok := docFixtures[name]; ok && !built[name] {
			build(t, filepath.Join(dir, name))
			built[name] = true
		}
	}
	t.Chdir(dir)
	var r result
	err := guarded(func() error {
		var out, errOut bytes.Buffer
		code := run(context.Background(), args, &out, &errOut)
		r = result{code, out.String(), errOut.String()}
		return nil
	})
	if err != nil {
		t.Fatalf("%v: goras %s: %v", row, strings.Join(args, " "), err)
	}
	output := r.stdout + r.stderr
	if fmt.Sprint(r.code) != row.exit || strings.Contains(output, "panic") {
		t.Errorf("%v: goras %s: exit %d, want %s\nstdout:\n%s\nstderr:\n%s", row, strings.Join(args, " "), r.code, row.exit, r.stdout, r.stderr)
	}
	for _, m := range row.messages {
		if !strings.Contains(output, m) {
			t.Errorf("%v: goras %s: the output lacks %q\nstdout:\n%s\nstderr:\n%s", row, strings.Join(args, " "), m, r.stdout, r.stderr)
		}
	}
}

// runDocGo runs a Go API row: the error returned must hold the messages.
func runDocGo(t *testing.T, row docRow, key string) {
	goCase, ok := docGoCases[key]
	if !ok {
		t.Fatalf("%v: no runner in docGoCases for %q: add one, or write the row as a command line", row, key)
	}
	if row.exit != "error" {
		t.Fatalf("%v: the exit cell of a Go API row is \"error\", got %q", row, row.exit)
	}
	dir := t.TempDir()
	var got error
	if err := guarded(func() error { got = goCase(t, dir); return nil }); err != nil {
		t.Fatalf("%v: %v", row, err)
	}
	if got == nil {
		t.Fatalf("%v: no error", row)
	}
	for _, m := range row.messages {
		if !strings.Contains(got.Error(), m) {
			t.Errorf("%v: the error lacks %q:\n%v", row, m, got)
		}
	}
}

// guarded runs f, turning a panic into an error and giving up after
// docRowTimeout (the goroutine is then left behind: a hang cannot be
// stopped from outside, only reported).
func guarded(f func() error) error {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Errorf("panic: %v\n%s", p, debug.Stack())
			}
		}()
		done <- f()
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(docRowTimeout):
		return fmt.Errorf("still running after %v", docRowTimeout)
	}
}
