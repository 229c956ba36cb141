package model

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
)

// childEnv, set to "1" in a process's environment, makes the model
// package's init run one batch in that process and exit (see RunInChild).
const childEnv = "BOUNDLAB_CHILD"

// ChildOptions say how RunInChild sets up and watches the child.
type ChildOptions struct {
	// NoFile, if positive, is the soft RLIMIT_NOFILE the child sets for
	// itself before the batch: how many descriptors it may have open. It
	// must not exceed the hard limit. Zero leaves the limit as Go's runtime
	// set it at start-up: the soft limit raised to the hard one.
	NoFile int
	// Sample, if positive, is how often the child's open descriptors and
	// resident memory are read (from /proc, by the parent) and its heap and
	// goroutines (by the child's runtime) while the batch runs.
	Sample time.Duration
}

// ChildSample is one reading of the child while its batch ran.
type ChildSample struct {
	// At is the time since the batch started (about: the parent's clock,
	// from the child's word that it was starting).
	At time.Duration `json:"at_ns"`
	// FDs is how many descriptors the child had open; RSS its resident
	// memory in bytes; both with those of any process it started (the
	// cpython model's interpreter), each of which has the same limit.
	FDs int   `json:"fds"`
	RSS int64 `json:"rss_bytes"`
}

// ChildRun is a batch run in a child process, with what was seen of the
// process meanwhile.
type ChildRun struct {
	Run *Run `json:"run"`
	PID int  `json:"pid"`
	// NoFile and NoFileMax are the child's soft and hard RLIMIT_NOFILE
	// during the batch; BaseFDs the descriptors it had open as the batch
	// started (standard streams, pipes, the runtime's poller).
	NoFile    uint64 `json:"nofile"`
	NoFileMax uint64 `json:"nofile_max"`
	BaseFDs   int    `json:"base_fds"`
	// Samples are the parent's readings of the child; PeakFDs the most
	// descriptors open in any of them. A reading of /proc/PID/fd is not
	// atomic: one closed and another opened while it is read may both be
	// counted, so a reading can exceed the limit by one or two.
	Samples []ChildSample `json:"samples,omitempty"`
	PeakFDs int           `json:"peak_fds"`
	// PeakHeap, PeakStacks and PeakGoroutines are the child runtime's
	// largest heap (objects), goroutine stack memory and goroutine count,
	// sampled.
	PeakHeap       int64 `json:"peak_heap_bytes"`
	PeakStacks     int64 `json:"peak_stacks_bytes"`
	PeakGoroutines int64 `json:"peak_goroutines"`
	// Sched summarises how long the child's goroutines waited, runnable,
	// for a thread during the batch (/sched/latencies:seconds).
	Sched measure.SchedLatency `json:"sched_latency"`
}

// ChildExitError is a child that died or failed instead of reporting its
// batch: a crash, as opposed to tasks that failed.
type ChildExitError struct {
	PID    int
	Status string
	Stderr string
}

// Error says how the child ended and the last of what it wrote.
func (e *ChildExitError) Error() string {
	msg := fmt.Sprintf("child %d %s", e.PID, e.Status)
	if e.Stderr != "" {
		msg += ": " + e.Stderr
	}
	return msg
}

// childRequest is what the parent sends the child on its standard input.
type childRequest struct {
	Model          Name          `json:"model"`
	Tasks          []Task        `json:"tasks"`
	Concurrency    int           `json:"concurrency"`
	SwitchInterval time.Duration `json:"switch_interval_ns,omitempty"`
	Heartbeat      time.Duration `json:"heartbeat_ns,omitempty"`
	Flavor         string        `json:"flavor,omitempty"`
	Python         string        `json:"python,omitempty"`
	NoFile         int           `json:"nofile,omitempty"`
	Sample         time.Duration `json:"sample_ns,omitempty"`
}

// childResponse is what the child writes on its standard output: the
// ChildRun, or why the batch could not run.
type childResponse struct {
	ChildRun
	Err string `json:"error,omitempty"`
}

