package charts

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/boundlab/boundlab/experiments/model"
)

// kinds counts spans' segments per kind, in the order a timeline draws
// them.
func kinds(spans []model.Span) []SeriesInfo {
	n := map[model.Kind]int{}
	for _, s := range spans {
		for _, g := range s.Segments {
			n[g.Kind]++
		}
	}
	var out []SeriesInfo
	for _, k := range kindOrder {
		if n[k] > 0 {
			out = append(out, SeriesInfo{Name: string(k), Points: n[k]})
		}
	}
	return out
}

const msec = time.Millisecond

// seg is a segment from a to b milliseconds.
func seg(k model.Kind, a, b float64) model.Segment {
	return model.Segment{Kind: k, Start: time.Duration(a * float64(msec)), End: time.Duration(b * float64(msec))}
}

// handRun is a small run with every kind of segment on three workers, one
// of them unused, and a task that never started.
func handRun() *model.Run {
	return &model.Run{
		Model: "gil", Concurrency: 3, Tasks: 4,
		Spans: []model.Span{
			{Task: 0, Worker: 0, Start: 0, End: 30 * msec, Segments: []model.Segment{
				seg(model.KindCPU, 0, 10), seg(model.KindGIL, 10, 20), seg(model.KindCPU, 20, 30)}},
			{Task: 1, Worker: 2, Start: 0, End: 40 * msec, Segments: []model.Segment{
				seg(model.KindSerialise, 0, 0.5), seg(model.KindWait, 0.5, 39.5), seg(model.KindSerialise, 39.5, 40)}},
			{Task: 2, Worker: 0, Start: 30 * msec, End: 35 * msec},
			{Task: 3, Worker: -1, Err: "cancelled"},
		},
		Totals: model.Totals{Wall: 40 * msec},
	}
}

func TestTimelineByHand(t *testing.T) {
	c := must(Timeline(handRun(), "by hand"))(t)
	want := []SeriesInfo{{"cpu", 2}, {"wait", 1}, {"gil-wait", 1}, {"serialise", 2}, {"task", 1}}
	if fmt.Sprint(c.Series()) != fmt.Sprint(want) {
		t.Errorf("series %v, want %v", c.Series(), want)
	}
	checkChart(t, c, "")
	p := parse(t, c)
	if rows := fmt.Sprint(p.YAxis[0]["data"]); rows != "[worker 0 worker 2]" {
		t.Errorf("rows %s, want the two workers that ran tasks", rows)
	}
	// The gil-wait bar: row 0 (whose label ECharts takes from the axis),
	// 10 to 20 ms, task 0.
	if v := fmt.Sprint(p.Series[2].Data[0]); v != "[0 10 20 0]" {
		t.Errorf("gil-wait bar %s", v)
	}
	if !strings.Contains(p.Title.Subtext, "gil · 4 tasks · 2 workers · wall 40 ms · 6 segments") {
		t.Errorf("subtitle %q", p.Title.Subtext)
	}
	if !strings.Contains(c.Option(), `"progressive":2000`) || !strings.Contains(c.Option(), `"clip":true`) {
		t.Error("timeline series lack progressive rendering or clipping")
	}
	if _, err := Timeline(nil, "nil"); err == nil {
		t.Error("Timeline(nil): no error")
	}
}

// manyRun has n tasks per worker on w workers, each a cpu segment then a
// wait; with alternate, the kinds alternate so nothing merges.
func manyRun(w, n int, gap time.Duration) *model.Run {
	r := &model.Run{Model: "eventloop", Concurrency: w}
	for i := range w * n {
		at := time.Duration(i/w) * (2*time.Microsecond + 2*gap)
		r.Spans = append(r.Spans, model.Span{Task: i, Worker: i % w, Start: at, End: at + 2*time.Microsecond + gap,
			Segments: []model.Segment{
				{Kind: model.KindCPU, Start: at, End: at + time.Microsecond},
				{Kind: model.KindWait, Start: at + time.Microsecond + gap, End: at + 2*time.Microsecond + gap},
			}})
	}
	r.Tasks = len(r.Spans)
	return r
}

