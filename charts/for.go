package charts

import (
	"errors"
	"fmt"

	"github.com/boundlab/boundlab/experiments"
)

// For returns all the charts for a result, in reading order:
//
//   - semaphore: runtime against the limit (log axes) and against the
//     latency, each with the formula's ideal, then a timeline of one
//     headline run per model;
//   - scaling: speedup against workers with min(workers, cores), efficiency,
//     a timeline per model at its largest pool, and the processes'
//     serialisation time against the payload;
//   - async-cpu: the event loop's lag over time against the longest CPU
//     step, speedup per model, and the event loop's and goroutines'
//     concurrent runs on one time axis;
//   - diagnosis: wall and CPU time per workload, the three utilisations
//     over time on one chart, then each workload's utilisation with its
//     diagnosis;
//   - sleeping: wall and CPU time per model, the utilisation while the
//     tasks wait, and the concurrent runs on one time axis.
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
	default:
		return nil, fmt.Errorf("charts: no charts for %T (question %q)", res, res.Base().Question)
	}
	if err != nil {
		return nil, fmt.Errorf("charts for %s: %w", res.Base().Question, err)
	}
	return cs, nil
}
