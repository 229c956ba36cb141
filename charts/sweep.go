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

// A sweep chart is a task timeline with ECharts' timeline control under it:
// a point of the control per setting the experiment swept, each switching
// the bars, the rows, the subtitle (the setting, the figures and where they
// stand against the claim) and the formula's line to that setting's
// recorded run. The page holds every point's bars; nothing is rerun or
// fetched when the reader moves the control.
//
// To keep a handout small, a point draws at most sweepRows rows and
// sweepBars bars: above that, every k-th row (with all its tasks) is drawn,
// then touching bars merged; the point's subtitle says so.
const (
	sweepRows = 50
	sweepBars = 500
)

// sweepPoint is one point of a sweep chart.
type sweepPoint struct {
	// label names the point on the control, e.g. "limit 50".
	label string
	f     frame
	rows  []string
	bars  []bar
	// marks are vertical lines at x (ms), e.g. the formula's runtime.
	marks []sweepMark
}

// sweepMark is a vertical line of a sweep point.
type sweepMark struct {
	name string
	x    float64
}

// sweepBarsOf draws run's tasks on at most most.rows rows and most.bars
// bars, rows named prefix + "worker N", and says what it left out ("" if
// nothing). A task that failed is drawn as kindFailed.
func sweepBarsOf(run *model.Run, most sweepCap, prefix string) (rows []string, bars []bar, note string) {
	ws := workers(run)
	per := map[int]int{}
	for _, s := range run.Spans {
		per[s.Worker]++
	}
	// Every k-th row: the fewest rows dropped that fit both bounds, at
	// least one row kept.
	k := 1
	for ; k < len(ws); k++ {
		n, rs := 0, 0
		for i := 0; i < len(ws); i += k {
			n += per[ws[i]]
			rs++
		}
		if rs <= most.rows && (n <= most.bars || rs == 1) {
			break
		}
	}
	rowOf := map[int]int{}
	for i := 0; i < len(ws); i += k {
		rowOf[ws[i]] = len(rows)
		rows = append(rows, fmt.Sprintf("%sworker %d", prefix, ws[i]))
	}
	var end time.Duration
	tasks := 0
	for _, s := range run.Spans {
		end = max(end, s.End)
		if r, ok := rowOf[s.Worker]; ok {
			n := len(bars)
			bars = spanBars(bars, r, s)
			if s.Err != "" {
				for i := n; i < len(bars); i++ {
					bars[i].kind = kindFailed
				}
			}
			tasks++
		}
	}
	end = max(end, barsEnd(bars))
	if k > 1 {
		note = fmt.Sprintf("a sample: every %d%s row drawn, %d of %d rows, %d of %d tasks", k, ordinal(k), len(rows), len(ws), tasks, len(run.Spans))
	}
	bars, capped := capBars(bars, end, most.bars)
	if capped != "" {
		if note != "" {
			note += "; "
		}
		note += capped
	}
	return rows, bars, note
}

// sweepCap is the most rows and bars a sweep point draws of one run.
type sweepCap struct{ rows, bars int }

// draw puts run's tasks on the point, sampled as sweepBarsOf does, under
// the context (which run it is) and above the line (its figures against
// the claim), with what the sample left out said before the line.
func (sp *sweepPoint) draw(run *model.Run, context, line string) {
	sp.drawLanes([]lane{{run: run}}, context, line)
}

// drawLanes puts the lanes' runs on the point one above the other, each
// sampled as sweepBarsOf does within its share of the point's rows and
// bars, under the context and above the line, with what the samples left
// out said before the line, lane by lane.
func (sp *sweepPoint) drawLanes(lanes []lane, context, line string) {
	most := sweepCap{sweepRows / len(lanes), sweepBars / len(lanes)}
	var notes []string
	sp.rows, sp.bars = nil, nil
	for _, ln := range lanes {
		rows, bars, note := sweepBarsOf(ln.run, most, ln.prefix)
		for i := range bars {
			bars[i].row += len(sp.rows)
		}
		sp.rows, sp.bars = append(sp.rows, rows...), append(sp.bars, bars...)
		if note != "" && ln.prefix != "" {
			note = strings.TrimSuffix(ln.prefix, " · ") + ": " + note
		}
		if note != "" {
			notes = append(notes, note)
		}
	}
	sp.f.context, sp.f.note = context, line
	if len(notes) > 0 {
		sp.f.note = strings.Join(notes, "; ") + "\n" + line
	}
}

