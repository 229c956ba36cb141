package experiments

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/boundlab/boundlab/experiments/loopback"
	"github.com/boundlab/boundlab/experiments/model"
	"github.com/boundlab/boundlab/internal/units"
)

// NoSemaphoreParams are the parameters of the no-semaphore experiment.
type NoSemaphoreParams struct {
	// Concurrency is the sweep: how many calls are launched at once, each
	// a task of one call.
	Concurrency []int
	// Limit is the client-side semaphore's limit in the runs that have one.
	Limit int
	// Workers, Service and Backlog are the server's: it serves Workers
	// connections at a time, each for Service, and Backlog more wait in
	// the kernel's accept queue.
	Workers int
	Service time.Duration
	Backlog int
	// Timeout is each call's client-side timeout, connecting included.
	Timeout time.Duration
	// FDLimit is the clients' descriptor limit: the soft RLIMIT_NOFILE of
	// the child process they run in.
	FDLimit int
	// Repeat is how many times the sweep's two ends (the fewest calls at
	// once and the most, the lecture's 1000) run in each mode, the models
	// taking turns: their medians and 95% intervals are judged. The
	// concurrencies between run once.
	Repeat int
	// Models are the models the clients run on.
	Models []string
	// Python is the cpython model's interpreter (see model.FindPython).
	Python string
}

// Params binds the parameters to flags.
func (p *NoSemaphoreParams) Params() []Param {
	return []Param{
		intsParam(&p.Concurrency, "concurrency", "calls launched at once, one run each", 1, 100_000, 16),
		intParam(&p.Limit, "limit", "the client-side semaphore's limit, in the runs with one", 1, 100_000),
		intParam(&p.Workers, "workers", "server workers, each serving one connection at a time", 1, 10_000),
		durationParam(&p.Service, "service", "server time per call: its capacity is workers / service", 100*time.Microsecond, 10*time.Second),
		intParam(&p.Backlog, "backlog", "the server's listen backlog (the kernel caps it at net.core.somaxconn)", 1, loopback.MaxBacklog),
		durationParam(&p.Timeout, "timeout", "each call's client-side timeout, connecting included", 10*time.Millisecond, time.Minute),
		intParam(&p.FDLimit, "fd-limit", "the clients' descriptor limit (RLIMIT_NOFILE of their process)", 32, 1<<20),
		intParam(&p.Repeat, "repeat", "runs at the fewest and the most calls at once, each mode, models interleaved (median and 95% interval judged; the concurrencies between run once)", 1, 20),
		namesParam(&p.Models, "models", "models the clients run on (cpython: CPython's asyncio)", model.Strings(model.Goroutines, model.EventLoop, model.GILThreads, model.CPython)),
		pythonParam(&p.Python),
	}
}

// defaultNoSemaphore is the lecture's setting: up to 1000 calls at once
// against a server of 10 workers at 10 ms (1000 calls a second) with
// asyncio's default backlog of 100, clients limited to 256 descriptors,
// with no semaphore and with one of 50; the 10 and the 1000 six times each
// (a run takes about a second).
func defaultNoSemaphore() NoSemaphoreParams {
	return NoSemaphoreParams{
		Concurrency: []int{10, 50, 100, 200, 500, 1000},
		Limit:       50, Workers: 10, Service: 10 * time.Millisecond, Backlog: 100,
		Timeout: time.Second, FDLimit: 256, Repeat: repeatsFor(time.Second),
		Models: model.Strings(model.Goroutines, model.EventLoop, model.CPython),
	}
}

// quickNoSemaphore is up to 400 calls against a server of 5 ms calls,
// clients limited to 128 descriptors.
func quickNoSemaphore(p *NoSemaphoreParams) {
	p.Concurrency = []int{10, 100, 400}
	p.Limit, p.Service, p.Backlog, p.Timeout, p.FDLimit = 20, 5*time.Millisecond, 50, 800*time.Millisecond, 128
}

// NoSemaphorePoint is one model at one concurrency, with or without the
// semaphore, from one run or several.
type NoSemaphorePoint struct {
	CallRuns
	// Concurrency is the calls launched at once; Semaphore the limit on
	// those in flight, or 0 for none.
	Concurrency int `json:"concurrency"`
	Semaphore   int `json:"semaphore"`
}

