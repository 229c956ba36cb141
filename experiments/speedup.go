package experiments

import (
	"fmt"
	"math"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/experiments/model"
)

// The CPU-bound questions (async-cpu, scaling) judge speedups: one run's
// wall time over another's, as measured. A speedup is taken round by
// round, each run against the run of the same round it is compared with:
// the runs of a round ran back to back (interleave), so that a ratio
// within a round cancels the drift of a shared machine, which a ratio of
// two medians would not. The median of the rounds' ratios and its 95%
// interval are judged.
//
// Beside a CPython speedup the result shows it at the calibrated speed
// (each wall over its run's slowdown), labelled, as an explanation of a
// miss: the interpreter's speed on a shared machine swings far more than
// Go's tight loop. It is never what a verdict judges: for processes it
// would divide out the very cost of running in parallel (shared caches,
// memory bandwidth, lower clocks) that decides whether they scale.

// SpeedupCI is a speedup as measured, round by round, with its median and
// 95% interval, and for CPython the same at the calibrated speed beside it.
type SpeedupCI struct {
	// Speedups are, round by round, the slower way's wall over the faster
	// way's (one worker over this pool, one after another over all at
	// once), as measured; Speedup is their median and [Low, High] its 95%
	// interval: what the verdicts judge.
	Speedups []float64 `json:"speedups"`
	Speedup  float64   `json:"speedup"`
	Low      float64   `json:"speedup_low"`
	High     float64   `json:"speedup_high"`
	// Calibrated are, for CPython, the same with each wall taken at the
	// calibrated speed (over its run's slowdown), and CalibratedSpeedup
	// their median: an explanation of a miss, not judged. Slowdown is the
	// faster way's runs' median task CPU time over the work's calibrated
	// time.
	Calibrated        []float64 `json:"calibrated_speedups,omitempty"`
	CalibratedSpeedup float64   `json:"calibrated_speedup,omitempty"`
	Slowdown          float64   `json:"slowdown,omitempty"`
}

// speedupOf is the speedup of runs fast over runs slow (indexes in r.Runs,
// by round), and with calibrated, for work of calibrated time work, the
// same at the calibrated speed beside it.
func speedupOf(r *Report, slow, fast []int, calibrated bool, work time.Duration) SpeedupCI {
	s := SpeedupCI{Speedups: roundRatios(r, slow, fast, wallOf)}
	ci := measure.MedianCI(s.Speedups, level)
	s.Speedup, s.Low, s.High = ci.Median, ci.Low, ci.High
	if calibrated {
		s.Calibrated = roundRatios(r, slow, fast, calibratedWall(work))
		s.CalibratedSpeedup = measure.MedianCI(s.Calibrated, level).Median
		s.Slowdown = medianOf(r, fast, func(run *model.Run) float64 { return slowdown(run, work) }).Median
	}
	return s
}

// calibratedText is the calibrated figure for a verdict's detail, labelled
// as the explanation it is; "" where there is none.
func (s SpeedupCI) calibratedText() string {
	if len(s.Calibrated) == 0 {
		return ""
	}
	ci := measure.MedianCI(s.Calibrated, level)
	return fmt.Sprintf("at the calibrated speed (each wall over its tasks' CPU per calibrated second; an explanation, not judged) %s, the runs' CPU %.2f× the calibrated",
		figure(ci.Median, ci.Low, ci.High, ci.N, "%.3f×"), s.Slowdown)
}

// Text writes the speedup with its interval, e.g. "1.980× [1.950,
// 2.000]", or alone from one round.
func (s SpeedupCI) Text() string {
	return figure(s.Speedup, s.Low, s.High, len(s.Speedups), "%.3f") + "×"
}

// slowdown is how much slower than calibrated a run's CPU steps computed:
// its tasks' CPU time over the calibrated time of their work. It is 0 where
// the model does not measure per-task CPU (goroutines) or there is no work.
func slowdown(run *model.Run, work time.Duration) float64 {
	if run == nil || run.Totals.TaskCPU <= 0 || work <= 0 {
		return 0
	}
	return ratio(run.Totals.TaskCPU, work)
}

// wallOf is a run's wall time, in ns.
func wallOf(run *model.Run) float64 { return float64(run.Totals.Wall) }

// calibratedWall returns a function giving a run's wall time at the
// calibrated speed, for work of calibrated time work: its wall over its
// slowdown, or its wall as measured where the slowdown is unknown.
func calibratedWall(work time.Duration) func(*model.Run) float64 {
	return func(run *model.Run) float64 {
		if s := slowdown(run, work); s > 0 {
			return wallOf(run) / s
		}
		return wallOf(run)
	}
}

// coresUsed is how many cores a run kept busy: its CPU time (worker
// processes' included) over its wall time.
func coresUsed(run *model.Run) float64 {
	if run.Totals.Wall <= 0 {
		return 0
	}
	return ratio(run.Totals.CPU(), run.Totals.Wall)
}

// roundRatios is, round by round, f of run num[k] over f of run den[k]
// (indexes in r.Runs), for the rounds both have.
func roundRatios(r *Report, num, den []int, f func(*model.Run) float64) []float64 {
	n := min(len(num), len(den))
	out := make([]float64, 0, n)
	for k := range n {
		a, b := r.Runs[num[k]].Run, r.Runs[den[k]].Run
		if a == nil || b == nil {
			continue
		}
		if y := f(b); y > 0 {
			out = append(out, f(a)/y)
		}
	}
	return out
}

// ratiosOf is, element by element, a[k] over b[k], for the elements both
// have.
func ratiosOf(a, b []float64) []float64 {
	n := min(len(a), len(b))
	out := make([]float64, 0, n)
	for k := range n {
		if b[k] > 0 {
			out = append(out, a[k]/b[k])
		}
	}
	return out
}

// medianOf is f over the runs (indexes in r.Runs): the median with its 95%
// interval.
func medianOf(r *Report, runs []int, f func(*model.Run) float64) measure.CI {
	xs := make([]float64, 0, len(runs))
	for _, i := range runs {
		if run := r.Runs[i].Run; run != nil {
			xs = append(xs, f(run))
		}
	}
	return measure.MedianCI(xs, level)
}

// medianRun is the one of runs whose f is nearest their median: the run a
// chart draws as the typical one. It is -1 for no runs.
func medianRun(r *Report, runs []int, f func(*model.Run) float64) int {
	if len(runs) == 0 {
		return -1
	}
	med := medianOf(r, runs, f).Median
	best := runs[0]
	off := func(i int) float64 {
		if run := r.Runs[i].Run; run != nil {
			return math.Abs(f(run) - med)
		}
		return math.Inf(1)
	}
	for _, i := range runs {
		if off(i) < off(best) {
			best = i
		}
	}
	return best
}

// durationsOf is f over the runs, as durations.
func durationsOf(r *Report, runs []int, f func(*model.Run) time.Duration) []time.Duration {
	out := make([]time.Duration, 0, len(runs))
	for _, i := range runs {
		if run := r.Runs[i].Run; run != nil {
			out = append(out, f(run))
		}
	}
	return out
}

// medianDuration is the median of ds.
func medianDuration(ds []time.Duration) time.Duration {
	xs := make([]float64, len(ds))
	for i, d := range ds {
		xs[i] = float64(d)
	}
	return time.Duration(measure.MedianCI(xs, level).Median)
}
