package pyprof

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// python3 returns the interpreter the tests run, skipping without one.
func python3(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 on PATH")
	}
	return p
}

// run runs argv in dir and returns its stdout, stderr and exit status.
func run(t *testing.T, dir string, argv []string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader("from stdin\n")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return out.String(), errb.String(), ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errb.String(), 0
}

// profiled runs argv under cProfile in dir: its output, status and the
// profile (or the error saying why there is none).
func profiled(t *testing.T, dir string, argv []string) (string, string, int, *Profile, error) {
	t.Helper()
	old, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	p, err := ParseCommand(argv)
	os.Chdir(old)
	if err != nil {
		t.Fatalf("%q: %v", argv, err)
	}
	r, err := Prepare(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	out, errs, code := run(t, dir, r.Command)
	prof, err := r.Profile()
	return out, errs, code, prof, err
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o755); err != nil {
		t.Fatal(err)
	}
}

// probe prints what a program can see of how it was started, then ends
// as its arguments say.
const probe = `import sys, os
m = sys.modules["__main__"]
print("argv", sys.argv)
print("path", sys.path)
print("orig_argv", getattr(sys, "orig_argv", None))
print("main", sorted(k for k in vars(m)), m.__name__, getattr(m, "__file__", None), getattr(m, "__cached__", None))
print("spec", getattr(m.__spec__, "name", None), type(m.__loader__).__name__, m.__package__)
print("same main", m is sys.modules[__name__], "locals", sorted(k for k in globals() if not k.startswith("__")))
print("stdin", sys.stdin.readline().strip())
import json
print("json from", os.path.basename(os.path.dirname(json.__file__)))
import atexit
atexit.register(lambda: print("atexit", getattr(sys.modules["__main__"], "__file__", "no __file__")))
if "exit3" in sys.argv:
    sys.exit(3)
if "raise" in sys.argv:
    def inner():
        raise ValueError("from the program")
    inner()
`

// The program sees what it would see unprofiled, and ends the same way:
// arguments, sys.path, __main__, standard input, atexit, exit status,
// tracebacks.
func TestRunnerFidelity(t *testing.T) {
	py := python3(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "pkg", "probe.py"), probe)
	writeFile(t, filepath.Join(dir, "pkg", "__init__.py"), "")
	// A module of the program's that shadows a standard one is the one it
	// gets, as unprofiled.
	writeFile(t, filepath.Join(dir, "pkg", "json.py"), "")
	if err := os.Symlink(filepath.Join("pkg", "probe.py"), filepath.Join(dir, "link.py")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "shebang"), "#!/usr/bin/env python3\n"+probe)
	for _, argv := range [][]string{
		{py, "pkg/probe.py", "a", "b c"},
		{py, "-u", "-X", "dev", "link.py", "x"},
		{py, "-B", "pkg/probe.py", "exit3"},
		{py, "pkg/probe.py", "raise"},
		{py, "-m", "pkg.probe", "m", "exit3"},
		{py, "-Bm", "pkg.probe", "raise"},
		{py, "-c", probe, "c1", "c2"},
		{py, "-I", "pkg/probe.py", "isolated"},
		{py, "-P", "-c", probe},
		{"./shebang", "s"},
		{py, "-m", "no.such.module"},
	} {
		wantOut, wantErr, wantCode := run(t, dir, argv)
		out, errs, code, prof, perr := profiled(t, dir, argv)
		if out != wantOut || errs != wantErr || code != wantCode {
			t.Errorf("%q under the profiler:\nstdout %s\nstderr %s\nstatus %d\nwant\nstdout %s\nstderr %s\nstatus %d", argv, out, errs, code, wantOut, wantErr, wantCode)
		}
		if argv[len(argv)-1] == "no.such.module" {
			continue // it ran nothing to profile
		}
		if perr != nil || prof.Profiled == 0 {
			t.Errorf("%q: no profile: %v", argv, perr)
		}
	}
}

// work computes in one function (for 0.3 s or more, far longer on a busy
// machine), sleeps in another (0.2 s), and computes in two threads.
const work = `import threading, time
def crunch(n):
    x = 0
    for i in range(n):
        x += i * i
    return x
def nap():
    time.sleep(0.2)
def main():
    crunch(6_000_000)
    nap()
    ts = [threading.Thread(target=crunch, args=(1_000_000,)) for _ in range(2)]
    for t in ts: t.start()
    for t in ts: t.join()
main()
`

