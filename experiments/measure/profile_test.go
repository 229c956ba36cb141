package measure

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

//go:noinline
func profiledSpin(d time.Duration) float64 { return spinCPU(d) }

// The profile finds the function that computed and counts its CPU time,
// counts only the profiled function's goroutines, and refuses a second
// profile at once. The goroutines compute fixed amounts of CPU time, so
// the figures do not hang on how busy the machine is.
func TestProfileCPU(t *testing.T) {
	stop := make(chan struct{})
	var other atomic.Int64 // the unlabelled goroutine's CPU time so far
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // outside the profiled function: counted as Other
		defer wg.Done()
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		c0 := ThreadCPU()
		for {
			select {
			case <-stop:
				return
			default:
				spin(time.Millisecond)
				other.Store(int64(ThreadCPU() - c0))
			}
		}
	}()
	const work = 400 * time.Millisecond
	prof, err := ProfileCPU(context.Background(), 5, func(ctx context.Context) error {
		var inner sync.WaitGroup
		inner.Add(1)
		go func() { defer inner.Done(); profiledSpin(work) }()
		inner.Wait()
		// The other goroutine has computed for a few sampling periods.
		for time.Duration(other.Load()) < 100*time.Millisecond {
			time.Sleep(time.Millisecond)
		}
		_, err := ProfileCPU(ctx, 5, func(context.Context) error { return nil })
		return err
	})
	close(stop)
	wg.Wait()
	if !errors.Is(err, ErrProfilerBusy) {
		t.Errorf("a profile inside a profile: %v, want ErrProfilerBusy", err)
	}
	if prof == nil {
		t.Fatal("no profile")
	}
	// A sample every 10 ms of a thread's CPU time: about 40 for 400 ms.
	if prof.Total < work/2 || prof.Total > work*3/2 {
		t.Fatalf("%d samples, %v for a goroutine that computed %v", prof.Samples, prof.Total, work)
	}
	if prof.Other <= 0 {
		t.Errorf("the unlabelled goroutine's CPU was not set apart")
	}
	var found bool
	for _, f := range prof.Top {
		// The spinning goroutine's frames: profiledSpin, or spinCPU under
		// it when ties in flat time push profiledSpin out of the top five.
		if strings.Contains(strings.ToLower(f.Name), "spin") && f.CumShare > 0.8 {
			found = true
		}
		if f.Flat > f.Cum || f.FlatShare > 1 {
			t.Errorf("%+v", f)
		}
	}
	if !found || len(prof.Top) > 5 {
		t.Errorf("top: %+v", prof.Top)
	}
	if shortFunc("github.com/a/b/model.burn") != "model.burn" || shortFunc("runtime.futex") != "runtime.futex" {
		t.Error("shortFunc")
	}
}