// notKept makes the point say that the recorded run at setting (e.g.
// "limit 10") kept its figures but not its tasks, with the line under it.
func (sp *sweepPoint) notKept(setting, line string) {
	sp.f.context = fmt.Sprintf("recorded run at %s: its tasks were not kept in the result, only its figures", setting)
	sp.f.note = line
}

// whichRun says which of a point's n runs is drawn: the one nearest their
// median.
func whichRun(n int) string {
	if n > 1 {
		return fmt.Sprintf("of %d runs, the one nearest their median", n)
	}
	return "its one run"
}

// sweepChart draws points as one timeline chart whose control starts at
// point start. The chart's Series are the start point's. ok is false,
// and there is no chart, when no point drew a task (no run of the sweep
// kept its tasks).
func sweepChart(title, stamp string, points []sweepPoint, start int, yName string) (c *Chart, ok bool, err error) {
	var all []bar
	maxRows, maxLines := 1, 1
	for _, p := range points {
		all = append(all, p.bars...)
		maxRows = max(maxRows, len(p.rows))
		maxLines = max(maxLines, p.f.lines())
	}
	if len(all) == 0 {
		return nil, false, nil
	}
	kinds := barKinds(all)
	first := points[start]
	f := first.f
	f.title = title
	ch, b := timelineChart(f, first.rows, first.bars, yName, kinds)
	b.kind = "sweep"
	top := 44 + 17*maxLines + 22
	// From the bottom: the legend, the zoom slider, the sweep's control,
	// the time axis.
	b.patch.top["grid"] = map[string]any{"left": 64, "right": 40, "top": top, "bottom": 160, "containLabel": true}
	b.patch.top["dataZoom"] = []map[string]any{
		{"type": "slider", "xAxisIndex": 0, "filterMode": "weakFilter", "height": 18, "bottom": 34, "showDetail": false},
		{"type": "inside", "xAxisIndex": 0, "filterMode": "weakFilter", "zoomOnMouseWheel": "ctrl", "moveOnMouseWheel": false},
	}
	labels := make([]string, len(points))
	options := make([]map[string]any, len(points))
	for i, p := range points {
		labels[i] = p.label
		options[i] = sweepOption(p, kinds)
	}
	b.patch.top["timeline"] = map[string]any{
		"axisType": "category", "data": labels, "currentIndex": start,
		"autoPlay": false, "loop": false, "playInterval": 2500,
		"left": 90, "right": 90, "bottom": 62, "height": 48,
		"label":           map[string]any{"fontSize": 12, "color": "#333"},
		"symbolSize":      12,
		"checkpointStyle": map[string]any{"symbolSize": 16, "color": "#1f6fb2", "borderColor": "#fff"},
		"controlStyle":    map[string]any{"itemSize": 20},
		"tooltip":         map[string]any{"show": false},
	}
	b.patch.top["options"] = options
	// The chart's first subtitle is the tallest point's height, so that
	// the plot does not jump as the reader moves the control.
	b.height = timelineHeight(maxRows, top) + 60
	c, err = finish(ch, b)
	return c, err == nil, err
}

// sweepOption is the part of the option that point p changes: the
// subtitle, the rows, the time axis' end, every series' bars (empty where
// p has none of that kind) and the first series' marks.
func sweepOption(p sweepPoint, kinds []model.Kind) map[string]any {
	byKind := map[model.Kind][]any{}
	end := 0.0
	for _, b := range p.bars {
		byKind[b.kind] = append(byKind[b.kind], barValue(b))
		end = max(end, ms(b.end))
	}
	// The first mark dashed, the others dotted; the subtitle names them.
	var marks []any
	for i, m := range p.marks {
		mk := map[string]any{"name": m.name, "xAxis": m.x}
		if i > 0 {
			mk["lineStyle"] = map[string]any{"type": "dotted"}
		}
		marks = append(marks, mk)
		end = max(end, m.x)
	}
	series := make([]any, len(kinds))
	for i, k := range kinds {
		data := byKind[k]
		if data == nil {
			data = []any{}
		}
		series[i] = map[string]any{"data": data}
	}
	if len(series) > 0 {
		series[0].(map[string]any)["markLine"] = map[string]any{
			"silent": true, "symbol": "none", "animation": false,
			"lineStyle": map[string]any{"type": "dashed", "color": "#444", "width": 1.5},
			"label":     map[string]any{"show": false},
			"data":      marks,
		}
	}
	rows := p.rows
	if rows == nil {
		rows = []string{}
	}
	return map[string]any{
		"title": map[string]any{"subtext": p.f.subtitle()},
		"xAxis": []any{map[string]any{"max": round(end*1.02, 0)}},
		"yAxis": []any{map[string]any{"data": rows, "axisLabel": map[string]any{"fontSize": labelSize(len(rows))},
			"splitLine": map[string]any{"show": len(rows) <= 40}}},
		"series": series,
	}
}

