package charts

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/experiments/model"
)

// withCallSpans makes r's run i a copy holding tasks calls of 10 ms each,
// on slots workers (a task's own where slots is 0), every failEvery-th
// failing (none where it is 0), and returns how many failed.
func withCallSpans(r *experiments.Report, i, tasks, slots, failEvery int) int {
	run := *r.Runs[i].Run
	run.Spans, run.Tasks = nil, tasks
	failed := 0
	for k := range tasks {
		w, start := k, time.Duration(0)
		if slots > 0 {
			w, start = k%slots, time.Duration(k/slots)*10*time.Millisecond
		}
		s := model.Span{Task: k, Worker: w, Start: start, End: start + 10*time.Millisecond,
			Segments: []model.Segment{{Kind: model.KindCall, Start: start, End: start + 10*time.Millisecond}}}
		if failEvery > 0 && k%failEvery == 0 {
			s.Err, s.ErrKind = "call: timeout", model.ErrTimeout
			failed++
		}
		run.Spans = append(run.Spans, s)
	}
	r.Runs[i].Run = &run
	return failed
}

// barsOf counts an option's bars by series (kind) index.
func barsOf(op sweepOptPoint) []int {
	var n []int
	for _, s := range op.Series {
		n = append(n, len(s.Data))
	}
	return n
}

// TestNoSemaphoreSweep gives the recorded quick run's goroutines runs
// tasks (the recorded result kept none): a control point per concurrency,
// starting at the most; each point the run without the semaphore above
// the one with it, a row per call without and per slot with, the failed
// calls drawn as such; the client's timeout as a line; and the recorded
// verdicts of the sweep's claims, an edited one showing through.
func TestNoSemaphoreSweep(t *testing.T) {
	res := *must(noSemaphoreResult())(t)
	r := res.Base()
	r.Runs = slices.Clone(r.Runs)
	r.Verdicts = slices.Clone(r.Verdicts)
	k := slices.IndexFunc(r.Verdicts, func(v experiments.Verdict) bool { return v.ClaimID == "tail-grows" && v.Model == "goroutines" })
	if k < 0 {
		t.Fatal("no recorded tail-grows verdict on goroutines")
	}
	r.Verdicts[k].Outcome = experiments.DoesNotHold
	failed := map[int]int{}
	for _, p := range res.Points {
		if p.Model != "goroutines" || p.Run < 0 {
			continue
		}
		if p.Semaphore == 0 {
			// Every third call fails at 400 at once, none below.
			failed[p.Concurrency] = withCallSpans(r, p.Run, p.Concurrency, 0, map[bool]int{true: 3}[p.Concurrency == 400])
		} else {
			withCallSpans(r, p.Run, p.Concurrency, p.Semaphore, 0)
		}
	}
	c, ok, err := noSemaphoreSweep(&res, "goroutines", "the server", "")
	if err != nil || !ok {
		t.Fatalf("noSemaphoreSweep: ok %v, err %v", ok, err)
	}
	// The control starts at the most calls at once.
	o := sweepHead(t, c, "goroutines: the recorded concurrency sweep", []string{"10 at once", "100 at once", "400 at once"}, 2)
	// The series are the kinds drawn: calls, then failed calls.
	if want := []SeriesInfo{{"call", 0}, {"failed call", 0}}; len(c.Series()) != 2 || c.Series()[0].Name != want[0].Name || c.Series()[1].Name != want[1].Name {
		t.Fatalf("series %v, want call and failed call", c.Series())
	}
	for i, conc := range []int{10, 100, 400} {
		op := o.Options[i]
		sub := op.Title.Subtext
		for _, w := range []string{fmt.Sprintf("recorded runs at %d calls at once, one above the other", conc),
			fmt.Sprintf("%d calls at once · no semaphore: ", conc), " · semaphore 20: ",
			"the claims on the whole sweep (goroutines): tail-grows: does not hold · overload-fails: "} {
			if !strings.Contains(sub, w) {
				t.Errorf("%d at once: subtitle %q lacks %q", conc, sub, w)
			}
		}
		if marks := op.Series[0].MarkLine.Data; len(marks) != 1 || marks[0].XAxis != 800 {
			t.Errorf("%d at once: marks %+v, want the client's timeout at 800 ms", conc, marks)
		}
		rows := op.YAxis[0].Data
		free := slices.IndexFunc(rows, func(s string) bool { return strings.HasPrefix(s, "semaphore 20 · ") })
		if free <= 0 || !strings.HasPrefix(rows[0], "no semaphore · ") || len(rows)-free > sweepRows/2 {
			t.Errorf("%d at once: rows %q, want the calls without the semaphore, then the slots of the semaphore", conc, rows)
		}
		for _, row := range rows[max(free, 0):] {
			var w int
			if _, err := fmt.Sscanf(row, "semaphore 20 · worker %d", &w); err != nil || w >= 20 {
				t.Errorf("%d at once: row %q below the calls is not one of the semaphore's 20 slots", conc, row)
			}
		}
		// The failed calls: drawn as such, on the rows without the
		// semaphore only.
		n := barsOf(op)
		drawnFailed := 0
		for _, b := range op.Series[1].Data {
			if int(b[0]) >= free || int(b[3])%3 != 0 {
				t.Errorf("%d at once: failed bar %v is not a failed call without the semaphore", conc, b)
			}
			drawnFailed++
		}
		if (failed[conc] > 0) != (drawnFailed > 0) || n[0] == 0 {
			t.Errorf("%d at once: %d failed bars of %d failed calls, %d answered bars", conc, drawnFailed, failed[conc], n[0])
		}
	}
}

// TestManyTasksSweep gives the recorded quick run's goroutines runs tasks
// (the recorded result kept none): a control point per task count,
// starting at the largest, each with that count's figures and the sweep's
// claims; and a result whose runs kept no tasks has no sweep.
func TestManyTasksSweep(t *testing.T) {
	orig := must(manyTasksResult())(t)
	if c, err := manyTasksSweep(orig, []string{"goroutines"}, "", ""); c != nil || err != nil {
		t.Errorf("no tasks kept: chart %v, err %v; want none", c != nil, err)
	}
	res := *orig
	r := res.Base()
	r.Runs = slices.Clone(r.Runs)
	var counts []string
	for _, p := range res.Points {
		if p.Model == "goroutines" && p.Run >= 0 {
			withCallSpans(r, p.Run, p.Tasks, 0, 0)
			counts = append(counts, fmt.Sprintf("%d tasks", p.Tasks))
		}
	}
	c, err := manyTasksSweep(&res, []string{"goroutines", "eventloop"}, "the server", "")
	if err != nil || c == nil {
		t.Fatalf("manyTasksSweep: chart %v, err %v", c != nil, err)
	}
	o := sweepHead(t, c, "goroutines: the recorded task-count sweep", counts, len(counts)-1)
	for i, op := range o.Options {
		sub := op.Title.Subtext
		for _, w := range []string{"recorded run at " + counts[i], counts[i] + ", one call each", "descriptors open (limit",
			"the claims on the whole sweep (goroutines): memory-per-task: "} {
			if !strings.Contains(sub, w) {
				t.Errorf("%s: subtitle %q lacks %q", counts[i], sub, w)
			}
		}
		if len(op.YAxis[0].Data) > sweepRows || len(op.Series[0].Data) > sweepBars || len(op.Series[0].Data) == 0 {
			t.Errorf("%s: %d rows, %d bars; want some, within %d and %d", counts[i], len(op.YAxis[0].Data), len(op.Series[0].Data), sweepRows, sweepBars)
		}
	}
}
