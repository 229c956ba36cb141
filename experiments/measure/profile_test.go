package measure

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

//go:noinline
func profiledSpin(d time.Duration) float64 { return spin(d) }

// The profile finds the function that computed, counts only the profiled
// function's goroutines, and refuses a second profile at once.
func TestProfileCPU(t *testing.T) {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // outside the profiled function: counted as Other
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				spin(time.Millisecond)
			}
		}
	}()
	prof, err := ProfileCPU(context.Background(), 5, func(ctx context.Context) error {
		var inner sync.WaitGroup
		inner.Add(1)
		go func() { defer inner.Done(); profiledSpin(400 * time.Millisecond) }()
		inner.Wait()
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
	if prof.Samples < 10 || prof.Total < 100*time.Millisecond {
		t.Fatalf("%d samples, %v: want about 40, 400 ms", prof.Samples, prof.Total)
	}
	if prof.Other <= 0 {
		t.Errorf("the unlabelled goroutine's CPU was not set apart")
	}
	var found bool
	for _, f := range prof.Top {
		// The spinning goroutine's frames: profiledSpin, or spin under it
		// when ties in flat time push profiledSpin out of the top five.
		if strings.HasSuffix(strings.ToLower(f.Name), "spin") && f.CumShare > 0.8 {
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
