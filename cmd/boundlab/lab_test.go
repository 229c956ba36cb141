package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/boundlab/boundlab/internal/proc"
	"github.com/boundlab/boundlab/internal/setup"
)

// needJupyter skips a test when the project's Jupyter is missing, or
// fails it when the set-up is required (make test exports
// BOUNDLAB_REQUIRE_ASSETS=1).
func needJupyter(t *testing.T) {
	t.Helper()
	p, err := setup.FindProject(".")
	if err != nil {
		t.Fatal(err)
	}
	_, err = setup.FindJupyter(context.Background(), p)
	if err == nil {
		return
	}
	if os.Getenv("BOUNDLAB_REQUIRE_ASSETS") == "1" {
		t.Fatalf("%v (BOUNDLAB_REQUIRE_ASSETS=1)", err)
	}
	t.Skipf("%v", err)
}

// jupyterEnv gives Jupyter fresh data, config and runtime directories.
func jupyterEnv(t *testing.T) []string {
	t.Helper()
	return append(os.Environ(),
		"JUPYTER_DATA_DIR="+t.TempDir(),
		"JUPYTER_CONFIG_DIR="+t.TempDir(),
		"JUPYTER_RUNTIME_DIR="+t.TempDir(),
		"JUPYTER_PATH=",
	)
}

// Pointed at an empty bin/ and an empty Jupyter data directory, the doctor
// says what is missing, line by line, with the fix, and exits 1.
func TestDoctorMissing(t *testing.T) {
	cmd := exec.Command(binary, "doctor", "--bin", t.TempDir())
	cmd.Env = jupyterEnv(t)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v\n%s%s", err, out.String(), errb.String())
	}
	lines := map[string]string{}
	for _, line := range strings.Split(out.String(), "\n") {
		if f := strings.Fields(line); len(f) >= 2 {
			lines[f[1]] = line
		}
	}
	for _, name := range []string{"gonb", "goimports", "gopls"} {
		if l := lines[name]; !strings.HasPrefix(l, "MISSING") || !strings.Contains(l, "fix: make setup") {
			t.Errorf("%s line: %q\n%s", name, l, out.String())
		}
	}
	if l := lines["kernel"]; !strings.HasPrefix(l, "MISSING") && !strings.HasPrefix(l, "WRONG") {
		t.Errorf("kernel spec line: %q", l)
	}
	if l := lines["Go"]; !strings.HasPrefix(l, "OK") {
		t.Errorf("Go line: %q", l)
	}
	if !strings.Contains(errb.String(), "required piece(s) missing") || strings.Count(strings.TrimSpace(errb.String()), "\n") != 0 {
		t.Errorf("stderr: %q", errb.String())
	}
}

// A dry run says what each step would do; a bad choice is one line, exit 2.
func TestSetupDryRun(t *testing.T) {
	// The kernel spec into the (fresh) user data directory, which a dry
	// run would install it into.
	cmd := exec.Command(binary, "setup", "--dry-run", "--kernelspec=user")
	cmd.Env = jupyterEnv(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	s := string(out)
	if !strings.Contains(s, "Go: go1.") || !strings.Contains(s, "would install 'gonb' into") || !strings.Contains(s, "nothing changed") {
		t.Fatalf("dry run:\n%s", s)
	}
	for _, c := range []struct{ flag, want string }{
		{"--jupyter=conda", "boundlab: --jupyter=conda: want venv (the pinned Jupyter in .venv/) or system (the one on PATH)\n"},
		{"--kernelspec=home", "boundlab: --kernelspec=home: want prefix (the Jupyter environment's share/jupyter) or user (the user's Jupyter data directory)\n"},
	} {
		cmd := exec.Command(binary, "setup", "--dry-run", c.flag)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || errb.String() != c.want {
			t.Errorf("setup %s: %v, stderr %q, want exit 2 and %q", c.flag, err, errb.String(), c.want)
		}
	}
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// boundlab lab starts Jupyter on 127.0.0.1 that answers on /api and runs a
// gonb kernel; Ctrl-C (SIGINT) stops it all: exit 0, no process left.
func TestLab(t *testing.T) {
	needJupyter(t)
	port := freePort(t)
	cmd := exec.Command(binary, "lab", "--no-browser", "--ip", "127.0.0.1", "--port", fmt.Sprint(port))
	// TMPDIR: where the kernel keeps its work (gonb_*), cleaned up with the test.
	cmd.Env = append(jupyterEnv(t), "JUPYTER_TOKEN=boundlab-test", "TMPDIR="+t.TempDir())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			for _, p := range proc.Descendants(cmd.Process.Pid) {
				_ = syscall.Kill(p, syscall.SIGKILL)
			}
			_ = cmd.Process.Kill()
			<-done
		}
	}()

	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(25 * time.Second)
	var version string
	for {
		resp, err := client.Get(base + "/api")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.Contains(string(b), `"version"`) {
				version = string(b)
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("lab exited early: %v\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no answer on %s/api within 25 s:\n%s", base, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("Jupyter answers /api: %s", version)

	// Start a gonb kernel through the REST API, as a browser would.
	req, _ := http.NewRequest("POST", base+"/api/kernels", strings.NewReader(`{"name":"gonb"}`))
	req.Header.Set("Authorization", "token boundlab-test")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || !strings.Contains(string(body), `"gonb"`) {
		t.Fatalf("start kernel: %s %s", resp.Status, body)
	}
	var procs []int
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		procs = proc.Descendants(cmd.Process.Pid)
		if hasCommand(procs, "gonb") {
			break
		}
	}
	if !hasCommand(procs, "gonb") {
		t.Fatalf("no gonb kernel process under lab (%v):\n%s", procs, out.String())
	}
	// The kernel starts gopls: wait for it too, so that its end is checked.
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end) && !hasCommand(procs, "gopls"); time.Sleep(50 * time.Millisecond) {
		procs = proc.Descendants(cmd.Process.Pid)
	}

	_ = cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("lab after Ctrl-C: %v\n%s", err, out.String())
		}
	case <-time.After(25 * time.Second):
		t.Fatalf("lab did not stop within 25 s of Ctrl-C:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "stopped") {
		t.Errorf("no word that Jupyter stopped:\n%s", out.String())
	}
	for _, p := range procs {
		if err := syscall.Kill(p, 0); !errors.Is(err, syscall.ESRCH) {
			comm, _ := os.ReadFile(filepath.Join("/proc", fmt.Sprint(p), "cmdline"))
			t.Errorf("process %d (%s) outlived lab", p, bytes.ReplaceAll(comm, []byte{0}, []byte{' '}))
		}
	}
}

// hasCommand reports whether one of pids runs a program named name.
func hasCommand(pids []int, name string) bool {
	for _, p := range pids {
		b, err := os.ReadFile(filepath.Join("/proc", fmt.Sprint(p), "cmdline"))
		if err != nil {
			continue
		}
		argv0, _, _ := bytes.Cut(b, []byte{0})
		if filepath.Base(string(argv0)) == name {
			return true
		}
	}
	return false
}
