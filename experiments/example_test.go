package experiments_test

import (
	"context"
	"fmt"
	"time"

	"github.com/boundlab/boundlab/experiments"
)

// Run the semaphore experiment at a small setting and read its headline.
func ExampleRunSemaphore() {
	p := experiments.DefaultSemaphore()
	p.Tasks, p.Latency, p.Limit, p.Repeat = 20, 30*time.Millisecond, 5, 1
	p.Limits = []int{5, 20}
	p.Latencies = []time.Duration{30 * time.Millisecond}
	p.Models = []string{"eventloop"}
	res, err := experiments.RunSemaphore(context.Background(), p, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	h := res.Headline[0]
	fmt.Println(h.Model, "ideal runtime:", h.Ideal)
	fmt.Println("runs:", len(res.Runs), "verdicts:", len(res.Verdicts))
	// Output:
	// eventloop ideal runtime: 120ms
	// runs: 2 verdicts: 3
}

// Look a question up by name and run it through the generic interface, as
// the command line does.
func ExampleLookup() {
	q, err := experiments.Lookup("async-cpu")
	if err != nil {
		fmt.Println(err)
		return
	}
	p := q.Quick()
	if err := experiments.Set(p, "tasks", "2"); err != nil {
		fmt.Println(err)
		return
	}
	if err := experiments.Set(p, "models", "eventloop"); err != nil {
		fmt.Println(err)
		return
	}
	res, err := q.Run(context.Background(), p, nil)
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
	p := experiments.DefaultSemaphore()
	p.Limit = 0
	fmt.Println(experiments.Validate(&p))
	// Output:
	// --limit: 0 is out of range (allowed: an integer from 1 to 1000000)
}
