package experiments

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/experiments/model"
	"github.com/boundlab/boundlab/internal/units"
)

// JSONParams are the parameters of the json experiment.
type JSONParams struct {
	// Tasks is how many tasks run, all at once; each waits Wait, then
	// encodes a document of Payload bytes.
	Tasks int
	// Wait is each task's wait before it encodes: the simulated I/O.
	Wait time.Duration
	// Payload is the size of the JSON each task encodes, at the headline
	// setting.
	Payload int
	// Payloads is the payload sweep, run on the Go variants.
	Payloads []int
	// Models are the variants to run (see jsonVariantNames).
	Models []string
	// Executor is the size of the executors' pools (0: one per core).
	Executor int
	// Heartbeat is the event loop's lag probe period.
	Heartbeat time.Duration
	// Repeat is how many times the baselines and each variant run at the
	// headline payload, the variants taking turns: their medians and 95%
	// intervals are judged. 0 is six where the longest of those runs takes
	// under two seconds, three otherwise (repeatsFor). The sweep's other
	// payloads run once.
	Repeat int
	// Python is the cpython model's interpreter (see model.FindPython).
	Python string
}

// A json variant's name is its series' name and, where the loop offloads
// the encoding, "+" and the executor: "eventloop+processes", "cpython
// asyncio+threads" (model.Series.Offload makes it, model.ParseOffload
// reads it back); the names asked for by the parameter are the constants
// below.
var (
	loopSeries         = model.SeriesOf(model.EventLoop, "")
	jsonLoop           = loopSeries.Offload("")
	jsonLoopThreads    = loopSeries.Offload(model.ExecThreads)
	jsonLoopGILThreads = loopSeries.Offload(model.ExecGILThreads)
	jsonLoopProcesses  = loopSeries.Offload(model.ExecProcesses)
	jsonGoroutines     = string(model.Goroutines)
	jsonGILThreads     = string(model.GILThreads)
	jsonCPython        = string(model.CPython)
)

// jsonVariantNames are the json experiment's variants: the event loop
// encoding inline and offloading to each executor, goroutines, GIL
// threads, and CPython's asyncio inline and with run_in_executor.
var jsonVariantNames = []string{jsonLoop, jsonLoopThreads, jsonLoopGILThreads, jsonLoopProcesses, jsonGoroutines, jsonGILThreads, jsonCPython}

// Params binds the parameters to flags.
func (p *JSONParams) Params() []Param {
	return []Param{
		intParam(&p.Tasks, "tasks", "tasks, all at once, each waiting --wait then encoding --payload", 1, 2000),
		durationParam(&p.Wait, "wait", "each task's wait before it encodes (simulated I/O)", time.Millisecond, time.Minute),
		sizeParam(&p.Payload, "payload", "the JSON each task encodes", 1<<10, 16<<20),
		sizesParam(&p.Payloads, "payloads", "payload sweep (Go variants)", 1<<10, 16<<20, 8),
		namesParam(&p.Models, "models", "variants: the event loop inline and offloading to an executor (threads: Go's, in parallel; gil-threads: CPython's, sharing a GIL with the loop; processes), goroutines, gil threads, cpython (asyncio inline, with threads, with processes)", jsonVariantNames),
		intParam(&p.Executor, "executor", "executor pool size (0: one per core)", 0, model.MaxWorkers),
		durationParam(&p.Heartbeat, "heartbeat", "event loop lag probe period", time.Millisecond, time.Second),
		intParam(&p.Repeat, "repeat", "runs of the baselines and each variant at the headline payload, interleaved (0: six where the longest takes under 2 s, three otherwise; the sweep's other payloads run once)", 0, 20),
		pythonParam(&p.Python),
	}
}

// defaultJSON is the setting: 100 tasks at once, each waiting 100 ms then
// encoding 1 MiB of JSON, on every Go variant, each run several times
// (repeatsFor); payloads from 64 KiB to 4 MiB.
func defaultJSON() JSONParams {
	return JSONParams{
		Tasks: 100, Wait: 100 * time.Millisecond, Payload: 1 << 20,
		Payloads:  []int{64 << 10, 256 << 10, 1 << 20, 4 << 20},
		Models:    slices.Clone(jsonVariantNames),
		Heartbeat: 5 * time.Millisecond,
	}
}