// The profile names the computing function first by own time, and main
// and crunch before nap by cumulative time; the threads' work is in it.
func TestProfileFunctions(t *testing.T) {
	py := python3(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "work.py"), work)
	_, errs, code, prof, err := profiled(t, dir, []string{py, "work.py"})
	if err != nil || code != 0 {
		t.Fatalf("status %d, %v: %s", code, err, errs)
	}
	own := prof.ByOwn(3)
	if own[0].Name != "crunch" || !strings.HasPrefix(own[0].String(), "crunch (work.py:2)") {
		t.Errorf("by own time, first: %s; want crunch", own[0])
	}
	if own[0].Calls != 3 {
		t.Errorf("%s: %d calls, want 3 (one on the main thread, one on each of two threads)", own[0], own[0].Calls)
	}
	names := func(fs []Function) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Name)
		}
		return out
	}
	if !slices.Contains(names(own), "<built-in method time.sleep>") {
		t.Errorf("by own time: %q lacks the sleep", names(own))
	}
	cum := names(prof.ByCumulative(10))
	// crunch's time in three threads at once can add up to more than
	// main's; nap's is less than either.
	if i, j, k := slices.Index(cum, "main"), slices.Index(cum, "crunch"), slices.Index(cum, "nap"); i < 0 || j < 0 || k <= i || k <= j {
		t.Errorf("by cumulative time: %q, want main and crunch before nap", cum)
	}
	for _, f := range prof.Functions {
		if strings.Contains(f.File, "boundlab_cprofile") || f.Name == "<built-in method builtins.exec>" {
			t.Errorf("the runner's own function in the profile: %s", f)
		}
	}
	if prof.Threads != 3 || prof.Forks != 0 {
		t.Errorf("%d threads, %d forks; want 3 and 0", prof.Threads, prof.Forks)
	}
	if s := prof.Share(own[0].Own); s < 0.3 || s > 0.95 {
		t.Errorf("crunch's share %.2f", s)
	}
	if prof.Total < 200*time.Millisecond {
		t.Errorf("total %v: less than the sleep", prof.Total)
	}
}

// A program that leaves through os._exit has no profile, and the error
// says so; one that forks or changes directory has one.
func TestProfileMissing(t *testing.T) {
	py := python3(t)
	dir := t.TempDir()
	_, _, code, _, err := profiled(t, dir, []string{py, "-c", "import os; print('bye', flush=True); os._exit(3)"})
	var me *MissingError
	if code != 3 || !errors.As(err, &me) || !strings.Contains(me.Reason, "os._exit(3)") {
		t.Errorf("os._exit(3): status %d, %v", code, err)
	}
	out, _, code, prof, err := profiled(t, dir, []string{py, "-c", "import os\nif os.fork() == 0:\n    os._exit(0)\nos.wait()\nprint('parent')"})
	if err != nil || code != 0 || out != "parent\n" || prof.Forks != 1 {
		t.Errorf("fork: status %d, %q, %v, %+v", code, out, err, prof)
	}
	_, _, code, prof, err = profiled(t, dir, []string{py, "-c", "import os\nos.chdir('/')\nsum(range(100000))"})
	if err != nil || code != 0 || prof.Profiled == 0 {
		t.Errorf("chdir: status %d, %v", code, err)
	}
	_, _, _, _, err = profiled(t, dir, []string{py, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"})
	if !errors.As(err, &me) || !strings.Contains(me.Reason, "normal exit") {
		t.Errorf("killed: %v", err)
	}
}

// The saved statistics load in pstats.
func TestSaveStats(t *testing.T) {
	py := python3(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "work.py"), work)
	p, err := ParseCommand([]string{py, filepath.Join(dir, "work.py")})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Prepare(p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, errs, code := run(t, dir, r.Command); code != 0 {
		t.Fatal(errs)
	}
	path := filepath.Join(dir, "work.pstats")
	if err := r.SaveStats(path); err != nil {
		t.Fatal(err)
	}
	out, errs, code := run(t, dir, []string{py, "-c", `import pstats, sys
s = pstats.Stats(sys.argv[1])
top = max(s.stats.items(), key=lambda kv: kv[1][2])
print(top[0][2], s.total_calls > 0)`, path})
	if code != 0 || out != "crunch True\n" {
		t.Errorf("pstats: %q %s", out, errs)
	}
}
