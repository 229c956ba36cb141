package experiments

import (
	"testing"
	"time"
)

// TestRecordMatrix runs the quick matrix with CPython beside the models
// and records it as testdata, with -record.
func TestRecordMatrix(t *testing.T) {
	recordQuick(t, Matrix, "matrix-quick", func(p *MatrixParams) {
		p.Models = []string{"gil", "eventloop", "processes", "goroutines", "cpython"}
	})
}

// The matrix on quick parameters, run for real: every model ran every
// workload with the pools a program gets by default, each run in a fresh
// process, and the memory a process pool adds is measured from the same
// start as a thread pool's.
func TestMatrixQuick(t *testing.T) {
	res := runQuickWith(t, Matrix, goQuick(Matrix), "wrong-processes-io")
	checkJSON(t, res)
	p := goQuick(Matrix)()
	if len(res.Cells) != 3*len(p.Models) || len(res.Workloads) != 3 {
		t.Fatalf("%d cells, %d workloads", len(res.Cells), len(res.Workloads))
	}
	threads, workers := threadPoolDefault(res.Cores), res.Cores
	if res.Threads != threads || res.Workers != workers {
		t.Errorf("pools of %d threads and %d workers, want %d and %d", res.Threads, res.Workers, threads, workers)
	}
	for _, w := range res.Workloads {
		n := 0
		for _, c := range res.Cells {
			if c.Workload != w.Key {
				continue
			}
			if c.Recommended {
				n++
			}
			rounds := 6 // every quick cell takes under 2 s, but the process pool on 200 waits
			if w.Key == "io-high" {
				rounds = 3
			}
			if len(c.Runs) != rounds || len(c.Walls) != rounds || len(c.Memories) != rounds {
				t.Errorf("%s on %s: %d runs, %d walls, %d memories; want %d", c.Model, w.Key, len(c.Runs), len(c.Walls), len(c.Memories), rounds)
			}
			if c.Low > c.Runtime || c.Runtime > c.High || c.Memory <= 0 {
				t.Errorf("%s on %s: runtime %v [%v, %v], memory %d", c.Model, w.Key, c.Runtime, c.Low, c.High, c.Memory)
			}
		}
		if n != 1 {
			t.Errorf("%s: %d recommended cells", w.Key, n)
		}
	}
	for _, m := range []string{"gil", "processes"} {
		c, _ := res.Cell("io-high", m)
		want := map[string]int{"gil": threads, "processes": workers}[m]
		if c.Concurrency != want {
			t.Errorf("%s on high I/O: %d at once, want %d", m, c.Concurrency, want)
		}
	}
	if c, _ := res.Cell("io-high", "eventloop"); c.Concurrency != p.High {
		t.Errorf("eventloop on high I/O: %d at once, want %d", c.Concurrency, p.High)
	}
	// A pool's workers are whole processes: what they add dwarfs what a
	// thread adds, each measured from a fresh process.
	pc, _ := res.Cell("io-moderate", "processes")
	if pc.Setup <= 0 || pc.Memory < int64(workers)<<20 {
		t.Errorf("processes: setup %v, memory %d", pc.Setup, pc.Memory)
	}
	if len(res.Tables()) != 4 {
		t.Errorf("%d tables", len(res.Tables()))
	}
	decoded(t, Matrix, res)
}

