package experiments

import (
	"context"
	"testing"
	"time"
)

// BenchmarkSemaphoreRatio runs the lecture's setting (1000 tasks, 100 ms,
// limit 100) on each model and reports runtime over the formula's
// ceil(tasks/limit) × latency as "ratio". Run with -benchtime=3x.
func BenchmarkSemaphoreRatio(b *testing.B) {
	for _, name := range []string{"goroutines", "eventloop"} {
		b.Run(name, func(b *testing.B) {
			p := Semaphore.Defaults()
			p.Models, p.Repeat = []string{name}, 1
			p.Limits, p.Latencies = []int{p.Limit}, []time.Duration{p.Latency}
			var sum float64
			for range b.N {
				res, err := Semaphore.Run(context.Background(), &p, nil)
				if err != nil {
					b.Fatal(err)
				}
				sum += res.Headline[0].Ratio
			}
			b.ReportMetric(sum/float64(b.N), "ratio")
		})
	}
}
