package model

import (
	"bufio"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
)

// The cpython model's flavors: which of CPython's mechanisms runs the batch.
const (
	// FlavorThreads is concurrent.futures.ThreadPoolExecutor with
	// Concurrency threads, all tasks submitted at once: the gil model's
	// original.
	FlavorThreads = "threads"
	// FlavorAsyncio is asyncio.gather over one task each under
	// asyncio.Semaphore(Concurrency), with a heartbeat timer measuring the
	// loop's lag: the eventloop model's original.
	FlavorAsyncio = "asyncio"
	// FlavorProcesses is concurrent.futures.ProcessPoolExecutor with
	// Concurrency worker processes, started before the clock starts: the
	// processes model's original.
	FlavorProcesses = "processes"
)

// Flavors lists the cpython model's flavors.
func Flavors() []string { return []string{FlavorThreads, FlavorAsyncio, FlavorProcesses} }

// PythonEnv names the environment variable that picks the cpython model's
// interpreter when Config.Python is empty.
const PythonEnv = "BOUNDLAB_PYTHON"

// MaxPythonThreads bounds the cpython model's thread pool.
const MaxPythonThreads = 4096

// ErrUnavailable is what errors.Is finds in the cpython model's error when
// there is no usable Python interpreter: an experiment then skips the model
// and runs the rest.
var ErrUnavailable = errors.New("cpython unavailable")

// UnavailableError says, in one line, why the cpython model cannot run here.
type UnavailableError struct{ Reason string }

// Error is the one line: "cpython: " and the reason.
func (e *UnavailableError) Error() string { return "cpython: " + e.Reason }

// Is makes errors.Is(err, ErrUnavailable) true.
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

// Interpreter describes the Python interpreter the cpython model runs, as
// it reports itself, and its CPU loop's calibration.
type Interpreter struct {
	// Path is the interpreter as found (Config.Python, $BOUNDLAB_PYTHON or
	// PATH); Executable is its sys.executable, which the model runs (a pyenv
	// shim on PATH resolves to it).
	Path       string `json:"path"`
	Executable string `json:"executable"`
	// Implementation is sys.implementation.name, e.g. "cpython".
	Implementation string `json:"implementation"`
	Version        string `json:"version"`
	Compiler       string `json:"compiler,omitempty"`
	// FreeThreaded is a build without the GIL (python3.13t and later:
	// Py_GIL_DISABLED); GILEnabled says whether the GIL is in fact on
	// (sys._is_gil_enabled(), true where that does not exist). A
	// free-threaded build may run with it on (PYTHON_GIL=1).
	FreeThreaded bool `json:"free_threaded"`
	GILEnabled   bool `json:"gil_enabled"`
	// SwitchInterval is sys.getswitchinterval(), the default a run's
	// Config.SwitchInterval overrides.
	SwitchInterval time.Duration `json:"switch_interval_ns"`
	// StartMethod is multiprocessing's default start method.
	StartMethod string `json:"start_method"`
	CPUs        int    `json:"cpus"`
	// NsPerRound is the fastest time of one round of the CPU loop, measured
	// once per interpreter per process: a step of d computes d/NsPerRound
	// rounds. Go does the same round in a few ns; Python in a few hundred.
	NsPerRound float64 `json:"ns_per_round"`
	// SlowestNsPerRound is the slowest calibration trial: how far the trials
	// spread. On a shared machine the interpreter's speed can drop by a
	// third for moments (where Go's tight loop is steady), and a trial can
	// be interrupted outright.
	SlowestNsPerRound float64 `json:"slowest_ns_per_round"`
	// CheckedNsPerRound is set when NsPerRound was measured by an earlier
	// process and kept (see CacheDirEnv): the fastest trial of this
	// process's short re-check, which agreed with NsPerRound (see
	// RecheckSlower). It is 0 when this process measured NsPerRound.
	CheckedNsPerRound float64 `json:"checked_ns_per_round,omitempty"`
	// CalibratedAt is when NsPerRound was measured.
	CalibratedAt time.Time `json:"calibrated_at,omitzero"`
}

