package experiments

import (
	"fmt"

	"github.com/boundlab/boundlab/internal/units"
)

// Tables are the matrix result's figures: runtime and memory per cell, and
// how each model ran each workload.
func (res *MatrixResult) Tables() []Table {
	var models []string
	for _, c := range res.Cells {
		models = appendNew(models, c.Model)
	}
	rt := Table{Title: "Runtime (× the fastest in its row and family)", Columns: append([]string{"workload", "framework"}, models...),
		Note: "★ the framework's recommendation; the median of the runs [95% interval]; runtime from the first submission to the last task's end, process pools started before it (see the start-up below); Go's models and CPython's are ranked apart"}
	mem := Table{Title: "Memory added", Columns: append([]string{"workload"}, models...),
		Note: "each run in a fresh process: its peak resident memory less that as the clock started (CPython: the interpreter's), plus every worker process's whole peak; the median of the runs [95% interval]"}
	how := Table{Title: "How each model ran each workload", Columns: append([]string{"workload"}, models...),
		Note: fmt.Sprintf("the pools a program gets by default on %d cores: ThreadPoolExecutor's min(32, cores + 4) = %d threads (--threads), ProcessPoolExecutor's one worker per core = %d (--workers); the event loops and goroutines run every task at once unless --semaphore limits them",
			res.Cores, res.Threads, res.Workers)}
	for _, w := range res.Workloads {
		r := []string{w.Name, w.Rule}
		m := []string{w.Name}
		h := []string{w.Name}
		for _, name := range models {
			c, ok := res.Cell(w.Key, name)
			if !ok {
				r, m, h = append(r, "-"), append(m, "-"), append(h, "-")
				continue
			}
			star := ""
			if c.Recommended {
				star = "★ "
			}
			r = append(r, fmt.Sprintf("%s%s (%.2f×)", star, durFigure(c.Runtime, c.Low, c.High, len(c.Walls)), c.Ratio))
			m = append(m, bytesFigure(c.Memory, c.MemoryLow, c.MemoryHigh, len(c.Memories)))
			h = append(h, matrixHow(name, c.Concurrency))
		}
		rt.Rows, mem.Rows, how.Rows = append(rt.Rows, r), append(mem.Rows, m), append(how.Rows, h)
	}
	setup := Table{Title: "Starting the pools (not in the runtime)", Columns: []string{"workload", "model", "start-up"},
		Note: "the median of the runs; CPython's includes starting the interpreter, for every flavor"}
	for _, c := range res.Cells {
		if c.Setup > 0 {
			setup.Rows = append(setup.Rows, []string{c.Workload, c.Model, units.Duration(c.Setup)})
		}
	}
	out := []Table{rt, mem, how}
	if len(setup.Rows) > 0 {
		out = append(out, setup)
	}
	return out
}

// matrixHow says what a series' concurrency was.
func matrixHow(name string, n int) string {
	switch seriesOf(name).pool() {
	case poolThreads:
		return fmt.Sprintf("a pool of %d threads", n)
	case poolProcesses:
		return fmt.Sprintf("a pool of %d worker processes", n)
	}
	return fmt.Sprintf("%d at once", n)
}
