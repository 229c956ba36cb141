package experiments

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/boundlab/boundlab/experiments/loopback"
	"github.com/boundlab/boundlab/experiments/model"
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
		namesParam(&p.Models, "models", "models the clients run on (cpython: CPython's asyncio)", []string{"goroutines", "eventloop", "gil", "cpython"}),
		pythonParam(&p.Python),
	}
}

// defaultNoSemaphore is the lecture's setting: up to 1000 calls at once
// against a server of 10 workers at 10 ms (1000 calls a second) with
// asyncio's default backlog of 100, clients limited to 256 descriptors,
// with no semaphore and with one of 50.
func defaultNoSemaphore() NoSemaphoreParams {
	return NoSemaphoreParams{
		Concurrency: []int{10, 50, 100, 200, 500, 1000},
		Limit:       50, Workers: 10, Service: 10 * time.Millisecond, Backlog: 100,
		Timeout: time.Second, FDLimit: 256,
		Models: []string{"goroutines", "eventloop", "cpython"},
	}
}

// quickNoSemaphore is up to 400 calls against a server of 5 ms calls,
// clients limited to 128 descriptors.
func quickNoSemaphore(p *NoSemaphoreParams) {
	p.Concurrency = []int{10, 100, 400}
	p.Limit, p.Service, p.Backlog, p.Timeout, p.FDLimit = 20, 5*time.Millisecond, 50, 800*time.Millisecond, 128
}

// NoSemaphorePoint is one model at one concurrency, with or without the
// semaphore.
type NoSemaphorePoint struct {
	CallPoint
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
		Text:     "If you remove the semaphore limit entirely: increased latency, increased tail latency",
		Quantity: "p99 latency of the answered calls at the highest concurrency over that at the lowest, without a semaphore (×)",
		Predicts: "grows: at least 2×",
		Compare:  AtLeast, Tolerance: 0,
	}
	claimFilesAbove = Claim{
		ID:       "too-many-files-above",
		Text:     "Open file descriptor limits: with more calls at once than descriptors, \"too many open files\"",
		Quantity: "calls failing with too many open files, at the concurrencies above the clients' descriptor limit, without a semaphore",
		Predicts: "some: at least 1",
		Compare:  AtLeast, Tolerance: 0,
	}
	claimFilesBelow = Claim{
		ID:       "too-many-files-below",
		Text:     "Below the descriptor limit, no call runs out of descriptors",
		Quantity: "the most calls failing with too many open files at a concurrency below the limit, without a semaphore",
		Predicts: "none: 0",
		Compare:  AtMost, Tolerance: 0,
	}
	claimTimeouts = Claim{
		ID:       "timeouts",
		Text:     "Overload: timeouts",
		Quantity: "calls timing out at the highest concurrency, without a semaphore",
		Predicts: "some: at least 1",
		Compare:  AtLeast, Tolerance: 0,
	}
	claimQueueOverflows = Claim{
		ID:       "queue-overflows",
		Text:     "Connection pool exhaustion: the server's queue of waiting connections fills, and connections are dropped",
		Quantity: "connection attempts the kernel dropped for a full accept queue (TcpExt ListenOverflows) at the highest concurrency, without a semaphore",
		Predicts: "some: at least 1",
		Compare:  AtLeast, Tolerance: 0,
	}
	claimPossibleCrash = Claim{
		ID:       "possible-crash",
		Text:     "Possible crash",
		Quantity: "client processes that died, over the sweep without a semaphore",
		Predicts: "at least 1",
		Compare:  AtLeast, Tolerance: 0,
	}
	claimCapacityNoSemaphore = Claim{
		ID:       "capacity-no-semaphore",
		Text:     "Throughput is capped by the server's capacity, about workers / service time, without a semaphore",
		Quantity: "answered calls a second at the highest concurrency, without a semaphore",
		Predicts: "the capacity, workers / service time",
		Compare:  Within, Tolerance: 0.25,
	}
	claimCapacitySemaphore = Claim{
		ID:       "capacity-semaphore",
		Text:     "Throughput is capped by the server's capacity, about workers / service time, with the semaphore",
		Quantity: "answered calls a second at the highest concurrency, with the semaphore",
		Predicts: "the capacity, workers / service time",
		Compare:  Within, Tolerance: 0.25,
	}
	claimSemaphoreBounds = Claim{
		ID:       "semaphore-bounds-latency",
		Text:     "The semaphore prevents overload: a call's latency stays near the service time × the queue it finds",
		Quantity: "the worst p99 over the sweep of a call's own latency (connect to answer), with the semaphore (s)",
		Predicts: "ceil(min(limit, concurrency) / workers) × service, plus 2 ms to connect and be scheduled",
		Compare:  AtMost, Tolerance: 0.5,
	}
	claimSemaphoreNoErrors = Claim{
		ID:       "semaphore-no-errors",
		Text:     "With the semaphore: no \"too many open files\", no timeouts",
		Quantity: "calls failing, of any kind, over the sweep with the semaphore",
		Predicts: "none: 0",
		Compare:  AtMost, Tolerance: 0,
	}
)

