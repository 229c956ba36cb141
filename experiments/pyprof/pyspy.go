package pyprof

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/boundlab/boundlab/internal/proc"
)

// PySpyEnv names the py-spy executable to use, before any other.
const PySpyEnv = "BOUNDLAB_PYSPY"

// SpyError is why py-spy could not sample a process.
type SpyError struct {
	// Missing: py-spy is not there; Denied: it may not trace the
	// process; otherwise it failed.
	Missing, Denied bool
	Reason          string
}

func (e *SpyError) Error() string { return e.Reason }

// FindPySpy finds py-spy: $BOUNDLAB_PYSPY; else .venv/bin/py-spy in the
// project root (the boundlab checkout; "" to skip it), where the set-up
// installs the pinned one; else py-spy on PATH. Its error is a *SpyError
// with Missing set.
func FindPySpy(root string) (string, error) {
	if p := os.Getenv(PySpyEnv); p != "" {
		found, err := exec.LookPath(p)
		if err != nil {
			return "", &SpyError{Missing: true, Reason: fmt.Sprintf("no py-spy at %s (from $%s): %v", p, PySpyEnv, unwrapExec(err))}
		}
		return found, nil
	}
	if root != "" {
		p := filepath.Join(root, ".venv", "bin", "py-spy")
		if found, err := exec.LookPath(p); err == nil {
			return found, nil
		}
	}
	found, err := exec.LookPath("py-spy")
	if err != nil {
		return "", &SpyError{Missing: true, Reason: fmt.Sprintf("no py-spy: not in $%s, .venv/bin of the checkout, nor on PATH (make setup installs the pinned one)", PySpyEnv)}
	}
	return found, nil
}

// Pinned reports whether the project at root pins py-spy in its
// requirements.txt, so that its set-up installs it.
func Pinned(root string) bool {
	b, err := os.ReadFile(filepath.Join(root, "requirements.txt"))
	return err == nil && strings.Contains(string(b), "py-spy")
}

