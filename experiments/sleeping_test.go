package experiments

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Five tasks waiting at once take one wait on every model, using no CPU;
// one after another they take five.
func TestSleepingQuick(t *testing.T) {
	res := runQuick(t, Sleeping, "sleep-overlap", "sleep-idle", "sleep-adds-up")
	checkJSON(t, res)
	p := Sleeping.Quick()
	want := 4 // and CPython's threads and asyncio where it runs
	if res.Python != nil {
		want += 2
	}
	if len(res.Points) != want || len(res.Runs) != 2*want {
		t.Fatalf("%d points, %d runs, want %d and %d", len(res.Points), len(res.Runs), want, 2*want)
	}
	for _, pt := range res.Points {
		t.Logf("%s: wall %v, %.4f cores (%v), one after another %v, spawn %v", pt.Model, pt.Wall, pt.Utilisation, pt.CPU, pt.SequentialWall, pt.Spawn)
		if pt.Wall < p.Wait {
			t.Errorf("%s: %v, shorter than a wait: the waits were cut short", pt.Model, pt.Wall)
		}
		if pt.Speedup < 4.5 || pt.Speedup > 5.5 {
			t.Errorf("%s: one after another %.2fx all at once", pt.Model, pt.Speedup)
		}
		if len(pt.Usage.Samples) < 3 || pt.ClockStart < 0 {
			t.Errorf("%s: %d samples, clock start %v", pt.Model, len(pt.Usage.Samples), pt.ClockStart)
		}
		if (pt.Model == "processes" || strings.HasPrefix(pt.Model, "cpython")) != (pt.Spawn > 0) {
			t.Errorf("%s: spawn %v", pt.Model, pt.Spawn)
		}
		if pt.Model == "processes" && pt.Usage.MaxProcs < 1+p.Tasks {
			t.Errorf("processes: at most %d processes sampled, want this one and %d workers", pt.Usage.MaxProcs, p.Tasks)
		}
	}
	if pt := res.Points[3]; pt.Stop <= 0 || pt.Wall > res.Runs[pt.Concurrent].Totals.Wall {
		t.Errorf("processes: wall %v, stop %v, run's clock %v", pt.Wall, pt.Stop, res.Runs[pt.Concurrent].Totals.Wall)
	}
	if !strings.Contains(strings.Join(res.Notes, "\n"), "processes: starting 5 worker processes took") {
		t.Errorf("notes %q", res.Notes)
	}
	if ts := res.Tables(); len(ts) != 1 || len(ts[0].Rows) != want {
		t.Errorf("tables %+v", ts)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Sleeping.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Points) != want || got.Points[3].Spawn != res.Points[3].Spawn || !paramsOf[SleepingParams](&got.Report).Sequential {
		t.Errorf("decoded %+v", got.Points)
	}
}

// Without the sequential contrast, only the runs all at once are made and
// judged.
func TestSleepingNoSequential(t *testing.T) {
	p := Sleeping.Defaults()
	p.Wait, p.Models, p.Interval = 50*time.Millisecond, []string{"goroutines"}, 20*time.Millisecond
	if err := Set(&p, "sequential", "false"); err != nil {
		t.Fatal(err)
	}
	res, err := Sleeping.Run(context.Background(), &p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Runs) != 1 || res.Points[0].Sequential != -1 || len(res.Verdicts) != 2 {
		t.Errorf("%d runs, %d verdicts", len(res.Runs), len(res.Verdicts))
	}
	if err := Set(&p, "sequential", "maybe"); err == nil || !strings.Contains(err.Error(), `"maybe" is not true or false`) {
		t.Errorf("sequential=maybe: %v", err)
	}
	if err := Set(&p, "tasks", "300"); err == nil || !strings.Contains(err.Error(), "300 is out of range") {
		t.Errorf("tasks=300: %v", err)
	}
}
