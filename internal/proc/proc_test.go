package proc

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// helperEnv makes this test binary, re-executed, run helperMain.
const helperEnv = "BOUNDLAB_PROC_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		helperMain()
		return
	}
	os.Exit(m.Run())
}

// helperMain starts a sleep with Start and a parent-death signal, prints
// its pid and waits to be killed.
func helperMain() {
	c, err := Start(exec.Command("sleep", "60"), syscall.SIGKILL)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println(c.Pid())
	_ = c.Wait()
	os.Exit(0)
}

// readPid reads one pid, a line, from r.
func readPid(t *testing.T, r *bufio.Reader) int {
	t.Helper()
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("read pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("read pid: %q", line)
	}
	return pid
}

// startReading starts cmd with Start and reads the pid it prints first.
func startReading(t *testing.T, cmd *exec.Cmd) (*Child, int) {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c, err := Start(cmd, syscall.SIGKILL)
	if err != nil {
		t.Fatal(err)
	}
	return c, readPid(t, bufio.NewReader(out))
}

// gone waits up to five seconds for process id to stop running.
func gone(id ID) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if !id.Running() {
			return true
		}
	}
	return false
}

// A child started with Start leads a group of its own; Kill reaches its
// own children, which Descendants finds.
func TestStartKillGroup(t *testing.T) {
	c, sleep := startReading(t, exec.Command("sh", "-c", "sleep 60 & echo $!; wait"))
	if pgid, _ := syscall.Getpgid(c.Pid()); pgid != c.Pid() {
		t.Errorf("child %d is in group %d, want a group of its own", c.Pid(), pgid)
	}
	if pgid, _ := syscall.Getpgid(sleep); pgid != c.Pid() {
		t.Errorf("grandchild %d is in group %d, want %d", sleep, pgid, c.Pid())
	}
	if d := Descendants(c.Pid()); !slices.Contains(d, sleep) {
		t.Errorf("Descendants(%d) = %v, want %d among them", c.Pid(), d, sleep)
	}
	if d := Descendants(os.Getpid()); len(d) < 2 || d[0] != c.Pid() {
		t.Errorf("Descendants(self) = %v, want the child %d first, then the grandchild", d, c.Pid())
	}
	id, running, ok := Identify(sleep)
	if !ok || !running {
		t.Fatalf("grandchild %d: running %v, found %v", sleep, running, ok)
	}
	if c.Exited() {
		t.Error("Exited before Wait")
	}
	c.Kill(syscall.SIGKILL)
	if err := c.Wait(); err == nil {
		t.Error("Wait after SIGKILL: no error")
	}
	if err2 := c.Wait(); err2 == nil || !c.Exited() {
		t.Errorf("second Wait: %v, Exited %v", err2, c.Exited())
	}
	if !gone(id) {
		t.Errorf("grandchild %d still runs after the group was killed", sleep)
	}
}

// When the process that started a child dies, the child gets the
// parent-death signal.
func TestStartDeathSignal(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	helper := exec.Command(exe)
	helper.Env = append(os.Environ(), helperEnv+"=1")
	h, sleep := startReading(t, helper)
	id, running, ok := Identify(sleep)
	if !ok || !running {
		t.Fatalf("sleep %d: running %v, found %v", sleep, running, ok)
	}
	// Only the helper dies: not its group.
	_ = h.Cmd.Process.Kill()
	_ = h.Wait()
	if !gone(id) {
		_ = syscall.Kill(sleep, syscall.SIGKILL)
		t.Errorf("sleep %d outlived the process that started it", sleep)
	}
}

// Identify tells a running process from a zombie and from one gone.
func TestIdentify(t *testing.T) {
	self, running, ok := Identify(os.Getpid())
	if !ok || !running || self.Start == 0 || !self.Running() {
		t.Fatalf("this process: %+v, running %v, ok %v", self, running, ok)
	}
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	// Not waited for: once it exits it is a zombie.
	deadline := time.Now().Add(5 * time.Second)
	for {
		id, running, ok := Identify(pid)
		if !ok {
			t.Fatalf("child %d vanished before it was reaped", pid)
		}
		if id.Start < self.Start {
			t.Errorf("child started at %d, before this process (%d)", id.Start, self.Start)
		}
		if !running {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("child %d still running", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := Identify(pid); ok {
		t.Errorf("child %d still found after it was reaped", pid)
	}
	if (ID{PID: os.Getpid(), Start: self.Start + 1}).Running() {
		t.Error("an ID with another start time is taken for this process")
	}
}

// A Tracker stops what left the group: a process in a session of its own.
func TestTracker(t *testing.T) {
	c, pid := startReading(t, exec.Command("sh", "-c", "setsid sleep 60 & echo $!; wait"))
	var tr Tracker
	var sleep Process
	for deadline := time.Now().Add(30 * time.Second); sleep.PID == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("sleep %d not seen below %d; seen %+v", pid, c.Pid(), tr.Seen())
		}
		tr.Scan(c.Pid())
		for _, p := range tr.Seen() {
			if sid, _ := unix.Getsid(pid); p.PID == pid && sid == pid {
				sleep = p // seen, and in a session of its own
			}
		}
	}
	c.Kill(syscall.SIGKILL)
	_ = c.Wait()
	if !sleep.Running() {
		t.Fatalf("sleep %d ended with its parent's group: the test shows nothing", sleep.PID)
	}
	if a := tr.Alive(); len(a) != 1 || a[0].PID != sleep.PID {
		t.Errorf("Alive = %+v, want only sleep %d", a, sleep.PID)
	}
	if n := tr.Kill(); n != 1 {
		t.Errorf("Kill = %d, want 1", n)
	}
	if !gone(sleep.ID) {
		t.Errorf("sleep %d still runs after Kill", sleep.PID)
	}
	if n := tr.Kill(); n != 0 {
		t.Errorf("second Kill = %d, want 0", n)
	}
}

// WriteFile creates the directory, sets the permissions, replaces the old
// file and leaves no temporary file, also when it fails.
func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a", "b", "f.json")
	if err := WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("new"), 0o640); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "new" {
		t.Errorf("read back %q, %v; want \"new\"", b, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, %v; want 0640", fi.Mode().Perm(), err)
	}
	// A directory in the way: the rename fails.
	blocked := filepath.Join(dir, "a", "b", "d")
	if err := os.MkdirAll(filepath.Join(blocked, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(blocked, []byte("x"), 0o644); err == nil || !strings.Contains(err.Error(), blocked) {
		t.Errorf("WriteFile over a directory: %v, want an error naming it", err)
	}
	es, _ := os.ReadDir(filepath.Dir(path))
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"d", "f.json"}) {
		t.Errorf("files left: %v, want [d f.json]", names)
	}
}

func ExampleWriteFile() {
	path := filepath.Join(os.TempDir(), "boundlab-proc-example", "result.json")
	defer os.RemoveAll(filepath.Dir(path))
	if err := WriteFile(path, []byte(`{"ok":true}`), 0o644); err != nil {
		fmt.Println(err)
		return
	}
	b, _ := os.ReadFile(path)
	fmt.Println(string(b))
	// Output: {"ok":true}
}
