package model

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"
)

// liveEnv, set to "1" in a process's environment, makes the model
// package's init measure one batch of live tasks in that process and exit
// (see MeasureLive).
const liveEnv = "BOUNDLAB_LIVE"

// MaxLive bounds MeasureLive's task count.
const MaxLive = 2_000_000

// liveRequest is what MeasureLive sends its child.
type liveRequest struct {
	Model   string `json:"model"`
	Tasks   int    `json:"tasks"`
	Profile bool   `json:"profile"`
}

// liveResponse is the child's answer.
type liveResponse struct {
	LiveMemory
	Err string `json:"error,omitempty"`
}

// LiveBare is MeasureLive's baseline of bare goroutines: each blocked on a
// channel receive, with no timer, no context and no model around it, the
// least a goroutine can hold.
const LiveBare = "bare-goroutines"

// LiveModels are the models MeasureLive measures (those whose waiting
// tasks live inside one process), and LiveBare.
func LiveModels() []string { return []string{string(Goroutines), string(EventLoop), LiveBare} }

// MeasureLive measures the memory n live tasks hold on model name
// (goroutines or eventloop): in a fresh child process (this program
// re-executed, as for the processes model's workers), so that nothing an
// earlier batch left behind (a goroutine descriptor to reuse, heap to grow
// into) is counted, it creates n tasks that each wait, reads the runtime's
// memory once every one of them is parked in its wait, and ends them. With
// profile, a memory profile that records every allocation breaks the heap
// down by allocation site (it slows allocation several times: keep n to
// tens of thousands).
func MeasureLive(ctx context.Context, name string, n int, profile bool) (*LiveMemory, error) {
	if !strings.Contains(" "+strings.Join(LiveModels(), " ")+" ", " "+name+" ") {
		return nil, fmt.Errorf("live memory: model %q does not hold its tasks in one process (measurable: %s)", name, strings.Join(LiveModels(), ", "))
	}
	if n < 1 || n > MaxLive {
		return nil, fmt.Errorf("live memory: tasks must be from 1 to %d, got %d", MaxLive, n)
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("live memory: find this program to re-execute: %w", err)
	}
	body, err := json.Marshal(liveRequest{Model: name, Tasks: n, Profile: profile})
	if err != nil {
		return nil, fmt.Errorf("live memory: encode the request: %w", err)
	}
	g := newGroupCmd(exe, nil, cleanEnviron(liveEnv), body)
	if err := g.start(ctx); err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, fmt.Errorf("live memory: start the child: %w", err)
	}
	pid := g.child.Pid()
	werr := g.wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("live memory %s, %d tasks: stopped: %w", name, n, err)
	}
	if werr != nil {
		return nil, fmt.Errorf("live memory %s, %d tasks: child %d %s: %s", name, n, pid, exitStatus(werr), g.stderrTail())
	}
	var resp liveResponse
	if err := json.Unmarshal(g.stdout.Bytes(), &resp); err != nil {
		return nil, fmt.Errorf("live memory %s, %d tasks: child %d gave no result (%v): %s", name, n, pid, err, g.stderrTail())
	}
	if resp.Err != "" {
		return nil, fmt.Errorf("live memory %s, %d tasks: %s", name, n, resp.Err)
	}
	m := resp.LiveMemory
	m.PID = pid
	return &m, nil
}

// init measures one batch and exits when this process was started by
// MeasureLive.
func init() {
	if os.Getenv(liveEnv) != "1" || os.Getenv(workerEnv) == "1" {
		return
	}
	_ = os.Unsetenv(liveEnv)
	resp := serveLive(os.Stdin)
	if err := json.NewEncoder(os.Stdout).Encode(resp); err != nil {
		fmt.Fprintln(os.Stderr, "boundlab live memory: write the result:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// liveTimeout bounds how long the child waits for its tasks to come alive.
const liveTimeout = 5 * time.Minute

// serveLive reads the request and measures.
func serveLive(in io.Reader) liveResponse {
	var req liveRequest
	if err := json.NewDecoder(in).Decode(&req); err != nil {
		return liveResponse{Err: "decode the request: " + err.Error()}
	}
	if req.Profile {
		runtime.MemProfileRate = 1 // every allocation, exactly
	}
	if req.Model == LiveBare {
		return liveBare(req)
	}
	m, err := Get(Name(req.Model))
	if err != nil {
		return liveResponse{Err: err.Error()}
	}
	// The tasks wait far longer than the measurement takes; the probe ends
	// the batch once it has read the memory.
	tasks := Repeat(req.Tasks, NewTask(Wait(24*time.Hour)))

	// The recorder's own cost, measured apart: the model makes the same one
	// before its clock starts, outside the readings.
	runtime.GC()
	before := readMem()
	rec := newRecorder(tasks, Config{})
	runtime.GC()
	recorderBytes := readMem().inUse - before.inUse
	runtime.KeepAlive(rec)
	rec = nil

	ctx, cancel := context.WithTimeout(context.Background(), liveTimeout)
	defer cancel()
	probe := &liveProbe{total: int64(req.Tasks), profile: req.Profile, done: make(chan struct{}), end: cancel}
	_, runErr := m.Run(ctx, tasks, Config{Concurrency: req.Tasks, probe: probe})
	select {
	case <-probe.done:
	default:
		if runErr == nil {
			runErr = errors.New("the batch ended before every task was live")
		}
		return liveResponse{Err: runErr.Error()}
	}
	return liveResponse{LiveMemory: probe.result(req, recorderBytes)}
}

// result is what the probe measured.
func (probe *liveProbe) result(req liveRequest, recorderBytes int64) LiveMemory {
	b, l := probe.base, probe.live
	out := LiveMemory{
		Model: req.Model, Tasks: req.Tasks, Create: probe.tLive.Sub(probe.t0),
		Total: l.inUse - b.inUse, HeapObjects: l.heapObjects - b.heapObjects, Stacks: l.stacks - b.stacks,
		RSS: l.rss - b.rss, Objects: l.objects - b.objects, Goroutines: l.goroutines - b.goroutines,
		RecorderBytes: recorderBytes, Profiled: req.Profile,
	}
	if req.Profile {
		// Sites holding under 8 bytes per task are noise: the probe's own
		// readings, the runtime's bookkeeping.
		out.Sites = diffSites(probe.baseSites, probe.liveSites, 8*int64(req.Tasks))
	}
	return out
}

// liveBare measures goroutines that do nothing but block on one channel.
func liveBare(req liveRequest) liveResponse {
	release := make(chan struct{})
	probe := &liveProbe{total: int64(req.Tasks), profile: req.Profile, done: make(chan struct{}), end: func() { close(release) }}
	r := &recorder{probe: probe}
	probe.baseline()
	var wg sync.WaitGroup
	wg.Add(req.Tasks)
	for range req.Tasks {
		go func() {
			defer wg.Done()
			r.parked()
			<-release
		}()
	}
	wg.Wait()
	return liveResponse{LiveMemory: probe.result(req, 0)}
}
