package experiments

import (
	"fmt"
	"math"

	"github.com/boundlab/boundlab/internal/units"
)

// Tables are the memory result's figures: bytes per live task by series,
// what a task holds, and every point of the sweep.
func (res *MemoryResult) Tables() []Table {
	per := Table{
		Title:   "Bytes per live task",
		Columns: []string{"series", "per task (fit)", "exponent", "R²", "most tasks", "memory then", "RSS added then", "time to create", "per task", "bookkeeping (not counted)"},
		Note: "per task: the slope of a straight line through the memory held against the live tasks (processes: per worker) [95% interval]; exponent: the slope on log-log axes [95% interval], 1 for memory in proportion; " +
			"memory: the Go runtime's memory in use (heap, stacks, metadata) after a collection, CPython's tracemalloc count, or the workers' peak resident memory; each Go point in a fresh child process; the most live tasks run several times, the last run shown",
	}
	for _, s := range res.Series {
		pts := res.points(s.Model)
		top := pts[len(pts)-1]
		r2 := "-"
		if !math.IsNaN(s.R2) && len(pts) >= 2 {
			r2 = fmt.Sprintf("%.5f", s.R2)
		}
		create, each, rec := "-", "-", "-"
		if top.Create > 0 {
			create = units.Duration(top.Create)
		}
		if s.CreatePerTask > 0 {
			each = units.Duration(s.CreatePerTask)
		}
		if s.Recorder > 0 {
			rec = units.Bytes(s.Recorder) + " per task"
		}
		rss := "-"
		if top.RSS != 0 {
			rss = units.Bytes(float64(top.RSS))
		}
		c, e := s.PerTaskCI, s.Exponent
		perTask, exponent := units.Bytes(s.PerTask), "-"
		if c.N > 2 && c.Low < c.High {
			perTask = fmt.Sprintf("%s [%s, %s]", units.Bytes(c.Median), units.Bytes(c.Low), units.Bytes(c.High))
		}
		if e.N > 2 {
			exponent = figure(e.Median, e.Low, e.High, e.N, "%.3f")
		}
		per.Rows = append(per.Rows, []string{s.Model, perTask, exponent, r2, fmt.Sprint(top.Tasks), units.Bytes(float64(top.Total)), rss, create, each, rec})
	}
	out := []Table{per}
	parts := Table{
		Title:   "What a live task holds",
		Columns: []string{"series", "part", "bytes per task", "objects per task"},
		Note:    "Go: a memory profile recording every allocation, at --profile live tasks; CPython: objects added, by type (sys.getsizeof), at the most live tasks",
	}
	for _, s := range res.Series {
		for _, b := range s.Breakdown {
			obj := "-"
			if b.Objects > 0 {
				obj = fmt.Sprintf("%.2f", b.Objects)
			}
			parts.Rows = append(parts.Rows, []string{s.Model, b.Part, fmt.Sprintf("%.0f", b.Bytes), obj})
		}
	}
	if len(parts.Rows) > 0 {
		out = append(out, parts)
	}
	all := Table{Title: "Every point", Columns: []string{"series", "live tasks", "run", "memory", "per task", "stacks", "heap", "RSS added", "time to create"}}
	for _, pt := range res.Points {
		st, hp, rss, cr := "-", "-", "-", "-"
		if pt.Stacks > 0 {
			st = units.Bytes(float64(pt.Stacks))
		}
		if pt.Heap > 0 {
			hp = units.Bytes(float64(pt.Heap))
		}
		if pt.RSS != 0 {
			rss = units.Bytes(float64(pt.RSS))
		}
		if pt.Create > 0 {
			cr = units.Duration(pt.Create)
		}
		run := "-"
		if pt.Round > 0 {
			run = fmt.Sprint(pt.Round)
		}
		all.Rows = append(all.Rows, []string{pt.Model, fmt.Sprint(pt.Tasks), run, units.Bytes(float64(pt.Total)), units.Bytes(pt.PerTask), st, hp, rss, cr})
	}
	return append(out, all)
}
