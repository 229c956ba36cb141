package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"text/tabwriter"

	"github.com/boundlab/boundlab/internal/setup"
)

// doctorCmd is `boundlab doctor`: a line per piece of the set-up, with the
// fix for what is missing; it fails when a required piece is.
func doctorCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("boundlab doctor", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	bin := fs.String("bin", "", "look for the tools in `DIR` instead of the project's bin/")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, "boundlab doctor: check each piece of the set-up; exit 1 if a required one is missing.\n\nFlags:\n")
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return errHelp
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usagef("doctor takes no arguments (got %q)", fs.Arg(0))
	}
	p, err := project()
	if err != nil {
		return err
	}
	if *bin != "" {
		if p.Bin, err = filepath.Abs(*bin); err != nil {
			return fmt.Errorf("--bin: %w", err)
		}
	}
	checks := setup.Doctor(ctx, p)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	fmt.Fprintf(stdout, "boundlab doctor: %s\n", p.Root)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	missing := 0
	for _, c := range checks {
		detail := c.Detail
		if c.Status != setup.OK && c.Fix != "" {
			detail += " — fix: " + c.Fix
		}
		if c.Optional && c.Status != setup.OK {
			detail = "(optional) " + detail
		} else if !c.Optional && c.Status != setup.OK {
			missing++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Status, c.Name, detail)
	}
	tw.Flush()
	if missing > 0 {
		return fmt.Errorf("doctor: %d required piece(s) missing or wrong; fix: make setup (or the fix on each line)", missing)
	}
	fmt.Fprintln(stdout, "all required pieces are in place")
	return nil
}
