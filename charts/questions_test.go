package charts

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/internal/units"
)

// Small real results of the json, memory and matrix questions.
var (
	// The json experiment as recorded: a quick run, CPython's asyncio
	// beside every Go variant.
	jsonResult = recordedResult(experiments.JSON, "json-quick")
	// The memory experiment as recorded: a quick run, CPython's asyncio
	// beside the models.
	memoryResult = recordedResult(experiments.Memory, "memory-quick")
	// The matrix as recorded by the experiments' tests: a quick run with
	// CPython beside the models.
	matrixResult = recordedResult(experiments.Matrix, "matrix-quick")
)

func TestForJSON(t *testing.T) {
	res := must(jsonResult())(t)
	var goLoops, pyLoops, sweep []SeriesInfo
	for _, p := range res.Headline {
		if p.Loop {
			s := SeriesInfo{Name: p.Model, Points: len(res.Runs[p.Run].LoopLag)}
			if strings.HasPrefix(p.Model, "cpython") {
				pyLoops = append(pyLoops, s)
			} else {
				goLoops = append(goLoops, s)
			}
		}
	}
	for _, m := range []string{"eventloop", "eventloop+threads", "eventloop+gil-threads", "eventloop+processes", "goroutines", "gil"} {
		sweep = append(sweep, SeriesInfo{m, 3})
	}
	// Each judged chart: the bounds, and the verdicts by outcome with their
	// error bars (the recorded run's machine was busy: all inconclusive).
	judged := func(n int) []SeriesInfo {
		return []SeriesInfo{{"the claim's bound", 2 * n}, {"inconclusive", 2 * n}, {"inconclusive", 3 * n}}
	}
	cs := checkCharts(t, res, []want{
		{"Latency per task: p50, p95, p99", []SeriesInfo{{"p50", 9}, {"p95", 9}, {"p99", 9}}},
		{"Event loop lag while the tasks encode: Go's event loop", goLoops},
		{"Event loop lag while the tasks encode: CPython's asyncio", pyLoops},
		{"Throughput: tasks per second", []SeriesInfo{{"with the encoding", 9}, {"without it (the model's baseline)", 9}}},
		{"Tail latency against the payload", sweep},
		{"Worst event loop lag against the payload", sweep[:4]},
		{"Memory against the payload", sweep},
		{"Tail latency over the same tasks' without the encoding", judged(9)},
		{"Throughput over the same tasks' without the encoding", judged(9)},
		{"The loop's lag, the offloading and the parallel encoders", judged(8)},
	})
	if p := parse(t, cs[4]); p.XAxis[0]["type"] != "log" || p.YAxis[0]["type"] != "log" {
		t.Errorf("sweep axes %v %v, want log", p.XAxis[0]["type"], p.YAxis[0]["type"])
	}
	// The lag panels: points, not lines; one encoding's time said, not
	// drawn on an axis forty times as tall.
	for _, c := range cs[1:3] {
		p := parse(t, c)
		if !strings.Contains(p.Title.Subtext, "one encoding takes") || len(p.Series[0].MarkLine.Data) != 0 {
			t.Errorf("%q: subtitle %q, marks %v", c.Title(), p.Title.Subtext, p.Series[0].MarkLine.Data)
		}
		if !strings.Contains(c.Option(), `"lineStyle":{"color":"`+jsonColor(c.Series()[0].Name, 0)+`","opacity":0}`) {
			t.Errorf("%q: its points are joined by lines", c.Title())
		}
	}
	// The memory against the payload counts the worker processes': at
	// 1 MiB, the offloading loop's heap peak and its workers' peak.
	for _, p := range res.Sweep {
		if p.Model == "eventloop+processes" && p.Payload == 1<<20 {
			if p.Workers <= 0 {
				t.Fatal("the recorded run has no workers' memory")
			}
			want := fmt.Sprintf("[1024,%v,", round(units.MiB(p.Memory+p.Workers), 3))
			if !strings.Contains(cs[6].Option(), want) {
				t.Errorf("memory chart lacks eventloop+processes at 1 MiB with its workers: %s", want)
			}
		}
	}
	// The judged figures are the verdicts', with their bounds.
	v, _ := res.Verdict("json-tail", "gil")
	lo, _ := v.Bounds()
	o := cs[7].Option()
	if !strings.Contains(o, fmt.Sprintf("json-tail on gil: 95%% interval %.4g to %.4g", v.Low, v.High)) || !strings.Contains(o, fmt.Sprintf(`[5,%v,`, round(lo, 6))) {
		t.Errorf("the tail chart lacks gil's interval or its bound %v", lo)
	}
}

