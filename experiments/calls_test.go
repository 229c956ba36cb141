package experiments

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
)

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