// quickJSON is 40 tasks waiting 50 ms, payloads up to 1 MiB.
func quickJSON(p *JSONParams) {
	p.Tasks, p.Wait = 40, 50*time.Millisecond
	p.Payloads = []int{64 << 10, 256 << 10, 1 << 20}
}

// JSONPoint is one variant's run at one payload, or its base model's run
// without encoding (Baseline).
type JSONPoint struct {
	// Model is the variant, e.g. "eventloop+processes" or "cpython asyncio".
	Model    string `json:"model"`
	Payload  int    `json:"payload_bytes"`
	Baseline bool   `json:"baseline,omitempty"`
	// Loop is whether the variant runs its tasks on an event loop.
	Loop bool `json:"loop,omitempty"`
	Run  int  `json:"run"`
	// Wall is the batch's wall time; Throughput is tasks per second over it.
	Wall       time.Duration `json:"wall_ns"`
	Throughput float64       `json:"throughput_per_s"`
	// Latency is each task's time from submission to its end, in ms.
	Latency measure.Summary `json:"latency"`
	// MaxLoopLag is the worst heartbeat lag (event loops).
	MaxLoopLag time.Duration `json:"max_loop_lag_ns,omitempty"`
	// Encode is the mean encode segment; EncodeRate the encodings per
	// second from the first one's start to the last one's end;
	// MaxEncoding the most at once.
	Encode      time.Duration `json:"encode_ns,omitempty"`
	EncodeRate  float64       `json:"encode_rate_per_s,omitempty"`
	MaxEncoding int           `json:"max_encoding,omitempty"`
	// Memory is the most memory the run's objects took at once: for the Go
	// variants the peak of this process's heap, sampled every millisecond,
	// less the heap at the start (after a collection); for cpython the
	// interpreter's peak resident memory less that at the start. RSS is the
	// peak resident memory the run added to this process (once the heap has
	// grown, little: the memory is reused). Workers is the executor's worker
	// processes' peak memory, summed.
	Memory  int64 `json:"memory_bytes"`
	RSS     int64 `json:"rss_added_bytes"`
	Workers int64 `json:"workers_memory_bytes,omitempty"`
	// Serialise is the time spent sending steps and results over pipes.
	Serialise time.Duration `json:"serialise_ns,omitempty"`
	// EncodeCores is the process's CPU time (its workers' included) over
	// the time from the first encoding's start to the last one's end: how
	// many cores the encodings kept busy, which a GIL holds to one however
	// the encodings' wall intervals overlap.
	EncodeCores float64 `json:"encode_cores,omitempty"`
	// Repeats are every run at this setting, in round order, where it ran
	// more than once; the point's own figures are the run whose wall time
	// is nearest their median.
	Repeats []JSONPoint `json:"repeats,omitempty"`
}

// All are the point's runs: its Repeats, or itself.
func (p JSONPoint) All() []JSONPoint {
	if len(p.Repeats) > 0 {
		return p.Repeats
	}
	return []JSONPoint{p}
}

// Each is f of each of the point's runs.
func (p JSONPoint) Each(f func(JSONPoint) float64) []float64 {
	var out []float64
	for _, r := range p.All() {
		out = append(out, f(r))
	}
	return out
}

// runs are the indexes of the point's runs in Report.Runs.
func (p JSONPoint) runs() []int {
	var out []int
	for _, r := range p.All() {
		if r.Run >= 0 {
			out = append(out, r.Run)
		}
	}
	return out
}

// jsonRuns gathers a setting's runs into its point.
func jsonRuns(runs []JSONPoint) JSONPoint {
	if len(runs) == 0 {
		return JSONPoint{Run: -1}
	}
	p := runs[representative(runs, func(r JSONPoint) float64 { return float64(r.Wall) })]
	if len(runs) > 1 {
		p.Repeats = runs
	}
	return p
}

