package experiments

import "fmt"

// Tables are the matrix result's figures: runtime and memory per cell, and
// how each model ran each workload.
func (res *MatrixResult) Tables() []Table {
	var models []string
	for _, c := range res.Cells {
		if !containsString(models, c.Model) {
			models = append(models, c.Model)
		}
	}
	rt := Table{Title: "Runtime (× the fastest in its row and family)", Columns: append([]string{"workload", "framework"}, models...),
		Note: "★ the framework's recommendation; runtime from the first submission to the last task's end, process pools started before it (see the workers' start-up below); Go's models and CPython's are ranked apart"}
	mem := Table{Title: "Peak memory added", Columns: append([]string{"workload"}, models...),
		Note: "peak resident memory the run added to this process (to the interpreter, for cpython), plus its worker processes' peak resident memory"}
	how := Table{Title: "How each model ran each workload", Columns: append([]string{"workload"}, models...),
		Note: fmt.Sprintf("I/O on a process pool: the waits queue for at most --pool workers and run that many at a time; CPU pools (threads and processes): one per core (%d)", res.Cores)}
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
			r = append(r, fmt.Sprintf("%s%s (%.2f×)", star, showDur(c.Runtime), c.Ratio))
			m = append(m, FormatBytes(float64(c.Memory)))
			h = append(h, matrixHow(name, c.Concurrency))
		}
		rt.Rows, mem.Rows, how.Rows = append(rt.Rows, r), append(mem.Rows, m), append(how.Rows, h)
	}
	setup := Table{Title: "Starting the pools (not in the runtime)", Columns: []string{"workload", "model", "start-up"},
		Note: "CPython's includes starting the interpreter, for every flavor"}
	for _, c := range res.Cells {
		if c.Setup > 0 {
			setup.Rows = append(setup.Rows, []string{c.Workload, c.Model, showDur(c.Setup)})
		}
	}
	out := []Table{rt, mem, how}
	if len(setup.Rows) > 0 {
		out = append(out, setup)
	}
	return out
}

// matrixHow says what a model's concurrency was.
func matrixHow(model string, n int) string {
	switch model {
	case "gil", "cpython threads":
		return fmt.Sprintf("%d threads", n)
	case "processes", "cpython processes":
		return fmt.Sprintf("%d worker processes", n)
	}
	return fmt.Sprintf("all at once (%d)", n)
}

func containsString(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