// String says which interpreter it is in a few words, e.g. "CPython 3.11.7
// (GIL enabled) at /usr/bin/python3".
func (in *Interpreter) String() string {
	impl := in.Implementation
	if impl == "cpython" {
		impl = "CPython"
	}
	build := ""
	if in.FreeThreaded {
		build = " free-threaded"
	}
	gil := "GIL enabled"
	if !in.GILEnabled {
		gil = "GIL disabled"
	}
	return fmt.Sprintf("%s %s%s (%s) at %s", impl, in.Version, build, gil, in.Executable)
}

// GILFree reports whether the interpreter runs Python threads without a
// GIL, so that its threads compute in parallel.
func (in *Interpreter) GILFree() bool { return !in.GILEnabled }

//go:embed cpython/*.py
var cpythonScripts embed.FS

const cpythonMain = "boundlab_cpython.py"

type cpythonModel struct{}

func init() { register(cpythonModel{}) }

func (cpythonModel) Name() Name { return CPython }

func (cpythonModel) Describe() string {
	return "CPython itself: the same tasks run by a Python script on python3, with threads, asyncio or processes (Config.Flavor)"
}

// pyRequest is what the script reads on stdin.
type pyRequest struct {
	Mode           string   `json:"mode"`
	Calibrate      bool     `json:"calibrate,omitempty"`
	Check          bool     `json:"check,omitempty"`
	Flavor         string   `json:"flavor,omitempty"`
	Concurrency    int      `json:"concurrency,omitempty"`
	NsPerRound     float64  `json:"ns_per_round,omitempty"`
	HeartbeatNs    int64    `json:"heartbeat_ns,omitempty"`
	SwitchInterval int64    `json:"switch_interval_ns,omitempty"`
	StartMethod    string   `json:"start_method,omitempty"`
	Tasks          []pyTask `json:"tasks,omitempty"`
	Live           int      `json:"live,omitempty"` // mode "memory": see PythonLive
	Executor       int      `json:"executor,omitempty"`
	// Trace asks for the CPU steps' scheduling (see TraceClock).
	Trace bool `json:"trace,omitempty"`
}

type pyTask struct {
	Steps   []pyStep `json:"steps"`
	Payload int      `json:"payload_bytes,omitempty"`
}

// pyStep is a step with its CPU units turned into time by the Go
// calibration, so that the script computes for the same time in Python.
type pyStep struct {
	Kind Kind   `json:"kind"`
	Ns   int64  `json:"ns"`
	Addr string `json:"addr,omitempty"`
	// Bytes and Offload are an Encode step's size and any step's executor.
	Bytes   int      `json:"bytes,omitempty"`
	Offload Executor `json:"offload,omitempty"`
}

// pyFacts is the interpreter's self-report.
type pyFacts struct {
	Implementation string `json:"implementation"`
	Version        string `json:"version"`
	Executable     string `json:"executable"`
	Compiler       string `json:"compiler"`
	FreeThreaded   bool   `json:"free_threaded"`
	GILEnabled     bool   `json:"gil_enabled"`
	SwitchInterval int64  `json:"switch_interval_ns"`
	StartMethod    string `json:"start_method"`
	CPUs           int    `json:"cpus"`
}

// pyProbe is the script's answer to a probe.
type pyProbe struct {
	Schema      int     `json:"schema"`
	Interpreter pyFacts `json:"interpreter"`
	Calibration struct {
		NsPerRound        float64 `json:"ns_per_round"`
		SlowestNsPerRound float64 `json:"slowest_ns_per_round"`
	} `json:"calibration"`
	// Timing is CLOCK_MONOTONIC: when the script started running (the
	// interpreter had started) and when the calibration began and ended.
	Timing struct {
		Started        int64 `json:"started_ns"`
		CalibrateStart int64 `json:"calibrate_start_ns"`
		CalibrateEnd   int64 `json:"calibrate_end_ns"`
	} `json:"timing"`
}