// JSONResult is the result of the json experiment.
type JSONResult struct {
	Report
	Cores int `json:"cores"`
	// Encoded is the exact size of the JSON at the headline payload.
	Encoded int `json:"encoded_bytes"`
	// Baselines are the base models' runs without encoding; Headline every
	// variant at Payload; Sweep the Go variants at the other payloads.
	Baselines []JSONPoint `json:"baselines"`
	Headline  []JSONPoint `json:"headline"`
	Sweep     []JSONPoint `json:"sweep,omitempty"`
}

// Claims of the json experiment.
var (
	claimJSONLoopBlocks = Claim{
		ID:       "json-loop-blocks",
		Source:   Lecture,
		Quote:    "Event loop blocks longer",
		Cite:     "Lecture 18, question 8, the answer",
		Short:    "The event loop blocks longer",
		Text:     "If each task did large JSON serialization, the event loop blocks longer: nothing else runs while a task encodes",
		Quantity: "worst heartbeat lag over the mean encoding's time, run by run (×)",
		Predicts: "at least one encoding's time: 0.9× and up",
		Compare:  AtLeast, Tolerance: 0.10,
	}
	claimJSONTail = Claim{
		ID:       "json-tail",
		Source:   Lecture,
		Quote:    "Latency increases … Tail latency spikes",
		Cite:     "Lecture 18, question 8, the answer",
		Short:    "Latency and tail latency grow",
		Text:     "Latency increases, tail latency spikes: the encodings queue up behind one another",
		Quantity: "p99 latency over the same tasks' p99 without the encoding, round by round (×)",
		Predicts: "a spike: at least 2×",
		Compare:  AtLeast, Tolerance: 0,
	}
	claimJSONThroughput = Claim{
		ID:       "json-throughput",
		Source:   Lecture,
		Quote:    "Throughput drops",
		Cite:     "Lecture 18, question 8, the answer",
		Text:     "Throughput drops",
		Quantity: "tasks per second over the same tasks' rate without the encoding, round by round (×)",
		Predicts: "a drop: at most 0.9×",
		Compare:  AtMost, Tolerance: 0,
	}
	claimJSONOffload = Claim{
		ID:       "json-offload",
		Source:   Lecture,
		Quote:    "This is exactly why inference systems: … Use worker pools",
		Cite:     "Lecture 18, question 8, the answer",
		Short:    "Worker pools keep the loop responsive",
		Text:     "This is why inference systems offload heavy compute to worker pools: with the encoding in worker processes the loop stays responsive",
		Quantity: "worst heartbeat lag with a process executor over that when the loop encodes itself, round by round (×)",
		Predicts: "at most a tenth",
		Compare:  AtMost, Tolerance: 0,
	}
	claimJSONGILHeld = Claim{
		ID:       "json-gil-held",
		Source:   Lecture,
		Quote:    "Serialization happens in Python space → GIL locked → no parallelism.",
		Cite:     "Lecture 18, question 8, the answer",
		Short:    "A thread pool does not free the loop (GIL)",
		Text:     "Serialization happens in Python space → GIL locked → no parallelism: a thread pool does not free the loop, which waits for the GIL as long as an encoding holds it",
		Quantity: "worst heartbeat lag with a thread executor whose threads share a GIL with the loop, over the mean encoding's time, run by run (×)",
		Predicts: "at least one encoding's time (0.9× and up), as if the loop encoded itself",
		Compare:  AtLeast, Tolerance: 0.10,
	}
	claimJSONParallel = Claim{
		ID:       "json-parallel",
		Source:   Check,
		Short:    "Without a GIL, encoding runs in parallel",
		Text:     "Without a GIL the encodings run in parallel: goroutines (and Go's own threads) encode faster than one event loop, up to cores × as fast less the collector's share",
		Quantity: "encodings per second over the event loop's, encoding inline, round by round (×)",
		Predicts: "min(cores, threads), less what the garbage collector takes: encoding allocates, and the collector's share of the CPU comes out of the cores the encodings share, where a single loop leaves it a core of its own",
		Compare:  AtLeast, Tolerance: 0.35,
	}
	claimJSONMemory = Claim{
		ID:       "json-memory",
		Source:   Lecture,
		Quote:    "Memory grows due to larger objects",
		Cite:     "Lecture 18, question 8, the answer",
		Text:     "Memory grows due to larger objects",
		Quantity: "slope of the most memory a run's objects took at once (the heap's peak less its start) against the payload, fitted over every run of the sweep, with its 95% interval (bytes per payload byte)",
		Predicts: "at least 1: a byte of memory, at least, for every byte of payload",
		Compare:  AtLeast, Tolerance: 0,
	}
)