func TestTimelineCaps(t *testing.T) {
	// 30,000 segments whose same-kind neighbours are 2 µs apart in a 30 ms
	// run: they merge.
	c := must(Timeline(manyRun(10, 1500, 0), "merged"))(t)
	total := 0
	for _, s := range c.Series() {
		total += s.Points
	}
	if total > MaxSegments || total == 0 {
		t.Errorf("merged timeline draws %d bars, want 1 to %d", total, MaxSegments)
	}
	p := parse(t, c)
	if !strings.Contains(p.Title.Subtext, "30000 segments: touching ones merged") {
		t.Errorf("subtitle %q does not say the segments were merged", p.Title.Subtext)
	}
	// A merged bar's value carries the count and the last task, in the
	// dimensions the series declares.
	if v, _ := p.Series[0].Data[0].([]any); len(v) != 6 || v[4].(float64) < 2 || v[5].(float64) <= v[3].(float64) {
		t.Errorf("merged bar %v, want [row start end first segments last]", p.Series[0].Data[0])
	}
	if !strings.Contains(c.Option(), `"dimensions":["row","start","end","task","segments","last"]`) {
		t.Error("the timeline's series do not declare their dimensions")
	}
	// Same-kind neighbours a whole run's 1/500 apart: nothing merges, so
	// every k-th bar is drawn.
	c = must(Timeline(manyRun(10, 1500, 20*time.Microsecond), "sampled"))(t)
	total = 0
	for _, s := range c.Series() {
		total += s.Points
	}
	if total > MaxSegments || total < MaxSegments/2 {
		t.Errorf("sampled timeline draws %d bars, want %d to %d", total, MaxSegments/2, MaxSegments)
	}
	if p := parse(t, c); !strings.Contains(p.Title.Subtext, "every 2nd of them drawn") {
		t.Errorf("subtitle %q does not say the bars were sampled", p.Title.Subtext)
	}
}

func TestTimelineHeight(t *testing.T) {
	small := must(Timeline(handRun(), "small"))(t)
	big := must(Timeline(manyRun(200, 2, 0), "big"))(t)
	if small.Height() != minTimeline || big.Height() != maxTimeline {
		t.Errorf("heights %d and %d, want %d and %d", small.Height(), big.Height(), minTimeline, maxTimeline)
	}
}

// tracedRun is handRun's gil run traced: a task's CPU steps drawn as on a
// CPU and waiting for one, its other segments as they are.
func tracedRun() *model.Run {
	r := &model.Run{
		Model: "goroutines", Concurrency: 2, Tasks: 2,
		Spans: []model.Span{
			{Task: 0, Worker: 0, Start: 0, End: 30 * msec,
				Segments: []model.Segment{seg(model.KindCPU, 0, 20), seg(model.KindWait, 20, 30)},
				Sched:    []model.Segment{seg(model.KindOnCPU, 0, 10), seg(model.KindRunnable, 10, 15), seg(model.KindOnCPU, 15, 20)}},
			{Task: 1, Worker: 1, Start: 0, End: 20 * msec,
				Segments: []model.Segment{seg(model.KindCPU, 0, 20)},
				Sched:    []model.Segment{seg(model.KindRunnable, 0, 10), seg(model.KindOnCPU, 10, 20)}},
		},
		Totals: model.Totals{Wall: 30 * msec},
		Trace:  &model.TraceInfo{Source: model.TraceGo, Resolution: time.Microsecond},
	}
	return r
}

func TestTimelineTraced(t *testing.T) {
	c := must(Timeline(tracedRun(), "traced"))(t)
	want := []SeriesInfo{{"on a CPU", 3}, {"waiting for a CPU", 2}, {"wait", 1}}
	if fmt.Sprint(c.Series()) != fmt.Sprint(want) {
		t.Errorf("series %v, want %v: the CPU steps replaced by their scheduling", c.Series(), want)
	}
	checkChart(t, c, "")
	p := parse(t, c)
	// The runnable bar of task 0: row 0, 10 to 15 ms, task 0, in the
	// compact encoding.
	if v := fmt.Sprint(p.Series[1].Data[0]); v != "[0 10 15 0]" {
		t.Errorf("waiting bar %s", v)
	}
	for _, s := range []string{"on a CPU and waiting for one: from Go's execution tracer", "most tasks on a CPU at once: goroutines 2"} {
		if !strings.Contains(p.Title.Subtext, s) {
			t.Errorf("subtitle %q lacks %q", p.Title.Subtext, s)
		}
	}
	// The same run untraced: its two CPU steps overlap, and the subtitle
	// says a cpu bar may hold a wait for a CPU.
	r := tracedRun()
	r.Trace = nil
	for i := range r.Spans {
		r.Spans[i].Sched = nil
	}
	u := parse(t, must(Timeline(r, "untraced"))(t))
	if !strings.Contains(u.Title.Subtext, "cpu: a step from its start to its end, not traced") {
		t.Errorf("untraced subtitle %q does not say what a cpu bar is", u.Title.Subtext)
	}
	if h := parse(t, must(Timeline(handRun(), "gil"))(t)); strings.Contains(h.Title.Subtext, "not traced") {
		t.Errorf("a run whose CPU steps never overlap needs no caveat: %q", h.Title.Subtext)
	}
}