// Mode names the point's series mode: "no semaphore" or "semaphore 50".
func (p NoSemaphorePoint) Mode() string { return semMode(p.Semaphore) }

func semMode(limit int) string {
	if limit == 0 {
		return "no semaphore"
	}
	return fmt.Sprintf("semaphore %d", limit)
}

// NoSemaphoreResult is the result of the no-semaphore experiment.
type NoSemaphoreResult struct {
	Report
	// Capacity is the server's, in calls a second; Bound the queueing
	// bound on a call's latency under the semaphore: ceil(limit/workers) ×
	// service.
	Capacity float64            `json:"capacity_per_s"`
	Bound    time.Duration      `json:"bound_ns"`
	Points   []NoSemaphorePoint `json:"points"`
}

// Claims of the no-semaphore experiment.
var (
	claimTailGrows = Claim{
		ID:       "tail-grows",
		Source:   Lecture,
		Quote:    "increased latency … Increased tail latency",
		Cite:     "Lecture 18, question 4, the answer",
		Short:    "Latency and tail latency grow",
		Text:     "If you remove the semaphore limit entirely: increased latency, increased tail latency",
		Quantity: "p99 latency of the answered calls at the most calls at once over that at the fewest, without a semaphore, round by round (×)",
		Predicts: "grows: at least 2×",
		Compare:  AtLeast, Tolerance: 0,
	}
	claimOverload = Claim{
		ID:       "overload-fails",
		Source:   Lecture,
		Quote:    "overload, memory pressure, increased latency, timeouts, possible crash.",
		Cite:     "Lecture 18, question 4, the answer",
		Short:    "Overload: calls fail",
		Text:     "Overload: with every call launched at once and no limit, calls fail",
		Quantity: "share of the calls at the most calls at once, without a semaphore, that failed: timed out, or found no descriptor, or were refused or reset",
		Predicts: "a real share: at least a tenth",
		Compare:  AtLeast, Tolerance: 0,
	}
	claimTimeouts = Claim{
		ID:       "timeouts",
		Source:   Lecture,
		Quote:    "overload, memory pressure, increased latency, timeouts, possible crash.",
		Cite:     "Lecture 18, question 4, the answer",
		Short:    "Timeouts",
		Text:     "Overload: timeouts",
		Quantity: "share of the calls at the most calls at once, without a semaphore, that timed out",
		Predicts: "some: at least 1%",
		Compare:  AtLeast, Tolerance: 0,
	}
	claimGoodput = Claim{
		ID:       "overload-goodput",
		Source:   Lecture,
		Quote:    "overload, memory pressure, increased latency, timeouts, possible crash.",
		Cite:     "Lecture 18, question 4, the answer",
		Short:    "Overload: answered calls fall below capacity",
		Text:     "Overload: without a limit the server is not used better but worse: the calls it answers a second fall below its capacity",
		Quantity: "answered calls a second at the most calls at once, without a semaphore, over the server's capacity, workers / service time (×)",
		Predicts: "below capacity: at most 0.9×",
		Compare:  AtMost, Tolerance: 0,
	}
	claimFilesAbove = Claim{
		ID:       "too-many-files-above",
		Source:   Lecture,
		Quote:    "Open file descriptor limits",
		Cite:     "Lecture 18, question 4, the answer",
		Short:    "“Too many open files” above the limit",
		Text:     "Open file descriptor limits: with more calls at once than descriptors, \"too many open files\"",
		Quantity: "calls failing with too many open files in a run at a concurrency above the clients' descriptor limit, without a semaphore (the most calls at once, its runs' median)",
		Predicts: "some: at least 1",
		Compare:  AtLeast, Tolerance: 0,
	}
	claimFilesBelow = Claim{
		ID:       "too-many-files-below",
		Source:   Check,
		Short:    "No “too many open files” below the limit",
		Text:     "Below the descriptor limit, no call runs out of descriptors",
		Quantity: "the most calls failing with too many open files in any run at a concurrency below the limit, without a semaphore",
		Predicts: "none: 0",
		Compare:  AtMost, Tolerance: 0,
	}
	claimQueueOverflows = Claim{
		ID:       "queue-overflows",
		Source:   Lecture,
		Quote:    "Connection pool exhaustion",
		Cite:     "Lecture 18, question 4, the answer",
		Text:     "Connection pool exhaustion: the server's queue of waiting connections fills, and connections are dropped",
		Quantity: "connection attempts the kernel dropped for a full accept queue (TcpExt ListenOverflows) in a run at the most calls at once, without a semaphore (its runs' median)",
		Predicts: "some: at least 1",
		Compare:  AtLeast, Tolerance: 0,
	}
	claimPossibleCrash = Claim{
		ID:       "possible-crash",
		Source:   Lecture,
		Quote:    "overload, memory pressure, increased latency, timeouts, possible crash.",
		Cite:     "Lecture 18, question 4, the answer",
		Short:    "Possible crash",
		Kind:     Observation,
		Text:     "Possible crash",
		Quantity: "runs, without a semaphore, whose client process died rather than counting its failed calls",
		Predicts: "a possibility: whether it happens is reported, not judged",
	}
	claimCapacitySemaphore = Claim{
		ID:       "capacity-semaphore",
		Source:   Check,
		Short:    "Throughput capped by the server's capacity",
		Text:     "The semaphore prevents overload: the server stays busy at its capacity, workers / service time",
		Quantity: "answered calls a second at the most calls at once, with the semaphore, over the server's capacity (×)",
		Predicts: "the capacity: at least 0.75× (the batch's first and last calls leave workers idle), and no more than 2% above it",
		Compare:  Between, Tolerance: 0.02, Slack: 0.25,
	}
	claimSemaphoreBounds = Claim{
		ID:       "semaphore-bounds-latency",
		Source:   Lecture,
		Quote:    "it just prevents overload.",
		Cite:     "Lecture 18, question 3, the answer",
		Short:    "The semaphore keeps latency near the queue's",
		Text:     "The semaphore prevents overload: a call's latency stays near the service time × the queue it finds",
		Quantity: "p99 of a call's own latency (connect to answer) at the most calls at once, with the semaphore (s)",
		Predicts: "ceil(min(limit, concurrency) / workers) × service, plus 2 ms to connect and be scheduled: at most 50% over",
		Compare:  AtMost, Tolerance: 0.5,
	}
	claimSemaphoreNoErrors = Claim{
		ID:       "semaphore-no-errors",
		Source:   Lecture,
		Quote:    "it just prevents overload.",
		Cite:     "Lecture 18, question 3, the answer",
		Short:    "The semaphore: no failed calls",
		Text:     "With the semaphore: no \"too many open files\", no timeouts",
		Quantity: "share of the calls that failed, of any kind, over every run with the semaphore",
		Predicts: "none: 0",
		Compare:  AtMost, Tolerance: 0,
	}
)

