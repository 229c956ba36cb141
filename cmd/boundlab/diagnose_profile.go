package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/boundlab/boundlab/experiments/pyprof"
	"github.com/boundlab/boundlab/internal/units"
)

// profileTop is how many functions each profile table lists.
const profileTop = 8

// pythonProfile is the cProfile side of diagnosing a command: the command
// line to run instead, if the command is a Python program.
type pythonProfile struct {
	run *pyprof.Profiled
	// note says why there is no profile, when the command is Python but
	// cannot be profiled.
	note string
}

// preparePython sets a Python command up to run under cProfile. A command
// that is not Python runs as it is; --profile FILE then is bad usage.
func preparePython(a *diagnoseArgs) (*pythonProfile, error) {
	prog, err := pyprof.ParseCommand(a.command)
	var ue *pyprof.UnsupportedError
	switch {
	case a.profile != "" && !isDir(filepath.Dir(a.profile)):
		return nil, usagef("--profile %s: no directory %s to write it in", a.profile, filepath.Dir(a.profile))
	case errors.Is(err, pyprof.ErrNotPython):
		if a.profile != "" {
			return nil, usagef("--profile %s: %s is not a Python program (allowed with a Python interpreter's command line, or a script whose #! line names one)", a.profile, a.command[0])
		}
		return nil, nil
	case errors.As(err, &ue):
		return &pythonProfile{note: "no profile: " + ue.Reason}, nil
	case err != nil:
		return nil, err
	}
	run, err := pyprof.Prepare(prog)
	if err != nil {
		return &pythonProfile{note: "no profile: " + err.Error()}, nil
	}
	return &pythonProfile{run: run}, nil
}

// isDir reports whether path is a directory.
func isDir(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.IsDir()
}

// command is the command line to run.
func (p *pythonProfile) command(orig []string) []string {
	if p == nil || p.run == nil {
		return orig
	}
	return p.run.Command
}

// close removes the run's files.
func (p *pythonProfile) close() {
	if p != nil && p.run != nil {
		p.run.Close()
	}
}

// finish reads the profile into the report, or the reason there is none,
// and saves the statistics where asked.
func (p *pythonProfile) finish(rep *diagnoseReport, save string) error {
	if p == nil {
		return nil
	}
	if p.run == nil {
		rep.ProfileNote = p.note
		return nil
	}
	prof, err := p.run.Profile()
	var me *pyprof.MissingError
	switch {
	case rep.Interrupted:
		rep.ProfileNote = "no profile: interrupted; the process group was killed before Python's exit, where the profile is written"
		return nil
	case rep.Signal != "":
		rep.ProfileNote = fmt.Sprintf("no profile: ended by signal (%s) before Python's exit, where the profile is written", rep.Signal)
		return nil
	case errors.As(err, &me):
		rep.ProfileNote = "no profile: " + me.Reason
		return nil
	case err != nil:
		return fmt.Errorf("diagnose: %w", err)
	}
	rep.Profile = prof
	if save != "" {
		if err := p.run.SaveStats(save); err != nil {
			rep.ProfileNote = fmt.Sprintf("the statistics were not saved to %s: %v", save, err)
			return nil
		}
		rep.ProfileFile = save
	}
	return nil
}

// visible keeps the functions whose share shows as at least 1%.
func visible(p *pyprof.Profile, fs []pyprof.Function, of func(pyprof.Function) time.Duration) []pyprof.Function {
	var out []pyprof.Function
	for _, f := range fs {
		if p.Share(of(f)) >= 0.005 {
			out = append(out, f)
		}
	}
	return out
}

// printProfile writes the profile's top functions by own and by
// cumulative time, each with its share of the profiled time; or the line
// saying why there is none.
func printProfile(w io.Writer, r *diagnoseReport) {
	if r.ProfileNote != "" {
		fmt.Fprintf(w, "%s.\n\n", r.ProfileNote)
	}
	p := r.Profile
	if p == nil {
		return
	}
	threads := "1 thread"
	if p.Threads != 1 {
		threads = fmt.Sprintf("%d threads", p.Threads)
	}
	fmt.Fprintf(w, "Profile (cProfile on Python %s: wall-clock time by function, %s, %s in all; it slows calls, so this run was slower than usual):\n",
		p.Python, threads, units.Duration(p.Total))
	own := visible(p, p.ByOwn(profileTop), func(f pyprof.Function) time.Duration { return f.Own })
	cum := visible(p, p.ByCumulative(profileTop), func(f pyprof.Function) time.Duration { return f.Cumulative })
	rows := func(fs []pyprof.Function, of func(pyprof.Function) time.Duration) []funcRow {
		var out []funcRow
		for _, f := range fs {
			out = append(out, funcRow{f.String(), fmt.Sprintf("%10s  %4.0f%%", units.Duration(of(f)), 100*p.Share(of(f)))})
		}
		return out
	}
	writeFuncTables(w,
		funcTable{"by own time", fmt.Sprintf("%10s  share", "own"), rows(own, func(f pyprof.Function) time.Duration { return f.Own })},
		funcTable{"by cumulative time (with what it calls)", "cumulative  share", rows(cum, func(f pyprof.Function) time.Duration { return f.Cumulative })})
	var notes []string
	if p.Forks > 0 {
		notes = append(notes, fmt.Sprintf("it forked %d time(s): the children's functions are not in the profile, their CPU time is in the utilisation", p.Forks))
	}
	if r.Usage.MaxProcs > 1 && p.Forks == 0 {
		notes = append(notes, fmt.Sprintf("it ran up to %d processes at once: only the first is profiled, all are in the utilisation", r.Usage.MaxProcs))
	}
	if r.ProfileFile != "" {
		notes = append(notes, fmt.Sprintf("statistics saved to %s (python3 -m pstats %s, or snakeviz)", r.ProfileFile, r.ProfileFile))
	}
	for _, n := range notes {
		fmt.Fprintf(w, "  (%s)\n", n)
	}
	fmt.Fprintln(w)
}

// funcTable is a titled table of functions: a column of names, then the
// values (head is their header).
type funcTable struct {
	title, head string
	rows        []funcRow
}

type funcRow struct{ name, values string }

// writeFuncTables writes tables of functions, one width of name column for
// all; a name too long loses its start.
func writeFuncTables(w io.Writer, tables ...funcTable) {
	width := 0
	for _, t := range tables {
		width = max(width, len(t.title))
		for _, r := range t.rows {
			width = max(width, min(len([]rune(r.name))+2, 72))
		}
	}
	for _, t := range tables {
		fmt.Fprintf(w, "  %-*s  %s\n", width, t.title, t.head)
		for _, r := range t.rows {
			name := []rune(r.name)
			if len(name) > width-2 {
				name = append([]rune("…"), name[len(name)-width+3:]...)
			}
			fmt.Fprintf(w, "    %s%*s  %s\n", string(name), width-2-len(name), "", r.values)
		}
	}
}
