package experiments

import (
	"fmt"
	"math"
)

// Tables are the memory result's figures: bytes per live task by series,
// what a task holds, and every point of the sweep.
func (res *MemoryResult) Tables() []Table {
	per := Table{
		Title:   "Bytes per live task",
		Columns: []string{"series", "per task (fit)", "R²", "most tasks", "memory then", "RSS added then", "time to create", "per task", "bookkeeping (not counted)"},
		Note: "per task: the slope of the memory held against the live tasks (processes: per worker); memory: the Go runtime's memory in use (heap, stacks, metadata) after a collection, " +
			"CPython's tracemalloc count, or the workers' peak resident memory; each Go point in a fresh child process",
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
			create = showDur(top.Create)
		}
		if s.CreatePerTask > 0 {
			each = showDur(s.CreatePerTask)
		}
		if s.Recorder > 0 {
			rec = FormatBytes(s.Recorder) + " per task"
		}
		rss := "-"
		if top.RSS != 0 {
			rss = FormatBytes(float64(top.RSS))
		}
		per.Rows = append(per.Rows, []string{s.Model, FormatBytes(s.PerTask), r2, fmt.Sprint(top.Tasks), FormatBytes(float64(top.Total)), rss, create, each, rec})
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
	all := Table{Title: "Every point", Columns: []string{"series", "live tasks", "memory", "per task", "stacks", "heap", "RSS added", "time to create"}}
	for _, pt := range res.Points {
		st, hp, rss, cr := "-", "-", "-", "-"
		if pt.Stacks > 0 {
			st = FormatBytes(float64(pt.Stacks))
		}
		if pt.Heap > 0 {
			hp = FormatBytes(float64(pt.Heap))
		}
		if pt.RSS != 0 {
			rss = FormatBytes(float64(pt.RSS))
		}
		if pt.Create > 0 {
			cr = showDur(pt.Create)
		}
		all.Rows = append(all.Rows, []string{pt.Model, fmt.Sprint(pt.Tasks), FormatBytes(float64(pt.Total)), FormatBytes(pt.PerTask), st, hp, rss, cr})
	}
	return append(out, all)
}
