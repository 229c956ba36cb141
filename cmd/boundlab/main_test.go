package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/boundlab/boundlab/charts"
	"github.com/boundlab/boundlab/internal/proc"
	"github.com/boundlab/boundlab/internal/testlock"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "boundlab-cli")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "boundlab")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		panic("build boundlab: " + err.Error() + "\n" + string(out))
	}
	code := testlock.Run(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// cli runs the built binary and returns stdout, stderr and the exit status.
func cli(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func TestList(t *testing.T) {
	out, _, code := cli(t, "list")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, name := range []string{"async-cpu", "scaling", "semaphore"} {
		if !strings.Contains(out, name) {
			t.Errorf("list lacks %s:\n%s", name, out)
		}
	}
}

// Bad usage: exit 2, one clear line naming the parameter, no stack trace.
func TestBadUsage(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"run", "semaphore", "--limit", "0"}, "-limit: 0 is out of range (allowed: an integer from 1 to 1000000)"},
		{[]string{"run", "semaphore", "--tasks", "-5"}, "-tasks: -5 is out of range"},
		{[]string{"run", "semaphore", "--latency", "banana"}, `"banana" is not a duration`},
		{[]string{"run", "semaphore", "--models", "threads"}, `"threads" is not one of them`},
		{[]string{"run", "semaphore", "--frobnicate"}, "flag provided but not defined: -frobnicate"},
		{[]string{"run", "nope"}, `unknown experiment "nope" (known: async-cpu, scaling, semaphore, `},
		{[]string{"run"}, "run needs an experiment name"},
		{[]string{"run", "semaphore", "extra"}, `unexpected argument "extra"`},
		{[]string{"frob"}, `unknown command "frob"`},
		{[]string{"run", "scaling", "--workers", "0,2"}, "0 is out of range"},
		{[]string{"run", "scaling", "--workers", "1,1000"}, "1000 is out of range"},
		{[]string{"run", "scaling", "--payloads", "1TiB"}, `"1TiB" is not a size`},
	}
	for _, c := range cases {
		out, errs, code := cli(t, c.args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", c.args, code)
		}
		lines := strings.Split(strings.TrimSpace(errs), "\n")
		if c.args[0] == "run" && len(lines) != 1 {
			t.Errorf("%v: %d lines on stderr, want 1:\n%s", c.args, len(lines), errs)
		}
		if !strings.Contains(errs, c.want) {
			t.Errorf("%v: stderr %q lacks %q", c.args, errs, c.want)
		}
		if strings.Contains(errs, "goroutine ") || strings.Contains(errs, "panic") || out != "" {
			t.Errorf("%v: stack trace or output: %s%s", c.args, out, errs)
		}
	}
}

