package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/boundlab/boundlab/experiments/decision"
	"github.com/boundlab/boundlab/experiments/measure"
)

// diagnoseJSON runs boundlab diagnose --json - on command, up to attempts
// times until want is the class, and returns the last report with its
// stderr.
func diagnoseJSON(t *testing.T, want decision.Class, attempts int, command ...string) (diagnoseReport, string) {
	t.Helper()
	var rep diagnoseReport
	var errs string
	for i := 1; i <= attempts; i++ {
		out, e, code := cli(t, append([]string{"diagnose", "--json", "-", "--"}, command...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, e)
		}
		rep, errs = diagnoseReport{}, e
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("stdout is not the JSON report: %v\n%s", err, out)
		}
		if rep.Diagnosis.Class == want {
			return rep, errs
		}
		t.Logf("attempt %d: %s, not %s:\n%s", i, rep.Diagnosis.Class, want, errs)
	}
	t.Fatalf("%q diagnosed %s, want %s", command, rep.Diagnosis.Class, want)
	return rep, errs
}

// Sleeping leaves the CPU idle: I/O-bound.
func TestDiagnoseSleep(t *testing.T) {
	rep, errs := diagnoseJSON(t, decision.IOBound, 1, "sleep", "2")
	if rep.ExitCode != 0 || rep.Wall < 2*time.Second || rep.Wall > 3*time.Second {
		t.Errorf("exit %d after %v", rep.ExitCode, rep.Wall)
	}
	if n := len(rep.Usage.Samples); n < 15 || n > 25 {
		t.Errorf("%d samples in 2 s at 100 ms", n)
	}
	if rep.Diagnosis.Mean > 0.05 {
		t.Errorf("sleep: mean %.3f cores", rep.Diagnosis.Mean)
	}
	for _, want := range []string{"boundlab diagnose: sleep 2", "I/O-bound: the CPU was idle", "Decision framework: I/O-bound", "Python: threads", "Go: goroutines", "▁▁▁▁▁",
		"sleeping (S)          ████████████████", "nanosleep"} {
		if !strings.Contains(errs, want) {
			t.Errorf("the text on stderr (stdout has the JSON) lacks %q:\n%s", want, errs)
		}
	}
	// The running row: nothing running between the first sample, which
	// holds the exec, and the last, which holds the exit.
	if !regexp.MustCompile(`running \(R\) +.?·{16,}`).MatchString(errs) {
		t.Errorf("the text on stderr lacks a running row idle from its second sample on:\n%s", errs)
	}
	// Its one thread sleeps throughout, in the kernel's nanosleep, but for
	// the exec and the exit.
	for i, s := range rep.Usage.Samples {
		if i == 0 || i == len(rep.Usage.Samples)-1 {
			continue
		}
		if st := s.Threads; st.Threads != 1 || st.Sleeping < 0.9 || st.Running > 0.05 {
			t.Errorf("sample %d: %+v, want its one thread asleep", i, st)
		}
	}
	if len(rep.Usage.Waits) == 0 || !strings.Contains(rep.Usage.Waits[0].String(), "nanosleep") || rep.Usage.Waits[0].Samples < len(rep.Usage.Samples)-1 {
		t.Errorf("waits: %+v", rep.Usage.Waits)
	}
}

// The CPU burner is sh's child: it is counted, and the whole is CPU-bound.
func TestDiagnoseBackgroundBurner(t *testing.T) {
	rep, errs := diagnoseJSON(t, decision.CPUBound, 3, "sh", "-c", "yes > /dev/null & sleep 2; kill $!")
	if rep.Usage.MaxProcs < 3 {
		t.Errorf("at most %d processes seen: sh, yes and sleep are 3", rep.Usage.MaxProcs)
	}
	// The burner is counted: its CPU time is in the usage (sleep alone uses
	// a few milliseconds), and its demand (running or waiting for a CPU)
	// is a whole core however busy the machine is. How much CPU it gets in
	// 2 s depends on the machine's other work, so that is not asserted.
	if rep.Diagnosis.Demand < 0.8 || rep.Usage.CPU < 300*time.Millisecond {
		t.Errorf("demand %.2f cores, CPU %v", rep.Diagnosis.Demand, rep.Usage.CPU)
	}
	if !strings.Contains(errs, "CPU-bound: it kept the CPU busy") || !strings.Contains(errs, "multiprocessing") {
		t.Errorf("text:\n%s", errs)
	}
}

