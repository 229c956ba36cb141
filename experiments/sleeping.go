package experiments

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/experiments/model"
)

// SleepingParams are the parameters of the sleeping experiment.
type SleepingParams struct {
	// Tasks is how many tasks run; each waits Wait.
	Tasks int
	// Wait is each task's wait: a sleep, the simulated I/O.
	Wait time.Duration
	// Models are the models to run.
	Models []string
	// Sequential also runs the tasks one after another on each model, for
	// contrast.
	Sequential bool
	// Interval is the utilisation sampling interval.
	Interval time.Duration
	// Python is the cpython model's interpreter (see model.FindPython).
	Python string
}

// Params binds the parameters to flags.
func (p *SleepingParams) Params() []Param {
	return []Param{
		intParam(&p.Tasks, "tasks", "tasks, each waiting --wait", 1, model.MaxWorkers),
		durationParam(&p.Wait, "wait", "each task's wait (a sleep: simulated I/O)", 10*time.Millisecond, time.Minute),
		namesParam(&p.Models, "models", "models to run (cpython: CPython's threads and asyncio)", []string{"goroutines", "gil", "eventloop", "processes", "cpython"}),
		boolParam(&p.Sequential, "sequential", "also run the tasks one after another, for contrast"),
		durationParam(&p.Interval, "interval", "CPU utilisation sampling interval", measure.MinInterval, time.Second),
		pythonParam(&p.Python),
	}
}

// defaultSleeping is the lecture's setting: five tasks each waiting one
// second, all at once and one after another, on every model and on
// CPython's threads and asyncio (where python3 is found), sampled every
// 100 ms.
func defaultSleeping() SleepingParams {
	return SleepingParams{
		Tasks: 5, Wait: time.Second, Sequential: true, Interval: measure.DefaultInterval,
		Models: []string{"goroutines", "gil", "eventloop", "processes", "cpython"},
	}
}

// quickSleeping is waits of 250 ms, sampled every 50 ms.
func quickSleeping(p *SleepingParams) { p.Wait, p.Interval = 250*time.Millisecond, 50*time.Millisecond }

// SleepingPoint is one model's runs.
type SleepingPoint struct {
	// Model is the model, and for cpython its mechanism ("cpython
	// threads", "cpython asyncio").
	Model string `json:"model"`
	// Concurrent indexes Report.Runs: the tasks all at once. Sequential
	// is the run one after another, or -1.
	Concurrent int `json:"concurrent_run"`
	Sequential int `json:"sequential_run"`
	// Wall is the concurrent run's wall time, to the last task's end.
	// Spawn is the time it took to start worker processes before the clock
	// started, and Stop the time to stop them after the last task ended
	// (processes model): neither is in Wall.
	Wall  time.Duration `json:"wall_ns"`
	Spawn time.Duration `json:"spawn_ns,omitempty"`
	Stop  time.Duration `json:"stop_ns,omitempty"`
	// Utilisation is the process tree's mean CPU utilisation while the
	// tasks waited (cores), from the samples inside the wall time; CPU is
	// Utilisation × Wall. CallCPU is the tree's CPU time over the whole
	// run, spawning and stopping workers included.
	Utilisation float64       `json:"utilisation_cores"`
	CPU         time.Duration `json:"cpu_ns"`
	CallCPU     time.Duration `json:"call_cpu_ns"`
	// SequentialWall and SequentialUtilisation are the same of the run one
	// after another; Speedup is SequentialWall over Wall.
	SequentialWall        time.Duration `json:"sequential_wall_ns,omitempty"`
	SequentialUtilisation float64       `json:"sequential_utilisation_cores,omitempty"`
	Speedup               float64       `json:"speedup,omitempty"`
	// Usage is the concurrent run's utilisation over time, sampled from
	// before the run to after it; its clock started ClockStart into it.
	Usage      measure.CPUSeries `json:"usage"`
	ClockStart time.Duration     `json:"clock_start_ns"`
}

// SleepingResult is the result of the sleeping experiment.
type SleepingResult struct {
	Report
	Points []SleepingPoint `json:"points"`
}