func TestHelp(t *testing.T) {
	out, _, code := cli(t, "run", "semaphore", "--help")
	if code != 0 || !strings.Contains(out, "-limit") || !strings.Contains(out, "an integer from 1 to 1000000") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// A run with --json - writes only JSON to stdout (the summary goes to
// stderr), with the verdicts at the top level; no progress bar off a
// terminal. Two models, each all at once and one after another, and each
// once more traced (where its tasks were on a CPU): six runs.
func TestRunJSON(t *testing.T) {
	out, errs, code := cli(t, "run", "async-cpu", "--quick", "--tasks", "2", "--models", "eventloop,goroutines", "--repeat", "1", "--json", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc struct {
		Question string            `json:"question"`
		Params   map[string]string `json:"params"`
		Verdicts []struct {
			Claim    string   `json:"claim"`
			Model    string   `json:"model"`
			Measured *float64 `json:"measured"`
			Expected *float64 `json:"expected"`
			Low      *float64 `json:"low"`
			High     *float64 `json:"high"`
			Runs     *int     `json:"runs"`
			Outcome  string   `json:"outcome"`
			Holds    *bool    `json:"holds"`
		} `json:"verdicts"`
		Runs []json.RawMessage `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%.500s", err, out)
	}
	if doc.Question != "async-cpu" || doc.Params["tasks"] != "2" || len(doc.Runs) != 6 || len(doc.Verdicts) == 0 {
		t.Fatalf("JSON: question %q params %v runs %d verdicts %d", doc.Question, doc.Params, len(doc.Runs), len(doc.Verdicts))
	}
	for _, v := range doc.Verdicts {
		if v.Claim == "" || v.Model == "" || v.Measured == nil || v.Expected == nil || v.Holds == nil ||
			v.Low == nil || v.High == nil || v.Runs == nil || v.Outcome == "" || *v.Holds != (v.Outcome == "holds") {
			t.Fatalf("verdict lacks a field: %+v", v)
		}
	}
	if !strings.Contains(errs, "Verdicts:") || strings.Contains(errs, "\r") {
		t.Fatalf("stderr should have the summary and no progress bar:\n%s", errs)
	}
}

func TestRunJSONFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json")
	out, errs, code := cli(t, "run", "async-cpu", "--quick", "--tasks", "2", "--models", "eventloop", "--json", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "Verdicts:") || !strings.Contains(out, "async-no-speedup") {
		t.Fatalf("summary:\n%s", out)
	}
	b, err := os.ReadFile(path)
	if err != nil || !json.Valid(b) {
		t.Fatalf("JSON file: %v", err)
	}
}

// Ctrl-C stops a run cleanly: exit 130, a one-line message, and no worker
// process left behind.
func TestInterrupt(t *testing.T) {
	cmd := exec.Command(binary, "run", "scaling", "--models", "processes", "--workers", "1,4", "--cpu", "5s")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var workers []int
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if workers = proc.Descendants(cmd.Process.Pid); len(workers) > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(workers) == 0 {
		_ = cmd.Process.Kill()
		t.Fatal("no worker process appeared")
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("did not stop within 10 s of Ctrl-C")
	}
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Fatalf("exit %d, want 130; stderr:\n%s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "interrupted") {
		t.Fatalf("stderr: %s", errb.String())
	}
	time.Sleep(100 * time.Millisecond)
	for _, pid := range workers {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("worker %d outlived the interrupted run", pid)
		}
	}
}

// On a terminal, a run longer than a second draws a progress bar on stderr,
// and clears it before the summary.
func TestProgressBarOnTerminal(t *testing.T) {
	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("needs script(1) to give the run a terminal")
	}
	cmdline := binary + " run semaphore --quick --models goroutines --limits 20 --latencies 100ms"
	out, err := exec.Command(script, "-qec", cmdline, "/dev/null").CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	s := string(out)
	if !strings.Contains(s, "\r\x1b[K[#") || !strings.Contains(s, "% goroutines, limit 20") || !strings.Contains(s, "left") {
		t.Fatalf("no progress bar drawn:\n%q", s[:min(len(s), 400)])
	}
	if !strings.Contains(s, "Verdicts:") {
		t.Fatalf("no summary:\n%s", s)
	}
}

// run --html writes one self-contained page: every chart of the result in
// a container, the ECharts library inline, no script fetched from anywhere.
func TestRunHTML(t *testing.T) {
	dir := t.TempDir()
	page, doc := filepath.Join(dir, "r.html"), filepath.Join(dir, "r.json")
	_, errs, code := cli(t, "run", "sleeping", "--wait", "20ms", "--interval", "10ms", "--models", "goroutines,gil",
		"--html", page, "--json", doc)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	if !strings.HasPrefix(html, "<!DOCTYPE html>") || !strings.Contains(html, "<title>Waiting overlaps; it uses no CPU</title>") {
		t.Errorf("not the result's page: %.200s", html)
	}
	// The sleeping result draws four charts: wall and CPU time, the
	// utilisation over time, the walls against the claims, the timeline.
	if n, inits := strings.Count(html, `class="boundlab-chart"`), strings.Count(html, "echarts.init("); n != 4 || inits != 4 {
		t.Errorf("%d chart containers and %d echarts.init calls, want 4 each", n, inits)
	}
	if strings.Contains(html, "<script src=") {
		t.Error("the page loads a script from elsewhere")
	}
	if tag, err := charts.LibraryTag(); err == nil && strings.Count(html, tag) != 1 {
		t.Error("the ECharts library is not in the page once")
	}
	if fi, err := os.Stat(doc); err != nil || fi.Size() == 0 {
		t.Errorf("--json beside --html: %v", err)
	}
}
