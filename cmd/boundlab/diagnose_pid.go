package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/boundlab/boundlab/experiments/decision"
	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/experiments/pyprof"
	"github.com/boundlab/boundlab/internal/proc"
	"github.com/boundlab/boundlab/internal/setup"
	"github.com/boundlab/boundlab/internal/units"
)

// How long --pid samples: the default and the bounds.
const (
	defaultFor = 5 * time.Second
	minFor     = 100 * time.Millisecond
	maxFor     = time.Hour
)

// checkPIDArgs checks --pid and the flags that go with it, and that the
// process is a running Python program.
func checkPIDArgs(a *diagnoseArgs, set map[string]bool) error {
	const allowed = "allowed: the pid of a running Python process"
	switch {
	case a.pid <= 0:
		return usagef("--pid %d is out of range (%s, 1 or more)", a.pid, allowed)
	case len(a.command) > 0:
		return usagef("--pid %d samples a running process: give no command as well (%s)", a.pid, shellQuote(a.command))
	case set["profile"]:
		return usagef("--profile goes with a command run under cProfile; --pid samples with py-spy")
	case a.duration < minFor || a.duration > maxFor:
		return usagef("--for %s is out of range (allowed: 100ms to 1h)", a.duration)
	}
	cmdline, err := pyprof.CheckProcess(a.pid)
	if err != nil {
		return usagef("--pid %d: %v (%s)", a.pid, err, allowed)
	}
	a.process = cmdline
	return nil
}

// diagnosePID samples a running process for a.duration, or until it ends
// or ctx does (Ctrl-C): its tree's utilisation and threads from /proc, and
// with py-spy its Python threads, the GIL and its functions. Where py-spy
// is missing or may not trace the process, a note says so and the rest
// goes on.
func diagnosePID(ctx context.Context, a *diagnoseArgs, _, _ io.Writer) (*diagnoseReport, error) {
	rep := &diagnoseReport{PID: a.pid, Process: a.process, For: a.duration,
		Started: time.Now().UTC().Truncate(time.Millisecond), Stamp: measure.NewStamp()}
	id, _, _ := proc.Identify(a.pid)
	t0 := time.Now()
	sampler, err := measure.StartSampler(a.pid, a.interval)
	if err != nil {
		return nil, fmt.Errorf("diagnose: %w", err)
	}
	var spy *pyprof.Spy
	if path, err := pyprof.FindPySpy(projectRoot()); err != nil {
		rep.SpyNote = err.Error()
	} else if spy, err = pyprof.StartSpy(ctx, path, a.pid, a.interval); err != nil {
		rep.SpyNote = err.Error()
	}
	deadline := time.NewTimer(a.duration)
	defer deadline.Stop()
	poll := time.NewTicker(50 * time.Millisecond)
	defer poll.Stop()
wait:
	for {
		select {
		case <-deadline.C:
			break wait
		case <-ctx.Done():
			rep.Interrupted = true
			break wait
		case <-poll.C:
			if !id.Running() {
				rep.Ended = fmt.Sprintf("the process exited after %s", units.Duration(time.Since(t0)))
				break wait
			}
		}
	}
	rep.Wall = time.Since(t0)
	rep.Usage = sampler.Stop()
	if spy != nil {
		rep.Spy = spy.Stop()
	}
	rep.Diagnosis = decision.Classify(rep.Usage, a.concurrency)
	return rep, nil
}

// projectRoot is the boundlab checkout holding the working directory, ""
// outside one.
func projectRoot() string {
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	p, err := setup.FindProject(wd)
	if err != nil {
		return ""
	}
	return p.Root
}

// printPIDHeader writes what was sampled, for how long, and how it ended.
func printPIDHeader(w io.Writer, r *diagnoseReport, samples, procs string) {
	u := r.Usage
	fmt.Fprintf(w, "\nboundlab diagnose: process %d (%s)\n", r.PID, r.Process)
	how := "it runs on"
	switch {
	case r.Interrupted:
		how = "ended early by Ctrl-C; the process runs on"
	case r.Ended != "":
		how = r.Ended
	}
	fmt.Fprintf(w, "sampled it for %s (%s); every %s: %s, %s; %d cores on this machine\n\n",
		units.Duration(r.Wall), how, u.Interval, samples, procs, u.Cores)
}