// Claims of the sleeping experiment.
var (
	claimSleepOverlap = Claim{
		ID:       "sleep-overlap",
		Text:     "Five threads each waiting one second for I/O finish in one second total: overlapping waiting hides latency",
		Quantity: "wall time of the tasks all at once (s)",
		Predicts: "one wait",
		Compare:  Within, Tolerance: 0.03,
	}
	claimSleepIdle = Claim{
		ID:       "sleep-idle",
		Text:     "The reason runtime didn't increase: sleep does not consume CPU",
		Quantity: "CPU utilisation of the process and its workers while the tasks wait (cores: CPU time over wall time)",
		Predicts: "near 0: at most 5% of one core",
		Compare:  AtMost, Tolerance: 0,
	}
	claimSleepAddsUp = Claim{
		ID:       "sleep-adds-up",
		Text:     "Without overlap the waits add up: one after another, the tasks take tasks × the wait",
		Quantity: "wall time one after another (s)",
		Predicts: "tasks × wait",
		Compare:  Within, Tolerance: 0.03,
	}
)

// Sleeping is the experiment "why didn't runtime increase?".
var Sleeping = define(about{
	name:    "sleeping",
	title:   "Waiting overlaps; it uses no CPU",
	lecture: "Q7, takeaway 5",
	summary: "five tasks each waiting one second finish in one second on every model, the CPU idle throughout; one after another they take five",
	claims:  []Claim{claimSleepOverlap, claimSleepIdle, claimSleepAddsUp},
}, defaultSleeping, quickSleeping, measureSleeping, judgeSleeping)

// measureSleeping runs the sleeping experiment: on each model the tasks
// all at once, then, if asked, one after another, each run sampled for CPU
// utilisation from /proc (this process and its worker processes).
func measureSleeping(ctx context.Context, p *SleepingParams, res *SleepingResult, tr *tracker) error {
	per := seconds(p.Wait)
	if p.Sequential {
		per += seconds(p.Wait) * float64(p.Tasks)
	}
	ss, err := res.expandModels(ctx, p.Models, p.Python, model.FlavorThreads, model.FlavorAsyncio)
	if err != nil {
		return err
	}
	tr.expect(per * float64(len(ss)))
	tasks := model.Repeat(p.Tasks, model.NewTask(model.Wait(p.Wait)))
	// The eventloop model's lag probe fires once a wait, not every 10 ms:
	// asyncio has no such timer, and its wake-ups would be CPU the
	// lecture's program does not spend.
	base := model.Config{Concurrency: p.Tasks, Heartbeat: p.Wait}
	for _, s := range ss {
		m, cfg := s.String(), s.config(base, p.Python)
		sr, err := sampledRun(ctx, tr, fmt.Sprintf("%s, all %d at once", m, p.Tasks), seconds(p.Wait), s.model, tasks, cfg, p.Interval)
		if err != nil {
			return err
		}
		pt := SleepingPoint{
			Model:       m,
			Concurrent:  res.record(fmt.Sprintf("all %d at once", p.Tasks), sr.run),
			Sequential:  -1,
			Wall:        tasksEnd(sr.run),
			Spawn:       sr.run.Totals.Setup,
			Utilisation: sr.utilisation(),
			CallCPU:     sr.usage.CPU,
			Usage:       sr.usage,
			ClockStart:  sr.clockStart,
		}
		pt.CPU = time.Duration(pt.Utilisation * float64(pt.Wall))
		if pt.Spawn > 0 {
			pt.Stop = sr.run.Totals.Wall - pt.Wall
		}
		if p.Sequential {
			one := cfg
			one.Concurrency = 1
			sq, err := sampledRun(ctx, tr, m+", one after another", seconds(p.Wait)*float64(p.Tasks), s.model, tasks, one, p.Interval)
			if err != nil {
				return err
			}
			pt.Sequential = res.record("one after another", sq.run)
			pt.SequentialWall = tasksEnd(sq.run)
			pt.SequentialUtilisation = sq.utilisation()
			pt.Speedup = ratio(pt.SequentialWall, pt.Wall)
		}
		res.Points = append(res.Points, pt)
	}
	return nil
}