func TestForMemory(t *testing.T) {
	res := must(memoryResult())(t)
	// Each Go series and asyncio at four counts, the most six times; three
	// pools of worker processes.
	cs := checkCharts(t, res, []want{
		{"Memory held by live tasks", []SeriesInfo{{"bare goroutines", 9}, {"goroutines", 9}, {"eventloop", 9}, {"cpython asyncio", 9}, {"processes", 3}}},
		{"Bytes per live task", []SeriesInfo{{"bytes per live task", 5}}},
		{"How memory grows with the live tasks: the exponent", []SeriesInfo{{"in proportion: the claim's range", 2},
			{"exponent of memory against live tasks", 10}, {"exponent of memory against live tasks", 15}}},
		{"What a live task holds", breakdownSeries(res)},
		{"Time to create the live tasks", []SeriesInfo{{"bare goroutines", 9}, {"goroutines", 9}, {"eventloop", 9}, {"cpython asyncio", 9}}},
	})
	// The breakdown: a labelled row per part, grouped by series, the
	// largest part first.
	bd := parse(t, cs[3])
	rows := bd.YAxis[0]["data"].([]any)
	if len(rows) != 30 || rows[0] != "bare goroutines · goroutine stack" || rows[6] != "goroutines · goroutine stack" {
		t.Errorf("breakdown rows %v", rows)
	}
	if !strings.Contains(cs[3].Option(), `"formatter":"{c} B"`) {
		t.Error("the breakdown's bars are not labelled with their bytes")
	}
	// The per-task chart draws the bounds the verdicts judge: 3 KiB for a
	// goroutine, a quarter of a goroutine's bytes for an event loop's task.
	marks := map[float64]bool{}
	for _, m := range parse(t, cs[1]).Series[0].MarkLine.Data {
		marks[m.YAxis] = true
	}
	g, _ := res.Verdict("live-goroutine", "goroutines")
	_, hi := g.Bounds()
	var gs experiments.MemorySeries
	for _, s := range res.Series {
		if s.Model == "goroutines" {
			gs = s
		}
	}
	if !marks[round(hi, 1)] || !marks[round(0.25*gs.PerTask, 1)] {
		t.Errorf("per-task marks %v, want %v and a quarter of %v", marks, hi, gs.PerTask)
	}
	v, _ := res.Verdict("live-linear", "eventloop")
	if !strings.Contains(cs[2].Option(), fmt.Sprintf("eventloop: 95%% interval %.3f to %.3f", v.Low, v.High)) {
		t.Error("the exponent's interval is not the verdict's")
	}
}

// breakdownSeries is a series of the breakdown chart per series that has
// a breakdown, named with its total, with a value per part of any series.
func breakdownSeries(res *experiments.MemoryResult) []SeriesInfo {
	var rows int
	var out []SeriesInfo
	for _, s := range res.Series {
		if len(s.Breakdown) == 0 || s.Model == "processes" {
			continue
		}
		rows += len(s.Breakdown)
		total := 0.0
		for _, b := range s.Breakdown {
			total += b.Bytes
		}
		out = append(out, SeriesInfo{Name: fmt.Sprintf("%s: %s per task in all", s.Model, units.Bytes(total))})
	}
	for i := range out {
		out[i].Points = rows
	}
	return out
}

