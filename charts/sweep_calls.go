package charts

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/experiments/model"
	"github.com/boundlab/boundlab/internal/units"
)

// The sweeps of the call experiments: the calls launched at once (no
// semaphore) and the task counts (many tasks), drawn as sweep charts whose
// bars are each call's task, a call that failed drawn as one.

// noSemaphoreSweep draws model m's concurrency sweep as a sweep chart: a
// point per concurrency, each with the run shown at that concurrency
// without the semaphore above the one with it (a row per call's task
// without, per slot with), the client's timeout as a line, and a line
// with each mode's p99 latency and calls answered and the recorded
// verdicts on model m of the claims judged over the sweep. The control
// starts at the most calls at once. ok is false when the sweep has fewer
// than two concurrencies or no run at any of them kept its tasks.
func noSemaphoreSweep(res *experiments.NoSemaphoreResult, m, server, stamp string) (c *Chart, ok bool, err error) {
	limit := limitOf(res)
	free := byMode(res, m, 0)
	if len(free) < 2 {
		return nil, false, nil
	}
	to := callTimeoutMark(res.Base())
	claims := claimsLine(res.Base(), m, "tail-grows", "overload-fails", "timeouts", "semaphore-no-errors", "semaphore-bounds-latency")
	points := make([]sweepPoint, len(free))
	for i, pf := range free {
		sp := sweepPoint{label: fmt.Sprintf("%d at once", pf.Concurrency), f: frame{stamp: stamp}, marks: to}
		modes := []experiments.NoSemaphorePoint{pf}
		if k := slices.IndexFunc(byMode(res, m, limit), func(p experiments.NoSemaphorePoint) bool { return p.Concurrency == pf.Concurrency }); k >= 0 && limit > 0 {
			modes = append(modes, byMode(res, m, limit)[k])
		}
		var lanes []lane
		var figures, which []string
		for _, p := range modes {
			figures = append(figures, semName(p.Semaphore)+": "+callFigures(p.CallRuns))
			if run := runOf(res.Base(), p.CallPoint); run != nil {
				lanes = append(lanes, lane{prefix: semName(p.Semaphore) + " · ", run: run})
				which = append(which, semName(p.Semaphore)+": "+whichCallRun(p.CallRuns))
			}
		}
		line := fmt.Sprintf("%d calls at once · %s\n%s", pf.Concurrency, strings.Join(figures, " · "), claims)
		if len(lanes) == 0 {
			sp.notKept(sp.label, line)
			points[i] = sp
			continue
		}
		sp.drawLanes(lanes, fmt.Sprintf("recorded runs at %d calls at once, one above the other (%s) · %s",
			pf.Concurrency, strings.Join(which, "; "), server), line)
		points[i] = sp
	}
	title := fmt.Sprintf("%s: the recorded concurrency sweep, each call's task (move the control below)", m)
	return sweepChart(title, stamp, points, len(points)-1, "a call's task, or a semaphore slot")
}

// manyTasksSweep draws model m's task-count sweep as a sweep chart: a
// point per count, each the run shown at that count (a row per task,
// sampled), the client's timeout as a line, and a line with the calls
// answered, the most tasks alive and descriptors open, and the recorded
// verdicts on model m of the claims judged over the sweep. The control
// starts at the largest count. ok is false when the sweep has fewer than
// two counts or no run at any of them kept its tasks.
func manyTasksSweep(res *experiments.ManyTasksResult, models []string, server, stamp string) (*Chart, error) {
	if len(models) == 0 {
		return nil, nil
	}
	m := models[0]
	var pts []experiments.CallRuns
	for _, p := range res.Points {
		if p.Model == m {
			pts = append(pts, p)
		}
	}
	slices.SortStableFunc(pts, func(a, b experiments.CallRuns) int { return a.Tasks - b.Tasks })
	if len(pts) < 2 {
		return nil, nil
	}
	to := callTimeoutMark(res.Base())
	claims := claimsLine(res.Base(), m, "memory-per-task", "fds-track-connections", "too-many-files-within", "collapse-fails", "client-survives")
	points := make([]sweepPoint, len(pts))
	for i, p := range pts {
		sp := sweepPoint{label: fmt.Sprintf("%d tasks", p.Tasks), f: frame{stamp: stamp}, marks: to}
		line := fmt.Sprintf("%d tasks, one call each · %s · at most %d alive at once, %d descriptors open (limit %d)\n%s",
			p.Tasks, callFigures(p), p.PeakLive, p.PeakFDs, p.NoFile, claims)
		run := runOf(res.Base(), p.CallPoint)
		if run == nil {
			sp.notKept(sp.label, line)
			points[i] = sp
			continue
		}
		sp.draw(run, fmt.Sprintf("recorded run at %d tasks (%s) · %s", p.Tasks, whichCallRun(p), server), line)
		points[i] = sp
	}
	title := fmt.Sprintf("%s: the recorded task-count sweep, each call's task (move the control below)", m)
	c, _, err := sweepChart(title, stamp, points, len(points)-1, "a call's task")
	return c, err
}

// runOf is the run p recorded, or nil where the child died or the run
// kept no tasks.
func runOf(r *experiments.Report, p experiments.CallPoint) *model.Run {
	if p.Run < 0 || p.Run >= len(r.Runs) || r.Runs[p.Run].Run == nil || len(r.Runs[p.Run].Spans) == 0 {
		return nil
	}
	return r.Runs[p.Run].Run
}

// whichCallRun says which of a setting's runs is drawn: the one whose
// answered calls a second are nearest their median (see CallRuns).
func whichCallRun(p experiments.CallRuns) string {
	if n := len(p.Repeats); n > 1 {
		return fmt.Sprintf("of %d runs, the one whose answered calls a second are nearest their median", n)
	}
	return "its one run"
}

// callFigures says what a setting's run shown did: its calls answered, or
// how the client died, its p99 latency, and its failed calls by kind.
func callFigures(p experiments.CallRuns) string {
	if p.Crash != "" {
		return "the client died: " + p.Crash
	}
	return fmt.Sprintf("%d of %d answered, p99 %s · %s", p.OK, p.Tasks,
		units.Duration(time.Duration(p.Latency.P99*float64(time.Millisecond))), errorsLine(p.Errors))
}

// callTimeoutMark is the client's timeout as a sweep mark, or none where
// the result does not record it.
func callTimeoutMark(r *experiments.Report) []sweepMark {
	to, err := time.ParseDuration(param(r, "timeout"))
	if err != nil || to <= 0 {
		return nil
	}
	return []sweepMark{{fmt.Sprintf("the client's timeout, %s after a call's start", to), ms(to)}}
}

// claimsLine lists the recorded verdicts on model m of the claims ids, in
// that order, skipping those not judged on m.
func claimsLine(r *experiments.Report, m string, ids ...string) string {
	var got []string
	for _, id := range ids {
		if v, ok := r.Verdict(id, m); ok {
			got = append(got, fmt.Sprintf("%s: %s", id, v.Outcome))
		}
	}
	if len(got) == 0 {
		return fmt.Sprintf("no claim of the sweep was judged on %s", m)
	}
	return fmt.Sprintf("the claims on the whole sweep (%s): %s", m, strings.Join(got, " · "))
}
