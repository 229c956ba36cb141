package experiments

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
)

// Bad parameters are refused before anything runs.
func TestCallParamErrors(t *testing.T) {
	ns := NoSemaphore.Defaults()
	if err := Set(&ns, "fd-limit", "8"); err == nil {
		t.Error("--fd-limit 8 accepted")
	}
	mt := ManyTasks.Defaults()
	if err := Set(&mt, "tasks", "1000,300000"); err == nil {
		t.Error("--tasks 300000 accepted")
	}
	mt.FDLimit = 1 << 20
	mt.Tasks = []int{10}
	if _, err := ManyTasks.Run(context.Background(), &mt, nil); err == nil {
		t.Error("a descriptor limit above the hard limit ran")
	}
}

// Cancelling a call experiment mid-run kills the client process and stops
// the server promptly, leaving no descriptor open in this process.
func TestCallExperimentCancelled(t *testing.T) {
	fds0, err := measure.OpenFDs(0)
	if err != nil {
		t.Fatal(err)
	}
	p := ManyTasks.Defaults()
	p.Tasks, p.Workers, p.Service, p.Timeout, p.Models = []int{500}, 100, 10*time.Second, time.Minute, []string{"eventloop"}
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	_, err = ManyTasks.Run(ctx, &p, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's", err)
	}
	if el := time.Since(t0); el > 5*time.Second {
		t.Fatalf("took %v to stop", el)
	}
	fds := 0
	for range 100 {
		if fds, _ = measure.OpenFDs(0); fds <= fds0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%d descriptors open after, %d before", fds, fds0)
}