func TestForMatrix(t *testing.T) {
	res := must(matrixResult())(t)
	cs := checkCharts(t, res, []want{
		{"Runtime: each workload on each model", []SeriesInfo{{"cells", 21}, {"the framework's recommendation", 6}}},
		{"Memory added: each workload on each model", []SeriesInfo{{"cells", 21}, {"the framework's recommendation", 6}}},
		{"The framework's recommendation against the best other model", []SeriesInfo{{"1: as the best other model", 2},
			{"Go's models", 8}, {"Go's models", 12}, {"CPython", 8}, {"CPython", 12}}},
	})
	p := parse(t, cs[0])
	if rows := p.YAxis[0]["data"].([]any); len(rows) != 3 {
		t.Errorf("rows %v", rows)
	}
	if cols := p.XAxis[0]["data"].([]any); len(cols) != 7 || cols[0] != "gil" {
		t.Errorf("columns %v", cols)
	}
	if !strings.Contains(cs[0].Option(), `"visualMap"`) || !strings.Contains(cs[0].Option(), "★") {
		t.Error("no colour scale or no recommended cell")
	}
	// The runtime's colour scale is shown, and stops at 10× so that 2×
	// is a third of the way up it.
	var heat struct {
		VisualMap map[string]any `json:"visualMap"`
	}
	if err := json.Unmarshal([]byte(unsplice.Replace(cs[0].Option())), &heat); err != nil {
		t.Fatal(err)
	}
	if vm := heat.VisualMap; vm["show"] != true || vm["max"] != 1.0 || fmt.Sprint(vm["text"]) != "[10× and over 1×]" {
		t.Errorf("runtime colour scale %v", vm)
	}
	// The judged figures: per family three runtimes and the memory at high
	// concurrency, each point with its error bar, the bounds from the
	// claims' data.
	j := parse(t, cs[2])
	if cats := j.XAxis[0]["data"].([]any); len(cats) != 8 || cats[0] != "gil · I/O × 20: runtime" || cats[3] != "eventloop · I/O × 200: memory" {
		t.Errorf("categories %v", cats)
	}
	marks := map[float64]bool{}
	for _, m := range j.Series[0].MarkLine.Data {
		marks[m.YAxis] = true
	}
	for _, c := range experiments.Matrix.Claims() {
		if (c.ID == "framework-recommended" || c.ID == "framework-memory") && !marks[round(1+c.Tolerance, 4)] {
			t.Errorf("no bound at %v for %s: marks %v", 1+c.Tolerance, c.ID, marks)
		}
	}
	v, _ := res.Verdict("framework-recommended", "gil")
	if !strings.Contains(cs[2].Option(), fmt.Sprintf("gil on I/O, 20 waits at once: runtime: 95%% interval %.3g to %.3g over %d runs", v.Low, v.High, v.Runs)) {
		t.Error("the gil's interval is not drawn as the verdict has it")
	}
}

// A recommendation whose memory figure is 0 or less (the recommended model
// added less than any other, or nothing) still draws: the log axis keeps to
// the positive figures, and nothing in the option is NaN or infinite.
func TestForMatrixNonPositiveFigure(t *testing.T) {
	res := *must(matrixResult())(t)
	res.Verdicts = slices.Clone(res.Verdicts)
	n := 0
	for i := range res.Verdicts {
		if v := &res.Verdicts[i]; v.ClaimID == "framework-memory" {
			v.Measured, v.Low, v.High = 0, -0.5, 0.2
			n++
		}
	}
	if n == 0 {
		t.Fatal("the recorded matrix has no framework-memory verdict to edit")
	}
	cs, err := For(&res)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Title() != "The framework's recommendation against the best other model" {
			continue
		}
		y := parse(t, c).YAxis[0]
		if lo, ok := y["min"].(float64); !ok || lo <= 0 {
			t.Errorf("log axis from %v", y["min"])
		}
		return
	}
	t.Error("no judged chart")
}
