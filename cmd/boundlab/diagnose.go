package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/boundlab/boundlab/experiments/decision"
	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/experiments/pyprof"
	"github.com/boundlab/boundlab/internal/proc"
	"github.com/boundlab/boundlab/internal/units"
)

const diagnoseUsage = `boundlab diagnose [flags] -- COMMAND [ARGS]
boundlab diagnose --pid N [--for D] [flags]

Runs COMMAND and samples the CPU utilisation of it and every process it
starts (their children too, those already reaped included), as top shows
it, until COMMAND exits; with --pid, samples a running process instead.
Then it prints the utilisation over time, the threads by state over time
(running, queued for a CPU, sleeping, in I/O) and where blocked threads
waited, whether the program is I/O-bound, CPU-bound or mixed, and what the
lecture's decision framework recommends.

A Python command (python3 script.py, python3 -m module, python3 -c code, or
a script whose #! line names Python) runs under cProfile, unchanged in what
it does, and the top functions by own and by cumulative time are printed.

The command runs in a process group of its own, with this terminal's
standard output and error (standard error only, with --json -); it reads
standard input unless that is a terminal. When it exits, whatever it left
running in its group is killed; Ctrl-C kills the whole group at once.

Flags:
  --interval D      sampling interval (default 100ms; 10ms to 10s)
  --concurrency N   waits the program has in flight at once, if known: it
                    picks threads (moderate) or async (from 100) for an
                    I/O-bound program
  --json FILE|-     also write the diagnosis as JSON (- for standard output)
  --profile FILE    keep the cProfile statistics of a Python command in FILE
                    (python3 -m pstats FILE, or snakeviz)
  --pid N           sample running Python process N with py-spy instead of
                    running a command: its top functions, and per thread the
                    share of samples running, idle and holding the GIL
  --for D           how long to sample with --pid (default 5s; 100ms to 1h);
                    Ctrl-C ends it early

py-spy is $BOUNDLAB_PYSPY, else .venv/bin/py-spy in the boundlab checkout,
else py-spy on PATH; where it is missing or may not trace the process, one
line says so and the rest of the diagnosis goes on.

Exit status: 0 when the command ran, whatever its own status (the output
says it); 1 when it could not be started; 2 for bad usage; 130 when
interrupted.
`

// minSamples is how many samples a diagnosis wants before it is worth
// much: fewer, and the output says so.
const minSamples = 5

// diagnoseReport is what boundlab diagnose measured, as its JSON says.
type diagnoseReport struct {
	Command []string `json:"command,omitempty"`
	// PID is the process sampled with --pid; Process its command line, For
	// how long it was to be sampled, Ended why sampling stopped sooner.
	PID     int           `json:"pid,omitempty"`
	Process string        `json:"process,omitempty"`
	For     time.Duration `json:"for_ns,omitempty"`
	Ended   string        `json:"ended,omitempty"`
	Started time.Time     `json:"started"`
	// Wall is the time from starting the command to its exit.
	Wall time.Duration `json:"wall_ns"`
	// ExitCode is the command's exit status; -1 if a signal ended it,
	// named in Signal.
	ExitCode    int                `json:"exit_code"`
	Signal      string             `json:"signal,omitempty"`
	Interrupted bool               `json:"interrupted,omitempty"`
	Usage       measure.CPUSeries  `json:"usage"`
	Diagnosis   decision.Diagnosed `json:"diagnosis"`
	// Profile is the cProfile profile of a Python command; ProfileNote
	// says why there is none where it is Python; ProfileFile is where its
	// statistics were saved (--profile).
	Profile     *pyprof.Profile `json:"profile,omitempty"`
	ProfileNote string          `json:"profile_note,omitempty"`
	ProfileFile string          `json:"profile_file,omitempty"`
	// Spy is what py-spy saw of the process sampled with --pid; SpyNote
	// says why there is nothing where py-spy could not run.
	Spy     *pyprof.Spied `json:"pyspy,omitempty"`
	SpyNote string        `json:"pyspy_note,omitempty"`
	Stamp   measure.Stamp `json:"stamp"`
}

// diagnoseArgs are the parsed arguments of boundlab diagnose.
type diagnoseArgs struct {
	interval    time.Duration
	concurrency int
	json        string
	profile     string
	pid         int
	duration    time.Duration
	// process is the --pid process's command line.
	process string
	command []string
}

func parseDiagnoseArgs(args []string) (*diagnoseArgs, error) {
	a := &diagnoseArgs{}
	fs := flag.NewFlagSet("boundlab diagnose", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.DurationVar(&a.interval, "interval", measure.DefaultInterval, "sampling interval")
	fs.IntVar(&a.concurrency, "concurrency", 0, "waits in flight at once")
	fs.StringVar(&a.json, "json", "", "write the diagnosis as JSON")
	fs.StringVar(&a.profile, "profile", "", "keep the cProfile statistics of a Python command")
	fs.IntVar(&a.pid, "pid", 0, "sample a running Python process")
	fs.DurationVar(&a.duration, "for", defaultFor, "how long to sample with --pid")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	a.command = fs.Args()
	if set["pid"] {
		if err := checkPIDArgs(a, set); err != nil {
			return nil, err
		}
	} else if set["for"] {
		return nil, usagef("--for %s goes with --pid N: a command is sampled until it exits", a.duration)
	} else if len(a.command) == 0 {
		return nil, usagef("diagnose needs a command to run, after --: boundlab diagnose -- sleep 2")
	}
	if a.interval < measure.MinInterval || a.interval > measure.MaxInterval {
		return nil, usagef("--interval %s is out of range (allowed: %s to %s)", a.interval, measure.MinInterval, measure.MaxInterval)
	}
	if a.concurrency < 0 {
		return nil, usagef("--concurrency %d: want 0 (unknown) or more", a.concurrency)
	}
	return a, nil
}

// diagnoseCmd is `boundlab diagnose`.
func diagnoseCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	a, err := parseDiagnoseArgs(args)
	if err != nil {
		return argsError(err, "diagnose", diagnoseUsage, stdout)
	}
	jsonOut, closeJSON, err := createJSON(a.json, stdout)
	if err != nil {
		return err
	}
	defer closeJSON()
	text, cmdOut := stdout, stdout
	if a.json == "-" {
		text, cmdOut = stderr, stderr
	}

	run := diagnose
	if a.pid != 0 {
		run = diagnosePID
	}
	rep, err := run(ctx, a, cmdOut, stderr)
	if err != nil {
		return err
	}
	printDiagnosis(text, rep)
	if jsonOut != nil {
		if err := writeJSON(jsonOut, rep); err != nil {
			return err
		}
	}
	if rep.Interrupted {
		return fmt.Errorf("diagnose: %w", context.Canceled)
	}
	return nil
}

