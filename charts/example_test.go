package charts_test

import (
	"context"
	"fmt"
	"time"

	"github.com/boundlab/boundlab/charts"
	"github.com/boundlab/boundlab/experiments"
)

// Chart a small semaphore run: what For draws, series by series (how many
// points each has hangs on the run's timing, and is tested on recorded
// runs).
func ExampleFor() {
	p := experiments.Semaphore.Defaults()
	p.Tasks, p.Latency, p.Limit, p.Repeat = 8, 5*time.Millisecond, 4, 1
	p.Limits = []int{2, 4}
	p.Latencies = []time.Duration{5 * time.Millisecond}
	p.Models = []string{"goroutines"}
	res, err := experiments.Semaphore.Run(context.Background(), &p, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	cs, err := charts.For(res)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range cs {
		fmt.Println(c.Title())
		for _, s := range c.Series() {
			fmt.Printf("  %s\n", s.Name)
		}
	}
	// Output:
	// Runtime against the semaphore limit
	//   ideal ⌈tasks/limit⌉ × latency
	//   goroutines
	// Runtime over the formula, against the limit
	//   floor: the formula less the timer's 1 ms
	//   goroutines
	// Runtime against the latency
	//   ideal ⌈tasks/limit⌉ × latency
	//   goroutines
	// Tasks in flight: 8 tasks waiting 5ms, at most 4 at a time
	//   goroutines (at most 4 at once)
	// goroutines: 8 tasks waiting 5ms, at most 4 at a time
	//   wait
	// goroutines: the recorded limit sweep, a run per limit (move the control below)
	//   wait
}