// NoSemaphore is the experiment on removing the semaphore limit.
var NoSemaphore = define(about{
	name:    "no-semaphore",
	title:   "Removing the semaphore: real calls, a finite server, a descriptor limit",
	lecture: "Q4",
	summary: "up to 1000 real loopback calls at once against a server of finite capacity, clients limited to 256 descriptors, with and without a semaphore of 50: failed calls, throughput against capacity, tail latency, whether the client survives",
	claims: []Claim{claimTailGrows, claimOverload, claimTimeouts, claimGoodput, claimFilesAbove, claimFilesBelow, claimQueueOverflows, claimPossibleCrash,
		claimCapacitySemaphore, claimSemaphoreBounds, claimSemaphoreNoErrors},
}, defaultNoSemaphore, quickNoSemaphore, measureNoSemaphore, judgeNoSemaphore)

// measureNoSemaphore runs the no-semaphore experiment: the sweep's fewest
// and most calls at once, without and with the semaphore, Repeat times,
// the models taking turns; then the concurrencies between once each. Every
// batch runs in a child process limited to FDLimit descriptors against a
// fresh server in this one.
func measureNoSemaphore(ctx context.Context, p *NoSemaphoreParams, res *NoSemaphoreResult, tr *tracker) error {
	srv := loopback.Config{Workers: p.Workers, Backlog: p.Backlog, Service: p.Service}
	res.Capacity = srv.Capacity()
	res.Bound = queueBound(p.Limit, p.Workers, p.Service)
	ss, err := res.expandModels(ctx, p.Models, p.Python, model.FlavorAsyncio)
	if err != nil {
		return err
	}
	lo, hi := slices.Min(p.Concurrency), slices.Max(p.Concurrency)
	// Progress is weighted by the expected seconds of each run.
	weight := func(st callSetting) float64 {
		w := queueBound(st.concurrency, p.Workers, p.Service).Seconds() + 0.05
		if st.limit == 0 && st.concurrency > p.Workers+p.Backlog+1 {
			w += p.Timeout.Seconds()
		}
		return w
	}
	var ends, between []callSetting
	for _, s := range ss {
		for _, c := range slices.Compact(slices.Sorted(slices.Values(p.Concurrency))) {
			for _, l := range []int{0, p.Limit} {
				if c == lo || c == hi {
					ends = append(ends, callSetting{s, c, l})
				} else {
					between = append(between, callSetting{s, c, l})
				}
			}
		}
	}
	total := 0.0
	for _, st := range ends {
		total += weight(st) * float64(p.Repeat)
	}
	for _, st := range between {
		total += weight(st)
	}
	tr.expect(total)
	run := func(st callSetting, stage string) (CallPoint, error) {
		slots := st.concurrency
		if st.limit > 0 {
			slots = min(st.concurrency, st.limit)
		}
		return res.runCalls(ctx, tr, stage, weight(st), fmt.Sprintf("concurrency=%d %s", st.concurrency, semMode(st.limit)), callBatch{
			series: st.s, tasks: st.concurrency, slots: slots, server: srv, timeout: p.Timeout, python: p.Python,
			child: model.ChildOptions{NoFile: p.FDLimit, Sample: 5 * time.Millisecond},
		})
	}
	runs, err := runSettings(p.Repeat, ends, between, func(st callSetting) string {
		return fmt.Sprintf("%s, %d calls at once, %s", st.s, st.concurrency, semMode(st.limit))
	}, run)
	if err != nil {
		return err
	}
	for _, s := range ss {
		for _, c := range slices.Compact(slices.Sorted(slices.Values(p.Concurrency))) {
			for _, l := range []int{0, p.Limit} {
				res.Points = append(res.Points, NoSemaphorePoint{CallRuns: callRuns(runs[callSetting{s, c, l}]), Concurrency: c, Semaphore: l})
			}
		}
	}
	return nil
}