// A failing command is diagnosed all the same: its status is in the
// output, and boundlab's is 0.
func TestDiagnoseCommandFails(t *testing.T) {
	out, errs, code := cli(t, "diagnose", "--", "sh", "-c", "echo from the command; exit 3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"from the command", "(exit status 3)", "1 sample,", "too short a run"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	path := filepath.Join(t.TempDir(), "d.json")
	_, errs, code = cli(t, "diagnose", "--json", path, "--interval", "20ms", "--", "sh", "-c", "kill -TERM $$")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rep diagnoseReport
	b, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(b, &rep) != nil {
		t.Fatalf("JSON file: %v\n%s", err, b)
	}
	if rep.ExitCode != -1 || rep.Signal != "terminated" || rep.Usage.Interval != 20*time.Millisecond {
		t.Errorf("killed by SIGTERM: exit %d, signal %q, interval %v", rep.ExitCode, rep.Signal, rep.Usage.Interval)
	}
}

func TestDiagnoseUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"diagnose"}, 2, "diagnose needs a command to run"},
		{[]string{"diagnose", "--"}, 2, "diagnose needs a command to run"},
		{[]string{"diagnose", "--interval", "1ms", "--", "true"}, 2, "--interval 1ms is out of range"},
		{[]string{"diagnose", "--concurrency", "-1", "--", "true"}, 2, "--concurrency -1"},
		{[]string{"diagnose", "--bogus", "--", "true"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"diagnose", "--", "/no/such/program"}, 1, "diagnose: start /no/such/program"},
	} {
		out, errs, code := cli(t, c.args...)
		if code != c.code || out != "" || !strings.Contains(errs, c.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit %d and one line saying %q", c.args, code, out, errs, c.code, c.want)
		}
	}
	out, _, code := cli(t, "diagnose", "--help")
	if code != 0 || !strings.Contains(out, "-- COMMAND [ARGS]") {
		t.Errorf("--help: exit %d:\n%s", code, out)
	}
}

// interrupt runs boundlab diagnose --json FILE with args, sends it
// SIGINT after wait, and returns the report and the output once it has
// exited with status 130 (at once).
func interrupt(t *testing.T, wait time.Duration, args ...string) (diagnoseReport, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "d.json")
	cmd := exec.Command(binary, append([]string{"diagnose", "--json", path}, args...)...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(wait)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Errorf("exit: %v, want status 130", err)
	}
	if d := time.Since(t0); d > 3*time.Second {
		t.Errorf("took %v to stop", d)
	}
	var rep diagnoseReport
	b, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(b, &rep) != nil {
		t.Fatalf("JSON file: %v\n%s", err, out.String())
	}
	if !rep.Interrupted || !strings.Contains(out.String(), "interrupted; stopped cleanly") {
		t.Errorf("interrupted %v:\n%s", rep.Interrupted, out.String())
	}
	return rep, out.String()
}

