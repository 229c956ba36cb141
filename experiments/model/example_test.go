package model_test

import (
	"context"
	"fmt"
	"time"

	"github.com/boundlab/boundlab/experiments/model"
)

// Run five tasks that each wait 50 ms on GIL threads: the waits release the
// lock and overlap, so the batch takes about 50 ms, not 250 ms.
func Example() {
	m, err := model.Get(model.GILThreads)
	if err != nil {
		fmt.Println(err)
		return
	}
	tasks := model.Repeat(5, model.NewTask(model.Wait(50*time.Millisecond)))
	run, err := m.Run(context.Background(), tasks, model.Config{Concurrency: 5})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(run.Spans), "spans; overlapped:", run.Totals.Wall < 150*time.Millisecond)
	// Output:
	// 5 spans; overlapped: true
}

// The models, by name.
func ExampleNames() {
	fmt.Println(model.Names())
	// Output:
	// [cpython eventloop gil goroutines processes]
}

// A series is a model and, for CPython, its flavor: its name is made and
// read back by Series, never joined by hand.
func ExampleParseSeries() {
	s := model.SeriesOf(model.CPython, model.FlavorAsyncio)
	fmt.Println(s, model.ParseSeries(s.String()) == s, s.EventLoop())
	fmt.Println(model.ParseSeries("gil").Threads())
	// Output:
	// cpython asyncio true true
	// true
}
