package charts

import (
	"errors"
	"fmt"

	"github.com/boundlab/boundlab/experiments"
)

// For returns all the charts for a result, in reading order:
//
//   - semaphore: runtime against the limit (log axes), runtime over the
//     formula against the limit with the bounds its verdicts judge, and
//     runtime against the latency with the formula's ideal, each figure
//     from several runs with its 95% interval as an error bar; then the
//     tasks in flight over one headline run per model, the first model's
//     run as a timeline, and the first model's limit sweep as a timeline
//     with ECharts' timeline control, a point per limit switching to that
//     limit's recorded run (where the result kept any sweep run's tasks);
//   - scaling: speedup against workers with min(workers, cores), efficiency,
//     a timeline per model at its largest pool, and the processes'
//     serialisation time against the payload;
//   - async-cpu: the event loops' heartbeats, when each fired against
//     when it was due, beside a free loop's schedule; speedup per model;
//     and the event loop's and goroutines' concurrent runs on one time
//     axis;
//   - diagnosis: wall and CPU time per workload, the utilisations over
//     time on one chart, each workload's demand for CPU with its 95%
//     interval against the cores it is built to use and the classifier's
//     thresholds, then each workload's utilisation with its diagnosis;
//   - sleeping: wall and CPU time per model, the utilisation while the
//     tasks wait, and the concurrent runs on one time axis;
//   - no-semaphore: throughput against concurrency, then per model its
//     latency percentiles and its failed calls by kind, without and with
//     the semaphore;
//   - many-tasks: memory against live tasks, open descriptors against
//     tasks and over time, failed calls by kind, scheduling delay, GC
//     cycles;
//   - json: latency p50, p95 and p99 per variant, the event loops' lag
//     over time (Go's loops, then CPython's asyncio), throughput beside
//     the baselines, then, over the payload sweep (two sizes or more),
//     the p99, the event loops' worst lag and the memory against the
//     payload;
//   - memory: the memory held against the live tasks, bytes per task,
//     what a task holds part by part (if any breakdown), the time to
//     create them;
//   - matrix: runtime and memory as heatmaps of workload by model, each
//     with its colour scale.
//
// Every chart's subtitle carries the result's machine stamp.
func For(res experiments.Result) ([]*Chart, error) {
	var (
		cs  []*Chart
		err error
	)
	switch r := res.(type) {
	case nil:
		return nil, errors.New("charts: no result")
	case *experiments.SemaphoreResult:
		cs, err = semaphoreCharts(r)
	case *experiments.ScalingResult:
		cs, err = scalingCharts(r)
	case *experiments.AsyncCPUResult:
		cs, err = asyncCPUCharts(r)
	case *experiments.DiagnosisResult:
		cs, err = diagnosisCharts(r)
	case *experiments.SleepingResult:
		cs, err = sleepingCharts(r)
	case *experiments.NoSemaphoreResult:
		cs, err = noSemaphoreCharts(r)
	case *experiments.ManyTasksResult:
		cs, err = manyTasksCharts(r)
	case *experiments.JSONResult:
		cs, err = jsonCharts(r)
	case *experiments.MemoryResult:
		cs, err = memoryCharts(r)
	case *experiments.MatrixResult:
		cs, err = matrixCharts(r)
	default:
		return nil, fmt.Errorf("charts: no charts for %T (question %q)", res, res.Base().Question)
	}
	if err != nil {
		return nil, fmt.Errorf("charts for %s: %w", res.Base().Question, err)
	}
	return cs, nil
}
