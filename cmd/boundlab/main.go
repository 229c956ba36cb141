// Command boundlab runs the lecture's concurrency experiments from a
// terminal: it lists them, runs one with its parameters as flags, prints the
// verdicts on the lecture's claims, and writes the full result as JSON.
//
// Usage:
//
//	boundlab list
//	boundlab run NAME [--param value ...] [--models a,b] [--quick] [--json FILE|-]
//	boundlab diagnose [--interval D] [--json FILE|-] [--profile FILE] -- COMMAND [ARGS]
//	boundlab diagnose --pid N [--for D] [--interval D] [--json FILE|-]
//	boundlab setup [--tests] [--no-install] [--dry-run]
//	boundlab doctor
//	boundlab lab [JUPYTER ARGS]
//	boundlab handouts [-p name=value ...] [--quick] [--out DIR] [--timeout D] [NOTEBOOK ...]
//	boundlab sizes PAGE.html ...
//	boundlab compare [--html FILE] RESULT.json ...
//
// Exit status: 0 when the experiment ran (verdicts that do not hold are
// findings, and are shown), 1 when it failed, 2 for bad usage, 130 when
// interrupted.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `boundlab: the lecture's concurrency experiments, measured

Usage:
  boundlab list                       the experiments, with one line each
  boundlab run NAME [flags]           run one; 'boundlab run NAME --help' lists its flags
  boundlab diagnose -- COMMAND [ARGS] run a program, sample its CPU use: I/O-bound or CPU-bound?
  boundlab diagnose --pid N           sample a running Python process: its threads, the GIL, its functions
  boundlab setup [--tests]            the one-step set-up: tools, kernel spec, Jupyter, ECharts
  boundlab doctor                     check each piece of the set-up, with the fix for what is missing
  boundlab lab [JUPYTER ARGS]         open Jupyter on notebooks/ (e.g. --port 9999 --no-browser)
  boundlab handouts [flags] [NB ...]  execute the notebooks and write them as HTML to handouts/
                                      (-p name=value, --quick, --out DIR, --timeout D; see --help)
  boundlab sizes PAGE.html ...        what a page's bytes are: library, styles, data, scripts, text
  boundlab compare A.json B.json ...  results of one question side by side, a column per machine
                                      (--html FILE: also as one offline page with the charts overlaid)

Run flags common to every experiment:
  --quick          start from quick parameters (seconds, not minutes)
  --json FILE|-    write the full result as JSON (- for standard output)
  --quiet          no progress bar
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the CLI with its streams, returning the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// After the first signal, a second one ends the program at once.
		<-ctx.Done()
		stop()
	}()
	err := dispatch(ctx, args, stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errHelp):
		return 0
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "boundlab: interrupted; stopped cleanly")
		return 130
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintln(stderr, "boundlab:", err)
		return 2
	}
	fmt.Fprintln(stderr, "boundlab:", err)
	return 1
}

var errHelp = errors.New("help shown")

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usagef("no command given (try 'boundlab list')")
	}
	switch args[0] {
	case "list":
		if len(args) > 1 {
			return usagef("list takes no arguments")
		}
		return list(stdout)
	case "run":
		return runCmd(ctx, args[1:], stdout, stderr)
	case "diagnose":
		return diagnoseCmd(ctx, args[1:], stdout, stderr)
	case "setup":
		return setupCmd(ctx, args[1:], stdout, stderr)
	case "doctor":
		return doctorCmd(ctx, args[1:], stdout, stderr)
	case "lab":
		return labCmd(ctx, args[1:], stdout, stderr)
	case "handouts":
		return handoutsCmd(ctx, args[1:], stdout, stderr)
	case "sizes":
		return sizesCmd(ctx, args[1:], stdout, stderr)
	case "compare":
		return compareCmd(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return errHelp
	}
	return usagef("unknown command %q (commands: list, run, diagnose, setup, doctor, lab, handouts, sizes, compare)", args[0])
}
