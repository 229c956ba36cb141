package charts

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/experiments/model"
	"github.com/boundlab/boundlab/internal/units"
)

// GIL draws who held the GIL when, on one time axis: the gil model's
// threads on the sampled tasks (a gil thread computes only while it holds
// its lock: red, its cpu segments; amber, its waits for the lock), beside
// CPython's pool threads as py-spy sampled them (red where a sample found
// the thread holding the GIL, amber where it found it inside its task
// without it, each bar from its sample to the next). Each CPython thread
// is drawn on the row of the worker whose tasks it ran, read off the run's
// own spans. It fails, saying why, where the result has no sampled run.
func GIL(res *experiments.ScalingResult) (*Chart, error) {
	if res == nil || res.GIL == nil {
		return nil, errors.New("charts: no sampled GIL in this result (scaling with the cpython model and --spy-threads above 0)")
	}
	g := res.GIL
	if g.Note != "" || len(g.Samples) == 0 {
		return nil, fmt.Errorf("charts: %s", cmpStr(g.Note, "py-spy took no samples"))
	}
	if !validRun(res.Base(), g.CPython) || !validRun(res.Base(), g.Model) {
		return nil, errors.New("charts: the sampled runs are not in the result")
	}
	py := res.Runs[g.CPython].Run
	sampled, left := sampledRun(g, py)
	gil := res.Runs[g.Model].Run
	f := frame{
		title: fmt.Sprintf("Who holds the GIL: the gil model beside CPython, sampled by py-spy (%d threads, %d tasks × %s)", g.Pool, g.Tasks, g.CPU),
		context: fmt.Sprintf("red: holding the lock and computing; amber: waiting for it · gil model: its own record (wall %s) · CPython: %d py-spy samples (wall %s), a bar from each sample to the next",
			units.Duration(gil.Totals.Wall), len(g.Samples), units.Duration(py.Totals.Wall)),
		stamp: res.Stamp.String(),
	}
	if len(left) > 0 {
		f.note = "not drawn, running no task: " + strings.Join(left, ", ")
	}
	return timeline(f, lane{prefix: "gil model · ", run: gil}, lane{prefix: "CPython (py-spy) · ", run: sampled})
}

// cmpStr is s, or def if s is empty.
func cmpStr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// sampledRun turns py-spy's samples into a run to draw: a span per task a
// pool thread was found in, with a cpu segment where the sample found it
// holding the GIL and a gil-wait segment where it found it without, each
// from its sample to the next, on the row of the worker the thread is. It
// also says, of the threads found in no task (the main thread, say), how
// often they held the GIL.
func sampledRun(g *experiments.RealGIL, py *model.Run) (*model.Run, []string) {
	worker := matchThreads(g, py)
	out := &model.Run{Model: py.Model, Flavor: py.Flavor, Concurrency: py.Concurrency}
	spanOf := map[int]int{} // task -> index in out.Spans
	for i, x := range g.Samples {
		end := g.End
		if i+1 < len(g.Samples) {
			end = g.Samples[i+1].At
		}
		for _, st := range x.Threads {
			w, ok := worker[st.Ident]
			if !ok {
				continue
			}
			kind := model.KindGIL
			if st.GIL {
				kind = model.KindCPU
			}
			// The state holds from this sample to the next: in the task the
			// worker ran then, and in any it went on to before the next.
			for _, task := range tasksBetween(py, w, x.At, end) {
				j, seen := spanOf[task.Task]
				if !seen {
					j = len(out.Spans)
					spanOf[task.Task] = j
					out.Spans = append(out.Spans, model.Span{Task: task.Task, Worker: w, Queued: task.Queued, Start: task.Start, End: task.End})
				}
				sg := model.Segment{Kind: kind, Start: max(x.At, task.Start), End: min(end, task.End)}
				sp := &out.Spans[j]
				if n := len(sp.Segments); n > 0 && sp.Segments[n-1].Kind == kind && sp.Segments[n-1].End >= sg.Start {
					sp.Segments[n-1].End = max(sp.Segments[n-1].End, sg.End)
					continue
				}
				sp.Segments = append(sp.Segments, sg)
			}
		}
	}
	var left []string
	for _, t := range g.Threads {
		if _, ok := worker[t.Ident]; !ok {
			left = append(left, fmt.Sprintf("%s (the GIL in %.0f%% of its samples)", t.Name, 100*t.GILShare()))
		}
	}
	return out, left
}

// tasksBetween are the spans of run that worker w was running at some time
// from a to b, the one running at a first: none if it was running none at
// a (between tasks, or done).
func tasksBetween(run *model.Run, w int, a, b time.Duration) []model.Span {
	var out []model.Span
	for _, s := range run.Spans {
		if s.Worker == w && s.Start < b && a < s.End {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	if len(out) == 0 || out[0].Start > a {
		return nil
	}
	return out
}

// matchThreads finds which of the run's workers each sampled thread is:
// the run numbers its threads in the order they first ran a task, py-spy
// names them by Python's ident. A sample that found a thread holding the
// GIL while one worker alone was computing (a cpu segment of the run's own
// record) is a vote for that pair; pairs are taken by votes, most first.
func matchThreads(g *experiments.RealGIL, run *model.Run) map[uint64]int {
	type pair struct {
		ident uint64
		w     int
	}
	votes := map[pair]int{}
	for _, x := range g.Samples {
		var computing []int
		for _, s := range run.Spans {
			for _, sg := range s.Segments {
				if sg.Kind == model.KindCPU && sg.Start <= x.At && x.At < sg.End {
					computing = append(computing, s.Worker)
				}
			}
		}
		if len(computing) != 1 {
			continue
		}
		for _, st := range x.Threads {
			if st.GIL {
				votes[pair{st.Ident, computing[0]}]++
			}
		}
	}
	pairs := make([]pair, 0, len(votes))
	for p := range votes {
		pairs = append(pairs, p)
	}
	sort.Slice(pairs, func(i, j int) bool {
		a, b := pairs[i], pairs[j]
		if votes[a] != votes[b] {
			return votes[a] > votes[b]
		}
		if a.w != b.w {
			return a.w < b.w
		}
		return a.ident < b.ident
	})
	out := map[uint64]int{}
	var taken []int
	for _, p := range pairs {
		if _, done := out[p.ident]; done || slices.Contains(taken, p.w) {
			continue
		}
		out[p.ident] = p.w
		taken = append(taken, p.w)
	}
	return out
}