// semaphoreAxis is one of the semaphore result's two sweeps, as a sweep
// chart draws it.
type semaphoreAxis struct {
	// what names the setting swept: "limit" or "latency".
	what string
	// points are the sweep's points, all models'.
	points func(*experiments.SemaphoreResult) []experiments.SemaphorePoint
	// key orders a model's points; it equals the headline's at the
	// lecture's setting.
	key func(experiments.SemaphorePoint) time.Duration
	// x places a point on a chart's x axis: the limit, or the latency in
	// milliseconds.
	x func(experiments.SemaphorePoint) float64
	// label names a point on the control and in tooltips, e.g. "limit 50".
	label func(experiments.SemaphorePoint) string
	// judge says, for point p, the claim that judges the sweep, the marks
	// it puts on p's timeline and the line under p's figures.
	judge func(res *experiments.SemaphoreResult, m string, p experiments.SemaphorePoint) (marks []sweepMark, line string)
}

// semaphoreLimitSweep and semaphoreLatencySweep are the semaphore result's
// two sweeps: the limit at the lecture's latency, and the latency at the
// lecture's limit.
var (
	semaphoreLimitSweep = semaphoreAxis{
		what:   "limit",
		points: func(r *experiments.SemaphoreResult) []experiments.SemaphorePoint { return r.Limits },
		key:    func(p experiments.SemaphorePoint) time.Duration { return time.Duration(p.Limit) },
		x:      func(p experiments.SemaphorePoint) float64 { return float64(p.Limit) },
		label:  func(p experiments.SemaphorePoint) string { return fmt.Sprintf("limit %d", p.Limit) },
		judge:  limitSweepLine,
	}
	semaphoreLatencySweep = semaphoreAxis{
		what:   "latency",
		points: func(r *experiments.SemaphoreResult) []experiments.SemaphorePoint { return r.Latencies },
		key:    func(p experiments.SemaphorePoint) time.Duration { return p.Latency },
		x:      func(p experiments.SemaphorePoint) float64 { return ms(p.Latency) },
		label:  func(p experiments.SemaphorePoint) string { return "latency " + p.Latency.String() },
		judge:  latencySweepLine,
	}
)

// recordedOutcome is the outcome of claim id's recorded verdict on model
// m, or "not judged".
func recordedOutcome(r *experiments.Report, id, m string) string {
	if v, ok := r.Verdict(id, m); ok {
		return string(v.Outcome)
	}
	return "not judged"
}

// limitSweepLine: the formula's runtime and the sweep claim's upper bound
// as marks, and where the point's ratio to the formula stands against the
// claim's range, with the claim's recorded verdict on the whole sweep.
func limitSweepLine(res *experiments.SemaphoreResult, m string, p experiments.SemaphorePoint) ([]sweepMark, string) {
	sweep := claimOf(experiments.Semaphore.Claims(), "semaphore-sweep")
	lo, hi := 1-sweep.Slack/p.Ideal.Seconds(), 1+sweep.Tolerance
	where := "inside"
	if p.Ratio < lo || p.Ratio > hi {
		where = "outside"
	}
	marks := []sweepMark{
		{fmt.Sprintf("⌈%d/%d⌉ × %s = %s", p.Tasks, p.Limit, p.Latency, units.Duration(p.Ideal)), ms(p.Ideal)},
		{fmt.Sprintf("%.0f%% over the formula: the claim's bound", 100*sweep.Tolerance), ms(time.Duration(float64(p.Ideal) * hi))},
	}
	return marks, fmt.Sprintf("limit %d: runtime %s%s = %.4f × the formula (dashed: %s),\n%s the sweep claim's range %.4f to %.2f (dotted: %.0f%% over) · the claim's verdict on the whole sweep (%s): %s",
		p.Limit, units.Duration(p.Runtime), medianOfRuns(len(p.Walls)), p.Ratio, marks[0].name, where, lo, hi, 100*sweep.Tolerance, m, recordedOutcome(res.Base(), sweep.ID, m))
}

