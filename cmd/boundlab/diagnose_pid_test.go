package main

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/boundlab/boundlab/experiments/pyprof"
	"github.com/boundlab/boundlab/internal/proc"
	"github.com/boundlab/boundlab/internal/setup"
)

// needPySpy returns the py-spy boundlab would use, skipping the test
// without one unless make test requires the set-up and it pins py-spy.
func needPySpy(t *testing.T) string {
	t.Helper()
	p, err := setup.FindProject(".")
	if err != nil {
		t.Fatal(err)
	}
	path, err := pyprof.FindPySpy(p.Root)
	if err != nil && os.Getenv("BOUNDLAB_REQUIRE_ASSETS") == "1" && pyprof.Pinned(p.Root) {
		t.Fatalf("BOUNDLAB_REQUIRE_ASSETS=1: %v", err)
	} else if err != nil {
		t.Skip(err)
	}
	return path
}

// twoBurners is CPython with two threads computing without end.
const twoBurners = `import threading
def burn():
    x = 0
    while True:
        for i in range(10000):
            x += i
for i in range(2):
    threading.Thread(target=burn, name="burner-%d" % i, daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
`

// runningPython starts python3 -c code, killed with its group when the
// test ends, and returns its pid once it printed "ready".
func runningPython(t *testing.T, code string) int {
	t.Helper()
	needPython(t)
	py := exec.Command("python3", "-c", code)
	stdout, _ := py.StdoutPipe()
	child, err := proc.Start(py, syscall.SIGKILL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		child.Kill(syscall.SIGKILL)
		_ = child.Wait()
	})
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "ready\n" {
		t.Fatalf("python said %q", line)
	}
	return py.Process.Pid
}

// --pid against two CPython threads computing at once: each holds the GIL
// in about half of py-spy's samples, together about one GIL; the main
// thread idles; the utilisation and thread states are there too.
func TestDiagnosePIDGIL(t *testing.T) {
	needPySpy(t)
	pid := runningPython(t, twoBurners)
	out, errs, code := cli(t, "diagnose", "--json", "-", "--pid", strconv.Itoa(pid), "--for", "4s", "--interval", "50ms")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rep diagnoseReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%s", err, out)
	}
	s := rep.Spy
	if s == nil {
		t.Fatalf("no py-spy samples: %s", rep.SpyNote)
	}
	n := len(s.Samples)
	if n < 30 {
		t.Fatalf("%d samples in 4 s every 50 ms", n)
	}
	// Four standard deviations of a share of one half over n samples.
	tol := max(0.15, 4*math.Sqrt(0.25/float64(n)))
	var sum float64
	for _, th := range s.Threads {
		sum += th.GILShare()
		if strings.HasPrefix(th.Name, "burner-") && math.Abs(th.GILShare()-0.5) > tol {
			t.Errorf("%s held the GIL in %.2f of %d samples; want 0.5 ± %.2f", th.Name, th.GILShare(), n, tol)
		}
		if th.Name == "MainThread" && (th.GILShare() > 0.05 || th.IdleShare() < 0.9) {
			t.Errorf("the main thread, waiting: %+v", th)
		}
	}
	if len(s.Threads) != 3 || sum < 0.8 || sum > 1+1e-9 || math.Abs(sum-s.GILHeld()) > 1e-9 {
		t.Errorf("%d threads; GIL shares sum to %.2f, held in %.2f of samples; want about one GIL", len(s.Threads), sum, s.GILHeld())
	}
	if rep.PID != pid || rep.Interrupted || rep.Ended != "" || rep.Wall < 4*time.Second || len(rep.Usage.Samples) < 30 || rep.Usage.MaxThreads != 3 {
		t.Errorf("report: pid %d, interrupted %v, ended %q, %v, %d samples, %d threads", rep.PID, rep.Interrupted, rep.Ended, rep.Wall, len(rep.Usage.Samples), rep.Usage.MaxThreads)
	}
	for _, want := range []string{"boundlab diagnose: process " + strconv.Itoa(pid), "holding the GIL", "burner-0 (tid ", "MainThread (tid " + strconv.Itoa(pid) + ")", "one GIL", "The GIL over time", "burn (<string>)", "running (R)", "CPU-bound"} {
		if !strings.Contains(errs, want) {
			t.Errorf("the text lacks %q:\n%s", want, errs)
		}
	}
}

