package pyprof

import (
	"bufio"
	"context"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/boundlab/boundlab/internal/proc"
	"github.com/boundlab/boundlab/internal/project"
)

// pySpy finds py-spy as boundlab does, skipping the test without it
// unless the set-up is required (make test sets BOUNDLAB_REQUIRE_ASSETS=1)
// and the project's requirements.txt pins py-spy (then the set-up installs
// it).
func pySpy(t *testing.T) string {
	t.Helper()
	root := ""
	if r, err := project.Root("."); err == nil {
		root = r
	}
	path, err := FindPySpy(root)
	if err != nil {
		if os.Getenv("BOUNDLAB_REQUIRE_ASSETS") == "1" && Pinned(root) {
			t.Fatalf("BOUNDLAB_REQUIRE_ASSETS=1: %v; run make setup", err)
		}
		t.Skip(err)
	}
	return path
}

// burners is a CPython program whose two threads compute without end;
// it prints "ready" once both run.
const burners = `import sys, threading
def burn():
    x = 0
    while True:
        for i in range(10000):
            x += i
ts = [threading.Thread(target=burn, name="burner-%d" % i, daemon=True) for i in range(2)]
for t in ts:
    t.start()
print("ready", flush=True)
for t in ts:
    t.join()
`

// startPython starts python3 -c code in a process group of its own, killed
// when the test ends, and waits for its "ready" line.
func startPython(t *testing.T, code string) int {
	t.Helper()
	py := python3(t)
	cmd := exec.Command(py, "-c", code)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	child, err := proc.Start(cmd, syscall.SIGKILL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		child.Kill(syscall.SIGKILL)
		_ = child.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("python: %q, %v", line, err)
	}
	go io.Copy(io.Discard, out)
	return cmd.Process.Pid
}

