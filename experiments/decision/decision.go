// Package decision is the lecture's first takeaway and its decision
// framework as code: a program's class (I/O-bound, CPU-bound or mixed) read
// off its measured CPU utilisation, and what the framework recommends for
// it, in Python and in Go. It is pure: it reads a utilisation series that
// package measure sampled and returns a verdict with its reasons.
package decision

import (
	"fmt"
	"math"

	"github.com/boundlab/boundlab/experiments/measure"
)

// Class is what a program is bound by: the lecture's first question of any
// concurrency decision.
type Class string

// The classes.
const (
	// IOBound: the CPU is idle while the program waits for something
	// outside it (the network, a disk, a database, a timer).
	IOBound Class = "I/O-bound"
	// CPUBound: the program keeps a CPU busy; the computation is the
	// bottleneck.
	CPUBound Class = "CPU-bound"
	// Mixed: it does a good deal of both.
	Mixed Class = "mixed"
)

// The classifier's thresholds, in cores of mean utilisation over the run
// (CPU time over wall time, plus any time spent waiting for a CPU that
// other work held): below IOBoundBelow the program mostly waited; from
// CPUBoundFrom it kept at least one core busy.
const (
	IOBoundBelow = 0.2
	CPUBoundFrom = 0.8
)

// HighConcurrency is where the decision framework's "moderate" concurrency
// ends and "high" begins: waits in flight at once.
const HighConcurrency = 100

// Windows is how many windows of equal time Classify cuts a series into
// to find the interval of its demand (see measure.CPUSeries.Windows).
const Windows = 10

// level is the confidence of the demand's interval.
const level = 0.95

// Diagnosed is the verdict on one program's utilisation: its class, the
// figures it rests on, how far they are from the classifier's thresholds,
// and what the lecture's decision framework recommends.
type Diagnosed struct {
	Class Class `json:"class"`
	// Mean is the mean utilisation over the run, in cores (CPU time over
	// wall time); Waiting the mean time spent ready to run but waiting for
	// a CPU, in cores; Demand their sum, which the class is read from.
	Mean    float64 `json:"mean_cores"`
	Waiting float64 `json:"waiting_cores"`
	Demand  float64 `json:"demand_cores"`
	// Low and High bound the 95% interval of Demand, from the demand in
	// each of Windows windows of the run (measure.MeanCI): how far the
	// figure could be from the program's own, given how much it moved
	// over the run. Windows is how many windows there were (fewer than
	// Windows for a short series; under two, no interval: Low = High).
	Low     float64 `json:"demand_low"`
	High    float64 `json:"demand_high"`
	Windows int     `json:"windows"`
	// Threshold is the classifier's threshold nearest Demand, and Margin
	// Demand's distance from it, in cores: how far the figure is from
	// reading as another class. Near reports whether the interval reaches
	// across a threshold: the class could as well be its neighbour's.
	Threshold float64 `json:"threshold"`
	Margin    float64 `json:"margin_cores"`
	Near      bool    `json:"near_threshold,omitempty"`
	// Peak is the highest utilisation of any sample, in cores.
	Peak float64 `json:"peak_cores"`
	// Idle is the share of samples below IOBoundBelow: the time the
	// program spent waiting, as top would show it.
	Idle float64 `json:"idle_share"`
	// Reason says in a sentence why it is of its class.
	Reason string `json:"reason"`
	// Recommendation is the decision framework's advice for the class.
	Recommendation Recommendation `json:"recommendation"`
}

// Recommendation is the lecture's decision framework applied to a class.
type Recommendation struct {
	// Rule is the framework's line that applies.
	Rule string `json:"rule"`
	// Python and Go say what to use in each.
	Python string `json:"python"`
	Go     string `json:"go"`
}

// ClassOf is the class of a mean demand for CPU, in cores: I/O-bound under
// IOBoundBelow, CPU-bound from CPUBoundFrom, mixed between.
func ClassOf(demand float64) Class {
	switch {
	case demand < IOBoundBelow:
		return IOBound
	case demand >= CPUBoundFrom:
		return CPUBound
	}
	return Mixed
}

// bounds is the range of demand that reads as class c: from lo (inclusive)
// to hi (exclusive).
func bounds(c Class) (lo, hi float64) {
	switch c {
	case IOBound:
		return math.Inf(-1), IOBoundBelow
	case CPUBound:
		return CPUBoundFrom, math.Inf(1)
	}
	return IOBoundBelow, CPUBoundFrom
}

// Margin is how far a demand x lies inside the range that reads as class
// c, in cores: its distance from the nearer of the range's thresholds,
// positive inside the range, negative outside it (then the distance to
// the threshold it would have to cross).
func Margin(c Class, x float64) float64 {
	lo, hi := bounds(c)
	return math.Min(x-lo, hi-x)
}

// MarginRange is the range of Margin(c, x) for x from low to high: the
// interval of a margin, given the interval of the demand.
func MarginRange(c Class, low, high float64) (float64, float64) {
	a, b := Margin(c, low), Margin(c, high)
	lo, hi := math.Min(a, b), math.Max(a, b)
	// The margin peaks mid-range, which may lie inside [low, high].
	if rlo, rhi := bounds(c); !math.IsInf(rlo, 0) && !math.IsInf(rhi, 0) {
		if mid := (rlo + rhi) / 2; low <= mid && mid <= high {
			hi = Margin(c, mid)
		}
	}
	return lo, hi
}