// JSON is the experiment "if each task did large JSON serialization".
var JSON = define(about{
	name:    "json",
	title:   "Large JSON serialization inside tasks",
	lecture: "Q8",
	summary: "tasks that wait, then encode a large JSON document: the event loop blocks, tail latency spikes, throughput drops; offloading to processes frees the loop; goroutines encode in parallel",
	claims:  []Claim{claimJSONLoopBlocks, claimJSONTail, claimJSONThroughput, claimJSONOffload, claimJSONGILHeld, claimJSONParallel, claimJSONMemory},
}, defaultJSON, quickJSON, measureJSON, judgeJSON)

// jsonVariant is one way to run the tasks.
type jsonVariant struct {
	name   string
	model  model.Name
	flavor string
	ex     model.Executor
}

// newVariant is the variant running model m (with flavor, for cpython)
// that offloads to ex (none: inline).
func newVariant(m model.Name, flavor string, ex model.Executor) jsonVariant {
	return jsonVariant{name: model.SeriesOf(m, flavor).Offload(ex), model: m, flavor: flavor, ex: ex}
}

// base is the variant's model without the encoding: its baseline's name.
func (v jsonVariant) base() string { return model.SeriesOf(v.model, v.flavor).String() }

// variantOf is the variant named name, e.g. "eventloop+processes" or
// "cpython asyncio+threads".
func variantOf(name string) jsonVariant {
	s, ex := model.ParseOffload(name)
	return jsonVariant{name: name, model: s.Model, flavor: s.Flavor, ex: ex}
}

// loop reports whether the variant runs on an event loop.
func (v jsonVariant) loop() bool { return model.SeriesOf(v.model, v.flavor).EventLoop() }

// gilBound reports whether the variant's encodings need a GIL shared with
// the loop: CPython's own threads, or the gil-threads executor.
func (v jsonVariant) gilBound() bool {
	return v.ex == model.ExecGILThreads || (v.model == model.CPython && v.ex == model.ExecThreads)
}

// jsonVariants expands the variants asked for; cpython becomes asyncio
// inline, with a thread executor and with a process executor, or is left
// out with a note where it cannot run.
func (r *Report) jsonVariants(ctx context.Context, names []string, python string) ([]jsonVariant, error) {
	var out []jsonVariant
	for _, n := range names {
		if n != jsonCPython {
			out = append(out, variantOf(n))
			continue
		}
		ss, err := r.expandModels(ctx, []string{jsonCPython}, python, model.FlavorAsyncio)
		if err != nil {
			return nil, err
		}
		if len(ss) == 0 {
			continue
		}
		out = append(out,
			newVariant(model.CPython, model.FlavorAsyncio, ""),
			newVariant(model.CPython, model.FlavorAsyncio, model.ExecThreads),
			newVariant(model.CPython, model.FlavorAsyncio, model.ExecProcesses))
	}
	return out, nil
}

// encodeGuess is a rough time to encode n bytes, for progress: Go's
// encoder does about 200 MB/s on a current core, CPython's about 50.
func encodeGuess(n int, python bool) float64 {
	if python {
		return float64(n) / 50e6
	}
	return float64(n) / 200e6
}