// Without py-spy, or with one that may not trace the process, --pid says so
// in one line and diagnoses the rest.
func TestDiagnosePIDNoSpy(t *testing.T) {
	pid := runningPython(t, twoBurners)
	pyspy, spyErr := pyprof.FindPySpy(projectRoot())
	t.Setenv(pyprof.PySpyEnv, "/nonexistent/py-spy")
	out, errs, code := cli(t, "diagnose", "--pid", strconv.Itoa(pid), "--for", "500ms")
	if code != 0 || !strings.Contains(out, "\npy-spy: no py-spy at /nonexistent/py-spy (from $BOUNDLAB_PYSPY): no such file or directory; the rest of the diagnosis goes on without it.\n") ||
		!strings.Contains(out, "CPU utilisation over time") || strings.Contains(out, "holding the GIL") {
		t.Errorf("exit %d:\n%s%s", code, out, errs)
	}
	if spyErr != nil {
		needPySpy(t) // skips, or fails where make test requires py-spy
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root, to run py-spy as nobody")
	}
	// py-spy run as nobody, against root's process: refused.
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	os.Chmod(filepath.Dir(dir), 0o755)
	b, err := os.ReadFile(pyspy)
	if err != nil || os.WriteFile(filepath.Join(dir, "py-spy"), b, 0o755) != nil {
		t.Fatal(err)
	}
	nobody := filepath.Join(dir, "as-nobody")
	script := "#!/bin/sh\nexec setpriv --reuid=65534 --regid=65534 --clear-groups " + filepath.Join(dir, "py-spy") + " \"$@\"\n"
	if err := os.WriteFile(nobody, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(pyprof.PySpyEnv, nobody)
	out, errs, code = cli(t, "diagnose", "--pid", strconv.Itoa(pid), "--for", "500ms")
	want := "\npy-spy: py-spy may not trace process " + strconv.Itoa(pid) + " (permission denied): it must run as the process's owner or root, with ptrace allowed (in a container, CAP_SYS_PTRACE); the rest of the diagnosis goes on without it.\n"
	if code != 0 || !strings.Contains(out, want) || !strings.Contains(out, "Threads by state") {
		t.Errorf("refused: exit %d:\n%s%s", code, out, errs)
	}
}

// Bad --pid and --for values: one line naming the flag and what is
// allowed, exit 2.
func TestDiagnosePIDUsage(t *testing.T) {
	sleeper := exec.Command("sleep", "30")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { sleeper.Process.Kill(); sleeper.Wait() }()
	sp := strconv.Itoa(sleeper.Process.Pid)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--pid", "0"}, "--pid 0 is out of range (allowed: the pid of a running Python process, 1 or more)"},
		{[]string{"--pid", "-3"}, "--pid -3 is out of range (allowed: the pid of a running Python process, 1 or more)"},
		{[]string{"--pid", "999999999"}, "--pid 999999999: no such process (allowed: the pid of a running Python process)"},
		{[]string{"--pid", sp}, "--pid " + sp + `: "sleep 30" is not a Python process (allowed: the pid of a running Python process)`},
		{[]string{"--pid", sp, "--for", "-1s"}, "--for -1s is out of range (allowed: 100ms to 1h)"},
		{[]string{"--pid", sp, "--for", "2h"}, "--for 2h0m0s is out of range (allowed: 100ms to 1h)"},
		{[]string{"--pid", "x"}, `invalid value "x" for flag -pid`},
		{[]string{"--pid", sp, "--", "sleep", "1"}, "--pid " + sp + " samples a running process: give no command as well (sleep 1)"},
		{[]string{"--pid", sp, "--profile", "p.pstats"}, "--profile goes with a command run under cProfile"},
		{[]string{"--for", "1s", "--", "sleep", "1"}, "--for 1s goes with --pid N"},
	} {
		args := append([]string{"diagnose"}, c.args...)
		out, errs, code := cli(t, args...)
		if code != 2 || out != "" || !strings.Contains(errs, c.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and one line saying %q", args, code, out, errs, c.want)
		}
	}
}

// Ctrl-C ends the sampling early: the report of what was sampled, exit
// 130, no py-spy left behind, and the process sampled still running.
func TestDiagnosePIDInterrupt(t *testing.T) {
	needPySpy(t)
	pid := runningPython(t, twoBurners)
	rep, out := interrupt(t, 1500*time.Millisecond, "--pid", strconv.Itoa(pid), "--for", "1m", "--interval", "20ms")
	if rep.Spy == nil || len(rep.Spy.Samples) < 5 || !strings.Contains(out, "ended early by Ctrl-C; the process runs on") {
		t.Errorf("py-spy samples: %v\n%s", rep.Spy != nil, out)
	}
	if _, err := pyprof.CheckProcess(pid); err != nil {
		t.Errorf("the sampled process: %v", err)
	}
	// No py-spy dump of it is left.
	mark := "--pid\x00" + strconv.Itoa(pid) + "\x00"
	deadline := time.Now().Add(2 * time.Second)
	for {
		left := ""
		procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
		for _, p := range procs {
			if c, err := os.ReadFile(p); err == nil && strings.Contains(string(c), "py-spy") && strings.Contains(string(c), mark) {
				left = p
			}
		}
		if left == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("py-spy left running: %s", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