// unwrapExec is the cause of an exec or exec.LookPath error, without the
// name repeated.
func unwrapExec(err error) error {
	var ee *exec.Error
	if errors.As(err, &ee) {
		err = ee.Err
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return err
}

// Spied is what py-spy saw of a running Python process: a dump of every
// thread's stack at each sample (py-spy dump --json, which reads the
// process's memory while it is paused), whether the OS had the thread
// running (py-spy's "active"; what its --idle option would keep, the rest
// being idle) and whether it held the GIL (what its --gil option keeps).
type Spied struct {
	PID     int    `json:"pid"`
	Version string `json:"pyspy_version"`
	// Interval is the sampling interval asked for; Started when the first
	// dump began, Elapsed from then to the end of the last.
	Interval time.Duration `json:"interval_ns"`
	Started  time.Time     `json:"started"`
	Elapsed  time.Duration `json:"elapsed_ns"`
	// Samples are the dumps in order; Failed counts those that failed
	// (the process ending during one, say).
	Samples []SpySample `json:"samples"`
	Failed  int         `json:"failed,omitempty"`
	// Threads sums the samples per thread, in the order first seen.
	Threads []SpyThread `json:"threads"`
	// Functions counts each function's samples in the threads' running
	// stacks: innermost (own) and anywhere in the stack (total).
	Functions []SpyFunction `json:"functions"`
	// Active is how many thread-samples found a thread running: what the
	// function counts are out of.
	Active int `json:"active_thread_samples"`
	// Ended says why sampling stopped before it was asked to, if it did.
	Ended string `json:"ended,omitempty"`
}

// SpySample is one dump: every Python thread's state at that moment.
type SpySample struct {
	// At is when the dump was taken (the middle of it), from Started.
	At      time.Duration `json:"at_ns"`
	Threads []SpyState    `json:"threads"`
}

// SpyState is one thread at one sample.
type SpyState struct {
	// TID is the thread's OS id (0 where py-spy could not tell it);
	// Ident Python's own (threading.get_ident()).
	TID    int    `json:"tid,omitempty"`
	Ident  uint64 `json:"ident"`
	Active bool   `json:"active"`
	GIL    bool   `json:"gil"`
	// Function is the innermost Python function of its stack.
	Function string `json:"function,omitempty"`
}

// SpyThread is one thread over the samples.
type SpyThread struct {
	TID   int    `json:"tid,omitempty"`
	Ident uint64 `json:"ident"`
	Name  string `json:"name"`
	// Samples counts the samples that found it; Active those that found
	// it running, GIL those that found it holding the GIL.
	Samples int `json:"samples"`
	Active  int `json:"active"`
	GIL     int `json:"gil"`
}

// ActiveShare, IdleShare and GILShare are the shares of the thread's
// samples in which it was running, idle, and holding the GIL.
func (t SpyThread) ActiveShare() float64 { return share(t.Active, t.Samples) }
func (t SpyThread) IdleShare() float64   { return share(t.Samples-t.Active, t.Samples) }
func (t SpyThread) GILShare() float64    { return share(t.GIL, t.Samples) }

// SpyFunction is a function's count of thread-samples: running in it
// (Own) and running with it anywhere on the stack (Total).
type SpyFunction struct {
	Name string `json:"name"`
	File string `json:"file"`
	Own  int    `json:"own"`
	Tot  int    `json:"total"`
}

// String is "name (file)".
func (f SpyFunction) String() string {
	if f.File == "" {
		return f.Name
	}
	return fmt.Sprintf("%s (%s)", f.Name, f.File)
}

func share(n, of int) float64 {
	if of <= 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// GILHeld is the share of samples in which some thread held the GIL: at
// most one, as only one thread can hold it.
func (s *Spied) GILHeld() float64 {
	n := 0
	for _, x := range s.Samples {
		for _, t := range x.Threads {
			if t.GIL {
				n++
				break
			}
		}
	}
	return share(n, len(s.Samples))
}

// TopFunctions returns the n functions with the most own samples and the n
// with the most total samples, most first.
func (s *Spied) TopFunctions(n int) (own, total []SpyFunction) {
	by := func(key func(SpyFunction) int) []SpyFunction {
		fs := slices.Clone(s.Functions)
		slices.SortStableFunc(fs, func(a, b SpyFunction) int {
			if ka, kb := key(a), key(b); ka != kb {
				return kb - ka
			}
			return strings.Compare(a.String(), b.String())
		})
		return fs[:min(n, len(fs))]
	}
	return by(func(f SpyFunction) int { return f.Own }), by(func(f SpyFunction) int { return f.Tot })
}

// GILSpan is a stretch of time over which the samples found the same
// thread holding the GIL (Ident 0: none).
type GILSpan struct {
	Ident uint64        `json:"ident"`
	TID   int           `json:"tid,omitempty"`
	From  time.Duration `json:"from_ns"`
	To    time.Duration `json:"to_ns"`
}

// GILTimeline is which thread held the GIL when: a span per run of
// samples that found the same holder, each from its first sample to the
// sample after its last (the last span to the end of sampling).
func (s *Spied) GILTimeline() []GILSpan {
	var out []GILSpan
	for i, x := range s.Samples {
		var holder SpyState
		for _, t := range x.Threads {
			if t.GIL {
				holder = t
				break
			}
		}
		if n := len(out); n > 0 && out[n-1].Ident == holder.Ident {
			out[n-1].To = s.end(i)
			continue
		}
		out = append(out, GILSpan{Ident: holder.Ident, TID: holder.TID, From: x.At, To: s.end(i)})
	}
	return out
}

// end is where sample i's span ends: at the next sample, or for the last
// at the end of sampling.
func (s *Spied) end(i int) time.Duration {
	if i+1 < len(s.Samples) {
		return s.Samples[i+1].At
	}
	return max(s.Elapsed, s.Samples[i].At)
}

// dumpTrace is one thread of py-spy dump --json's output.
type dumpTrace struct {
	ThreadID   uint64  `json:"thread_id"`
	ThreadName *string `json:"thread_name"`
	OSThreadID *int    `json:"os_thread_id"`
	Active     bool    `json:"active"`
	OwnsGIL    bool    `json:"owns_gil"`
	Frames     []struct {
		Name          string  `json:"name"`
		Filename      string  `json:"filename"`
		ShortFilename *string `json:"short_filename"`
		Line          int     `json:"line"`
	} `json:"frames"`
}

// Spy samples a running Python process with py-spy until stopped.
type Spy struct {
	pyspy    string
	pid      int
	interval time.Duration
	cancel   context.CancelFunc
	done     chan struct{}

	mu    sync.Mutex
	res   Spied
	index map[uint64]int // thread ident -> index in res.Threads
	funcs map[[2]string]int
	t0    time.Time
}

// StartSpy takes a first dump of process pid with the py-spy at pyspy and
// then one every interval, until Stop, the end of ctx or the end of the
// process. It fails with a *SpyError if the first dump does: py-spy
// cannot run, may not trace the process, or finds no Python in it.
func StartSpy(ctx context.Context, pyspy string, pid int, interval time.Duration) (*Spy, error) {
	if interval <= 0 {
		return nil, fmt.Errorf("py-spy: sampling interval %s: want more than 0", interval)
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &Spy{pyspy: pyspy, pid: pid, interval: interval, cancel: cancel, done: make(chan struct{}),
		index: map[uint64]int{}, funcs: map[[2]string]int{}}
	s.res = Spied{PID: pid, Interval: interval, Version: pySpyVersion(ctx, pyspy)}
	s.t0 = time.Now()
	s.res.Started = s.t0.UTC()
	if err := s.sample(ctx); err != nil {
		cancel()
		return nil, err
	}
	go s.loop(ctx)
	return s, nil
}

// pySpyVersion is what py-spy --version says, less its name.
func pySpyVersion(ctx context.Context, pyspy string) string {
	out, err := spyCommand(ctx, pyspy, "--version").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(out)), "py-spy"))
}