// RunInChild runs a batch on the model called name in a child process:
// this program re-executed (an init-time check of BOUNDLAB_CHILD, as for
// the processes model's workers), which may have a lower descriptor limit
// (opts.NoFile) than this one. Whatever happens in the child (running out
// of descriptors, even a crash), this process goes on: a batch that
// completes comes back as a ChildRun, its failed tasks counted by kind; a
// child that dies comes back as a *ChildExitError. The child runs in its
// own process group, which is killed whole when ctx ends, and dies with
// this process.
func RunInChild(ctx context.Context, name Name, tasks []Task, cfg Config, opts ChildOptions) (*ChildRun, error) {
	if _, err := Get(name); err != nil {
		return nil, err
	}
	if err := validate(tasks, cfg); err != nil {
		return nil, err
	}
	if opts.NoFile < 0 {
		return nil, fmt.Errorf("child: descriptor limit must be at least 0, got %d", opts.NoFile)
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("child: find this program to re-execute: %w", err)
	}
	body, err := json.Marshal(childRequest{
		Model: name, Tasks: tasks, Concurrency: cfg.Concurrency, SwitchInterval: cfg.SwitchInterval,
		Heartbeat: cfg.Heartbeat, Flavor: cfg.Flavor, Python: cfg.Python, NoFile: opts.NoFile, Sample: opts.Sample,
	})
	if err != nil {
		return nil, fmt.Errorf("child: encode the batch: %w", err)
	}
	progR, progW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("child: progress pipe: %w", err)
	}
	defer progR.Close()
	g := newGroupCmd(exe, nil, cleanEnviron(childEnv), body, progW) // progress on fd 3
	err = g.start(ctx)
	progW.Close()
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, fmt.Errorf("child: start: %w", err)
	}
	pid := g.child.Pid()

	w := &childWatch{pid: pid, every: opts.Sample, started: make(chan struct{}), done: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); w.progress(progR, len(tasks), cfg.Progress) }()
	go func() { defer wg.Done(); w.sample() }()
	werr := g.wait() // and kill anything the child left behind (a Python interpreter)
	close(w.done)
	progR.Close()
	wg.Wait()

	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("child %s: stopped: %w", name, err)
	}
	if werr != nil {
		return nil, &ChildExitError{PID: pid, Status: exitStatus(werr), Stderr: g.stderrTail()}
	}
	var resp childResponse
	if err := json.Unmarshal(g.stdout.Bytes(), &resp); err != nil {
		return nil, &ChildExitError{PID: pid, Status: "gave no result (" + err.Error() + ")", Stderr: g.stderrTail()}
	}
	if resp.Err != "" {
		return nil, fmt.Errorf("child %s: %s", name, resp.Err)
	}
	cr := resp.ChildRun
	cr.PID = pid
	cr.Samples = w.samples
	for _, s := range cr.Samples {
		cr.PeakFDs = max(cr.PeakFDs, s.FDs)
	}
	return &cr, nil
}

// exitStatus says how a child ended, e.g. "exited with status 2" or
// "was killed by signal: segmentation fault".
func exitStatus(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return "was killed by signal: " + ws.Signal().String()
		}
		return "exited with status " + strconv.Itoa(ee.ExitCode())
	}
	return "failed: " + err.Error()
}

// childWatch follows a child from the parent: its progress reports, and
// readings of its descriptors and memory once it has started its batch.
type childWatch struct {
	pid     int
	every   time.Duration
	started chan struct{}
	t0      time.Time
	done    chan struct{}
	samples []ChildSample
}

// progress reads the child's reports: "start" as the batch starts, then
// the number of tasks done.
func (w *childWatch) progress(r *os.File, total int, fn func(done, total int)) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "start" {
			w.t0 = time.Now()
			close(w.started)
			continue
		}
		if n, err := strconv.Atoi(line); err == nil && fn != nil {
			fn(n, total)
		}
	}
}

// sample reads the child's open descriptors and resident memory every
// w.every from its start until it exits.
func (w *childWatch) sample() {
	if w.every <= 0 {
		return
	}
	select {
	case <-w.started:
	case <-w.done:
		return
	}
	t := time.NewTicker(w.every)
	defer t.Stop()
	for {
		fds, rss, err := measure.TreeFDs(w.pid)
		if err == nil {
			w.samples = append(w.samples, ChildSample{At: time.Since(w.t0), FDs: fds, RSS: rss})
		}
		select {
		case <-w.done:
			return
		case <-t.C:
		}
	}
}