// pyResult is the script's answer to a run. Times are CLOCK_MONOTONIC ns.
type pyResult struct {
	Schema      int     `json:"schema"`
	Flavor      string  `json:"flavor"`
	Interpreter pyFacts `json:"interpreter"`
	T0          int64   `json:"t0"`
	End         int64   `json:"end"`
	Spans       []struct {
		Task     int       `json:"task"`
		Worker   int       `json:"worker"`
		Queued   int64     `json:"queued"`
		Start    int64     `json:"start"`
		End      int64     `json:"end"`
		CPU      int64     `json:"cpu_ns"`
		Segments []monoSeg `json:"segments"`
		Sched    []monoSeg `json:"sched"`
		Err      string    `json:"error"`
		ErrKind  ErrKind   `json:"error_kind"`
	} `json:"spans"`
	LoopLag []struct {
		Due int64 `json:"due"`
		Lag int64 `json:"lag_ns"`
	} `json:"loop_lag"`
	Workers []struct {
		PID     int   `json:"pid"`
		Spawn   int64 `json:"spawn_ns"`
		Tasks   int   `json:"tasks"`
		PeakRSS int64 `json:"peak_rss_bytes"`
	} `json:"workers"`
	Totals struct {
		CPUUser  int64 `json:"cpu_user_ns"`
		CPUSys   int64 `json:"cpu_sys_ns"`
		PeakRSS  int64 `json:"peak_rss_bytes"`
		StartRSS int64 `json:"start_rss_bytes"`
		GCCycles int64 `json:"gc_cycles"`
		GCPause  int64 `json:"gc_pause_ns"`
		GILWaits int64 `json:"gil_waits"`
		Busy     int64 `json:"machine_busy_ns"`
	} `json:"totals"`
	Setup struct {
		StartMethod string `json:"start_method"`
	} `json:"setup"`
	// TraceResolution, in a traced run, is how far an edge of a step's
	// scheduling may be off.
	TraceResolution int64 `json:"trace_resolution_ns"`
}

// Run runs the batch on CPython, by cfg.Flavor: the embedded script reads
// the tasks, runs them with Python's own mechanism and reports a span per
// task on CLOCK_MONOTONIC, which become offsets from the script's t0 (when
// it submitted the first task). The interpreter's start-up, and for
// processes the pool's, is Setup, outside Wall, as for the processes
// model. The interpreter runs in its own process group, killed whole
// (multiprocessing's children too) when ctx ends.
func (m cpythonModel) Run(ctx context.Context, tasks []Task, cfg Config) (*Run, error) {
	if err := validate(tasks, cfg); err != nil {
		return nil, err
	}
	flavor := cfg.Flavor
	if flavor == "" {
		flavor = FlavorThreads
	}
	switch flavor {
	case FlavorThreads:
		if cfg.Concurrency > MaxPythonThreads {
			return nil, fmt.Errorf("cpython: concurrency must be at most %d threads, got %d", MaxPythonThreads, cfg.Concurrency)
		}
	case FlavorProcesses:
		if cfg.Concurrency > MaxWorkers {
			return nil, fmt.Errorf("cpython: concurrency must be at most %d worker processes, got %d", MaxWorkers, cfg.Concurrency)
		}
	case FlavorAsyncio:
	default:
		return nil, fmt.Errorf("cpython: unknown flavor %q (known: %s)", flavor, strings.Join(Flavors(), ", "))
	}
	in, err := Probe(ctx, cfg.Python)
	if err != nil {
		return nil, err
	}
	req := pyRequest{
		Mode: "run", Flavor: flavor, Concurrency: cfg.Concurrency, NsPerRound: in.NsPerRound,
		HeartbeatNs: int64(cmp0(cfg.Heartbeat, DefaultHeartbeat)), SwitchInterval: int64(cfg.SwitchInterval),
		Tasks: make([]pyTask, len(tasks)), Executor: cfg.Executor, Trace: cfg.Trace,
	}
	var cal Calibration
	for i, t := range tasks {
		pt := pyTask{Payload: t.Payload, Steps: make([]pyStep, len(t.Steps))}
		for j, s := range t.Steps {
			switch s.Kind {
			case KindCPU:
				if cal.NsPerUnit == 0 {
					cal = Calibrate()
				}
				pt.Steps[j] = pyStep{Kind: s.Kind, Ns: int64(cal.DurationOf(s.Units))}
			default:
				pt.Steps[j] = pyStep{Kind: s.Kind, Ns: int64(s.Duration), Addr: s.Addr}
			}
			pt.Steps[j].Bytes, pt.Steps[j].Offload = s.Bytes, s.Offload
		}
		req.Tasks[i] = pt
	}

	var done int
	progress := func(n int) {
		done = n
		if cfg.Progress != nil {
			cfg.Progress(n, len(tasks))
		}
	}
	out, launched, err := runPython(ctx, in.Executable, req, progress, cfg.Started)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, fmt.Errorf("cpython: stopped after %d of %d tasks: %w", done, len(tasks), cerr)
		}
		return nil, fmt.Errorf("cpython %s: %w", flavor, err)
	}
	var res pyResult
	if err := json.Unmarshal(out, &res); err != nil {
		return nil, fmt.Errorf("cpython %s: decode the script's result: %w", flavor, err)
	}
	if len(res.Spans) != len(tasks) {
		return nil, fmt.Errorf("cpython %s: the script reported %d spans for %d tasks", flavor, len(res.Spans), len(tasks))
	}
	return res.toRun(cfg, in, launched), nil
}