// printSpy writes what py-spy saw: per thread the share of samples
// running, idle and holding the GIL, the GIL over time, and the top
// functions; or the line saying why py-spy saw nothing.
func printSpy(w io.Writer, r *diagnoseReport) {
	if r.SpyNote != "" {
		fmt.Fprintf(w, "py-spy: %s; the rest of the diagnosis goes on without it.\n\n", r.SpyNote)
	}
	s := r.Spy
	if s == nil {
		return
	}
	fmt.Fprintf(w, "py-spy %s: a dump of every Python thread every %s, %d samples", s.Version, s.Interval, len(s.Samples))
	if s.Failed > 0 {
		fmt.Fprintf(w, " (%d failed)", s.Failed)
	}
	fmt.Fprintln(w, ":")
	names := make([]string, len(s.Threads))
	width := len("thread")
	for i, t := range s.Threads {
		names[i] = fmt.Sprintf("%s (tid %d)", t.Name, t.TID)
		width = max(width, len([]rune(names[i])))
	}
	fmt.Fprintf(w, "  %-*s  samples  running  idle  holding the GIL\n", width, "thread")
	for i, t := range s.Threads {
		fmt.Fprintf(w, "  %s%*s  %7d  %6.0f%%  %3.0f%%  %14.0f%%\n", names[i], width-len([]rune(names[i])), "", t.Samples,
			100*t.ActiveShare(), 100*t.IdleShare(), 100*t.GILShare())
	}
	fmt.Fprintf(w, "  Some thread held the GIL in %.0f%% of the samples; never two at once: one GIL.\n", 100*s.GILHeld())
	for _, x := range r.Usage.Samples {
		if x.Threads.Other >= 0.05 {
			fmt.Fprintln(w, "  (Each dump pauses the process for a moment: the \"stopped, traced\" row above is py-spy's.)")
			break
		}
	}
	fmt.Fprint(w, gilStrip(s, names, 50))
	own, total := s.TopFunctions(profileTop)
	if s.Active == 0 {
		fmt.Fprint(w, "  No thread was running in any sample: no functions to rank.\n\n")
		return
	}
	fmt.Fprintf(w, "  Top functions, out of the %d samples of running threads:\n", s.Active)
	rows := func(fs []pyprof.SpyFunction, of func(pyprof.SpyFunction) int) []funcRow {
		var out []funcRow
		for _, f := range fs {
			if of(f) > 0 {
				out = append(out, funcRow{f.String(), fmt.Sprintf("%7d  %4.0f%%", of(f), 100*float64(of(f))/float64(s.Active))})
			}
		}
		return out
	}
	writeFuncTables(w,
		funcTable{"by own samples (running in it)", "samples  share", rows(own, func(f pyprof.SpyFunction) int { return f.Own })},
		funcTable{"by total samples (with what it calls)", "samples  share", rows(total, func(f pyprof.SpyFunction) int { return f.Tot })})
	fmt.Fprintln(w)
}

// gilStrip draws each thread's state per sample: █ holding the GIL, ▒
// running without it, · idle; perRow samples a block of rows.
func gilStrip(s *pyprof.Spied, names []string, perRow int) string {
	if len(s.Samples) == 0 {
		return ""
	}
	width := 0
	for _, n := range names {
		width = max(width, len([]rune(n)))
	}
	index := map[uint64]int{}
	for i, t := range s.Threads {
		index[t.Ident] = i
	}
	var b strings.Builder
	fmt.Fprintf(&b, "  The GIL over time, a column per sample: █ holding it, ▒ running without it, · idle, blank not there\n")
	for i := 0; i < len(s.Samples); i += perRow {
		chunk := s.Samples[i:min(i+perRow, len(s.Samples))]
		rows := make([][]rune, len(s.Threads))
		for j := range rows {
			rows[j] = []rune(strings.Repeat(" ", len(chunk)))
		}
		for c, x := range chunk {
			for _, t := range x.Threads {
				r := '·'
				switch {
				case t.GIL:
					r = '█'
				case t.Active:
					r = '▒'
				}
				rows[index[t.Ident]][c] = r
			}
		}
		for j, row := range rows {
			label := strings.Repeat(" ", 10)
			if j == 0 {
				label = fmt.Sprintf("  %6.1f s", chunk[0].At.Seconds())
			}
			fmt.Fprintf(&b, "%s  %s%*s  %s\n", label, names[j], width-len([]rune(names[j])), "", string(row))
		}
	}
	return b.String()
}