// Two CPython threads computing at once: each holds the GIL in about half
// the samples, together in nearly all of them (only one can hold it), and
// the main thread, waiting in join, in none.
func TestSpyGIL(t *testing.T) {
	pyspy := pySpy(t)
	pid := startPython(t, burners)
	if _, err := CheckProcess(pid); err != nil {
		t.Fatal(err)
	}
	spy, err := StartSpy(context.Background(), pyspy, pid, 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	res := spy.Stop()
	n := len(res.Samples)
	if n < 40 {
		t.Fatalf("%d samples in 3 s", n)
	}
	// Four standard deviations of a share of one half over n samples.
	tol := max(0.15, 4*math.Sqrt(0.25/float64(n)))
	var sum float64
	burnerCount := 0
	for _, th := range res.Threads {
		t.Logf("%s (tid %d): %d samples, running %.2f, idle %.2f, GIL %.2f", th.Name, th.TID, th.Samples, th.ActiveShare(), th.IdleShare(), th.GILShare())
		sum += th.GILShare()
		switch {
		case strings.HasPrefix(th.Name, "burner-"):
			burnerCount++
			if g := th.GILShare(); math.Abs(g-0.5) > tol {
				t.Errorf("%s held the GIL in %.2f of %d samples; want 0.5 ± %.2f", th.Name, g, n, tol)
			}
		case th.Name == "MainThread":
			if th.GILShare() > 0.05 || th.IdleShare() < 0.9 {
				t.Errorf("the main thread, in join: GIL %.2f, idle %.2f", th.GILShare(), th.IdleShare())
			}
		}
		if th.TID <= 0 {
			t.Errorf("%s: no OS thread id", th.Name)
		}
	}
	if burnerCount != 2 || len(res.Threads) != 3 {
		t.Errorf("%d threads, %d burners", len(res.Threads), burnerCount)
	}
	if held := res.GILHeld(); math.Abs(sum-held) > 1e-9 || held < 0.8 || held > 1 {
		t.Errorf("GIL held in %.2f of the samples, threads' shares sum to %.2f; want about one GIL", held, sum)
	}
	own, total := res.TopFunctions(3)
	if len(own) == 0 || own[0].Name != "burn" || own[0].Own == 0 {
		t.Errorf("top own: %+v", own)
	}
	if len(total) == 0 || total[0].Tot < own[0].Own {
		t.Errorf("top total: %+v", total)
	}
	// The timeline hands the GIL back and forth between the burners.
	holders := map[uint64]bool{}
	spans := res.GILTimeline()
	for i, s := range spans {
		holders[s.Ident] = true
		if s.To <= s.From || i > 0 && s.From != spans[i-1].To {
			t.Errorf("span %d: %+v after %+v", i, s, spans[max(i-1, 0)])
		}
	}
	if len(spans) < 4 || len(holders) < 2 {
		t.Errorf("%d spans, %d holders: %+v", len(spans), len(holders), spans)
	}
	if res.Version == "" || res.Failed > 0 {
		t.Errorf("version %q, %d failed dumps", res.Version, res.Failed)
	}
}

// Without py-spy, FindPySpy says where it looked, in one line.
func TestFindPySpyMissing(t *testing.T) {
	t.Setenv(PySpyEnv, "/nonexistent/py-spy")
	_, err := FindPySpy("")
	var se *SpyError
	if !errors.As(err, &se) || !se.Missing || se.Reason != "no py-spy at /nonexistent/py-spy (from $BOUNDLAB_PYSPY): no such file or directory" {
		t.Errorf("%v", err)
	}
	t.Setenv(PySpyEnv, "")
	t.Setenv("PATH", t.TempDir())
	_, err = FindPySpy(t.TempDir())
	if !errors.As(err, &se) || !se.Missing || strings.Contains(se.Reason, "\n") {
		t.Errorf("%v", err)
	}
	// The checkout's .venv is found before PATH.
	root := t.TempDir()
	venv := filepath.Join(root, ".venv", "bin", "py-spy")
	writeFile(t, venv, "#!/bin/sh\n")
	if got, err := FindPySpy(root); err != nil || got != venv {
		t.Errorf("FindPySpy(root) = %q, %v; want %s", got, err, venv)
	}
}

// A py-spy that may not trace the process (here run as nobody, against a
// process of root's) fails the start with a Denied error in one line.
func TestSpyDenied(t *testing.T) {
	pyspy := pySpy(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root, to run py-spy as another user")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("no setpriv")
	}
	pid := startPython(t, burners)
	// A copy of py-spy that nobody may run, behind a wrapper that drops
	// root.
	dir := t.TempDir()
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(pyspy)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "py-spy"), string(b))
	wrapper := filepath.Join(dir, "py-spy-as-nobody")
	writeFile(t, wrapper, "#!/bin/sh\nexec "+setpriv+" --reuid=65534 --regid=65534 --clear-groups "+filepath.Join(dir, "py-spy")+` "$@"`+"\n")
	_, err = StartSpy(context.Background(), wrapper, pid, 50*time.Millisecond)
	var se *SpyError
	if !errors.As(err, &se) || !se.Denied || strings.Contains(se.Reason, "\n") || !strings.Contains(se.Reason, "may not trace process") {
		t.Errorf("%v", err)
	}
	t.Log(err)
}

func TestCheckProcess(t *testing.T) {
	pid := startPython(t, burners)
	if cmdline, err := CheckProcess(pid); err != nil || !strings.Contains(cmdline, "python") {
		t.Errorf("python: %q, %v", cmdline, err)
	}
	var pe *ProcessError
	if _, err := CheckProcess(os.Getpid()); !errors.As(err, &pe) || !strings.Contains(pe.Reason, "is not a Python process") {
		t.Errorf("this test: %v", err)
	}
	if _, err := CheckProcess(1 << 30); !errors.As(err, &pe) || pe.Reason != "no such process" {
		t.Errorf("no such process: %v", err)
	}
}

// A thread dumped before threading registered it comes without a name; it
// takes the name a later dump gives it, so that a pool thread is found by
// its name whenever py-spy first saw it.
func TestSpyNamesLateThreads(t *testing.T) {
	s := &Spy{index: map[uint64]int{}, funcs: map[[2]string]int{}}
	name := "ThreadPoolExecutor-0_1"
	s.record(0, time.Millisecond, []dumpTrace{{ThreadID: 7, Active: true}})
	s.record(time.Millisecond, 2*time.Millisecond, []dumpTrace{{ThreadID: 7, ThreadName: &name, Active: true, OwnsGIL: true}})
	if len(s.res.Threads) != 1 {
		t.Fatalf("threads %+v", s.res.Threads)
	}
	if th := s.res.Threads[0]; th.Name != name || th.Samples != 2 || th.GIL != 1 {
		t.Errorf("thread %+v, want %s in 2 samples, 1 holding the GIL", th, name)
	}
}
