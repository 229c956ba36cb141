package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
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
	for _, want := range []string{"boundlab diagnose: sleep 2", "I/O-bound: the CPU was idle", "Decision framework: I/O-bound", "Python: threads", "Go: goroutines", "▁▁▁▁▁"} {
		if !strings.Contains(errs, want) {
			t.Errorf("the text on stderr (stdout has the JSON) lacks %q:\n%s", want, errs)
		}
	}
}

// The CPU burner is sh's child: it is counted, and the whole is CPU-bound.
func TestDiagnoseBackgroundBurner(t *testing.T) {
	rep, errs := diagnoseJSON(t, decision.CPUBound, 3, "sh", "-c", "yes > /dev/null & sleep 2; kill $!")
	if rep.Usage.MaxProcs < 3 {
		t.Errorf("at most %d processes seen: sh, yes and sleep are 3", rep.Usage.MaxProcs)
	}
	if rep.Diagnosis.Demand < 0.8 || rep.Usage.CPU < 1500*time.Millisecond {
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

// Ctrl-C kills the command's whole process group, and the diagnosis of
// what ran is still printed.
func TestDiagnoseInterrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.json")
	cmd := exec.Command(binary, "diagnose", "--json", path, "--", "sh", "-c", "sleep 100 & yes > /dev/null & sleep 100")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
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
	if !rep.Interrupted || rep.Usage.PID <= 0 || rep.Diagnosis.Class != decision.CPUBound && rep.Diagnosis.Class != decision.Mixed {
		t.Errorf("report: interrupted %v, pid %d, %s", rep.Interrupted, rep.Usage.PID, rep.Diagnosis.Class)
	}
	for _, want := range []string{"interrupted: its process group was killed", "interrupted; stopped cleanly"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	// Nothing is left in the command's process group (the group is named
	// by the command's pid).
	deadline := time.Now().Add(2 * time.Second)
	for syscall.Kill(-rep.Usage.PID, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("processes left in group %d", rep.Usage.PID)
		}
		time.Sleep(50 * time.Millisecond)
	}
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
