package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/boundlab/boundlab/charts"
	"github.com/boundlab/boundlab/experiments/compare"
)

const compareUsage = `boundlab compare: results of one question side by side

Usage:
  boundlab compare [--html FILE] RESULT.json [RESULT.json ...]

Each RESULT.json is a result 'boundlab run NAME --json FILE' wrote, or one a
notebook saved. Prints each claim's verdict per result: the figure with its
95% interval and the outcome, a column per result headed by its machine
(cores, GOMAXPROCS, Go, CPython), the rule per row (per result where it
differs), and the parameters that differ. One result alone gives one
column. Results of different questions, and files that are not results,
are refused (exit status 2).

Flags:
  --html FILE   also write the comparison as one offline page: the table, and
                for scaling and semaphore the charts overlaid per machine
`

func compareCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("boundlab compare", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	htmlOut := fs.String("html", "", "write the comparison as one self-contained HTML page to `FILE`")
	// Flags may come before, between or after the files.
	var files []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stdout, compareUsage)
				return errHelp
			}
			return usageError{err}
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(files) == 0 {
		return usagef("compare needs one or more result files (write one with 'boundlab run NAME --json FILE')")
	}
	in := make([]compare.Input, len(files))
	for i, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return usagef("compare: cannot read %s: %v", f, unwrapPath(err))
		}
		res, err := compare.Decode(f, b)
		if err != nil {
			return usageError{err}
		}
		in[i] = compare.Input{Name: f, Result: res}
	}
	c, err := compare.Of(in...)
	if err != nil {
		return usageError{err}
	}
	page, err := createPage(*htmlOut)
	if err != nil {
		return err
	}
	if page != nil {
		defer page.Close()
	}
	if err := c.WriteText(stdout); err != nil {
		return err
	}
	if page == nil {
		return nil
	}
	if err := charts.WriteComparison(page, c); err != nil {
		return err
	}
	if err := page.Close(); err != nil {
		return fmt.Errorf("write %s: %w", *htmlOut, err)
	}
	fmt.Fprintf(stderr, "wrote the comparison of %d results to %s\n", len(files), *htmlOut)
	return nil
}

// createPage creates the page --html names, or returns nil where it names
// none. It fails, with a usage error, where the page cannot be written or
// the charts' library is missing: before a long run, not after it.
func createPage(path string) (*os.File, error) {
	if path == "" {
		return nil, nil
	}
	if _, err := charts.Library(); err != nil {
		return nil, usagef("--html: %v", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, usagef("--html: %v", err)
	}
	return f, nil
}

// unwrapPath drops the operation and path from a file error, which the
// message already names.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