// cmp0 is d, or def if d is not positive.
func cmp0(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// toRun turns the script's report into a Run like the other models'.
func (res *pyResult) toRun(cfg Config, in *Interpreter, launched int64) *Run {
	off := func(mono int64) time.Duration { return time.Duration(mono - res.T0) }
	run := &Run{
		Model: string(CPython), Flavor: res.Flavor, Concurrency: cfg.Concurrency, Tasks: len(res.Spans),
		Spans: make([]Span, len(res.Spans)),
	}
	facts := *in
	if res.Setup.StartMethod != "" {
		facts.StartMethod = res.Setup.StartMethod
	}
	run.Interpreter = &facts
	t := &run.Totals
	var lat []time.Duration
	for i, s := range res.Spans {
		sp := Span{Task: s.Task, Worker: s.Worker, Queued: off(s.Queued), Start: off(s.Start), End: off(s.End),
			CPU: time.Duration(s.CPU), Err: s.Err, ErrKind: s.ErrKind}
		sp.Segments = onTimeline(s.Segments, off)
		if len(s.Sched) > 0 {
			sp.Sched = onTimeline(s.Sched, off)
		}
		run.Spans[i] = sp
		t.TaskCPU += sp.CPU
		if sp.Err != "" {
			t.Failed++
			continue
		}
		lat = append(lat, sp.Latency())
	}
	if cfg.Trace {
		run.Trace = &TraceInfo{Source: TraceClock, Resolution: time.Duration(res.TraceResolution)}
	}
	t.Wall = off(res.End)
	t.Setup = time.Duration(res.T0 - launched)
	t.CPUUser = time.Duration(res.Totals.CPUUser)
	t.CPUSys = time.Duration(res.Totals.CPUSys)
	t.PeakRSS = res.Totals.PeakRSS
	t.StartRSS = res.Totals.StartRSS
	if res.Totals.Busy >= 0 {
		t.OtherCPU = otherCPU(0, time.Duration(res.Totals.Busy), t.CPUUser+t.CPUSys)
	}
	t.GCCycles = res.Totals.GCCycles
	t.GCPause = time.Duration(res.Totals.GCPause)
	t.PeakLive = peakOverlap(run.Spans, func(s Span) time.Duration { return s.Queued })
	t.PeakRunning = peakOverlap(run.Spans, func(s Span) time.Duration { return s.Start })
	t.Latency = measure.Summarize(lat)
	t.Errors = errorCounts(run.Spans)
	if res.Flavor == FlavorThreads {
		t.Switches = res.Totals.GILWaits
	}
	for _, l := range res.LoopLag {
		run.LoopLag = append(run.LoopLag, LagSample{At: off(l.Due), Lag: time.Duration(l.Lag)})
		t.MaxLoopLag = max(t.MaxLoopLag, time.Duration(l.Lag))
	}
	for _, w := range res.Workers {
		run.Workers = append(run.Workers, WorkerStat{PID: w.PID, Spawn: time.Duration(w.Spawn), PeakRSS: w.PeakRSS, Tasks: w.Tasks})
	}
	return run
}

// peakOverlap is the most spans alive at once, each from from(span) to its
// end; a span ending at the instant another begins does not overlap it.
func peakOverlap(spans []Span, from func(Span) time.Duration) int {
	iv := make([]measure.Interval, len(spans))
	for i, s := range spans {
		iv[i] = measure.Interval{Start: from(s), End: s.End}
	}
	return measure.MostAtOnce(iv, 0)
}

// FindPython resolves the interpreter the cpython model would run: python
// if set (a name on PATH or a path), else $BOUNDLAB_PYTHON, else the first
// python3 on PATH. Its error is an UnavailableError.
func FindPython(python string) (string, error) {
	from := "--python"
	if python == "" {
		python, from = os.Getenv(PythonEnv), "$"+PythonEnv
	}
	if python == "" {
		p, err := exec.LookPath("python3")
		if err != nil {
			return "", &UnavailableError{Reason: "no python3 on PATH (set " + PythonEnv + " to an interpreter)"}
		}
		return p, nil
	}
	p, err := exec.LookPath(python)
	if err != nil {
		reason := "not found"
		var pe *fs.PathError
		if errors.As(err, &pe) {
			reason = pe.Err.Error()
		} else if errors.Is(err, exec.ErrNotFound) {
			reason = "not found on PATH"
		}
		return "", &UnavailableError{Reason: fmt.Sprintf("no interpreter %s (from %s): %s", python, from, reason)}
	}
	return p, nil
}

var probes = struct {
	sync.Mutex
	byPath map[string]*Interpreter
}{byPath: map[string]*Interpreter{}}

// Probe finds the interpreter (see FindPython), asks it what it is and
// calibrates its CPU loop, once per interpreter per process: every run
// after the first uses the same calibration, as every Go model uses the
// same Calibrate, so that runs of one experiment do the same work. The
// calibration is a full one (about 1.5 s), or one kept from an earlier
// process (see CacheDirEnv) that a short re-check in this one agreed with.
// A missing or unusable interpreter gives an UnavailableError.
func Probe(ctx context.Context, python string) (*Interpreter, error) {
	path, err := FindPython(python)
	if err != nil {
		return nil, err
	}
	probes.Lock()
	defer probes.Unlock()
	if in, ok := probes.byPath[path]; ok {
		c := *in
		return &c, nil
	}
	end := measure.Phase("cpython probe")
	in, err := probe(ctx, path)
	end()
	if err != nil {
		return nil, err
	}
	probes.byPath[path] = in
	c := *in
	return &c, nil
}

// probe runs the interpreter found at path: a short re-check where a
// calibration of it is kept, and, unless the re-check agrees with the kept
// one, a full calibration, which is then kept.
func probe(ctx context.Context, path string) (*Interpreter, error) {
	target := path
	if exe, ok := sessionPython(path); ok {
		// The interpreter behind path (a pyenv shim, say) as resolved
		// earlier in this kernel session: running it directly saves
		// the shim's 100 ms.
		target = exe
		if key, ok := pythonCalibrationKey(exe); !ok {
			target = path
		} else if _, ok := lookupCalibration(key); !ok {
			return probeFull(ctx, path, target)
		}
	}
	if calibrationFile() == "" {
		return probeFull(ctx, path, target)
	}
	in, err := probeOnce(ctx, path, target, "check")
	if err != nil {
		return nil, err
	}
	if key, ok := pythonCalibrationKey(in.Executable); ok {
		if k, ok := lookupCalibration(key); ok && k.Version == in.Version && agrees(in.NsPerRound, k.NsPer) {
			in.CheckedNsPerRound = in.NsPerRound
			in.NsPerRound, in.SlowestNsPerRound, in.CalibratedAt = k.NsPer, k.Slowest, k.At
			rememberSessionPython(path, in.Executable)
			return in, nil
		}
	}
	return probeFull(ctx, path, in.Executable)
}

// probeFull calibrates the interpreter found at path, run as target, in
// full, and keeps the calibration.
func probeFull(ctx context.Context, path, target string) (*Interpreter, error) {
	in, err := probeOnce(ctx, path, target, "calibrate")
	if err != nil {
		return nil, err
	}
	if key, ok := pythonCalibrationKey(in.Executable); ok {
		keepCalibration(keptCalibration{Key: key, NsPer: in.NsPerRound, Slowest: in.SlowestNsPerRound, Version: in.Version, At: in.CalibratedAt})
	}
	rememberSessionPython(path, in.Executable)
	return in, nil
}

// probeOnce runs target (the interpreter found at path, or what it
// resolved to) with a probe that calibrates ("calibrate") or re-checks
// ("check"), and returns what it answered, the calibration or the
// re-check in NsPerRound.
func probeOnce(ctx context.Context, path, target, mode string) (*Interpreter, error) {
	req := pyRequest{Mode: "probe", Calibrate: mode == "calibrate", Check: mode == "check"}
	out, launched, err := runPython(ctx, target, req, nil, nil)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, fmt.Errorf("cpython: probe %s: %w", path, cerr)
		}
		return nil, &UnavailableError{Reason: fmt.Sprintf("%s cannot run the boundlab script: %v", path, err)}
	}
	var p pyProbe
	if err := json.Unmarshal(out, &p); err != nil || p.Calibration.NsPerRound <= 0 {
		return nil, &UnavailableError{Reason: fmt.Sprintf("%s gave no usable answer to the probe (%v): %.200s", path, err, out)}
	}
	if tm := p.Timing; tm.Started > 0 && tm.CalibrateEnd > 0 {
		name := "cpython calibration"
		if mode == "check" {
			name += " check"
		}
		measure.RecordPhase("cpython start", measure.MonoTime(launched), measure.MonoTime(tm.Started))
		measure.RecordPhase(name, measure.MonoTime(tm.CalibrateStart), measure.MonoTime(tm.CalibrateEnd))
	}
	f := p.Interpreter
	in := &Interpreter{
		Path: path, Executable: f.Executable, Implementation: f.Implementation, Version: f.Version,
		Compiler: f.Compiler, FreeThreaded: f.FreeThreaded, GILEnabled: f.GILEnabled,
		SwitchInterval: time.Duration(f.SwitchInterval), StartMethod: f.StartMethod, CPUs: f.CPUs,
		NsPerRound: p.Calibration.NsPerRound, SlowestNsPerRound: p.Calibration.SlowestNsPerRound,
		CalibratedAt: time.Now().UTC(),
	}
	// Run sys.executable from now on: a pyenv shim costs 100 ms a start.
	if in.Executable == "" {
		in.Executable = target
	} else if _, err := os.Stat(in.Executable); err != nil {
		in.Executable = target
	}
	return in, nil
}