// Classify reads a program's class off its utilisation series: I/O-bound
// if its mean demand for CPU (utilisation plus waiting for a CPU) is under
// IOBoundBelow cores, CPU-bound from CPUBoundFrom, mixed between. Waiting
// for a CPU counts as demand: on a busy machine a CPU-bound program gets
// less than a core, but it is still computing-bound, not waiting on I/O.
// It also finds how sure the class is: the demand's 95% interval over
// Windows windows of the run, and its margin from the nearest threshold.
// concurrency is how many waits the program has in flight at once, for the
// recommendation (0: unknown).
func Classify(s measure.CPUSeries, concurrency int) Diagnosed {
	d := Diagnosed{Mean: s.Mean(), Waiting: s.MeanWaiting(), Peak: s.Peak()}
	d.Demand = d.Mean + d.Waiting
	d.Low, d.High = d.Demand, d.Demand
	used, queued := s.Windows(Windows)
	d.Windows = len(used)
	if d.Windows >= 2 {
		demand := make([]float64, len(used))
		for i := range used {
			demand[i] = used[i] + queued[i]
		}
		ci := measure.MeanCI(demand, level)
		d.Low, d.High = ci.Low, ci.High
	}
	idle := 0
	for _, x := range s.Samples {
		if x.Cores+x.Waiting < IOBoundBelow {
			idle++
		}
	}
	if n := len(s.Samples); n > 0 {
		d.Idle = float64(idle) / float64(n)
	}
	d.Class = ClassOf(d.Demand)
	d.Margin = Margin(d.Class, d.Demand)
	d.Threshold = IOBoundBelow
	if math.Abs(d.Demand-CPUBoundFrom) < math.Abs(d.Demand-IOBoundBelow) {
		d.Threshold = CPUBoundFrom
	}
	d.Near = ClassOf(d.Low) != ClassOf(d.High)
	pct := func(x float64) string { return fmt.Sprintf("%.0f%%", 100*x) }
	fig := fmt.Sprintf("%.2f cores on average (%s of one core)", d.Demand, pct(d.Demand))
	if d.Waiting >= 0.01 {
		fig = fmt.Sprintf("%.2f cores on average (%s of one core): %.2f used, %.2f waiting for a CPU that other work held",
			d.Demand, pct(d.Demand), d.Mean, d.Waiting)
	}
	switch d.Class {
	case IOBound:
		d.Reason = fmt.Sprintf("the CPU was idle while it ran: %s, under the %.1f that marks waiting", fig, IOBoundBelow)
	case CPUBound:
		d.Reason = fmt.Sprintf("it kept the CPU busy: %s, at least the %.1f that marks computing", fig, CPUBoundFrom)
	default:
		d.Reason = fmt.Sprintf("it computed part of the time and waited the rest: %s, between %.1f and %.1f; idle in %s of the samples",
			fig, IOBoundBelow, CPUBoundFrom, pct(d.Idle))
	}
	if d.Near {
		other := ClassOf(d.Low)
		if other == d.Class {
			other = ClassOf(d.High)
		}
		d.Reason += fmt.Sprintf("; but only %.2f cores from the threshold %.1f, and over the run it moved more than that (95%% interval %.2f to %.2f over %d windows): it could as well be %s",
			d.Margin, d.Threshold, d.Low, d.High, d.Windows, other)
	}
	d.Recommendation = Recommend(d.Class, concurrency)
	return d
}

// Recommend applies the lecture's decision framework: "I/O-bound +
// moderate concurrency → threads; I/O-bound + high concurrency → async;
// CPU-bound + true parallelism → multiprocessing", worded for Python and
// for Go. concurrency is the waits in flight at once (0: unknown; from
// HighConcurrency it is high).
func Recommend(c Class, concurrency int) Recommendation {
	switch c {
	case IOBound:
		r := Recommendation{
			Go: "goroutines, one per wait: each costs a few KiB, so thousands are fine; bound what is in flight with a semaphore (a buffered channel)",
		}
		switch {
		case concurrency >= HighConcurrency:
			r.Rule = fmt.Sprintf("I/O-bound + high concurrency (%d waits at once) → async", concurrency)
			r.Python = "asyncio: one thread, an event loop overlapping thousands of waits; limit the in-flight requests with a semaphore"
		case concurrency > 0:
			r.Rule = fmt.Sprintf("I/O-bound + moderate concurrency (%d waits at once) → threads", concurrency)
			r.Python = "threads (threading, ThreadPoolExecutor): the GIL is released while a thread waits, so the waits overlap"
		default:
			r.Rule = "I/O-bound → threads for moderate concurrency, async for high concurrency"
			r.Python = fmt.Sprintf("threads (ThreadPoolExecutor) for tens of waits at once; asyncio from about %d; processes would add memory and no speed", HighConcurrency)
		}
		return r
	case CPUBound:
		return Recommendation{
			Rule:   "CPU-bound + true parallelism → multiprocessing",
			Python: "processes (multiprocessing, ProcessPoolExecutor), one per core: threads give no speedup under the GIL and a coroutine blocks its event loop",
			Go:     "goroutines already run on every core: a pool of runtime.GOMAXPROCS(0) workers; more goroutines than cores add no speed",
		}
	default:
		return Recommendation{
			Rule:   "mixed → split it: the computing part by the CPU-bound rule, the waiting part by the I/O-bound one",
			Python: "find the computing part in the profile and move it to a process pool (loop.run_in_executor with a ProcessPoolExecutor); keep the waiting on threads or asyncio",
			Go:     "goroutines do both: one per wait, with the computing bounded to runtime.GOMAXPROCS(0) at a time",
		}
	}
}