// measureJSON runs the json experiment: each base model's tasks without
// the encoding (the baselines), every variant at the headline payload
// Repeat times, interleaved, then the Go variants at the sweep's other
// payloads, smallest first.
func measureJSON(ctx context.Context, p *JSONParams, res *JSONResult, tr *tracker) error {
	res.Cores = min(runtime.GOMAXPROCS(0), runtime.NumCPU())
	vs, err := res.jsonVariants(ctx, p.Models, p.Python)
	if err != nil {
		return err
	}
	sizes := slices.Sorted(slices.Values(p.Payloads))
	sizes = slices.Compact(sizes)
	model.PrepareEncode(append(slices.Clone(sizes), p.Payload)...)
	res.Encoded = model.EncodedSize(p.Payload)
	bases, rounds := planJSON(p, vs, sizes, tr)
	jr := jsonRunner{ctx: ctx, p: p, res: res, tr: tr}
	if err := jr.headline(bases, vs, rounds); err != nil {
		return err
	}
	return jr.sweep(vs, sizes)
}

// planJSON picks the variants whose base models run the baselines (the
// first variant of each base) and the rounds of the headline, and tells
// the tracker the seconds the whole experiment is expected to take.
func planJSON(p *JSONParams, vs []jsonVariant, sizes []int, tr *tracker) (bases []jsonVariant, rounds int) {
	longest := 0.0
	for _, v := range vs {
		if !slices.ContainsFunc(bases, func(b jsonVariant) bool { return b.base() == v.base() }) {
			bases = append(bases, v)
		}
		longest = max(longest, p.Wait.Seconds()+float64(p.Tasks)*encodeGuess(p.Payload, v.model == model.CPython))
	}
	rounds = p.Repeat
	if rounds == 0 {
		rounds = repeatsFor(time.Duration(longest * float64(time.Second)))
	}
	total := 0.0
	for range bases {
		total += float64(rounds) * p.Wait.Seconds()
	}
	for _, v := range vs {
		total += float64(rounds) * (p.Wait.Seconds() + float64(p.Tasks)*encodeGuess(p.Payload, v.model == model.CPython))
		if v.model != model.CPython {
			for _, s := range sizes {
				if s != p.Payload {
					total += p.Wait.Seconds() + float64(p.Tasks)*encodeGuess(s, false)
				}
			}
		}
	}
	tr.expect(total)
	return bases, rounds
}

// jsonRunner runs the json experiment's batches into its result.
type jsonRunner struct {
	ctx context.Context
	p   *JSONParams
	res *JSONResult
	tr  *tracker
}

// one runs variant v's tasks once at payload size, or its base model's
// tasks without the encoding (baseline), records the run and reads its
// point.
func (jr jsonRunner) one(v jsonVariant, size int, baseline bool) (JSONPoint, error) {
	p := jr.p
	steps := []model.Step{model.Wait(p.Wait)}
	label, stage := "no encode", v.base()+", no encoding"
	weight := p.Wait.Seconds()
	if !baseline {
		steps = append(steps, model.Encode(size).Offloaded(v.ex))
		label, stage = "payload="+FormatSize(size), fmt.Sprintf("%s, %s each", v.name, FormatSize(size))
		weight += float64(p.Tasks) * encodeGuess(size, v.model == model.CPython)
	}
	cfg := model.Config{Concurrency: p.Tasks, Heartbeat: p.Heartbeat, Executor: p.Executor, Flavor: v.flavor}
	if v.model == model.CPython {
		cfg.Python = p.Python
	}
	runtime.GC() // the run's garbage is its own, not the last one's
	heap := startHeapPeak()
	run, err := runModel(jr.ctx, jr.tr, stage, weight, v.model, model.Repeat(p.Tasks, model.NewTask(steps...)), cfg)
	added := heap.added()
	if err != nil {
		return JSONPoint{}, err
	}
	pt := jsonPoint(run, jr.res.record(label, run))
	if v.model != model.CPython {
		pt.Memory = added
	}
	pt.Model, pt.Payload, pt.Baseline, pt.Loop = v.name, size, baseline, v.loop()
	if baseline {
		pt.Model, pt.Payload = v.base(), 0
	}
	return pt, nil
}

