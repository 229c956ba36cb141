package experiments_test

import (
	"context"
	"fmt"
	"time"

	"github.com/boundlab/boundlab/experiments"
)

// Run the semaphore experiment at a small setting and read its headline:
// the result is a *SemaphoreResult, with no type assertion.
func ExampleQuestion_Run() {
	p := experiments.Semaphore.Defaults()
	p.Tasks, p.Latency, p.Limit, p.Repeat = 20, 30*time.Millisecond, 5, 2
	p.Limits = []int{5, 20}
	p.Latencies = []time.Duration{30 * time.Millisecond}
	p.Models = []string{"eventloop"}
	res, err := experiments.Semaphore.Run(context.Background(), &p, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	h := res.Headline[0]
	fmt.Println(h.Model, "ideal runtime:", h.Ideal, "from", len(h.Walls), "runs")
	fmt.Println("runs:", len(res.Runs), "verdicts:", len(res.Verdicts))
	// Output:
	// eventloop ideal runtime: 120ms from 2 runs
	// runs: 3 verdicts: 3
}

// Look a question up by name and run it through the untyped interface, as
// the command line does.
func ExampleLookup() {
	q, err := experiments.Lookup("async-cpu")
	if err != nil {
		fmt.Println(err)
		return
	}
	p := q.NewParams(true)
	if err := experiments.Set(p, "tasks", "2"); err != nil {
		fmt.Println(err)
		return
	}
	if err := experiments.Set(p, "models", "eventloop"); err != nil {
		fmt.Println(err)
		return
	}
	res, err := q.RunParams(context.Background(), p, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, v := range res.Base().Verdicts {
		fmt.Println(v.ClaimID, v.Model)
	}
	// Output:
	// async-no-speedup eventloop
	// async-blocks-loop eventloop
	// async-one-at-a-time eventloop
}

// Bad parameters are refused with the parameter's name and allowed range.
func ExampleValidate() {
	p := experiments.Semaphore.Defaults()
	p.Limit = 0
	fmt.Println(experiments.Validate(&p))
	// Output:
	// --limit: 0 is out of range (allowed: an integer from 1 to 1000000)
}

// A claim judged on six runs: the median's 95% interval lies under the
// bound, so the claim holds; with a slow run among them the interval
// straddles the bound, and the verdict is inconclusive.
func ExampleClaim_Judge() {
	c := experiments.Claim{ID: "near-ideal", Compare: experiments.Between, Tolerance: 0.01, Slack: 0.001}
	runs := []float64{1.002, 1.004, 1.004, 1.006, 1.002, 1.005} // seconds
	v := c.Judge(experiments.Measurement{Model: "goroutines", Samples: runs, Expected: 1, Unit: "s"})
	fmt.Println(v.Outcome, v.Estimate(), v.Rule())
	runs[3] = 1.031
	v = c.Judge(experiments.Measurement{Model: "goroutines", Samples: runs, Expected: 1, Unit: "s"})
	fmt.Println(v.Outcome, v.Estimate())
	fmt.Println(v.Reason)
	// Output:
	// holds 1.004 [1.002, 1.006] from 0.999 to 1.01
	// inconclusive 1.004 [1.002, 1.031]
	// the 95% interval 1.004 [1.002, 1.031] straddles the bound 1.01: the runs vary more than the claim's margin: a noisy machine, or a figure that truly sits at the bound
}