// judgeNoSemaphore judges each model's sweep, without and with the
// semaphore.
func judgeNoSemaphore(r *NoSemaphoreResult) judgement {
	var j judgement
	p := paramsOf[NoSemaphoreParams](&r.Report)
	var models []string
	for _, pt := range r.Points {
		models = appendNew(models, pt.Model)
	}
	for _, m := range models {
		r.judgeModel(&j, p, m)
	}
	return j
}

// points returns the model's points in one mode, by concurrency.
func (res *NoSemaphoreResult) points(m string, limit int) []NoSemaphorePoint {
	return sortedWhere(res.Points, func(pt NoSemaphorePoint) bool { return pt.Model == m && pt.Semaphore == limit },
		func(pt NoSemaphorePoint) int { return pt.Concurrency })
}

// judgeModel judges one model's sweep, without the semaphore and with it.
func (res *NoSemaphoreResult) judgeModel(j *judgement, p *NoSemaphoreParams, m string) {
	free, limited := res.points(m, 0), res.points(m, p.Limit)
	if len(free) == 0 {
		return
	}
	res.judgeFree(j, p, m, free)
	res.judgeFiles(j, p, m, free)
	res.judgeLimited(j, p, m, limited)
}

// judgeFree judges the model's points without the semaphore (free, by
// concurrency): crashes, failed calls and timeouts, goodput, the tail and
// the server's accept queue at the most calls at once.
func (res *NoSemaphoreResult) judgeFree(j *judgement, p *NoSemaphoreParams, m string, free []NoSemaphorePoint) {
	all := runsOf(free)
	j.add(claimPossibleCrash.Judge(Measurement{Model: m, Value: float64(len(all) - len(runIndexes(all...))), Unit: "runs",
		Detail: fmt.Sprintf("%d runs from %d to %d calls at once, the clients limited to %d descriptors; %s", len(all), free[0].Concurrency, free[len(free)-1].Concurrency, p.FDLimit, crashText(all))}))
	lo, hi := free[0], free[len(free)-1]
	top := fmt.Sprintf("%d calls at once, %d runs; the server holds %d (%d workers, a queue of %d), timeout %s", hi.Concurrency, len(hi.All()), p.Workers+hi.Server.Backlog+1, p.Workers, hi.Server.Backlog+1, p.Timeout)
	j.add(claimOverload.Judge(Measurement{Model: m, Samples: hi.Each(CallPoint.FailedShare), Expected: 0.1, Unit: "of the calls",
		Detail: fmt.Sprintf("%s; the run shown: %s", top, errorsText(hi.Errors))}))
	j.add(claimTimeouts.Judge(Measurement{Model: m, Samples: hi.Each(func(c CallPoint) float64 { return share(c.Errors[model.ErrTimeout], c.Tasks) }), Expected: 0.01, Unit: "of the calls",
		Detail: fmt.Sprintf("%s; timed out in the run shown: %d of %d", top, hi.Errors[model.ErrTimeout], hi.Tasks)}))
	if hi.Crash == "" && res.Capacity > 0 {
		j.add(claimGoodput.Judge(Measurement{Model: m, Samples: hi.overCapacity(res.Capacity), Expected: 0.9, Unit: "× capacity",
			Busy:   res.busy(runIndexes(hi.All()...)...),
			Detail: fmt.Sprintf("%s; the run shown: %d answered in %s, %.0f calls/s against a capacity of %.0f (%d workers / %s)", top, hi.OK, units.Duration(hi.Wall), hi.Throughput, res.Capacity, p.Workers, p.Service)}))
	}
	if lo.Concurrency < hi.Concurrency && lo.Crash == "" && hi.Crash == "" {
		j.add(claimTailGrows.Judge(Measurement{Model: m, Samples: paired(hi.CallRuns, lo.CallRuns, func(c CallPoint) float64 { return c.Latency.P99 }, 0.001), Expected: 2, Unit: "×", Busy: res.busy(runIndexes(append(lo.All(), hi.All()...)...)...),
			Detail: fmt.Sprintf("the runs shown: p99 %.1f ms at %d calls at once, %.1f ms at %d (p50 %.1f and %.1f ms); the queueing bound at %d is %s",
				hi.Latency.P99, hi.Concurrency, lo.Latency.P99, lo.Concurrency, hi.Latency.P50, lo.Latency.P50, hi.Concurrency, units.Duration(queueBound(hi.Concurrency, p.Workers, p.Service)))}))
	}
	j.add(claimQueueOverflows.Judge(Measurement{Model: m, Samples: hi.Each(func(c CallPoint) float64 { return float64(c.Server.ListenOverflows) }), Expected: 1, Unit: "connections",
		Detail: fmt.Sprintf("%d calls at once; the run shown: the accept queue peaked at %d of %d, %d SYNs dropped, the server answered %d; the kernel counts drops for every listener on the machine, this server's and any other's",
			hi.Concurrency, hi.Server.PeakQueue, hi.Server.Backlog+1, hi.Server.ListenOverflows, hi.Server.Served)}))
}