// headline runs the baselines and every variant at the headline payload,
// rounds times, interleaved: a variant and the baseline it is compared
// with run under the same conditions of a shared machine.
func (jr jsonRunner) headline(bases, vs []jsonVariant, rounds int) error {
	type arm struct {
		v        jsonVariant
		baseline bool
	}
	var arms []arm
	for _, v := range bases {
		arms = append(arms, arm{v, true})
	}
	for _, v := range vs {
		arms = append(arms, arm{v, false})
	}
	byArm := make([][]JSONPoint, len(arms))
	err := interleave(rounds, len(arms), func(_, k int) error {
		pt, err := jr.one(arms[k].v, jr.p.Payload, arms[k].baseline)
		byArm[k] = append(byArm[k], pt)
		return err
	})
	if err != nil {
		return err
	}
	res := jr.res
	for k, a := range arms {
		if a.baseline {
			res.Baselines = append(res.Baselines, jsonRuns(byArm[k]))
		} else {
			res.Headline = append(res.Headline, jsonRuns(byArm[k]))
		}
	}
	return nil
}

// sweep runs the Go variants once at each of the sweep's payloads other
// than the headline's, smallest first; at the headline payload the sweep
// takes the headline's point.
func (jr jsonRunner) sweep(vs []jsonVariant, sizes []int) error {
	res := jr.res
	for _, s := range sizes {
		for _, v := range vs {
			if v.model == model.CPython {
				continue
			}
			if s == jr.p.Payload {
				res.Sweep = append(res.Sweep, res.headline(v.name))
				continue
			}
			pt, err := jr.one(v, s, false)
			if err != nil {
				return err
			}
			res.Sweep = append(res.Sweep, pt)
		}
	}
	return nil
}

// jsonPoint reads a run's figures.
func jsonPoint(run *model.Run, i int) JSONPoint {
	t := run.Totals
	pt := JSONPoint{
		Run: i, Wall: t.Wall, Latency: t.Latency, MaxLoopLag: t.MaxLoopLag,
		Memory: max(0, t.PeakRSS-t.StartRSS), RSS: max(0, t.PeakRSS-t.StartRSS), Serialise: t.Serialise,
	}
	if t.Wall > 0 {
		pt.Throughput = float64(run.Tasks) / t.Wall.Seconds()
	}
	for _, w := range run.Workers {
		pt.Workers += w.PeakRSS
	}
	var first, last, sum time.Duration
	n := 0
	for _, s := range run.Spans {
		for _, g := range s.Segments {
			if g.Kind != model.KindEncode {
				continue
			}
			if n == 0 || g.Start < first {
				first = g.Start
			}
			last = max(last, g.End)
			sum += g.End - g.Start
			n++
		}
	}
	if n > 0 {
		pt.Encode = sum / time.Duration(n)
		if last > first {
			pt.EncodeRate = float64(n) / (last - first).Seconds()
			pt.EncodeCores = ratio(t.CPU(), last-first)
		}
		pt.MaxEncoding = measure.MostAtOnce(model.Intervals(run.Spans, model.KindEncode), 0)
	}
	return pt
}

// headline returns the variant's headline point.
func (res *JSONResult) headline(name string) JSONPoint {
	if pt, ok := firstWhere(res.Headline, func(pt JSONPoint) bool { return pt.Model == name }); ok {
		return pt
	}
	return JSONPoint{Model: name, Run: -1}
}

// baseline returns the base model's run without encoding.
func (res *JSONResult) baseline(base string) (JSONPoint, bool) {
	return firstWhere(res.Baselines, func(pt JSONPoint) bool { return pt.Model == base })
}

