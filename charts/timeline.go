package charts

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	gocharts "github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/experiments/model"
	"github.com/boundlab/boundlab/internal/units"
)

// MaxSegments is the most bars a timeline draws. Above it, segments of the
// same kind on the same row that (nearly) touch are merged into one bar,
// then, if that is not enough, every k-th bar is kept; the subtitle says
// so.
const MaxSegments = 20000

// kindTask is drawn for a span that recorded no segments: the whole task.
const kindTask model.Kind = "task"

// kindFailed is drawn, in a sweep chart, for a task that failed: its
// segments, whatever their kind (see sweepBarsOf).
const kindFailed model.Kind = "failed"

// Timeline draws one run as a Gantt chart: a row per worker (thread,
// process or semaphore slot), time in ms from the run's start across, and
// one bar per segment, coloured by its kind (cpu, wait, gil-wait,
// serialise). Waits that overlap show as bars stacked in time on many rows;
// CPU that serialises shows as bars that never overlap. In a traced run
// (model.Config.Trace) a CPU step is drawn as what its task did inside it:
// solid red "on a CPU", washed-out red "waiting for a CPU" (runnable, no
// core free), so that tasks that merely overlap in wall time are not read
// as computing at once; the subtitle says how the scheduling was taken and
// the most tasks on a CPU at once. An untraced run's cpu bars are its
// steps from start to end, which the subtitle says where several overlap.
// The chart has no machine stamp: the charts For makes from a result do.
func Timeline(run *model.Run, title string) (*Chart, error) {
	if run == nil {
		return nil, errors.New("charts: timeline of a nil run")
	}
	return timeline(frame{title: title}, lane{run: run})
}

// lane is one run in a timeline; its rows' labels start with prefix.
type lane struct {
	prefix string
	run    *model.Run
}

// bar is one drawn rectangle: a segment, or several merged.
type bar struct {
	row        int
	kind       model.Kind
	start, end time.Duration
	task, last int
	n          int
}

// allAtOnce is the timeline of runs started together, each doing work;
// context says which runs they are and how the rows go.
func allAtOnce(work, context, stamp string, lanes []lane) (*Chart, error) {
	f := frame{
		title:   fmt.Sprintf("All at once: %s, started together", work),
		context: context,
		stamp:   stamp,
	}
	return timeline(f, lanes...)
}

// timeline draws the lanes' runs on one time axis, rows in lane order.
func timeline(f frame, lanes ...lane) (*Chart, error) {
	var rows []string
	var bars []bar
	var end time.Duration
	for _, ln := range lanes {
		if ln.run == nil {
			return nil, errors.New("charts: timeline of a nil run")
		}
		rowOf := map[int]int{}
		for _, w := range workers(ln.run) {
			rowOf[w] = len(rows)
			rows = append(rows, fmt.Sprintf("%sworker %d", ln.prefix, w))
		}
		for _, s := range ln.run.Spans {
			if r, ok := rowOf[s.Worker]; ok {
				bars = spanBars(bars, r, s)
				end = max(end, s.End)
			}
		}
	}
	end = max(end, barsEnd(bars))
	bars, note := capBars(bars, end, MaxSegments)
	for _, n := range []string{schedNote(lanes), note} {
		if f.note == "" {
			f.note = n
		} else if n != "" {
			f.note += " · " + n
		}
	}
	if f.context == "" && len(lanes) == 1 {
		r := lanes[0].run
		f.context = fmt.Sprintf("%s · %d tasks · %d workers · wall %s · %d segments",
			r.Series(), len(r.Spans), len(rows), units.Duration(r.Totals.Wall), segments(r.Spans))
	}
	noun := ""
	for i, ln := range lanes {
		if n := rowNoun(ln.run.Series()); i == 0 || n == noun {
			noun = n
		} else {
			noun = "thread, process or slot"
		}
	}
	return drawTimeline(f, rows, bars, "worker: "+noun)
}

// spanBars appends span s's bars on row r: its drawn segments, or the
// whole task where it recorded none.
func spanBars(bars []bar, r int, s model.Span) []bar {
	if len(s.Segments) == 0 && s.End > s.Start {
		bars = append(bars, bar{row: r, kind: kindTask, start: s.Start, end: s.End, task: s.Task, last: s.Task, n: 1})
	}
	for _, g := range drawn(s) {
		bars = append(bars, bar{row: r, kind: g.Kind, start: g.Start, end: g.End, task: s.Task, last: s.Task, n: 1})
	}
	return bars
}

// barsEnd is the latest end of bars.
func barsEnd(bars []bar) time.Duration {
	var end time.Duration
	for _, b := range bars {
		end = max(end, b.end)
	}
	return end
}

// drawn are the segments a span is drawn with: its steps, and where it
// was traced its CPU steps replaced by what its task did inside them (on a
// CPU, waiting for one).
func drawn(s model.Span) []model.Segment {
	if len(s.Sched) == 0 {
		return s.Segments
	}
	out := make([]model.Segment, 0, len(s.Segments)+len(s.Sched))
	for _, g := range s.Segments {
		if g.Kind != model.KindCPU {
			out = append(out, g)
		}
	}
	return append(out, s.Sched...)
}