// NoSemaphore is the experiment on removing the semaphore limit.
var NoSemaphore = define(about{
	name:    "no-semaphore",
	title:   "Removing the semaphore: real calls, a finite server, a descriptor limit",
	lecture: "Q4",
	summary: "up to 1000 real loopback calls at once against a server of finite capacity, clients limited to 256 descriptors, with and without a semaphore of 50: tail latency, timeouts, errors by kind, throughput",
	claims: []Claim{claimTailGrows, claimFilesAbove, claimFilesBelow, claimTimeouts, claimQueueOverflows, claimPossibleCrash,
		claimCapacityNoSemaphore, claimCapacitySemaphore, claimSemaphoreBounds, claimSemaphoreNoErrors},
}, defaultNoSemaphore, quickNoSemaphore, measureNoSemaphore, judgeNoSemaphore)

// measureNoSemaphore runs the no-semaphore experiment: for each model and
// concurrency, the calls all at once with no semaphore, then under the
// semaphore, each batch in a child process limited to FDLimit descriptors
// against a fresh server in this one.
func measureNoSemaphore(ctx context.Context, p *NoSemaphoreParams, res *NoSemaphoreResult, tr *tracker) error {
	srv := loopback.Config{Workers: p.Workers, Backlog: p.Backlog, Service: p.Service}
	res.Capacity = srv.Capacity()
	res.Bound = queueBound(p.Limit, p.Workers, p.Service)
	ss, err := res.expandModels(ctx, p.Models, p.Python, model.FlavorAsyncio)
	if err != nil {
		return err
	}
	// Progress is weighted by the expected seconds of each run.
	drain := func(n int) float64 { return seconds(queueBound(n, p.Workers, p.Service)) + 0.05 }
	total := 0.0
	for _, c := range p.Concurrency {
		total += 2*drain(c) + seconds(p.Timeout)*boolf(c > p.Workers+p.Backlog+1)
	}
	tr.expect(total * float64(len(ss)))
	for _, s := range ss {
		for _, c := range p.Concurrency {
			for _, limit := range []int{0, p.Limit} {
				slots, weight := c, drain(c)+seconds(p.Timeout)*boolf(c > p.Workers+p.Backlog+1)
				if limit > 0 {
					slots, weight = min(c, limit), drain(c)
				}
				stage := fmt.Sprintf("%s, %d calls at once, %s", s, c, semMode(limit))
				pt, err := res.runCalls(ctx, tr, stage, weight, fmt.Sprintf("concurrency=%d %s", c, semMode(limit)), callBatch{
					series: s, tasks: c, slots: slots, server: srv, timeout: p.Timeout, python: p.Python,
					child: model.ChildOptions{NoFile: p.FDLimit, Sample: 5 * time.Millisecond},
				})
				if err != nil {
					return err
				}
				res.Points = append(res.Points, NoSemaphorePoint{CallPoint: pt, Concurrency: c, Semaphore: limit})
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

// queueBound is the latency of the last of n calls that reach the server
// at once: ceil(n / workers) × service.
func queueBound(n, workers int, service time.Duration) time.Duration {
	return time.Duration(math.Ceil(float64(n)/float64(workers))) * service
}

func boolf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// points returns the model's points in one mode, by concurrency.
func (res *NoSemaphoreResult) points(m string, limit int) []NoSemaphorePoint {
	var out []NoSemaphorePoint
	for _, pt := range res.Points {
		if pt.Model == m && pt.Semaphore == limit {
			out = append(out, pt)
		}
	}
	slices.SortStableFunc(out, func(a, b NoSemaphorePoint) int { return a.Concurrency - b.Concurrency })
	return out
}

// judgeModel judges one model's sweep.
func (res *NoSemaphoreResult) judgeModel(j *judgement, p *NoSemaphoreParams, m string) {
	free, limited := res.points(m, 0), res.points(m, p.Limit)
	if len(free) == 0 {
		return
	}
	// Without the semaphore.
	var ran []NoSemaphorePoint
	crashes := 0
	for _, pt := range free {
		if pt.Crash != "" {
			crashes++
			continue
		}
		if pt.OK > 0 {
			ran = append(ran, pt)
		}
	}
	j.add(claimPossibleCrash.Judge(Measurement{Model: m, Value: float64(crashes), Expected: 1, Unit: "processes",
		Detail: fmt.Sprintf("%d runs from %d to %d calls at once, the clients limited to %d descriptors; %s", len(free), free[0].Concurrency, free[len(free)-1].Concurrency, p.FDLimit, crashText(free))}))
	if len(ran) >= 2 && ran[0].Concurrency < ran[len(ran)-1].Concurrency {
		lo, hi := ran[0], ran[len(ran)-1]
		j.add(claimTailGrows.Judge(Measurement{Model: m, Value: hi.Latency.P99 / lo.Latency.P99, Expected: 2, Unit: "×", Busy: res.busy(lo.Run, hi.Run),
			Detail: fmt.Sprintf("p99 %.1f ms at %d calls at once, %.1f ms at %d (p50 %.1f and %.1f ms); the queueing bound at %d is %s",
				hi.Latency.P99, hi.Concurrency, lo.Latency.P99, lo.Concurrency, hi.Latency.P50, lo.Latency.P50, hi.Concurrency, showDur(queueBound(hi.Concurrency, p.Workers, p.Service)))}))
	}
	above, below, maxBelow, nAbove, nBelow := 0, 0, 0, 0, 0
	for _, pt := range free {
		if pt.Crash != "" {
			continue
		}
		switch files := pt.Errors[model.ErrTooManyFiles]; {
		case pt.Concurrency+pt.BaseFDs > pt.NoFile:
			above += files
			nAbove++
		case pt.Concurrency+pt.BaseFDs+belowMargin <= pt.NoFile:
			below = max(below, files)
			if files > 0 {
				maxBelow = pt.Concurrency
			}
			nBelow++
		}
	}
	if nAbove > 0 {
		j.add(claimFilesAbove.Judge(Measurement{Model: m, Value: float64(above), Expected: 1, Unit: "calls",
			Detail: fmt.Sprintf("%d concurrencies above the limit of %d descriptors (%d already open); %s", nAbove, p.FDLimit, free[0].BaseFDs, filesText(free, true))}))
	} else {
		j.note("%s: no concurrency was above the clients' %d descriptors: raise --concurrency or lower --fd-limit to see them run out", m, p.FDLimit)
	}
	if nBelow > 0 {
		d := fmt.Sprintf("%d concurrencies below the limit of %d descriptors", nBelow, p.FDLimit)
		if below > 0 {
			d += fmt.Sprintf("; %d at %d calls at once", below, maxBelow)
		}
		j.add(claimFilesBelow.Judge(Measurement{Model: m, Value: float64(below), Expected: 0, Unit: "calls",
			Detail: d}))
	}
	if top := free[len(free)-1]; top.Crash == "" {
		room := p.Workers + top.Server.Backlog + 1
		j.add(claimTimeouts.Judge(Measurement{Model: m, Value: float64(top.Errors[model.ErrTimeout]), Expected: 1, Unit: "calls",
			Detail: fmt.Sprintf("%d calls at once, timeout %s; the server holds %d (%d workers, a queue of %d): %s", top.Concurrency, p.Timeout, room, p.Workers, top.Server.Backlog+1, errorsText(top.Errors))}))
		j.add(claimQueueOverflows.Judge(Measurement{Model: m, Value: float64(top.Server.ListenOverflows), Expected: 1, Unit: "connections",
			Detail: fmt.Sprintf("%d calls at once; the accept queue peaked at %d of %d; %d SYNs dropped, the server answered %d", top.Concurrency, top.Server.PeakQueue, top.Server.Backlog+1, top.Server.ListenOverflows, top.Server.Served)}))
		j.add(claimCapacityNoSemaphore.Judge(Measurement{Model: m, Value: top.Throughput, Expected: res.Capacity, Unit: "calls/s", Busy: res.busy(top.Run),
			Detail: fmt.Sprintf("%d calls at once: %d answered in %s; capacity %d workers / %s", top.Concurrency, top.OK, showDur(top.Wall), p.Workers, p.Service)}))
	}

	// With the semaphore.
	if len(limited) == 0 {
		return
	}
	errs, worst := 0, NoSemaphorePoint{}
	ratio := -1.0
	for _, pt := range limited {
		errs += pt.Failed()
		if pt.Crash != "" {
			errs += pt.Tasks
			continue
		}
		b := queueBound(min(pt.Concurrency, p.Limit), p.Workers, p.Service) + connectAllowance
		if r := pt.CallLatency.P99 / ms(b); r > ratio {
			ratio, worst = r, pt
		}
	}
	j.add(claimSemaphoreNoErrors.Judge(Measurement{Model: m, Value: float64(errs), Expected: 0, Unit: "calls",
		Detail: fmt.Sprintf("%d runs from %d to %d calls at once under a semaphore of %d", len(limited), limited[0].Concurrency, limited[len(limited)-1].Concurrency, p.Limit)}))
	if worst.Model != "" {
		b := queueBound(min(worst.Concurrency, p.Limit), p.Workers, p.Service)
		j.add(claimSemaphoreBounds.Judge(Measurement{Model: m, Value: worst.CallLatency.P99 / 1000, Expected: seconds(b + connectAllowance), Unit: "s", Busy: res.busy(worst.Run),
			Detail: fmt.Sprintf("worst at %d calls at once: a call's p99 %.1f ms against ceil(%d / %d) × %s = %s, + 2 ms; with the wait for a slot, the task's p99 was %.1f ms",
				worst.Concurrency, worst.CallLatency.P99, min(worst.Concurrency, p.Limit), p.Workers, p.Service, showDur(b), worst.Latency.P99)}))
	}
	if top := limited[len(limited)-1]; top.Crash == "" {
		j.add(claimCapacitySemaphore.Judge(Measurement{Model: m, Value: top.Throughput, Expected: res.Capacity, Unit: "calls/s", Busy: res.busy(top.Run),
			Detail: fmt.Sprintf("%d calls at once under a semaphore of %d: %d answered in %s; capacity %d workers / %s", top.Concurrency, p.Limit, top.OK, showDur(top.Wall), p.Workers, p.Service)}))
	}
}

// connectAllowance is the time a call may take beyond the server's
// queueing, to connect over loopback and for the client's and server's
// goroutines to be scheduled, on a shared two-core machine.
const connectAllowance = 2 * time.Millisecond

// belowMargin is how many descriptors below the limit a concurrency must
// stay to count as below it: the model's own (an event loop's epoll and
// eventfd) and, for CPython, the interpreter's.
const belowMargin = 16

// crashText says which runs' clients died, or that none did.
func crashText(pts []NoSemaphorePoint) string {
	s := ""
	for _, pt := range pts {
		if pt.Crash != "" {
			s += fmt.Sprintf("at %d: %s; ", pt.Concurrency, pt.Crash)
		}
	}
	if s == "" {
		return "the client process survived every run, its failed calls counted by kind"
	}
	return s
}

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