// latencySweepLine: the formula's runtime as a mark, the point's ratio to
// it, and the slope claim's recorded verdict on the whole sweep with the
// slope it measured: the claim judges the sweep's slope, not a point.
func latencySweepLine(res *experiments.SemaphoreResult, m string, p experiments.SemaphorePoint) ([]sweepMark, string) {
	rounds := (p.Tasks + p.Limit - 1) / p.Limit
	marks := []sweepMark{{fmt.Sprintf("⌈%d/%d⌉ × %s = %s", p.Tasks, p.Limit, p.Latency, units.Duration(p.Ideal)), ms(p.Ideal)}}
	line := fmt.Sprintf("latency %s: runtime %s%s = %.4f × the formula (dashed: %s)", p.Latency, units.Duration(p.Runtime), medianOfRuns(len(p.Walls)), p.Ratio, marks[0].name)
	slope := claimOf(experiments.Semaphore.Claims(), "latency-proportional")
	if v, ok := res.Verdict(slope.ID, m); ok {
		return marks, line + fmt.Sprintf(",\nthe claim on the whole sweep (%s): runtime grows by %.2f s a second of latency, against ⌈%d/%d⌉ = %d: %s",
			m, v.Measured, p.Tasks, p.Limit, rounds, v.Outcome)
	}
	return marks, line + fmt.Sprintf(",\nthe claim on the whole sweep (%s), a slope of ⌈%d/%d⌉ = %d: not judged", m, p.Tasks, p.Limit, rounds)
}

// semaphoreSweep draws model m's sweep along ax as a sweep chart: a point
// per setting, each the recorded run nearest that setting's median, with
// the marks and the line ax.judge gives it. The control starts at the
// lecture's setting where it was swept. ok is false when the sweep has
// fewer than two settings or no run at any setting kept its tasks.
func semaphoreSweep(res *experiments.SemaphoreResult, m, stamp string, ax semaphoreAxis) (c *Chart, ok bool, err error) {
	pts := sortedBy(ax.points(res), m, ax.key)
	if len(pts) < 2 {
		return nil, false, nil
	}
	start := 0
	points := make([]sweepPoint, len(pts))
	for i, p := range pts {
		if len(res.Headline) > 0 && ax.key(p) == ax.key(res.Headline[0]) {
			start = i
		}
		sp := sweepPoint{label: ax.label(p), f: frame{stamp: stamp}}
		var line string
		sp.marks, line = ax.judge(res, m, p)
		k, found := nearestRun(res, p)
		if !found || len(res.Runs[k].Spans) == 0 {
			sp.notKept(sp.label, line)
			points[i] = sp
			continue
		}
		run := res.Runs[k].Run
		rounds := (p.Tasks + p.Limit - 1) / p.Limit
		sp.draw(run, fmt.Sprintf("recorded run at %s (%s): %d tasks waiting %s in %d round%s of at most %d · wall %s",
			sp.label, whichRun(len(p.Runs)), p.Tasks, p.Latency, rounds, map[bool]string{true: "s"}[rounds != 1], p.Limit, units.Duration(run.Totals.Wall)), line)
		points[i] = sp
	}
	title := fmt.Sprintf("%s: the recorded %s sweep, a run per %s (move the control below)", m, ax.what, ax.what)
	return sweepChart(title, stamp, points, start, "worker: "+rowNoun(m))
}

