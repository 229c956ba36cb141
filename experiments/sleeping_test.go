package experiments

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/experiments/model"
)

// TestRecordSleeping runs the quick sleeping experiment (CPython's threads
// and asyncio beside the models) and records it as testdata, with -record,
// keeping the spans of the runs the charts draw.
func TestRecordSleeping(t *testing.T) {
	recordQuick(t, Sleeping, "sleeping-quick", func(p *SleepingParams) {}, func(r *SleepingResult) []int {
		var out []int
		for _, pt := range r.Points {
			out = append(out, pt.Concurrent)
		}
		return out
	})
}

// waitsAtOnce is the most of a run's waits in progress at once.
func waitsAtOnce(run *model.Run) int {
	var iv []measure.Interval
	for _, s := range run.Spans {
		for _, g := range s.Segments {
			if g.Kind == model.KindWait {
				iv = append(iv, measure.Interval{Start: g.Start, End: g.End})
			}
		}
	}
	return measure.MostAtOnce(iv, 0)
}

// Five tasks waiting, for real, on every model: all at once every wait is
// in progress together, one after another never two, and neither run
// cuts a wait short; each run sampled from /proc; the processes model's
// start-up kept out of the clock. How close to one wait and how idle are
// the verdicts' to judge.
func TestSleepingQuick(t *testing.T) {
	res := runQuick(t, Sleeping)
	checkJSON(t, res)
	p := Sleeping.Quick()
	want := 4 // and CPython's threads and asyncio where it runs
	if res.Python != nil {
		want += 2
	}
	rounds, seqRounds := repeatsFor(p.Wait), repeatsFor(p.Wait*time.Duration(p.Tasks))
	if len(res.Points) != want || len(res.Runs) != want*(rounds+seqRounds) {
		t.Fatalf("%d points, %d runs, want %d and %d", len(res.Points), len(res.Runs), want, want*(rounds+seqRounds))
	}
	for _, pt := range res.Points {
		t.Logf("%s: walls %v, %v cores, one after another %v, spawn %v", pt.Model, pt.Walls, pt.Utilisations, pt.SequentialWalls, pt.Spawn)
		if len(pt.Walls) != rounds || len(pt.SequentialWalls) != seqRounds {
			t.Errorf("%s: %d runs all at once, %d one after another", pt.Model, len(pt.Walls), len(pt.SequentialWalls))
		}
		for _, i := range pt.Runs {
			if run := res.Runs[i].Run; waitsAtOnce(run) != p.Tasks || run.Totals.Wall < p.Wait {
				t.Errorf("%s all at once: %d waits at once, wall %v", pt.Model, waitsAtOnce(run), run.Totals.Wall)
			}
		}
		for _, i := range pt.SequentialRuns {
			if run := res.Runs[i].Run; waitsAtOnce(run) != 1 || run.Totals.Wall < p.Wait*time.Duration(p.Tasks) {
				t.Errorf("%s one after another: %d waits at once, wall %v", pt.Model, waitsAtOnce(run), run.Totals.Wall)
			}
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
	got, _ := roundTrip(t, Sleeping, res)
	if len(got.Points) != want || got.Points[3].Spawn != res.Points[3].Spawn || !paramsOf[SleepingParams](&got.Report).Sequential {
		t.Errorf("decoded %+v", got.Points)
	}
}

// Without the sequential contrast, only the runs all at once are made and
// judged.
func TestSleepingNoSequential(t *testing.T) {
	p := Sleeping.Defaults()
	p.Wait, p.Models, p.Interval, p.Repeat = 50*time.Millisecond, []string{"goroutines"}, 20*time.Millisecond, 2
	if err := Set(&p, "sequential", "false"); err != nil {
		t.Fatal(err)
	}
	res, err := Sleeping.Run(context.Background(), &p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Runs) != 2 || res.Points[0].Sequential != -1 || len(res.Verdicts) != 2 || res.Verdicts[0].Runs != 2 {
		t.Errorf("%d runs, %d verdicts", len(res.Runs), len(res.Verdicts))
	}
	if err := Set(&p, "sequential", "maybe"); err == nil || !strings.Contains(err.Error(), `"maybe" is not true or false`) {
		t.Errorf("sequential=maybe: %v", err)
	}
	if err := Set(&p, "tasks", "300"); err == nil || !strings.Contains(err.Error(), "300 is out of range") {
		t.Errorf("tasks=300: %v", err)
	}
}

// The sleeping judge on a recorded quick run (five tasks waiting 250 ms,
// six runs of each model each way, CPython's threads and asyncio beside
// the models) and on copies edited so that each claim holds, does not
// hold, or cannot be decided.
func TestJudgeSleeping(t *testing.T) {
	point := func(m string, f func(p *SleepingPoint)) func(r *SleepingResult) {
		return func(r *SleepingResult) {
			for i := range r.Points {
				if r.Points[i].Model == m {
					f(&r.Points[i])
				}
			}
		}
	}
	walls := func(m string, xs ...float64) func(r *SleepingResult) {
		return point(m, func(p *SleepingPoint) {
			for i := range p.Walls {
				p.Walls[i] = time.Duration(xs[i%len(xs)] * float64(250*time.Millisecond))
			}
		})
	}
	seq := func(m string, xs ...float64) func(r *SleepingResult) {
		return point(m, func(p *SleepingPoint) {
			for i := range p.SequentialWalls {
				p.SequentialWalls[i] = time.Duration(xs[i%len(xs)] * float64(1250*time.Millisecond))
			}
		})
	}
	cores := func(m string, xs ...float64) func(r *SleepingResult) {
		return point(m, func(p *SleepingPoint) {
			for i := range p.Utilisations {
				p.Utilisations[i] = xs[i%len(xs)]
			}
		})
	}
	const g, procs, py = "goroutines", "processes", "cpython threads"
	cases := []judgeCase[SleepingResult]{
		// sleep-overlap: within 3% of one wait.
		{"as recorded, on a quiet machine", "sleep-overlap", g, true, nil, Holds, "5 tasks each waiting 250ms"},
		{"the waits one after another", "sleep-overlap", g, true, walls(g, 5, 5.01, 4.99), DoesNotHold, ""},
		{"waits cut short", "sleep-overlap", g, true, walls(g, 0.5, 0.52), DoesNotHold, ""},
		{"around 3% over", "sleep-overlap", g, true, walls(g, 1.01, 1.05, 1.02, 1.04, 1.01, 1.06), Inconclusive, "straddles the bound 0.2575"},
		{"as recorded, on a busy machine", "sleep-overlap", g, false, nil, Inconclusive, "other work used"},
		{"the process pool's start-up kept out of the clock", "sleep-overlap", procs, true, nil, Holds, "before the clock started"},

		// sleep-idle: at most 5% of a core.
		{"as recorded", "sleep-idle", py, false, nil, Holds, "sampled every 50ms"},
		{"half a core busy", "sleep-idle", py, false, cores(py, 0.5, 0.45, 0.55), DoesNotHold, ""},
		{"around 5%", "sleep-idle", py, false, cores(py, 0.03, 0.07, 0.04, 0.06, 0.035, 0.065), Inconclusive, "straddles the bound 0.05"},

		// sleep-adds-up: within 3% of tasks × wait.
		{"as recorded, on a quiet machine", "sleep-adds-up", g, true, nil, Holds, "one after another"},
		{"the waits overlapping", "sleep-adds-up", g, true, seq(g, 0.2, 0.21), DoesNotHold, ""},
		{"around 3% over", "sleep-adds-up", g, true, seq(g, 1.01, 1.05, 1.02, 1.04, 1.01, 1.06), Inconclusive, "straddles the bound 1.288"},
		{"as recorded, on a busy machine", "sleep-adds-up", g, false, nil, Inconclusive, "other work used"},
	}
	checkJudge(t, Sleeping, "sleeping-quick", cases)
}

// The verdict lines and the tables of the recorded run.
func TestSleepingGolden(t *testing.T) { checkGolden(t, Sleeping, "sleeping-quick") }

// What the sleeping experiment lists is what it judges.
func TestSleepingClaimsListed(t *testing.T) { checkClaimsListed(t, Sleeping, "sleeping-quick") }
