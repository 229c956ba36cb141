package model

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// BenchmarkOverhead measures each model's cost per task: tasks whose one
// step does no work, in batches of 1000 at concurrency 100 (10 for
// processes), reported as ns/task.
func BenchmarkOverhead(b *testing.B) {
	for _, name := range Names() {
		b.Run(string(name), func(b *testing.B) {
			m, _ := Get(name)
			conc := 100
			if name == Processes {
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
	for _, name := range []Name{Goroutines, EventLoop, GILThreads} {
		b.Run(string(name), func(b *testing.B) {
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

// BenchmarkWaitBatch runs 1000 tasks that each wait 100 ms, all at once,
// on the goroutines and eventloop models and, for reference, on bare
// goroutines (one per task calling time.Sleep: no records, no
// cancellation), in turn, and reports for each the median over the rounds
// of the wall time over the 100 ms a task waits ("ratio": the semaphore
// sweep's ratio at limit 1000). Run with -benchtime=3x or more.
func BenchmarkWaitBatch(b *testing.B) { benchWaitRatios(b, 1000, 1000, 100*time.Millisecond) }

// BenchmarkWaitRounds is BenchmarkWaitBatch at the quick semaphore
// experiment's headline: 200 tasks under a semaphore of 20, ten rounds of
// 100 ms, the bare goroutines taking a buffered channel's slots. The ratio
// is the wall time over the formula's 1 s: what semaphore-near-ideal
// judges (at most 1.02), with each round's hand-over between tasks.
func BenchmarkWaitRounds(b *testing.B) { benchWaitRatios(b, 200, 20, 100*time.Millisecond) }

// benchWaitRatios runs n tasks that each wait d, at most limit at a time,
// on the goroutines and eventloop models and on bare goroutines, in turn,
// and reports for each the median over the rounds of the wall time over
// the formula's ceil(n / limit) × d.
func benchWaitRatios(b *testing.B, n, limit int, d time.Duration) {
	tasks := Repeat(n, NewTask(Wait(d)))
	ideal := float64(time.Duration((n+limit-1)/limit) * d)
	ratios := map[string][]float64{}
	for range b.N {
		for _, name := range []Name{Goroutines, EventLoop} {
			m, _ := Get(name)
			r, err := m.Run(context.Background(), tasks, Config{Concurrency: limit})
			if err != nil {
				b.Fatal(err)
			}
			ratios[string(name)] = append(ratios[string(name)], float64(r.Totals.Wall)/ideal)
		}
		ratios["bare"] = append(ratios["bare"], float64(bareSleeps(n, limit, d))/ideal)
	}
	for name, rs := range ratios {
		slices.Sort(rs)
		b.ReportMetric(rs[len(rs)/2], name+"-ratio")
	}
}

// bareSleeps starts n goroutines that each take one of limit slots (a
// buffered channel), sleep d and give the slot back, and returns the time
// from the first start to the last end.
func bareSleeps(n, limit int, d time.Duration) time.Duration {
	var wg sync.WaitGroup
	wg.Add(n)
	slots := make(chan struct{}, limit)
	ends := make([]time.Duration, n)
	t0 := time.Now()
	for i := range n {
		go func() {
			slots <- struct{}{}
			time.Sleep(d)
			ends[i] = time.Since(t0)
			<-slots
			wg.Done()
		}()
	}
	wg.Wait()
	return slices.Max(ends)
}