// judgeSleeping judges every model's point.
func judgeSleeping(res *SleepingResult) judgement {
	var j judgement
	p := paramsOf[SleepingParams](&res.Report)
	for _, pt := range res.Points {
		res.judgePoint(&j, p, pt)
	}
	return j
}

// judgePoint judges one model's point.
func (res *SleepingResult) judgePoint(j *judgement, p *SleepingParams, pt SleepingPoint) {
	detail := fmt.Sprintf("%d tasks each waiting %s", p.Tasks, p.Wait)
	overlap := detail
	if pt.Spawn > 0 {
		all := pt.Spawn + pt.Wall + pt.Stop
		overlap += fmt.Sprintf("; starting %s took %s before the clock started, stopping %s after the last task: counted, the run would take %s (%s)",
			startedWhat(pt.Model, p.Tasks), showDur(pt.Spawn), showDur(pt.Stop), showDur(all), relDiff(seconds(all), seconds(p.Wait)))
	}
	j.add(claimSleepOverlap.Judge(Measurement{Model: pt.Model, Value: seconds(pt.Wall), Expected: seconds(p.Wait), Unit: "s", Busy: res.busy(pt.Concurrent),
		Detail: overlap}))
	j.add(claimSleepIdle.Judge(Measurement{Model: pt.Model, Value: pt.Utilisation, Expected: 0.05, Unit: "cores",
		Detail: fmt.Sprintf("%s; %s of CPU over %s of waiting, sampled every %s; %s over the whole run, starting and stopping included",
			detail, showDur(pt.CPU), showDur(pt.Wall), p.Interval, showDur(pt.CallCPU))}))
	if pt.Sequential >= 0 {
		j.add(claimSleepAddsUp.Judge(Measurement{Model: pt.Model, Value: seconds(pt.SequentialWall), Expected: seconds(p.Wait) * float64(p.Tasks), Unit: "s", Busy: res.busy(pt.Sequential),
			Detail: fmt.Sprintf("%s, one after another; %.2fx slower than all at once", detail, pt.Speedup)}))
	}
	if pt.Spawn > 0 {
		j.note("%s: starting %s took %s and stopping %s, both excluded from the wall time; with them the tasks all at once take %s, not %s",
			pt.Model, startedWhat(pt.Model, p.Tasks), showDur(pt.Spawn), showDur(pt.Stop), showDur(pt.Spawn+pt.Wall+pt.Stop), showDur(pt.Wall))
	}
}

// startedWhat names what a model starts before its clock: worker
// processes, or CPython's interpreter (with its pool or loop).
func startedWhat(model string, tasks int) string {
	if strings.HasPrefix(model, "cpython") {
		return "the Python interpreter"
	}
	return fmt.Sprintf("%d worker processes", tasks)
}

// tasksEnd is the time from the run's start to its last task's end: the
// wall time of the tasks, without a pool's shutdown after them.
func tasksEnd(run *model.Run) time.Duration {
	var end time.Duration
	for _, s := range run.Spans {
		end = max(end, s.End)
	}
	if end <= 0 {
		return run.Totals.Wall
	}
	return end
}

// sampled is a model run with the utilisation sampled around it.
type sampled struct {
	run   *model.Run
	usage measure.CPUSeries
	// clockStart is the offset into usage where the run's clock started:
	// after any worker processes were started.
	clockStart time.Duration
}

// utilisation is the mean utilisation while the run's clock ran, in cores.
func (s sampled) utilisation() float64 {
	return s.usage.MeanBetween(s.clockStart, s.clockStart+s.run.Totals.Wall)
}

// sampledRun runs one batch while sampling this process's tree.
func sampledRun(ctx context.Context, tr *tracker, stage string, weight float64, name string, tasks []model.Task, cfg model.Config, interval time.Duration) (sampled, error) {
	s, err := measure.StartSampler(os.Getpid(), interval)
	if err != nil {
		return sampled{}, fmt.Errorf("%s: %w", stage, err)
	}
	call := time.Since(s.Started())
	run, err := runModel(ctx, tr, stage, weight, name, tasks, cfg)
	usage := s.Stop()
	if err != nil {
		return sampled{}, err
	}
	return sampled{run: run, usage: usage, clockStart: call + run.Totals.Setup}, nil
}