// judgeJSON judges the lecture's claims on every variant at the headline
// payload, run by run against its baseline and against the loop encoding
// inline, and the memory claim over the sweep.
func judgeJSON(res *JSONResult) judgement {
	var j judgement
	p := paramsOf[JSONParams](&res.Report)
	var vs []jsonVariant
	for _, pt := range res.Headline {
		vs = append(vs, variantOf(pt.Model))
	}
	jj := jsonJudging{res: res, p: p, j: &j,
		detail: fmt.Sprintf("%d tasks at once, each waiting %s then encoding %s (%d bytes of JSON)", p.Tasks, p.Wait, FormatSize(p.Payload), res.Encoded),
		inline: map[model.Name]JSONPoint{}}
	for _, v := range vs {
		if v.loop() && v.ex == "" {
			jj.inline[v.model] = res.headline(v.name)
		}
	}
	for _, v := range vs {
		pt := res.headline(v.name)
		jj.againstBaseline(v, pt)
		jj.lag(v, pt)
		jj.parallel(v, pt)
	}
	for _, v := range vs {
		jj.memory(v)
	}
	return j
}

// jsonJudging is what judging a json result's variants shares: the
// result, its parameters, the verdicts so far, the setting said in words,
// and the loop encoding itself (inline), by model.
type jsonJudging struct {
	res    *JSONResult
	p      *JSONParams
	j      *judgement
	detail string
	inline map[model.Name]JSONPoint
}

// againstBaseline judges the tail and the throughput claims on variant v's
// headline point pt, round by round against its base model's run without
// the encoding.
func (jj jsonJudging) againstBaseline(v jsonVariant, pt JSONPoint) {
	b, ok := jj.res.baseline(v.base())
	if !ok || !(b.Latency.P99 > 0 && b.Throughput > 0) {
		return
	}
	busy := jj.res.busy(append(pt.runs(), b.runs()...)...)
	jj.j.add(claimJSONTail.Judge(Measurement{Model: v.name, Samples: pairedJSON(pt, b, func(x JSONPoint) float64 { return x.Latency.P99 }), Expected: 2, Unit: "×", Busy: busy,
		Detail: fmt.Sprintf("%s; the runs shown: p99 %.1f ms, without the encoding %.1f ms; p50 %.1f ms", jj.detail, pt.Latency.P99, b.Latency.P99, pt.Latency.P50)}))
	jj.j.add(claimJSONThroughput.Judge(Measurement{Model: v.name, Samples: pairedJSON(pt, b, func(x JSONPoint) float64 { return x.Throughput }), Expected: 0.9, Unit: "×", Busy: busy,
		Detail: fmt.Sprintf("%s; the runs shown: %.0f tasks/s, without the encoding %.0f tasks/s", jj.detail, pt.Throughput, b.Throughput)}))
}

// lag judges the event loop's worst lag on variant v's headline point pt:
// the loop blocked by its own encodings, offloading to processes against
// the loop encoding inline, or a thread pool that shares the GIL.
func (jj jsonJudging) lag(v jsonVariant, pt JSONPoint) {
	res, f := jj.res, units.Duration
	lags := fmt.Sprintf("%s; the run shown: worst lag %s, mean encoding %s, %.2f cores busy while encoding", jj.detail, f(pt.MaxLoopLag), f(pt.Encode), pt.EncodeCores)
	// lagOverEncode is each run's worst lag over its mean encoding.
	lagOverEncode := pt.Each(func(x JSONPoint) float64 { return ratio(x.MaxLoopLag, max(x.Encode, time.Microsecond)) })
	switch {
	case v.loop() && v.ex == "":
		jj.j.add(claimJSONLoopBlocks.Judge(Measurement{Model: v.name, Samples: lagOverEncode, Expected: 1, Unit: "× an encoding", Detail: lags, Busy: res.busy(pt.runs()...)}))
	case v.loop() && v.ex == model.ExecProcesses:
		in, ok := jj.inline[v.model]
		if !ok {
			return
		}
		d := fmt.Sprintf("%s; the loop encoding itself lagged %s", lags, f(in.MaxLoopLag))
		if n := jsonWorkers(res, pt); n > 0 {
			d += fmt.Sprintf("; the %d workers' memory %.1f MiB, %s serialising over pipes", n, units.MiB(pt.Workers), f(pt.Serialise))
		}
		jj.j.add(claimJSONOffload.Judge(Measurement{Model: v.name, Samples: pairedJSON(pt, in, func(x JSONPoint) float64 { return units.Millis(x.MaxLoopLag) }), Expected: 0.1, Unit: "× the inline lag",
			Detail: d, Busy: res.busy(append(pt.runs(), in.runs()...)...)}))
	case v.gilBound():
		jj.j.add(claimJSONGILHeld.Judge(Measurement{Model: v.name, Samples: lagOverEncode, Expected: 1, Unit: "× an encoding", Detail: lags, Busy: res.busy(pt.runs()...)}))
	}
}