// judgeFiles judges "too many open files" without the semaphore: at the
// most calls at once above the clients' descriptor limit, and at every
// concurrency below it.
func (res *NoSemaphoreResult) judgeFiles(j *judgement, p *NoSemaphoreParams, m string, free []NoSemaphorePoint) {
	var above *NoSemaphorePoint
	below, maxBelow, nBelow := 0, 0, 0
	for i, pt := range free {
		if pt.Crash != "" {
			continue
		}
		switch {
		case pt.Concurrency+pt.BaseFDs > pt.NoFile:
			above = &free[i] // the most calls at once above the limit
		case pt.Concurrency+pt.BaseFDs+belowMargin <= pt.NoFile:
			for _, c := range pt.All() {
				if f := c.Errors[model.ErrTooManyFiles]; f > below {
					below, maxBelow = f, pt.Concurrency
				}
			}
			nBelow++
		}
	}
	if above != nil {
		j.add(claimFilesAbove.Judge(Measurement{Model: m, Samples: above.tooManyFiles(), Expected: 1, Unit: "calls",
			Detail: fmt.Sprintf("%d calls at once against a limit of %d descriptors (%d already open); by concurrency: %s", above.Concurrency, p.FDLimit, above.BaseFDs, filesText(free, true))}))
	} else {
		j.note("%s: no concurrency was above the clients' %d descriptors: raise --concurrency or lower --fd-limit to see them run out", m, p.FDLimit)
	}
	if nBelow > 0 {
		d := fmt.Sprintf("%d concurrencies below the limit of %d descriptors", nBelow, p.FDLimit)
		if below > 0 {
			d += fmt.Sprintf("; %d at %d calls at once", below, maxBelow)
		}
		j.add(claimFilesBelow.Judge(Measurement{Model: m, Value: float64(below), Expected: 0, Unit: "calls", Detail: d}))
	}
}