// schedNote says, for the subtitle, how the lanes' runs were traced and the
// most tasks each had on a CPU at once (over overlaps longer than twice the
// trace's resolution), or, for untraced runs whose CPU steps overlap, that
// a cpu bar is a step's wall time, waiting for a CPU included.
func schedNote(lanes []lane) string {
	var traced, overlapping []string
	how := map[string][]string{} // a trace's description -> the lanes traced so
	var order []string
	for _, ln := range lanes {
		name := strings.TrimSuffix(ln.prefix, " · ")
		if name == "" {
			name = ln.run.Series()
		}
		if t := ln.run.Trace; t != nil {
			most := measure.MostAtOnce(model.Intervals(ln.run.Spans, model.KindOnCPU), 2*t.Resolution)
			traced = append(traced, fmt.Sprintf("%s %d", name, most))
			d := t.String()
			if _, ok := how[d]; !ok {
				order = append(order, d)
			}
			how[d] = append(how[d], name)
			continue
		}
		if measure.MostAtOnce(model.Intervals(ln.run.Spans, model.KindCPU), 0) > 1 {
			overlapping = append(overlapping, name)
		}
	}
	var parts []string
	if len(traced) > 0 {
		var hs []string
		for _, d := range order {
			if len(lanes) == 1 {
				hs = append(hs, "from "+d)
				continue
			}
			hs = append(hs, strings.Join(how[d], ", ")+" from "+d)
		}
		parts = append(parts, "on a CPU and waiting for one: "+strings.Join(hs, "; "),
			"most tasks on a CPU at once: "+strings.Join(traced, ", "))
	}
	if len(overlapping) > 0 {
		parts = append(parts, "cpu: a step from its start to its end, not traced: waiting for a CPU inside it is drawn as cpu too ("+strings.Join(overlapping, ", ")+")")
	}
	return strings.Join(parts, "\n")
}

// rowNoun says what a timeline row is under a model (a series: "cpython
// threads" is a model with its flavor).
func rowNoun(name string) string {
	switch s := model.ParseSeries(name); {
	case s.Threads(), s == model.Series{Model: model.CPython}:
		return "thread"
	case s.WorkerProcesses():
		return "worker process"
	}
	return "semaphore slot"
}

// workers lists the workers that ran a task in run, in order.
func workers(run *model.Run) []int {
	var ws []int
	for _, s := range run.Spans {
		if s.Worker >= 0 {
			ws = append(ws, s.Worker)
		}
	}
	slices.Sort(ws)
	return slices.Compact(ws)
}

// capBars brings bars down to most, merging then sampling, and says what
// it did.
func capBars(bars []bar, end time.Duration, most int) ([]bar, string) {
	if len(bars) <= most {
		return bars, ""
	}
	n := len(bars)
	// Gaps under 1/2000 of the run are below a pixel at any sensible width.
	gap := end / 2000
	sort.Slice(bars, func(i, j int) bool {
		a, b := bars[i], bars[j]
		if a.row != b.row {
			return a.row < b.row
		}
		if a.kind != b.kind {
			return a.kind < b.kind
		}
		return a.start < b.start
	})
	merged := bars[:1]
	for _, b := range bars[1:] {
		m := &merged[len(merged)-1]
		if b.row == m.row && b.kind == m.kind && b.start-m.end <= gap {
			m.end = max(m.end, b.end)
			m.task, m.last = min(m.task, b.task), max(m.last, b.last)
			m.n += b.n
			continue
		}
		merged = append(merged, b)
	}
	note := fmt.Sprintf("%d segments: touching ones merged into %d bars", n, len(merged))
	if len(merged) <= most {
		return merged, note
	}
	k := (len(merged) + most - 1) / most
	var kept []bar
	for i := 0; i < len(merged); i += k {
		kept = append(kept, merged[i])
	}
	return kept, fmt.Sprintf("%s, every %d%s of them drawn (%d)", note, k, ordinal(k), len(kept))
}

// ordinal is the English suffix of n: "st", "nd", "rd" or "th".
func ordinal(n int) string {
	switch {
	case n%100 >= 11 && n%100 <= 13:
		return "th"
	case n%10 == 1:
		return "st"
	case n%10 == 2:
		return "nd"
	case n%10 == 3:
		return "rd"
	}
	return "th"
}

// labelSize is the row labels' font size: smaller when rows are many.
func labelSize(rows int) int {
	if rows > 40 {
		return 9
	}
	return 11
}

// timelineHeight fits rows of about 22 px, within bounds.
func timelineHeight(rows int, top int) int {
	return min(max(top+110+22*rows, minTimeline), maxTimeline)
}

// timelineDims name the dimensions of a timeline bar's value.
var timelineDims = []string{"row", "start", "end", "task", "segments", "last"}

