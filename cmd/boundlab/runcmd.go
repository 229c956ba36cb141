package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/boundlab/boundlab/charts"
	"github.com/boundlab/boundlab/experiments"
)

// runCmd is `boundlab run NAME [flags]`: it runs the experiment with a
// progress bar, prints its summary and writes its charts (--html) and its
// result (--json).
func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	rp, err := parseRun(args, stdout)
	if err != nil {
		return err
	}
	out, closeJSON, err := createJSON(rp.json, stdout)
	if err != nil {
		return err
	}
	defer closeJSON()

	page, err := createPage(rp.html)
	if err != nil {
		return err
	}
	if page != nil {
		defer page.Close()
	}

	bar := newProgressBar(stderr, !rp.quiet)
	res, err := rp.q.RunParams(ctx, rp.params, bar.update)
	bar.done()
	if err != nil {
		return err
	}
	// The summary goes where the JSON does not.
	summaryTo := stdout
	if rp.json == "-" {
		summaryTo = stderr
	}
	printSummary(summaryTo, res)
	if page != nil {
		if err := writeRunPage(page, res, rp.html, stderr); err != nil {
			return err
		}
	}
	if out != nil {
		return writeJSON(out, res)
	}
	return nil
}

// runPlan is what `boundlab run`'s arguments ask for: the experiment, its
// parameters, where its result (--json) and charts (--html) go, and
// whether to show progress.
type runPlan struct {
	q          experiments.Experiment
	params     experiments.Params
	json, html string
	quiet      bool
}

// parseRun reads `boundlab run`'s arguments: the experiment's name, then
// flags applied on top of its lecture's (or, with --quick, its quick)
// parameters, which must then be valid. --help prints the flags to stdout
// and returns errHelp.
func parseRun(args []string, stdout io.Writer) (*runPlan, error) {
	if len(args) == 0 || len(args[0]) == 0 || args[0][0] == '-' {
		return nil, usagef("run needs an experiment name first (try 'boundlab list')")
	}
	q, err := experiments.Lookup(args[0])
	if err != nil {
		return nil, usageError{err}
	}
	params := q.NewParams(false)
	// --quick must be known before the other flags apply on top of it.
	for _, a := range args[1:] {
		if a == "--quick" || a == "-quick" || a == "--quick=true" {
			params = q.NewParams(true)
		}
	}
	fs := flag.NewFlagSet("boundlab run "+q.Name(), flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	experiments.Bind(fs, params)
	fs.Bool("quick", false, "start from quick parameters (seconds, not minutes)")
	jsonOut := fs.String("json", "", "write the full result as JSON to `FILE` (- for standard output)")
	htmlOut := fs.String("html", "", "write the charts as one self-contained HTML page to `FILE`")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stdout, "boundlab run %s: %s\n%s\n\nFlags (defaults are the lecture's values):\n", q.Name(), q.Title(), q.Summary())
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return nil, errHelp
		}
		return nil, usageError{err}
	}
	if fs.NArg() > 0 {
		return nil, usagef("unexpected argument %q (flags go after the experiment name, like --limit 50)", fs.Arg(0))
	}
	if err := experiments.Validate(params); err != nil {
		return nil, usageError{err}
	}
	return &runPlan{q: q, params: params, json: *jsonOut, html: *htmlOut, quiet: *quiet}, nil
}

// writeRunPage writes res's charts to page, the file path names, closes
// it and says so on stderr.
func writeRunPage(page *os.File, res experiments.Result, path string, stderr io.Writer) error {
	cs, err := charts.For(res)
	if err != nil {
		return fmt.Errorf("charts: %w", err)
	}
	if err := charts.WritePage(page, res.Base().Title, cs...); err != nil {
		return err
	}
	if err := page.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	fmt.Fprintf(stderr, "wrote %d charts to %s\n", len(cs), path)
	return nil
}
