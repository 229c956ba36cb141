package model

import (
	"context"
	"testing"
	"time"
)

// BenchmarkOverhead measures each model's cost per task: tasks whose one
// step does no work, in batches of 1000 at concurrency 100 (10 for
// processes), reported as ns/task.
func BenchmarkOverhead(b *testing.B) {
	for _, name := range Names() {
		b.Run(name, func(b *testing.B) {
			m, _ := Get(name)
			conc := 100
			if name == "processes" {
				conc = 10
			}
			tasks := Repeat(1000, NewTask(CPU(0)))
			var total time.Duration
			b.ResetTimer()
			for range b.N {
				r, err := m.Run(context.Background(), tasks, Config{Concurrency: conc})
				if err != nil {
					b.Fatal(err)
				}
				total += r.Totals.Wall
			}
			b.ReportMetric(float64(total.Nanoseconds())/float64(b.N*len(tasks)), "ns/task")
		})
	}
}

// BenchmarkWaitOvershoot measures how late a 10 ms wait ends on each
// in-process model: the timer resolution that the semaphore formula ignores.
func BenchmarkWaitOvershoot(b *testing.B) {
	for _, name := range []string{"goroutines", "eventloop", "gil"} {
		b.Run(name, func(b *testing.B) {
			m, _ := Get(name)
			var late time.Duration
			for range b.N {
				r, err := m.Run(context.Background(), Repeat(10, NewTask(Wait(10*time.Millisecond))), Config{Concurrency: 10})
				if err != nil {
					b.Fatal(err)
				}
				for _, s := range r.Spans {
					late += s.End - s.Start - 10*time.Millisecond
				}
			}
			b.ReportMetric(float64(late.Microseconds())/float64(b.N*10), "µs-late/wait")
		})
	}
}