// drawTimeline builds the chart: a custom series per kind, whose
// renderItem draws each bar as a rectangle. A bar's value is [row, start
// ms, end ms, task], with [segments, last task] after it where segments
// were merged (see the timelineTooltip function).
func drawTimeline(f frame, rows []string, bars []bar, yName string) (*Chart, error) {
	c, b := timelineChart(f, rows, bars, yName, nil)
	return finish(c, b)
}

// barValue is a bar's value in a timeline series: [row, start ms, end ms,
// task], with [segments, last task] after it where segments were merged.
func barValue(b bar) []any {
	v := []any{b.row, ms(b.start), ms(b.end), b.task}
	if b.n > 1 {
		v = append(v, b.n, b.last)
	}
	return v
}

// barKinds are the kinds of bars, in drawing order: kindOrder's first,
// then any others by name.
func barKinds(bars []bar) []model.Kind {
	seen := map[model.Kind]bool{}
	for _, b := range bars {
		seen[b.kind] = true
	}
	var kinds, others []model.Kind
	for _, k := range kindOrder {
		if seen[k] {
			kinds = append(kinds, k)
		}
	}
	for k := range seen {
		if !slices.Contains(kindOrder, k) {
			others = append(others, k)
		}
	}
	slices.Sort(others)
	return append(kinds, others...)
}

// timelineChart is drawTimeline's chart before it is finished, with a
// series for each of kinds (barKinds(bars) if nil), empty where bars
// have none of that kind.
func timelineChart(f frame, rows []string, bars []bar, yName string, kinds []model.Kind) (*gocharts.Custom, build) {
	byKind := map[model.Kind][]opts.CustomData{}
	for _, b := range bars {
		byKind[b.kind] = append(byKind[b.kind], opts.CustomData{Name: rows[b.row], Value: barValue(b)})
	}
	if kinds == nil {
		kinds = barKinds(bars)
	}

	c := gocharts.NewCustom()
	c.SetGlobalOptions(f.globals()...)
	c.SetGlobalOptions(
		gocharts.WithXAxisOpts(opts.XAxis{
			Type: "value", Name: "time since run start (ms)", NameLocation: "middle", NameGap: 28,
			Min: 0, Max: "dataMax",
			// The data's end is rarely a round number; its label would
			// crowd the last tick's.
			AxisLabel: &opts.AxisLabel{ShowMaxLabel: opts.Bool(false)},
			SplitLine: &opts.SplitLine{Show: opts.Bool(true), LineStyle: &opts.LineStyle{Color: "#eee"}},
		}),
		gocharts.WithYAxisOpts(opts.YAxis{
			Type: "category", Data: rows, Inverse: opts.Bool(true),
			// On an inverse axis, the start is at the top.
			Name: yName, NameLocation: "start",
			AxisLabel: &opts.AxisLabel{FontSize: labelSize(len(rows))},
			SplitLine: &opts.SplitLine{Show: opts.Bool(len(rows) <= 40), LineStyle: &opts.LineStyle{Color: "#f2f2f2"}},
		}),
	)
	b := build{kind: "timeline", frame: f, patch: patcher{series: map[int]map[string]any{}}}
	for _, k := range kinds {
		data := byKind[k]
		if data == nil {
			data = []opts.CustomData{}
		}
		b.patch.series[len(b.series)] = map[string]any{
			"tooltip":              map[string]any{"formatter": jsFunc("timelineTooltip")},
			"clip":                 true,
			"progressive":          2000,
			"progressiveThreshold": 4000,
			// Values of one segment stop at the task: ECharts counts the
			// dimensions from the first value unless told.
			"dimensions": timelineDims,
		}
		c.AddSeries(kindName(k), data,
			gocharts.WithCustomChartOpts(opts.CustomChart{RenderItem: jsFunc("timelineBar")}),
			gocharts.WithEncodeOpts(opts.Encode{X: []int{1, 2}, Y: 0}),
			gocharts.WithItemStyleOpts(opts.ItemStyle{Color: kindColor(k)}),
			gocharts.WithSeriesAnimation(false),
		)
		b.series = append(b.series, SeriesInfo{Name: kindName(k), Points: len(data)})
	}
	// Below the subtitle, room for the y axis' name above the rows.
	top := 44 + 17*f.lines() + 22
	b.patch.top = map[string]any{
		"grid": map[string]any{"left": 64, "right": 40, "top": top, "bottom": 96, "containLabel": true},
		"dataZoom": []map[string]any{
			{"type": "slider", "xAxisIndex": 0, "filterMode": "weakFilter", "height": 18, "bottom": 36, "showDetail": false},
			{"type": "inside", "xAxisIndex": 0, "filterMode": "weakFilter", "zoomOnMouseWheel": "ctrl", "moveOnMouseWheel": false},
		},
	}
	b.height = timelineHeight(len(rows), top)
	return c, b
}

// segments counts the segments of spans.
func segments(spans []model.Span) int {
	n := 0
	for _, s := range spans {
		n += len(s.Segments)
	}
	return n
}
