package experiments

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/experiments/model"
)

// The no-semaphore experiment on quick parameters: without the semaphore
// the calls beyond the clients' descriptors fail with "too many open
// files", those the server's queue cannot hold time out, and the tail
// grows; with it nothing fails and the server runs at capacity. The client
// process survives every run.
func TestNoSemaphoreQuick(t *testing.T) {
	res := runQuick(t, NoSemaphore, "tail-grows", "too-many-files-above", "too-many-files-below", "timeouts",
		"queue-overflows", "semaphore-no-errors", "semaphore-bounds-latency/go", "capacity-semaphore")
	checkJSON(t, res)
	p := NoSemaphore.Quick()
	models := len(p.Models)
	if slices.Contains(p.Models, "cpython") && res.Python == nil {
		models-- // no interpreter: skipped with a note
	}
	if want := 2 * len(p.Concurrency) * models; len(res.Points) != want {
		t.Fatalf("%d points, want %d", len(res.Points), want)
	}
	for _, pt := range res.Points {
		if pt.Crash != "" || pt.Run < 0 {
			t.Fatalf("%s at %d: the client process died: %s", pt.Model, pt.Concurrency, pt.Crash)
		}
		if pt.NoFile != p.FDLimit {
			t.Fatalf("client limit %d, want %d", pt.NoFile, p.FDLimit)
		}
		if pt.OK+pt.Failed() != pt.Concurrency {
			t.Fatalf("%+v: %d answered and %d failed of %d", pt.CallPoint, pt.OK, pt.Failed(), pt.Concurrency)
		}
		files := pt.Errors[model.ErrTooManyFiles]
		above := pt.Concurrency > p.FDLimit
		if pt.Semaphore == 0 && above != (files > 0) {
			t.Fatalf("%s, %d at once, limit %d: %d too many open files", pt.Model, pt.Concurrency, p.FDLimit, files)
		}
		if pt.Semaphore > 0 && pt.Failed() != 0 {
			t.Fatalf("%s, %d at once under the semaphore: %v", pt.Model, pt.Concurrency, pt.Errors)
		}
	}
	if len(res.Tables()) != 2 {
		t.Fatalf("%d tables", len(res.Tables()))
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	got, err := NoSemaphore.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Points) != len(res.Points) || got.Points[0].Server.Backlog == 0 {
		t.Fatalf("decoded %+v", got.Points[0])
	}
}

// The many-tasks experiment on quick parameters: memory grows in a
// straight line with the live tasks, descriptors track the calls in flight
// up to the limit, beyond it "too many open files" appears and the client
// process survives.
func TestManyTasksQuick(t *testing.T) {
	res := runQuick(t, ManyTasks, "memory-per-task", "scheduling-delay", "latency-variance", "event-loop-lag",
		"fds-track-connections", "too-many-files-beyond", "too-many-files-within")
	checkJSON(t, res)
	p := ManyTasks.Quick()
	if want := len(p.Tasks) * len(p.Models); len(res.Points) != want || len(res.Fits) != len(p.Models) {
		t.Fatalf("%d points, %d fits", len(res.Points), len(res.Fits))
	}
	for _, pt := range res.Points {
		if pt.Crash != "" {
			t.Fatalf("%s at %d: the client process died: %s", pt.Model, pt.Tasks, pt.Crash)
		}
		if pt.PeakFDs > p.FDLimit || len(pt.Samples) == 0 || pt.PeakRSS <= 0 || pt.PeakHeap <= 0 {
			t.Fatalf("%s at %d: peak fds %d, %d samples, rss %d, heap %d", pt.Model, pt.Tasks, pt.PeakFDs, len(pt.Samples), pt.PeakRSS, pt.PeakHeap)
		}
	}
	if v, ok := res.Verdict("collapse", "goroutines"); !ok || v.Measured != 0 {
		t.Fatalf("collapse verdict %+v", v)
	}
}

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

// Where the largest task count answered fewer than two calls, latency
// variance is judged at the largest count that answered some, with a
// note; where none above the smallest did, it is not judged at all.
func TestManyTasksVarianceWithoutAnswers(t *testing.T) {
	pt := func(tasks, ok int, std float64) CallPoint {
		return CallPoint{Model: "goroutines", Tasks: tasks, OK: ok, Latency: measure.Summary{N: ok, Std: std}}
	}
	judge := func(pts ...CallPoint) *ManyTasksResult {
		p := ManyTasks.Defaults()
		res := &ManyTasksResult{Report: newReport("many-tasks", "", &p), Points: pts}
		j := judgeManyTasks(res)
		res.Verdicts, res.Notes = j.verdicts, j.notes
		return res
	}
	variance := func(res *ManyTasksResult) []Verdict {
		var out []Verdict
		for _, v := range res.Verdicts {
			if v.ClaimID == claimLatencyVariance.ID {
				out = append(out, v)
			}
		}
		return out
	}

	res := judge(pt(1000, 1000, 10), pt(5000, 5000, 40), pt(25000, 0, 0))
	vs := variance(res)
	if len(vs) != 1 || vs[0].Measured != 4 || vs[0].Outcome != Holds || !strings.Contains(vs[0].Detail, "5000 tasks against 1000") {
		t.Errorf("variance verdicts %+v", vs)
	}
	if !strings.Contains(strings.Join(res.Notes, "\n"), "at 25000 tasks 0 calls were answered") {
		t.Errorf("notes %q", res.Notes)
	}

	res = judge(pt(1000, 1000, 10), pt(25000, 1, 0))
	if vs := variance(res); len(vs) != 0 {
		t.Errorf("judged without answers: %+v", vs)
	}
	if !strings.Contains(strings.Join(res.Notes, "\n"), "no latency spread to judge") {
		t.Errorf("notes %q", res.Notes)
	}
}
