package setup

import (
	"context"
	"debug/buildinfo"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// GoInfo is the Go toolchain on PATH.
type GoInfo struct {
	// Path is the go command.
	Path string
	// Version is like "go1.26.8".
	Version string
	// Root is GOROOT.
	Root string
	// Cache, ModCache and GOPATH are GOCACHE, GOMODCACHE and GOPATH.
	Cache, ModCache, GOPATH string
}

// goFix says how to get Go.
const goFix = "install Go 1.26 and put its bin directory first on PATH (export PATH=/usr/local/go/bin:$PATH)"

// findGo describes the go command on PATH.
func findGo(ctx context.Context) (GoInfo, error) {
	path, err := exec.LookPath("go")
	if err != nil {
		return GoInfo{}, &Error{Step: "Go", Problem: "go not found on PATH", Fix: goFix, Err: err}
	}
	out, err := command{name: path, args: []string{"env", "-json", "GOVERSION", "GOROOT", "GOCACHE", "GOMODCACHE", "GOPATH"}}.output(ctx)
	if err != nil {
		return GoInfo{}, &Error{Step: "Go", Problem: fmt.Sprintf("%s does not run: %v", path, err), Fix: goFix, Output: outputOf(err), Err: err}
	}
	var env map[string]string
	if err := json.Unmarshal([]byte(out), &env); err != nil {
		return GoInfo{}, &Error{Step: "Go", Problem: fmt.Sprintf("go env printed no JSON: %v", err), Fix: goFix, Err: err}
	}
	return GoInfo{Path: path, Version: env["GOVERSION"], Root: env["GOROOT"],
		Cache: env["GOCACHE"], ModCache: env["GOMODCACHE"], GOPATH: env["GOPATH"]}, nil
}

// Tool is a Go program the notebooks need, pinned by a tool line in go.mod.
type Tool struct {
	// Name is the binary's name in bin/.
	Name string
	// Package is the main package's import path.
	Package string
	// Module is the module that holds it, whose version go.mod pins.
	Module string
}

// Tools are the programs set-up builds into bin/: the gonb kernel, and the
// goimports and gopls it calls.
var Tools = []Tool{
	{Name: "gonb", Package: "github.com/janpfeifer/gonb", Module: "github.com/janpfeifer/gonb"},
	{Name: "goimports", Package: "golang.org/x/tools/cmd/goimports", Module: "golang.org/x/tools"},
	{Name: "gopls", Package: "golang.org/x/tools/gopls", Module: "golang.org/x/tools/gopls"},
}

// pinnedTools returns the versions go.mod pins for the tools' modules.
func pinnedTools(ctx context.Context, p Project, g GoInfo) (map[string]string, error) {
	args := []string{"list", "-m", "-f", "{{.Path}} {{.Version}}"}
	for _, t := range Tools {
		args = append(args, t.Module)
	}
	out, err := command{dir: p.Root, name: g.Path, args: args}.output(ctx)
	if err != nil {
		return nil, &Error{Step: "tools", Problem: fmt.Sprintf("cannot read the pinned versions from go.mod: %v", err),
			Fix: "check go.mod (go mod tidy) and that the Go module proxy is reachable", Output: outputOf(err), Err: err}
	}
	pins := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if path, v, ok := strings.Cut(line, " "); ok {
			pins[path] = v
		}
	}
	for _, t := range Tools {
		if pins[t.Module] == "" {
			return nil, &Error{Step: "tools", Problem: "go.mod does not pin " + t.Module, Fix: "go get -tool " + t.Package}
		}
	}
	return pins, nil
}

// toolState says whether the tool binary in bin is the pinned build: it
// returns "" when it is, else what is wrong.
func toolState(bin string, t Tool, want, goVersion string) string {
	path := filepath.Join(bin, t.Name)
	bi, err := buildinfo.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "missing"
	case err != nil:
		return fmt.Sprintf("unreadable (%v)", err)
	case bi.Path != t.Package:
		return fmt.Sprintf("is %s, not %s", bi.Path, t.Package)
	case bi.Main.Path != t.Module || bi.Main.Version != want:
		return fmt.Sprintf("is %s %s, want %s", bi.Main.Path, bi.Main.Version, want)
	case goVersion != "" && bi.GoVersion != goVersion:
		return fmt.Sprintf("was built with %s, not %s", bi.GoVersion, goVersion)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode()&0o111 == 0 {
		return "not executable"
	}
	return ""
}

// toolLabel names a tool with its pinned version, like "gonb v0.11.1".
func toolLabel(t Tool, pins map[string]string) string {
	if t.Module == t.Package {
		return t.Name + " " + pins[t.Module]
	}
	return fmt.Sprintf("%s (%s %s)", t.Name, t.Module, pins[t.Module])
}

// buildTools builds the tools into bin from inside the module, so that
// go.mod's versions apply.
func buildTools(ctx context.Context, p Project, g GoInfo) error {
	if err := os.MkdirAll(p.bin(), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", p.bin(), err)
	}
	args := []string{"build", "-o", p.bin() + string(filepath.Separator)}
	for _, t := range Tools {
		args = append(args, t.Package)
	}
	_, err := command{dir: p.Root, name: g.Path, args: args}.run(ctx)
	return err
}
