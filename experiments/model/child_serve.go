package model

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
)

// init runs one batch and exits when this process was started by
// RunInChild.
func init() {
	if os.Getenv(childEnv) != "1" || os.Getenv(workerEnv) == "1" {
		return
	}
	// Processes this child starts (workers, an interpreter) are not
	// children of the same kind.
	_ = os.Unsetenv(childEnv)
	progress := os.NewFile(3, "progress")
	resp := serveChild(os.Stdin, progress)
	if err := json.NewEncoder(os.Stdout).Encode(resp); err != nil {
		fmt.Fprintln(os.Stderr, "boundlab child: write the result:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// serveChild reads the batch, sets the descriptor limit, runs the batch and
// returns what happened. Errors before the batch runs come back in the
// response; anything the tasks meet is in their spans.
func serveChild(in io.Reader, progress io.Writer) childResponse {
	var req childRequest
	if err := json.NewDecoder(in).Decode(&req); err != nil {
		return childResponse{Err: "decode the batch: " + err.Error()}
	}
	m, err := childModel(req.Model)
	if err != nil {
		return childResponse{Err: err.Error()}
	}
	var resp childResponse
	lim, err := limitDescriptors(req.NoFile)
	if err != nil {
		return childResponse{Err: err.Error()}
	}
	resp.NoFile, resp.NoFileMax = lim.Cur, lim.Max
	// Make the runtime's poller now: it needs descriptors of its own, and
	// made on the first network call after the limit is reached it could
	// not be, which the runtime treats as fatal.
	if r, w, err := os.Pipe(); err == nil {
		r.Close()
		w.Close()
	}
	resp.BaseFDs, _ = measure.OpenFDs(0)

	cfg := Config{
		Concurrency: req.Concurrency, SwitchInterval: req.SwitchInterval, Heartbeat: req.Heartbeat,
		Flavor: req.Flavor, Python: req.Python,
		Progress: throttledProgress(progress),
	}
	var peaks runtimePeaks
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	if req.Sample > 0 {
		wg.Add(1)
		go func() { defer wg.Done(); peaks.sample(ctx, req.Sample) }()
	}
	sched0 := measure.ReadSchedLatencies()
	fmt.Fprintln(progress, "start")
	run, err := m.Run(context.Background(), req.Tasks, cfg)
	sched := measure.ReadSchedLatencies().Since(sched0)
	stop()
	wg.Wait()
	if err != nil {
		return childResponse{Err: err.Error()}
	}
	rt := measure.ReadRuntime()
	bumpPeak(&peaks.heap, rt.HeapObjects)
	bumpPeak(&peaks.stacks, rt.Stacks)
	resp.Run = run
	resp.Sched = sched
	resp.PeakHeap, resp.PeakStacks, resp.PeakGoroutines = peaks.heap.Load(), peaks.stacks.Load(), peaks.goroutines.Load()
	return resp
}

// limitDescriptors lowers this process's soft limit on open descriptors to
// noFile (0 leaves it as it is) and returns the limit in force.
func limitDescriptors(noFile int) (syscall.Rlimit, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return lim, fmt.Errorf("getrlimit: %w", err)
	}
	if noFile > 0 {
		if uint64(noFile) > lim.Max {
			return lim, fmt.Errorf("descriptor limit %d is above the hard limit %d (raising that needs privilege)", noFile, lim.Max)
		}
		lim.Cur = uint64(noFile)
		// syscall.Setrlimit, unlike x/sys/unix's, also tells the os/exec
		// machinery not to restore the start-up limit in this process's own
		// children (a Python interpreter it runs inherits this one).
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return lim, fmt.Errorf("setrlimit: %w", err)
		}
	}
	return lim, nil
}

// throttledProgress returns a Config.Progress that writes the number of
// tasks done to progress, a line at most every 50 ms and always the last.
func throttledProgress(progress io.Writer) func(done, total int) {
	var mu sync.Mutex
	var last time.Time
	return func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		if now := time.Now(); done == total || now.Sub(last) >= 50*time.Millisecond {
			last = now
			fmt.Fprintf(progress, "%d\n", done)
		}
	}
}

// runtimePeaks are the highest heap objects, stack bytes and goroutines
// this process's runtime has reported while a batch ran.
type runtimePeaks struct {
	heap, stacks, goroutines atomic.Int64
}

// sample reads the runtime's figures into the peaks at once, then at each
// tick of every, until ctx ends.
func (p *runtimePeaks) sample(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		rt := measure.ReadRuntime()
		bumpPeak(&p.heap, rt.HeapObjects)
		bumpPeak(&p.stacks, rt.Stacks)
		bumpPeak(&p.goroutines, rt.Goroutines)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// childModel finds a model by name. The models register themselves in
// their files' init functions, some of which run after this file's: the
// child, which runs inside init, names them itself.
func childModel(name Name) (Model, error) {
	for _, m := range []Model{goroutines{}, gilModel{}, eventloop{}, processes{}, cpythonModel{}} {
		if m.Name() == name {
			return m, nil
		}
	}
	return Get(name)
}
