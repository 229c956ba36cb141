package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/boundlab/boundlab/internal/handouts"
	"github.com/boundlab/boundlab/internal/setup"
	"github.com/boundlab/boundlab/internal/units"
)

const handoutsUsage = `boundlab handouts [-p name=value ...] [--quick] [--out DIR] [--timeout D] [NOTEBOOK ...]

Executes notebooks headlessly on the gonb kernel and writes each one as a
self-contained HTML page, DIR/NAME.html (default: handouts/ in the project).
With no NOTEBOOK, every notebooks/*.ipynb. A NOTEBOOK is a path, or a name
in notebooks/ such as 01-async-cpu.

Flags:
  -p name=value   override a parameter of the notebooks whose question has it
                  (repeatable); injected in a cell after the parameters cell
  --quick         the questions' quick parameters (seconds, not minutes);
                  -p values apply on top
  --out DIR       where the pages go (default: handouts/ in the project)
  --timeout D     time allowed per notebook (default 30m)

A failing cell fails the build (exit 1) and its notebook gets no page. A bad
-p value is reported before anything runs (exit 2). Ctrl-C stops the kernel.
`

// overrideList collects repeated -p flags.
type overrideList []string

func (l *overrideList) String() string { return strings.Join(*l, " ") }

func (l *overrideList) Set(s string) error {
	*l = append(*l, s)
	return nil
}

// handoutsArgs are the parsed arguments of boundlab handouts.
type handoutsArgs struct {
	overrides overrideList
	quick     bool
	out       string
	timeout   time.Duration
	notebooks []string
}

// parseHandoutsArgs parses flags and notebooks in any order.
func parseHandoutsArgs(args []string) (*handoutsArgs, error) {
	a := &handoutsArgs{}
	fs := flag.NewFlagSet("boundlab handouts", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Var(&a.overrides, "p", "override a parameter: name=value")
	fs.BoolVar(&a.quick, "quick", false, "the questions' quick parameters")
	fs.StringVar(&a.out, "out", "", "output directory")
	fs.DurationVar(&a.timeout, "timeout", handouts.DefaultTimeout, "time allowed per notebook")
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		a.notebooks = append(a.notebooks, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if a.timeout <= 0 {
		return nil, usagef("--timeout must be positive (like 10m)")
	}
	return a, nil
}

// handoutsCmd is `boundlab handouts`.
func handoutsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	a, err := parseHandoutsArgs(args)
	if err != nil {
		return argsError(err, "handouts", handoutsUsage, stdout)
	}
	p, err := project()
	if err != nil {
		return err
	}
	paths, err := notebookPaths(p.Root, a.notebooks)
	if err != nil {
		return err
	}
	jobs, err := handouts.Plan(paths, a.overrides, a.quick)
	if err != nil {
		var pe *handouts.ParamError
		if errors.As(err, &pe) {
			return usageError{err}
		}
		return err
	}
	out := a.out
	if out == "" {
		out = filepath.Join(p.Root, "handouts")
	}

	// The set-up, project-local steps only: it finds Jupyter and makes sure
	// the kernel spec, the tools and the ECharts asset are in place.
	var log strings.Builder
	res, err := setup.Run(ctx, p, setup.Options{Out: &log, NoInstall: true})
	if err != nil {
		fmt.Fprint(stderr, log.String())
		return showOutput(err, stderr)
	}
	pr := handouts.NewPrinter(stderr, isTerminal(stderr))
	hs, err := handouts.Build(ctx, jobs, handouts.Options{
		OutDir:   out,
		Timeout:  a.timeout,
		Jupyter:  handouts.Jupyter{Command: res.Jupyter.Command, Python: res.Jupyter.Python},
		Env:      setup.LabEnv(p, res.Go),
		Progress: pr.Event,
	})
	pr.Close()
	var names []string
	var parts []handouts.Parts
	for _, h := range hs {
		fmt.Fprintf(stdout, "%s  %s  %d charts\n", relPath(h.Path), units.Bytes(float64(h.Size)), h.Charts)
		names, parts = append(names, filepath.Base(h.Path)), append(parts, h.Parts)
	}
	if len(hs) > 0 {
		fmt.Fprintln(stdout)
		if err := handouts.PrintParts(stdout, names, parts); err != nil {
			return err
		}
	}
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("handouts: %d of %d notebooks failed:\n%w", len(jobs)-len(hs), len(jobs), err)
	}
	return err
}

// notebookPaths resolves the notebooks named on the command line: a path,
// or a name in the project's notebooks/ with or without .ipynb. With none,
// it is every notebooks/*.ipynb.
func notebookPaths(root string, args []string) ([]string, error) {
	dir := filepath.Join(root, "notebooks")
	all, _ := filepath.Glob(filepath.Join(dir, "*.ipynb"))
	slices.Sort(all)
	if len(args) == 0 {
		if len(all) == 0 {
			return nil, fmt.Errorf("handouts: no notebooks in %s", dir)
		}
		return all, nil
	}
	var out []string
	for _, a := range args {
		var found string
		for _, c := range []string{a, filepath.Join(dir, a), filepath.Join(dir, a+".ipynb")} {
			if fi, err := os.Stat(c); err == nil && !fi.IsDir() && strings.HasSuffix(c, ".ipynb") {
				found = c
				break
			}
		}
		if found == "" {
			var names []string
			for _, p := range all {
				names = append(names, strings.TrimSuffix(filepath.Base(p), ".ipynb"))
			}
			return nil, usagef("handouts: no notebook %q (in notebooks/: %s)", a, strings.Join(names, ", "))
		}
		abs, err := filepath.Abs(found)
		if err != nil {
			return nil, fmt.Errorf("handouts: %w", err)
		}
		if !slices.Contains(out, abs) {
			out = append(out, abs)
		}
	}
	return out, nil
}

// relPath shows path relative to the working directory when it is inside.
func relPath(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	r, err := filepath.Rel(wd, path)
	if err != nil || strings.HasPrefix(r, "..") {
		return path
	}
	return r
}