// runPython runs the embedded script on python with req on stdin and
// returns its stdout and when it was launched (CLOCK_MONOTONIC). The
// interpreter runs in a process group of its own, which is killed whole
// when ctx ends and again once the script has exited, so that no process
// it started (multiprocessing's workers, its resource tracker) outlives the
// call. progress, if set, gets the script's reports of tasks done;
// started, if set, the interpreter's process id once it has started.
func runPython(ctx context.Context, python string, req pyRequest, progress func(int), started func(pid int)) ([]byte, int64, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, 0, fmt.Errorf("encode the request: %w", err)
	}
	dir, err := os.MkdirTemp("", "boundlab-cpython-")
	if err != nil {
		return nil, 0, fmt.Errorf("write the script: %w", err)
	}
	defer os.RemoveAll(dir)
	scripts, err := fs.Glob(cpythonScripts, "cpython/*.py")
	if err != nil {
		return nil, 0, err
	}
	for _, name := range scripts {
		b, err := cpythonScripts.ReadFile(name)
		if err != nil {
			return nil, 0, err
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(name)), b, 0o644); err != nil {
			return nil, 0, fmt.Errorf("write the script: %w", err)
		}
	}
	progR, progW, err := os.Pipe()
	if err != nil {
		return nil, 0, fmt.Errorf("progress pipe: %w", err)
	}
	defer progR.Close()

	// -s: no user site-packages; -B: no .pyc files in the script's
	// temporary directory. The script needs only the standard library.
	// Progress comes on fd 3.
	g := newGroupCmd(python, []string{"-s", "-B", filepath.Join(dir, cpythonMain)}, cleanEnviron(""), body, progW)
	launched := measure.Mono()
	err = g.start(ctx)
	progW.Close()
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, err
		}
		return nil, 0, fmt.Errorf("start %s: %w", python, err)
	}
	if started != nil {
		started(g.child.Pid())
	}

	reports := make(chan struct{})
	go func() {
		defer close(reports)
		sc := bufio.NewScanner(progR)
		for sc.Scan() {
			if n, err := strconv.Atoi(strings.TrimSpace(sc.Text())); err == nil && progress != nil {
				progress(n)
			}
		}
	}()
	werr := g.wait() // and kill anything the script left behind
	progR.Close()
	<-reports
	if err := ctx.Err(); err != nil {
		return nil, launched, err
	}
	if werr != nil {
		msg := g.stderrTail()
		if msg == "" {
			return nil, launched, fmt.Errorf("%s: %w", python, werr)
		}
		return nil, launched, fmt.Errorf("%s: %w: %s", python, werr, msg)
	}
	return g.stdout.Bytes(), launched, nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = t.b[over:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