// diagnose runs the command in a process group of its own and samples its
// process tree until it exits, or until ctx ends (then it kills the group).
func diagnose(ctx context.Context, a *diagnoseArgs, stdout, stderr io.Writer) (*diagnoseReport, error) {
	py, err := preparePython(a)
	if err != nil {
		return nil, err
	}
	defer py.close()
	argv := py.command(a.command)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if !isTerminal(os.Stdin) {
		cmd.Stdin = os.Stdin
	}
	rep := &diagnoseReport{Command: a.command, Started: time.Now().UTC().Truncate(time.Millisecond), Stamp: measure.NewStamp()}
	t0 := time.Now()
	child, err := proc.Start(cmd, 0)
	if err != nil {
		return nil, fmt.Errorf("diagnose: start %s: %w", a.command[0], err)
	}
	killGroup := func() { child.Kill(syscall.SIGKILL) }
	sampler, err := measure.StartSampler(cmd.Process.Pid, a.interval)
	if err != nil {
		killGroup()
		_ = child.Wait()
		return nil, fmt.Errorf("diagnose: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- measure.AwaitExit(cmd.Process.Pid) }()
	var waitErr error
	select {
	case waitErr = <-exited:
	case <-ctx.Done():
		rep.Interrupted = true
		killGroup()
		waitErr = <-exited
	}
	// The command has exited but is not reaped: its last reading still
	// holds its final CPU times.
	rep.Wall = time.Since(t0)
	rep.Usage = sampler.Stop()
	killGroup() // what it left running
	if err := child.Wait(); err != nil && cmd.ProcessState == nil {
		return nil, fmt.Errorf("diagnose: %w", errors.Join(waitErr, err))
	}
	rep.ExitCode = cmd.ProcessState.ExitCode()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		rep.Signal = ws.Signal().String()
	}
	rep.Diagnosis = decision.Classify(rep.Usage, a.concurrency)
	if err := py.finish(rep, a.profile); err != nil {
		return nil, err
	}
	return rep, nil
}

// printDiagnosis writes the report for a person: what ran, the utilisation
// over time as a sparkline, the figures, the class and the recommendation.
func printDiagnosis(w io.Writer, r *diagnoseReport) {
	u, d := r.Usage, r.Diagnosis
	status := fmt.Sprintf("exit status %d", r.ExitCode)
	if r.Signal != "" {
		status = "ended by signal: " + r.Signal
	}
	if r.Interrupted {
		status = "interrupted: its process group was killed"
	}
	procs := "1 process"
	if u.MaxProcs != 1 {
		procs = fmt.Sprintf("at most %d processes at once", u.MaxProcs)
	}
	samples := fmt.Sprintf("%d samples", len(u.Samples))
	if len(u.Samples) == 1 {
		samples = "1 sample"
	}
	if r.PID != 0 {
		printPIDHeader(w, r, samples, procs)
	} else {
		fmt.Fprintf(w, "\nboundlab diagnose: %s\n", shellQuote(r.Command))
		fmt.Fprintf(w, "ran %s (%s); sampled every %s: %s, %s; %d cores on this machine\n\n",
			units.Duration(r.Wall), status, u.Interval, samples, procs, u.Cores)
	}
	fmt.Fprint(w, sparkline(u, 50))
	fmt.Fprintf(w, "mean %.2f cores, peak %.2f, waiting for a CPU %.2f; CPU time %s over %s\n\n",
		d.Mean, d.Peak, d.Waiting, units.Duration(u.CPU), units.Duration(u.Wall))
	if states := statesStrip(u, 50); states != "" {
		fmt.Fprintf(w, "%s\n", states)
	}
	printProfile(w, r)
	printSpy(w, r)
	if len(u.Samples) < minSamples {
		fmt.Fprintf(w, "Only %s: too short a run to say much (a shorter --interval gives more).\n", samples)
	}
	fmt.Fprintf(w, "%s: %s.\n", d.Class, d.Reason)
	fmt.Fprintf(w, "Decision framework: %s\n", d.Recommendation.Rule)
	fmt.Fprintf(w, "  Python: %s\n", d.Recommendation.Python)
	fmt.Fprintf(w, "  Go: %s\n", d.Recommendation.Go)
}

// shellQuote writes a command as a shell would need it: arguments with
// spaces or special characters in single quotes.
func shellQuote(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a != "" && !strings.ContainsAny(a, " \t\n'\"\\$&;|<>*?()[]{}!#~`") {
			out[i] = a
			continue
		}
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(out, " ")
}
