package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/boundlab/boundlab/charts"
	"github.com/boundlab/boundlab/experiments"
)

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || len(args[0]) == 0 || args[0][0] == '-' {
		return usagef("run needs an experiment name first (try 'boundlab list')")
	}
	q, err := experiments.Lookup(args[0])
	if err != nil {
		return usageError{err}
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
			return errHelp
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q (flags go after the experiment name, like --limit 50)", fs.Arg(0))
	}
	if err := experiments.Validate(params); err != nil {
		return usageError{err}
	}
	var out io.Writer
	switch *jsonOut {
	case "":
	case "-":
		out = stdout
	default:
		f, err := os.Create(*jsonOut)
		if err != nil {
			return usagef("--json: %v", err)
		}
		defer f.Close()
		out = f
	}

	page, err := createPage(*htmlOut)
	if err != nil {
		return err
	}
	if page != nil {
		defer page.Close()
	}

	bar := newProgressBar(stderr, !*quiet)
	res, err := q.RunParams(ctx, params, bar.update)
	bar.done()
	if err != nil {
		return err
	}
	// The summary goes where the JSON does not.
	summaryTo := stdout
	if *jsonOut == "-" {
		summaryTo = stderr
	}
	printSummary(summaryTo, res)
	if page != nil {
		cs, err := charts.For(res)
		if err != nil {
			return fmt.Errorf("charts: %w", err)
		}
		if err := charts.WritePage(page, res.Base().Title, cs...); err != nil {
			return err
		}
		if err := page.Close(); err != nil {
			return fmt.Errorf("write %s: %w", *htmlOut, err)
		}
		fmt.Fprintf(stderr, "wrote %d charts to %s\n", len(cs), *htmlOut)
	}
	if out != nil {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return fmt.Errorf("write JSON: %w", err)
		}
	}
	return nil
}
