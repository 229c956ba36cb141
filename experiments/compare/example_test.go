package compare_test

import (
	"fmt"
	"os"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/experiments/compare"
	"github.com/boundlab/boundlab/experiments/measure"
)

// Two scaling results side by side: the same laptop with GOMAXPROCS=2 and
// GOMAXPROCS=1. Each verdict is the claim judged on six rounds' speedups
// against the cores the machine gives the process (min(workers, cores)):
// goroutines double their speed where Go may use both cores, and stay at
// 1x where GOMAXPROCS holds them to one, which does not hold.
func ExampleOf() {
	var claim experiments.Claim
	for _, c := range experiments.Scaling.Claims() {
		if c.ID == "parallel-cpu" {
			claim = c
		}
	}
	machine := func(gomaxprocs int, speedups []float64) *experiments.Report {
		stamp := measure.Stamp{CPU: "a laptop", Cores: 2, GOMAXPROCS: gomaxprocs, GoVersion: "go1.26.8", OS: "linux", Arch: "amd64"}
		return &experiments.Report{
			Question: "scaling", Title: "Threads vs processes on CPU-bound work",
			ParamValues: map[string]string{"workers": "1,2"},
			Stamp:       stamp,
			Verdicts: []experiments.Verdict{claim.Judge(experiments.Measurement{
				Model: "goroutines", Samples: speedups, Expected: float64(min(2, stamp.Usable())), Unit: "x", Detail: "2 workers"})},
		}
	}
	c, err := compare.Of(
		compare.Input{Name: "two.json", Result: machine(2, []float64{1.93, 1.95, 1.96, 1.97, 1.98, 1.99})},
		compare.Input{Name: "one.json", Result: machine(1, []float64{0.97, 0.98, 0.99, 0.99, 1.0, 1.01})},
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	row := c.Groups[0].Rows[0]
	for i, cell := range row.Cells {
		figure, outcome := compare.CellText(cell)
		fmt.Printf("%s (%s): %s %s\n", c.Columns[i].Name, c.Columns[i].Short(), figure, outcome)
	}
	rule, _ := row.Rule(c.Columns)
	fmt.Println("rule:", rule)
	fmt.Println()
	c.WriteText(os.Stdout)
	// Output:
	// two.json (2 cores · GOMAXPROCS 2 · go1.26.8): 1.965 [1.93, 1.99] holds
	// one.json (2 cores · GOMAXPROCS 1 · go1.26.8): 0.99 [0.97, 1.01] DOES NOT HOLD
	// rule: at least 1.7
	//
	// scaling: Threads vs processes on CPU-bound work · 2 results, side by side
	//
	//   A  two.json
	//      a laptop · 2 cores · GOMAXPROCS 2 · go1.26.8 · linux/amd64
	//   B  one.json
	//      a laptop · 2 cores · GOMAXPROCS 1 · go1.26.8 · linux/amd64
	//
	// Parameters: the same in every result.
	//
	//                  │ A · 2 cores · GOMAXPROCS 2 │ B · 2 cores · GOMAXPROCS 1       │
	// claim (unit)     │ go1.26.8                   │ go1.26.8                         │ rule
	// ─────────────────┼────────────────────────────┼──────────────────────────────────┼─────
	// parallel-cpu (x) │                            │                                  │
	//   goroutines     │ 1.965 [1.93, 1.99]  holds  │ 0.99 [0.97, 1.01]  DOES NOT HOLD │ at least 1.7
	// ─────────────────┼────────────────────────────┼──────────────────────────────────┼─────
	// outcomes         │ 1 verdict: 1 holds         │ 1 verdict: 1 does not hold       │
	//
	// Claims:
	//   parallel-cpu: Goroutines and processes run CPU-bound tasks in parallel, up to one per core
}
