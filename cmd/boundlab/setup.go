package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/boundlab/boundlab/internal/setup"
)

// project finds the checkout the command runs in.
func project() (setup.Project, error) {
	wd, err := os.Getwd()
	if err != nil {
		return setup.Project{}, fmt.Errorf("find the project: %w", err)
	}
	return setup.FindProject(wd)
}

// setupCmd is `boundlab setup`: the one-step, pinned set-up.
func setupCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("boundlab setup", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dryRun := fs.Bool("dry-run", false, "say what each step would do; change nothing")
	noInstall := fs.Bool("no-install", false, "install no system packages (pip, apt-get); name the commands instead")
	tests := fs.Bool("tests", false, "also the test dependencies (Chromium)")
	jupyter := fs.String("jupyter", "", "`which` Jupyter: venv (the pinned one, installed into .venv/; the default) or system (the one on PATH; also BOUNDLAB_JUPYTER=system)")
	kernelspec := fs.String("kernelspec", "", "`where` the gonb kernel spec goes: prefix (the Jupyter environment's share/jupyter; the default for the venv) or user (the user's Jupyter data directory; the default for a system Jupyter)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, "boundlab setup: build gonb, goimports and gopls into bin/ (pinned by go.mod); install the\n"+
				"pinned Jupyter (requirements.txt, with hashes) into the project's venv .venv/; install the\n"+
				"gonb kernel spec; and build boundlab's ECharts into charts/assets (ECharts and esbuild pinned\n"+
				"by package-lock.json, fetched with npm ci). Where PyPI cannot be reached, Debian's classic\n"+
				"Notebook is the fallback.\n\nFlags:\n")
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return errHelp
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usagef("setup takes no arguments (got %q)", fs.Arg(0))
	}
	switch *jupyter {
	case "", setup.JupyterVenv, setup.JupyterSystem:
	default:
		return usagef("--jupyter=%s: want venv (the pinned Jupyter in .venv/) or system (the one on PATH)", *jupyter)
	}
	switch *kernelspec {
	case "", setup.KernelSpecPrefix, setup.KernelSpecUser:
	default:
		return usagef("--kernelspec=%s: want prefix (the Jupyter environment's share/jupyter) or user (the user's Jupyter data directory)", *kernelspec)
	}
	p, err := project()
	if err != nil {
		return err
	}
	_, err = setup.Run(ctx, p, setup.Options{Out: stdout, DryRun: *dryRun, NoInstall: *noInstall, Tests: *tests,
		Jupyter: *jupyter, KernelSpec: *kernelspec})
	return showOutput(err, stderr)
}

// showOutput writes the output of the command behind a set-up error, if
// any, before the error's one line.
func showOutput(err error, stderr io.Writer) error {
	if e, ok := setup.IsSetupError(err); ok && e.Output != "" {
		for _, line := range strings.Split(e.Output, "\n") {
			fmt.Fprintln(stderr, "  | "+line)
		}
	}
	return err
}