// groupGone waits until nothing is left in process group pgid.
func groupGone(t *testing.T, pgid int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for syscall.Kill(-pgid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("processes left in group %d", pgid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Ctrl-C kills the command's whole process group, and the diagnosis of
// what ran is still printed.
func TestDiagnoseInterrupt(t *testing.T) {
	rep, out := interrupt(t, time.Second, "--", "sh", "-c", "sleep 100 & yes > /dev/null & sleep 100")
	if rep.Usage.PID <= 0 || rep.Diagnosis.Class != decision.CPUBound && rep.Diagnosis.Class != decision.Mixed {
		t.Errorf("report: pid %d, %s", rep.Usage.PID, rep.Diagnosis.Class)
	}
	if !strings.Contains(out, "interrupted: its process group was killed") {
		t.Errorf("output:\n%s", out)
	}
	// Nothing is left in the command's process group (the group is named
	// by the command's pid).
	groupGone(t, rep.Usage.PID)
}

func TestSparkline(t *testing.T) {
	u := measure.CPUSeries{Cores: 2}
	for i, c := range []float64{0, 0.5, 1, 1.5, 2, 2.5} {
		u.Samples = append(u.Samples, measure.CPUSample{At: time.Duration(i+1) * 100 * time.Millisecond, Cores: c})
	}
	s := sparkline(u, 4)
	for _, want := range []string{"▁▃▅▇", "██", "0.4 s", "mean 2.25 cores", "all 2 cores busy"} {
		if !strings.Contains(s, want) {
			t.Errorf("sparkline lacks %q:\n%s", want, s)
		}
	}
	if got := shellQuote([]string{"sh", "-c", "yes > /dev/null & sleep 2; kill $!", "it's"}); got != `sh -c 'yes > /dev/null & sleep 2; kill $!' 'it'\''s'` {
		t.Errorf("shellQuote: %s", got)
	}
}

// The states strip: a row per state, a column per sample; the stopped row
// only where some thread was stopped or traced.
func TestStatesStrip(t *testing.T) {
	u := measure.CPUSeries{Cores: 2, MaxThreads: 2, Samples: []measure.CPUSample{
		{At: 100 * time.Millisecond, Threads: measure.ThreadStates{Running: 2, Threads: 2}},
		{At: 200 * time.Millisecond, Threads: measure.ThreadStates{Sleeping: 1, IO: 1, Threads: 2}},
	}}
	s := statesStrip(u, 50)
	for _, want := range []string{"up to 2 threads", "running (R)           █·  mean 1.00", "sleeping (S)          ·▅  mean 0.50", "in I/O (D)            ·▅"} {
		if !strings.Contains(s, want) {
			t.Errorf("strip lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "stopped") {
		t.Errorf("a stopped row with no thread stopped:\n%s", s)
	}
	u.Samples[1].Threads.Other = 1
	if s := statesStrip(u, 50); !strings.Contains(s, "stopped, traced (T)   ·▅") {
		t.Errorf("no stopped row:\n%s", s)
	}
}

// needPython skips a test without python3 on PATH.
func needPython(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("no python3 on PATH")
	}
}

// crunchThenNap computes in crunch, then sleeps in nap.
const crunchThenNap = `import time

def crunch(n):
    x = 0
    for i in range(n):
        x += i * i
    return x

def nap(seconds):
    time.sleep(seconds)

def main():
    crunch(20_000_000)
    nap(0.6)
    print("done")

if __name__ == "__main__":
    main()
`

// A Python script that computes in one function (about 1.3 s here) and
// sleeps in another (0.6 s): the profile names crunch first by own time,
// crunch then nap by cumulative time; the states strip shows the sleep; --profile keeps
// statistics that pstats reads.
func TestDiagnosePython(t *testing.T) {
	needPython(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "script.py")
	if err := os.WriteFile(script, []byte(crunchThenNap), 0o644); err != nil {
		t.Fatal(err)
	}
	stats := filepath.Join(dir, "script.pstats")
	out, errs, code := cli(t, "diagnose", "--json", "-", "--profile", stats, "--", "python3", script)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rep diagnoseReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%s", err, out)
	}
	if rep.Profile == nil {
		t.Fatalf("no profile: %s\n%s", rep.ProfileNote, errs)
	}
	if own := rep.Profile.ByOwn(1); own[0].Name != "crunch" {
		t.Errorf("by own time, first: %s; want crunch", own[0])
	}
	var order []string
	for _, f := range rep.Profile.ByCumulative(8) {
		if f.Name == "crunch" || f.Name == "nap" {
			order = append(order, f.Name)
		}
	}
	if strings.Join(order, ",") != "crunch,nap" {
		t.Errorf("by cumulative time: %q, want crunch then nap", order)
	}
	// The sleep: samples at the end find the one thread asleep.
	asleep := 0
	for _, s := range rep.Usage.Samples {
		if s.Threads.Sleeping > 0.8 {
			asleep++
		}
	}
	if asleep < 4 {
		t.Errorf("%d samples asleep; want the 0.6 s nap to show", asleep)
	}
	for _, want := range []string{"done\n", "Profile (cProfile on Python 3.", "by own time", "\n    crunch (script.py:3)", "by cumulative time", "nap (script.py:9)", "sleeping (S)", "statistics saved to " + stats} {
		if !strings.Contains(errs, want) {
			t.Errorf("the text lacks %q:\n%s", want, errs)
		}
	}
	py := exec.Command("python3", "-c", "import pstats, sys; s = pstats.Stats(sys.argv[1]); print(max(s.stats.items(), key=lambda kv: kv[1][2])[0][2])", stats)
	if b, err := py.CombinedOutput(); err != nil || string(b) != "crunch\n" {
		t.Errorf("pstats on the saved file: %v %s", err, b)
	}
}

// A Python program that leaves through os._exit still gets its
// utilisation, and one line saying why there is no profile; a command
// that is not Python gets none of it; --profile with one is bad usage.
func TestDiagnosePythonNoProfile(t *testing.T) {
	needPython(t)
	out, errs, code := cli(t, "diagnose", "--", "python3", "-c", "import os, time; time.sleep(0.3); os._exit(3)")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"(exit status 3)", "CPU utilisation over time", "\nno profile: the program left through os._exit(3), which skips Python's exit handlers, where the profile is written.\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Profile (") {
		t.Errorf("a profile:\n%s", out)
	}
	out, _, _ = cli(t, "diagnose", "--", "sh", "-c", "sleep 0.2")
	if strings.Contains(out, "rofile") {
		t.Errorf("sh got a profile line:\n%s", out)
	}
	out, errs, code = cli(t, "diagnose", "--profile", "/no/such/dir/x.pstats", "--", "python3", "-c", "pass")
	if code != 2 || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "--profile /no/such/dir/x.pstats: no directory /no/such/dir to write it in") {
		t.Errorf("--profile in no directory: exit %d, %q %q", code, out, errs)
	}
	out, errs, code = cli(t, "diagnose", "--profile", "x.pstats", "--", "sleep", "1")
	if code != 2 || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "--profile x.pstats: sleep is not a Python program") {
		t.Errorf("--profile on sleep: exit %d, %q %q", code, out, errs)
	}
}

// Ctrl-C during a Python command under cProfile: its group is killed, one
// line says why there is no profile, and the profiler's files are gone.
func TestDiagnosePythonInterrupt(t *testing.T) {
	needPython(t)
	before, _ := filepath.Glob(filepath.Join(os.TempDir(), "boundlab-cprofile-*"))
	rep, out := interrupt(t, time.Second, "--", "python3", "-c", "import subprocess, time\nsubprocess.Popen(['sleep', '100'])\ntime.sleep(100)")
	if rep.Profile != nil || !strings.Contains(out, "\nno profile: interrupted; the process group was killed before Python's exit, where the profile is written.\n") {
		t.Errorf("profile %v:\n%s", rep.Profile != nil, out)
	}
	groupGone(t, rep.Usage.PID)
	after, _ := filepath.Glob(filepath.Join(os.TempDir(), "boundlab-cprofile-*"))
	if len(after) > len(before) {
		t.Errorf("the profiler's directory is left: %q", after)
	}
}
