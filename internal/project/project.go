// Package project finds the boundlab checkout a program runs in: the
// nearest directory at or above a given one whose go.mod declares the
// module github.com/boundlab/boundlab. It is the one place that knows how a
// checkout is recognised, for the set-up and for the experiments that look
// for the checkout's own tools (its .venv's py-spy).
package project

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ModulePath is the Go module path of a boundlab checkout.
const ModulePath = "github.com/boundlab/boundlab"

// Root returns the boundlab checkout holding dir: the nearest directory at
// or above dir whose go.mod declares ModulePath.
func Root(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("find project: %w", err)
	}
	for d := abs; ; {
		if modulePathOf(filepath.Join(d, "go.mod")) == ModulePath {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no boundlab checkout at or above %s (no go.mod declaring module %s); run boundlab inside the checkout", abs, ModulePath)
		}
		d = parent
	}
}

// modulePathOf returns the module path declared by the go.mod file at path,
// or "" when there is none.
func modulePathOf(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`)
		}
	}
	return ""
}
