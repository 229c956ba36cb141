package experiments

import (
	"context"
	"fmt"
	"time"

	"github.com/boundlab/boundlab/experiments/model"
)

// repeatsFor is how many times a figure's run is repeated at the lecture's
// setting, for a run that takes about d: six under two seconds (six is the
// fewest runs whose extremes bound the median at 95% without assuming a
// distribution, see measure.MedianCI), three otherwise (an interval from
// Student's t, wider, where six runs would take too long).
func repeatsFor(d time.Duration) int {
	if d < 2*time.Second {
		return 6
	}
	return 3
}

// arm is one thing a question runs, and may run again: a model on tasks
// with a configuration, named for progress and weighted by the seconds it
// is expected to take.
type arm struct {
	stage  string
	weight float64
	model  model.Name
	tasks  []model.Task
	cfg    model.Config
}

// weight is the arms' expected seconds over rounds rounds, for
// tracker.expect.
func weight(rounds int, arms []arm) float64 {
	w := 0.0
	for _, a := range arms {
		w += a.weight
	}
	return w * float64(rounds)
}

// interleave calls do for every one of n arms, rounds times, in rounds:
// arm 0, 1, …, n−1, then arm 0 again (A B C A B C …), so that a drift in
// the machine over the minutes of a run (a neighbour's job starting, a
// CPU's clock falling) hits every arm alike, rather than the one that
// happened to run last. It stops at the first error.
func interleave(rounds, n int, do func(round, arm int) error) error {
	for r := range rounds {
		for a := range n {
			if err := do(r, a); err != nil {
				return err
			}
		}
	}
	return nil
}

// roundByRound is f of a's k-th run and b's k-th, for the rounds both
// have: the runs of a round are back to back, so a pair saw the same
// machine.
func roundByRound[T any](a, b []T, f func(x, y T) float64) []float64 {
	n := min(len(a), len(b))
	out := make([]float64, 0, n)
	for i := range n {
		out = append(out, f(a[i], b[i]))
	}
	return out
}

// runArms runs the arms rounds times, interleaved (see interleave), and
// records every run in r under its arm's label. It returns the runs'
// indexes in r.Runs by arm, in round order: out[a][k] is arm a's k-th run.
func (r *Report) runArms(ctx context.Context, tr *tracker, rounds int, arms []arm, label func(a int) string) ([][]int, error) {
	out := make([][]int, len(arms))
	err := interleave(rounds, len(arms), func(k, a int) error {
		stage := arms[a].stage
		if rounds > 1 {
			stage += fmt.Sprintf(" (run %d of %d)", k+1, rounds)
		}
		run, err := runModel(ctx, tr, stage, arms[a].weight, arms[a].model, arms[a].tasks, arms[a].cfg)
		if err != nil {
			return err
		}
		out[a] = append(out[a], r.record(label(a), run))
		return nil
	})
	return out, err
}

// traceArm runs arm a once more with its tasks' scheduling traced
// (model.Config.Trace: when each task was on a CPU and when it waited for
// one), apart from the measured runs, since tracing costs a run some
// speed, and records it under label. It returns the run's index in r.Runs,
// or -1, with a note, where the run could not be traced (Go's execution
// tracer already on in this process, say): a timeline then draws an
// untraced run.
func (r *Report) traceArm(ctx context.Context, tr *tracker, a arm, label string) (int, error) {
	cfg := a.cfg
	cfg.Trace = true
	run, err := runModel(ctx, tr, a.stage+", traced", a.weight, a.model, a.tasks, cfg)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return -1, err
		}
		r.Notes = append(r.Notes, fmt.Sprintf("%s: no traced run (%v); its timeline draws a measured run, untraced", a.stage, err))
		return -1, nil
	}
	return r.record(label, run), nil
}

// traced is run i of r if it is a traced run (see traceArm), else nil.
func (r *Report) traced(i int) *model.Run {
	if i < 0 || i >= len(r.Runs) || r.Runs[i].Run == nil || r.Runs[i].Trace == nil {
		return nil
	}
	return r.Runs[i].Run
}

// pairedRatios are a/b run by run, over the rounds both have: the runs of
// a round are back to back, so a pair saw the same machine.
func pairedRatios[T time.Duration | int64](a, b []T) []float64 {
	return roundByRound(a, b, func(x, y T) float64 { return float64(x) / float64(y) })
}
