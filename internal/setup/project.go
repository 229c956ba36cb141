// Package setup is boundlab's one-step, pinned set-up and its checks: it
// builds the Go tools the notebooks need (gonb, goimports, gopls, pinned by
// go.mod), installs the gonb kernel spec for Jupyter, makes sure Jupyter is
// there (installing it with pip or apt-get where it is missing and that is
// possible), copies the pinned ECharts library into charts/assets, and, for
// the tests, makes sure Chromium is there.
//
// Run does the set-up, saying plainly what it did, step by step; it is
// idempotent and fast when everything is already in place. Doctor checks each
// piece without changing anything. Lab opens Jupyter on notebooks/ with the
// environment the kernel needs.
package setup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/boundlab/boundlab/internal/project"
)

// Project is a boundlab checkout.
type Project struct {
	// Root is the directory holding go.mod.
	Root string
	// Bin is where the Go tools are built: Root/bin unless set otherwise.
	Bin string
}

// FindProject finds the boundlab checkout holding dir (see project.Root).
func FindProject(dir string) (Project, error) {
	root, err := project.Root(dir)
	if err != nil {
		return Project{}, err
	}
	return Project{Root: root, Bin: filepath.Join(root, "bin")}, nil
}

// bin returns the tool directory.
func (p Project) bin() string {
	if p.Bin != "" {
		return p.Bin
	}
	return filepath.Join(p.Root, "bin")
}

// path joins elems onto the project root.
func (p Project) path(elem ...string) string {
	return filepath.Join(append([]string{p.Root}, elem...)...)
}

// rel shows path relative to the project root where it is inside it.
func (p Project) rel(path string) string {
	r, err := filepath.Rel(p.Root, path)
	if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return path
	}
	return r
}

// Error is a set-up step that failed, in one line: the step, what is wrong,
// and the command that fixes it.
type Error struct {
	// Step names the piece, like "Jupyter" or "ECharts 5.6.0".
	Step string
	// Problem says what is wrong.
	Problem string
	// Fix is what to run to fix it; empty when there is nothing to suggest.
	Fix string
	// Output is the tail of the output of the command that failed, if any.
	Output string
	// Err is the underlying error, if any.
	Err error
}

// Error returns the one-line message.
func (e *Error) Error() string {
	s := e.Step + ": " + e.Problem
	if e.Fix != "" {
		s += "; fix: " + e.Fix
	}
	return s
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// cmdError is a command that failed, with the tail of its output.
type cmdError struct {
	cmd    string
	output string
	err    error
}

func (e *cmdError) Error() string { return fmt.Sprintf("%s: %v", e.cmd, e.err) }
func (e *cmdError) Unwrap() error { return e.err }

// outputOf returns the output tail carried by err, if any.
func outputOf(err error) string {
	var ce *cmdError
	if errors.As(err, &ce) {
		return tail(ce.output, 25)
	}
	return ""
}

// command describes a command to run.
type command struct {
	dir  string
	env  []string // nil: this process's environment
	name string
	args []string
}

// run runs c, returning its combined output; a failure carries the output's
// tail. The command is killed when ctx is done.
func (c command) run(ctx context.Context) (string, error) {
	cmd := exec.CommandContext(ctx, c.name, c.args...)
	cmd.Dir = c.dir
	cmd.Env = c.env
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if err != nil {
		if ctx.Err() != nil {
			return buf.String(), ctx.Err()
		}
		return buf.String(), &cmdError{cmd: c.String(), output: buf.String(), err: err}
	}
	return buf.String(), nil
}

// output runs c and returns its standard output only; a failure carries
// the tail of both outputs.
func (c command) output(ctx context.Context) (string, error) {
	cmd := exec.CommandContext(ctx, c.name, c.args...)
	cmd.Dir = c.dir
	cmd.Env = c.env
	var out, both bytes.Buffer
	cmd.Stdout = io.MultiWriter(&out, &both)
	cmd.Stderr = &both
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return out.String(), ctx.Err()
		}
		return out.String(), &cmdError{cmd: c.String(), output: both.String(), err: err}
	}
	return out.String(), nil
}

// String shows the command the way a person would type it.
func (c command) String() string {
	return strings.Join(append([]string{filepath.Base(c.name)}, c.args...), " ")
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// withEnv returns env with each key=value of kv set, replacing any earlier
// setting of the key.
func withEnv(env []string, kv ...string) []string {
	out := make([]string, 0, len(env)+len(kv))
	drop := map[string]bool{}
	for _, s := range kv {
		k, _, _ := strings.Cut(s, "=")
		drop[k] = true
	}
	for _, s := range env {
		k, _, _ := strings.Cut(s, "=")
		if !drop[k] {
			out = append(out, s)
		}
	}
	return append(out, kv...)
}

// lookEnv returns the value of key in env.
func lookEnv(env []string, key string) string {
	v := ""
	for _, s := range env {
		if k, val, ok := strings.Cut(s, "="); ok && k == key {
			v = val
		}
	}
	return v
}