// spyCommand is py-spy with args, in a process group of its own (a
// terminal's Ctrl-C is the caller's to handle), killed with ctx and if
// this process dies, without Rust's backtraces in its errors.
func spyCommand(ctx context.Context, pyspy string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, pyspy, args...)
	cmd.Env = append(os.Environ(), "RUST_BACKTRACE=0", "RUST_LIB_BACKTRACE=0")
	proc.SetGroup(cmd, syscall.SIGKILL)
	cmd.WaitDelay = 2 * time.Second
	return cmd
}

func (s *Spy) loop(ctx context.Context) {
	defer close(s.done)
	tk := time.NewTicker(s.interval)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
		if err := s.sample(ctx); err != nil && ctx.Err() == nil {
			s.mu.Lock()
			s.res.Failed++
			if _, running, ok := proc.Identify(s.pid); !ok || !running {
				s.res.Ended = fmt.Sprintf("process %d ended", s.pid)
				s.mu.Unlock()
				return
			}
			s.mu.Unlock()
		}
	}
}

// sample runs one dump and records it.
func (s *Spy) sample(ctx context.Context) error {
	begin := time.Since(s.t0)
	cmd := spyCommand(ctx, s.pyspy, "dump", "--json", "--pid", strconv.Itoa(s.pid))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	end := time.Since(s.t0)
	if err != nil {
		return s.classify(err, stderr.String())
	}
	var traces []dumpTrace
	if err := json.Unmarshal(out, &traces); err != nil {
		return &SpyError{Reason: fmt.Sprintf("py-spy dump --json: %v", err)}
	}
	s.record(begin+(end-begin)/2, end, traces)
	return nil
}

// classify turns a failed dump into a *SpyError saying why in one line.
func (s *Spy) classify(err error, stderr string) error {
	var ee *exec.Error
	if errors.As(err, &ee) || errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) {
		return &SpyError{Missing: true, Reason: fmt.Sprintf("cannot run py-spy at %s: %v", s.pyspy, unwrapExec(err))}
	}
	first := ""
	for _, line := range strings.Split(stderr, "\n") {
		if line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "Error:")); line != "" {
			first = line
			break
		}
	}
	low := strings.ToLower(stderr)
	if strings.Contains(low, "permission denied") || strings.Contains(low, "operation not permitted") || strings.Contains(low, "sys_ptrace") {
		return &SpyError{Denied: true, Reason: fmt.Sprintf("py-spy may not trace process %d (permission denied): it must run as the process's owner or root, with ptrace allowed (in a container, CAP_SYS_PTRACE)", s.pid)}
	}
	if first == "" {
		first = err.Error()
	}
	return &SpyError{Reason: fmt.Sprintf("py-spy dump --pid %d failed: %s", s.pid, first)}
}

// record adds one dump's threads to the result.
func (s *Spy) record(at, end time.Duration, traces []dumpTrace) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sample := SpySample{At: at}
	for _, tr := range traces {
		st := SpyState{Ident: tr.ThreadID, Active: tr.Active, GIL: tr.OwnsGIL}
		if tr.OSThreadID != nil {
			st.TID = *tr.OSThreadID
		}
		i, seen := s.index[tr.ThreadID]
		if !seen {
			name := fmt.Sprintf("thread %d", tr.ThreadID)
			if tr.ThreadName != nil {
				name = *tr.ThreadName
			}
			i = len(s.res.Threads)
			s.index[tr.ThreadID] = i
			s.res.Threads = append(s.res.Threads, SpyThread{TID: st.TID, Ident: tr.ThreadID, Name: name})
		}
		th := &s.res.Threads[i]
		if tr.ThreadName != nil && th.Name != *tr.ThreadName {
			// A thread dumped before threading registered it has no name
			// in its first dumps; it takes the name it is later given.
			th.Name = *tr.ThreadName
		}
		th.Samples++
		if st.Active {
			th.Active++
		}
		if st.GIL {
			th.GIL++
		}
		// frames[0] is the innermost.
		onStack := map[[2]string]bool{}
		for k, f := range tr.Frames {
			file := f.Filename
			if f.ShortFilename != nil && *f.ShortFilename != "" {
				file = *f.ShortFilename
			}
			key := [2]string{f.Name, file}
			if k == 0 {
				st.Function = SpyFunction{Name: f.Name, File: file}.String()
			}
			if !st.Active || onStack[key] {
				continue
			}
			onStack[key] = true
			j, ok := s.funcs[key]
			if !ok {
				j = len(s.res.Functions)
				s.funcs[key] = j
				s.res.Functions = append(s.res.Functions, SpyFunction{Name: f.Name, File: file})
			}
			s.res.Functions[j].Tot++
			if k == 0 {
				s.res.Functions[j].Own++
			}
		}
		if st.Active {
			s.res.Active++
		}
		sample.Threads = append(sample.Threads, st)
	}
	s.res.Samples = append(s.res.Samples, sample)
	s.res.Elapsed = end
}

// Stop stops the sampling (a dump under way is killed) and returns what it
// saw. Stopping again returns the same.
func (s *Spy) Stop() *Spied {
	s.cancel()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.res
	out.Samples = slices.Clone(s.res.Samples)
	out.Threads = slices.Clone(s.res.Threads)
	out.Functions = slices.Clone(s.res.Functions)
	return &out
}