// parallel judges, on goroutines and Go's own thread executor, the
// encodings' rate against the event loop's encoding inline.
func (jj jsonJudging) parallel(v jsonVariant, pt JSONPoint) {
	res := jj.res
	in, ok := jj.inline[model.EventLoop]
	if !ok || !(in.EncodeRate > 0) || (v.name != jsonGoroutines && v.name != jsonLoopThreads) {
		return
	}
	want := float64(res.Cores)
	if v.ex != "" {
		want = math.Min(want, float64(executorSize(jj.p.Executor)))
	}
	gc := func(p JSONPoint) int64 {
		if p.Run < 0 || p.Run >= len(res.Runs) {
			return 0
		}
		return res.Runs[p.Run].Totals.GCCycles
	}
	jj.j.add(claimJSONParallel.Judge(Measurement{Model: v.name, Samples: pairedJSON(pt, in, func(x JSONPoint) float64 { return x.EncodeRate }), Expected: want, Unit: "×",
		Busy: res.busy(append(pt.runs(), in.runs()...)...),
		Detail: fmt.Sprintf("%s; the runs shown: %.0f encodings/s against the event loop's %.0f; %.2f cores busy while encoding; %d cores; the garbage collector ran %d times (the event loop's run: %d)",
			jj.detail, pt.EncodeRate, in.EncodeRate, pt.EncodeCores, res.Cores, gc(pt), gc(in))}))
}

// memory judges the memory claim on a Go variant: its memory against the
// payload over every run of the sweep.
func (jj jsonJudging) memory(v jsonVariant) {
	if v.model == model.CPython {
		return
	}
	var xs, ys []float64
	var parts []string
	for _, pt := range jj.res.Sweep {
		if pt.Model != v.name || pt.Run < 0 {
			continue
		}
		for _, r := range pt.All() {
			xs, ys = append(xs, float64(r.Payload)), append(ys, float64(r.Memory))
		}
		parts = append(parts, fmt.Sprintf("%s: %.1f MiB", FormatSize(pt.Payload), units.MiB(pt.Memory)))
	}
	if len(xs) < 3 {
		return
	}
	ci := measure.SlopeCI(xs, ys, level)
	_, _, r2 := measure.LinearFit(xs, ys)
	jj.j.add(claimJSONMemory.Judge(Measurement{Model: v.name, Interval: &ci, Expected: 1, Unit: "B/B",
		Detail: fmt.Sprintf("%d tasks; peak memory added by payload (the runs shown): %s; R² %.3f; the headline payload's every run, the others' one", jj.p.Tasks, strings.Join(parts, ", "), r2)}))
}

// pairedJSON is f of each run of a over f of the run of the same round of
// b: the runs of a round are back to back, so a pair saw the same machine.
func pairedJSON(a, b JSONPoint, f func(JSONPoint) float64) []float64 {
	return roundByRound(a.All(), b.All(), func(x, y JSONPoint) float64 { return f(x) / f(y) })
}

// executorSize is the pools' size for a parameter value (0: one per core).
func executorSize(n int) int {
	if n <= 0 {
		return model.DefaultExecutor()
	}
	return n
}

// jsonWorkers counts the worker processes of pt's run.
func jsonWorkers(res *JSONResult, pt JSONPoint) int {
	if pt.Run < 0 || pt.Run >= len(res.Runs) {
		return 0
	}
	return len(res.Runs[pt.Run].Workers)
}
