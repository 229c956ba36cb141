package measure

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

// ProcStart tells a running process from a zombie and from one gone.
func TestProcStart(t *testing.T) {
	st, running, ok := ProcStart(os.Getpid())
	if !ok || !running || st == 0 {
		t.Fatalf("this process: start %d, running %v, ok %v", st, running, ok)
	}
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	// Not waited for: once it exits it is a zombie.
	deadline := time.Now().Add(5 * time.Second)
	for {
		cst, running, ok := ProcStart(pid)
		if !ok {
			t.Fatalf("child %d vanished before it was reaped", pid)
		}
		if cst < st {
			t.Errorf("child started at %d, before this process (%d)", cst, st)
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
	if _, _, ok := ProcStart(pid); ok {
		t.Errorf("child %d still found after it was reaped", pid)
	}
}