// scalingSweep draws the workers sweep of the first model (in the charts'
// order) measured at every pool size as a sweep chart: a point per pool
// size, each the recorded run nearest that size's median wall (which
// worker ran what when), with the wall the claim judging that model
// predicts (one worker's median wall over the predicted speedup) and the
// claim's bound as lines, and a line with the speedup and the claim's
// recorded verdict at that pool size. The control starts at the largest
// pool. ok is false when the result has fewer than two pool sizes, no
// model at all of them, or no run of that model that kept its tasks.
func scalingSweep(res *experiments.ScalingResult, stamp string) (c *Chart, ok bool, err error) {
	var names []string
	var ws []int
	for _, p := range res.Points {
		names = append(names, p.Model)
		ws = append(ws, p.Workers)
	}
	slices.Sort(ws)
	ws = slices.Compact(ws)
	if len(ws) < 2 {
		return nil, false, nil
	}
	var m string
	var pts []experiments.ScalingPoint
	for _, n := range modelOrder(names...) {
		pts = pts[:0]
		for _, w := range ws {
			if p, found := scalingPoint(res, n, w); found {
				pts = append(pts, p)
			}
		}
		if len(pts) == len(ws) {
			m = n
			break
		}
	}
	if m == "" {
		return nil, false, nil
	}
	base, _ := scalingPoint(res, m, 1)
	points := make([]sweepPoint, len(pts))
	for i, p := range pts {
		sp := sweepPoint{label: fmt.Sprintf("%d worker%s", p.Workers, map[bool]string{true: "s"}[p.Workers != 1]), f: frame{stamp: stamp}}
		line := scalingLine(res, m, base, p, &sp)
		if !validRun(res.Base(), p.Run) || len(res.Runs[p.Run].Spans) == 0 {
			sp.notKept(sp.label, line)
			points[i] = sp
			continue
		}
		run := res.Runs[p.Run].Run
		sp.draw(run, fmt.Sprintf("recorded run at %s (%s): %d tasks × %s CPU · a row per %s · wall %s",
			sp.label, whichRun(len(p.Runs)), run.Tasks, param(res.Base(), "cpu"), rowNoun(m), units.Duration(run.Totals.Wall)), line)
		points[i] = sp
	}
	title := fmt.Sprintf("%s: the recorded workers sweep, a run per pool size (move the control below)", m)
	return sweepChart(title, stamp, points, len(points)-1, "worker: "+rowNoun(m))
}

// scalingPoint is model m's point at w workers.
func scalingPoint(res *experiments.ScalingResult, m string, w int) (experiments.ScalingPoint, bool) {
	for _, p := range res.Points {
		if p.Model == m && p.Workers == w {
			return p, true
		}
	}
	return experiments.ScalingPoint{}, false
}

// scalingLine is the line of model m's point p of the workers sweep: its
// speedup over base (the one-worker point), the claim judging it with the
// claim's recorded verdicts at that pool size; it puts the predicted wall
// and the claim's bound on sp as marks.
func scalingLine(res *experiments.ScalingResult, m string, base, p experiments.ScalingPoint, sp *sweepPoint) string {
	if p.Workers == 1 {
		sp.marks = []sweepMark{{fmt.Sprintf("one worker's median wall %s", units.Duration(p.Wall)), ms(p.Wall)}}
		return fmt.Sprintf("1 worker: median wall %s over %d runs (dashed): the wall every speedup is over; no claim is judged at one worker", units.Duration(p.Wall), len(p.Walls))
	}
	line := fmt.Sprintf("%d workers: speedup %s over one worker (ideal min(workers, cores) %g×), median wall %s", p.Workers, p.Text(), p.Ideal, units.Duration(p.Wall))
	e, id := predicted(m, p.Ideal)
	if id == "" {
		return line + "; no claim of this question judges " + m
	}
	cl := claimOf(experiments.Scaling.Claims(), id)
	bound, word := e*(1+cl.Tolerance), "at most"
	if cl.Compare == experiments.AtLeast {
		bound, word = e*(1-cl.Tolerance), "at least"
	}
	sp.marks = []sweepMark{
		{fmt.Sprintf("%s predicts %g×: %s / %g = %s", id, e, units.Duration(base.Wall), e, units.Duration(time.Duration(float64(base.Wall)/e))), ms(time.Duration(float64(base.Wall) / e))},
		{fmt.Sprintf("the claim's bound, speedup %s %.2f×: %s", word, bound, units.Duration(time.Duration(float64(base.Wall)/bound))), ms(time.Duration(float64(base.Wall) / bound))},
	}
	verdicts := "not judged"
	var got []string
	prefix := fmt.Sprintf("%d workers,", p.Workers)
	for _, v := range res.Verdicts {
		if v.Model == m && strings.HasPrefix(v.Detail, prefix) && (v.ClaimID == "threads-no-speedup" || v.ClaimID == "processes-scale" || v.ClaimID == "parallel-cpu") {
			got = append(got, fmt.Sprintf("%s: %s", v.ClaimID, v.Outcome))
		}
	}
	if len(got) > 0 {
		verdicts = strings.Join(got, ", ")
	}
	return fmt.Sprintf("%s,\n%s predicts %g×, %s %.2f× (dashed: the predicted wall; dotted: the bound's) · the verdict at %d workers (%s): %s",
		line, id, e, word, bound, p.Workers, m, verdicts)
}