// The matrix's judge on a recorded quick run (Go's models and CPython's,
// the pools a program gets by default) and on copies edited so that each
// claim holds, does not hold, or cannot be decided.
func TestJudgeMatrix(t *testing.T) {
	// cell edits model m's cell on workload w, then sets its medians again.
	cell := func(w, m string, f func(c *MatrixCell)) func(r *MatrixResult) {
		return func(r *MatrixResult) {
			for i := range r.Cells {
				if c := &r.Cells[i]; c.Workload == w && c.Model == m {
					f(c)
					c.summarise()
				}
			}
			r.rank()
		}
	}
	walls := func(x ...float64) func(c *MatrixCell) {
		return func(c *MatrixCell) {
			for i := range c.Walls {
				c.Walls[i] = time.Duration(float64(c.Walls[i]) * x[i%len(x)])
			}
		}
	}
	// memoryAs sets m's memory on w to x times n's, run by run.
	memoryAs := func(w, m, n string, x ...float64) func(r *MatrixResult) {
		return func(r *MatrixResult) {
			ref, _ := r.Cell(w, n)
			cell(w, m, func(c *MatrixCell) {
				for i := range c.Memories {
					c.Memories[i] = int64(float64(ref.Memories[i]) * x[i%len(x)])
				}
			})(r)
		}
	}
	// cores sets the tasks' CPU over the wall time of m's runs on the CPU
	// workload.
	cores := func(m string, x ...float64) func(r *MatrixResult) {
		return func(r *MatrixResult) {
			c, _ := r.Cell("cpu", m)
			for k, i := range c.Runs {
				t := &r.Runs[i].Totals
				t.TaskCPU = time.Duration(x[k%len(x)] * float64(t.Wall))
			}
		}
	}
	const el, gil, procs, asyncio = "eventloop", "gil", "processes", "cpython asyncio"
	cases := []judgeCase[MatrixResult]{
		// framework-recommended: the recommendation within 10% of the
		// fastest other model, round by round.
		{"async on high I/O, as recorded, on a quiet machine", "framework-recommended", el, true, nil, Holds, "against goroutines"},
		{"goroutines 30% faster than async on high I/O", "framework-recommended", el, true, cell("io-high", el, walls(1.3)), DoesNotHold, "against goroutines"},
		{"threads' default pool on moderate I/O", "framework-recommended", gil, true, nil, DoesNotHold, "a pool of 6 runs 20 waits 6 at a time, in 4 rounds"},
		{"a thread pool as fast as async", "framework-recommended", gil, true, func(r *MatrixResult) {
			ref, _ := r.Cell("io-moderate", el)
			cell("io-moderate", gil, func(c *MatrixCell) { copy(c.Walls, ref.Walls) })(r)
		}, Holds, ""},
		{"one slow round of three on high I/O", "framework-recommended", el, true, cell("io-high", el, walls(1, 1, 1.6)), Inconclusive, "too few runs (3)"},
		{"as recorded, on a busy machine", "framework-recommended", gil, false, nil, Inconclusive, "other work used"},
		{"CPython's asyncio on high I/O", "framework-recommended", asyncio, true, nil, Holds, "against cpython threads"},

		// framework-memory: async's memory at most twice the least.
		{"as recorded", "framework-memory", el, false, nil, Holds, "against gil"},
		{"async holding five times the threads'", "framework-memory", el, false, memoryAs("io-high", el, gil, 4.5, 5, 5.5), DoesNotHold, "against gil"},
		{"async about twice the threads'", "framework-memory", el, false, memoryAs("io-high", el, gil, 1.6, 2.6, 2.1), Inconclusive, "straddles the bound 2"},

		// wrong-threads-cpu: at most 1.15 cores on a thread pool.
		{"as recorded, on a quiet machine", "wrong-threads-cpu", gil, true, nil, Holds, "a pool of 6 threads"},
		{"threads computing on two cores", "wrong-threads-cpu", gil, true, cores(gil, 1.9, 1.8, 1.95), DoesNotHold, ""},
		{"around the bound", "wrong-threads-cpu", gil, true, cores(gil, 1.0, 1.3, 1.1, 1.2, 1.05, 1.25), Inconclusive, "straddles the bound 1.15"},

		// wrong-processes-io: a process pool adds at least 10× a thread
		// pool's memory.
		{"as recorded", "wrong-processes-io", procs, false, nil, Holds, "2 worker processes added"},
		{"workers as light as threads", "wrong-processes-io", procs, false, memoryAs("io-moderate", procs, gil, 1.5), DoesNotHold, ""},
		{"around the bound", "wrong-processes-io", procs, false, memoryAs("io-moderate", procs, gil, 6, 14, 9, 12, 8, 11), Inconclusive, "straddles the bound 10"},

		// wrong-processes-io-time: a process pool no faster than threads.
		{"as recorded, on a quiet machine", "wrong-processes-io-time", procs, true, nil, Holds, ""},
		{"a process pool three times faster", "wrong-processes-io-time", procs, true, func(r *MatrixResult) {
			ref, _ := r.Cell("io-moderate", gil)
			cell("io-moderate", procs, func(c *MatrixCell) {
				for i := range c.Walls {
					c.Walls[i], c.Setups[i] = ref.Walls[i]/3, 0
				}
			})(r)
		}, DoesNotHold, ""},
		{"as recorded, on a busy machine", "wrong-processes-io-time", procs, false, nil, Inconclusive, "other work used"},
		{"around the bound", "wrong-processes-io-time", procs, true, func(r *MatrixResult) {
			ref, _ := r.Cell("io-moderate", gil)
			x := []float64{0.9, 1.1, 0.95, 1.05, 0.97, 1.2}
			cell("io-moderate", procs, func(c *MatrixCell) {
				for i := range c.Walls {
					c.Walls[i], c.Setups[i] = time.Duration(x[i]*float64(ref.Walls[i])), 0
				}
			})(r)
		}, Inconclusive, "straddles the bound 0.98"},
	}
	checkJudge(t, Matrix, "matrix-quick", cases)
}

// The verdict lines and the tables of the recorded run, as recorded (a
// busy machine) and as if quiet.
func TestMatrixGolden(t *testing.T) { checkGolden(t, Matrix, "matrix-quick") }

// What the matrix lists is what it judges.
func TestMatrixClaimsListed(t *testing.T) { checkClaimsListed(t, Matrix, "matrix-quick") }