// judgeLimited judges the model's points with the semaphore (limited, by
// concurrency): no failed calls in any run, and at the most calls at once
// a call's latency against the queue's and the throughput against the
// server's capacity.
func (res *NoSemaphoreResult) judgeLimited(j *judgement, p *NoSemaphoreParams, m string, limited []NoSemaphorePoint) {
	if len(limited) == 0 {
		return
	}
	failed, calls, runs := 0, 0, 0
	for _, pt := range limited {
		for _, c := range pt.All() {
			failed, calls, runs = failed+int(math.Round(c.FailedShare()*float64(c.Tasks))), calls+c.Tasks, runs+1
		}
	}
	j.add(claimSemaphoreNoErrors.Judge(Measurement{Model: m, Value: share(failed, calls), Expected: 0, Unit: "of the calls",
		Detail: fmt.Sprintf("%d of %d calls failed in %d runs from %d to %d calls at once under a semaphore of %d", failed, calls, runs, limited[0].Concurrency, limited[len(limited)-1].Concurrency, p.Limit)}))
	lim := limited[len(limited)-1]
	if lim.Crash != "" {
		return
	}
	b := queueBound(min(lim.Concurrency, p.Limit), p.Workers, p.Service)
	j.add(claimSemaphoreBounds.Judge(Measurement{Model: m, Samples: lim.Each(func(c CallPoint) float64 { return c.CallLatency.P99 / 1000 }), Expected: (b + connectAllowance).Seconds(), Unit: "s",
		Busy: res.busy(runIndexes(lim.All()...)...),
		Detail: fmt.Sprintf("%d calls at once, %d runs: a call's p99 against ceil(%d / %d) × %s = %s, + 2 ms; the run shown: %.1f ms, and with the wait for a slot the task's p99 %.1f ms; at every concurrency (the run shown): %s",
			lim.Concurrency, len(lim.All()), min(lim.Concurrency, p.Limit), p.Workers, p.Service, units.Duration(b), lim.CallLatency.P99, lim.Latency.P99, callP99Text(limited))}))
	if res.Capacity > 0 {
		j.add(claimCapacitySemaphore.Judge(Measurement{Model: m, Samples: lim.overCapacity(res.Capacity), Expected: 1, Unit: "× capacity",
			Busy:   res.busy(runIndexes(lim.All()...)...),
			Detail: fmt.Sprintf("%d calls at once under a semaphore of %d, %d runs; the run shown: %d answered in %s, %.0f calls/s; capacity %d workers / %s = %.0f calls/s", lim.Concurrency, p.Limit, len(lim.All()), lim.OK, units.Duration(lim.Wall), lim.Throughput, p.Workers, p.Service, res.Capacity)}))
	}
}

// callP99Text lists a call's p99 by concurrency, e.g. "10: 5.2 ms, 100:
// 12.0 ms".
func callP99Text(pts []NoSemaphorePoint) string {
	s := ""
	for _, pt := range pts {
		if s != "" {
			s += ", "
		}
		s += fmt.Sprintf("%d: %.1f ms", pt.Concurrency, pt.CallLatency.P99)
	}
	return s
}

// connectAllowance is the time a call may take beyond the server's
// queueing, to connect over loopback and for the client's and server's
// goroutines to be scheduled, on a shared two-core machine.
const connectAllowance = 2 * time.Millisecond

// filesText lists the too-many-open-files counts by concurrency.
func filesText(pts []NoSemaphorePoint, above bool) string {
	s := ""
	for _, pt := range pts {
		if pt.Crash != "" || (pt.Concurrency+pt.BaseFDs > pt.NoFile) != above {
			continue
		}
		if s != "" {
			s += ", "
		}
		s += fmt.Sprintf("%d of %d at %d at once (peak %d descriptors open)", pt.Errors[model.ErrTooManyFiles], pt.Tasks, pt.Concurrency, pt.PeakFDs)
	}
	return s
}
