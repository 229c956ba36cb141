package experiments

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/experiments/model"
	"github.com/boundlab/boundlab/internal/units"
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
	// Repeat is how many times each model runs the tasks all at once, the
	// models taking turns: the median and its 95% interval are judged. 0
	// is six for a wait under two seconds (repeatsFor); the runs one after
	// another repeat as repeatsFor says for their tasks × wait.
	Repeat int
	// Python is the cpython model's interpreter (see model.FindPython).
	Python string
}

// Params binds the parameters to flags.
func (p *SleepingParams) Params() []Param {
	return []Param{
		intParam(&p.Tasks, "tasks", "tasks, each waiting --wait", 1, model.MaxWorkers),
		durationParam(&p.Wait, "wait", "each task's wait (a sleep: simulated I/O)", 10*time.Millisecond, time.Minute),
		namesParam(&p.Models, "models", "models to run (cpython: CPython's threads and asyncio)", model.Strings(model.Goroutines, model.GILThreads, model.EventLoop, model.Processes, model.CPython)),
		boolParam(&p.Sequential, "sequential", "also run the tasks one after another, for contrast"),
		durationParam(&p.Interval, "interval", "CPU utilisation sampling interval", measure.MinInterval, time.Second),
		intParam(&p.Repeat, "repeat", "runs of each model all at once, models interleaved (0: six for a wait under 2 s, three otherwise; one after another: as many as its length allows)", 0, 20),
		pythonParam(&p.Python),
	}
}

// defaultSleeping is the lecture's setting: five tasks each waiting one
// second, all at once (six runs of each model) and one after another
// (three), on every model and on CPython's threads and asyncio (where
// python3 is found), sampled every 100 ms.
func defaultSleeping() SleepingParams {
	return SleepingParams{
		Tasks: 5, Wait: time.Second, Sequential: true, Interval: measure.DefaultInterval,
		Models: model.Strings(model.Goroutines, model.GILThreads, model.EventLoop, model.Processes, model.CPython),
	}
}

// quickSleeping is waits of 250 ms, sampled every 50 ms.
func quickSleeping(p *SleepingParams) { p.Wait, p.Interval = 250*time.Millisecond, 50*time.Millisecond }

// SleepingPoint is one model's runs.
type SleepingPoint struct {
	// Model is the model, and for cpython its mechanism ("cpython
	// threads", "cpython asyncio").
	Model string `json:"model"`
	// Concurrent indexes Report.Runs: the run all at once shown, the one
	// whose wall time is nearest the runs' median. Sequential is the run
	// one after another shown, or -1.
	Concurrent int `json:"concurrent_run"`
	Sequential int `json:"sequential_run"`
	// Walls and Utilisations are every run all at once, in round order,
	// with Runs their indexes in Report.Runs; SequentialWalls and
	// SequentialRuns every run one after another. The verdicts judge their
	// medians and 95% intervals; the figures below are the runs shown.
	Runs            []int           `json:"runs"`
	Walls           []time.Duration `json:"walls_ns"`
	Utilisations    []float64       `json:"utilisations_cores"`
	SequentialRuns  []int           `json:"sequential_runs,omitempty"`
	SequentialWalls []time.Duration `json:"sequential_walls_ns,omitempty"`
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
		Source:   Lecture,
		Quote:    "Five threads each waiting one second for I/O finish in one second total",
		Cite:     "Lecture 18, key takeaway “Threads are correct for I/O-bound work”",
		Short:    "Five 1 s waits take 1 s",
		Text:     "Five threads each waiting one second for I/O finish in one second total: overlapping waiting hides latency",
		Quantity: "wall time of the tasks all at once, the median of the runs with its 95% interval (s)",
		Predicts: "one wait",
		Compare:  Within, Tolerance: 0.03,
	}
	claimSleepIdle = Claim{
		ID:       "sleep-idle",
		Source:   Lecture,
		Quote:    "The reason runtime didn’t increase: … Because sleep does not consume CPU.",
		Cite:     "Lecture 18, question 7, the answer",
		Short:    "Sleep uses no CPU",
		Text:     "The reason runtime didn't increase: sleep does not consume CPU",
		Quantity: "CPU utilisation of the process and its workers while the tasks wait (cores: CPU time over wall time), the median of the runs",
		Predicts: "near 0: at most 5% of one core",
		Compare:  AtMost, Tolerance: 0,
	}
	claimSleepAddsUp = Claim{
		ID:       "sleep-adds-up",
		Source:   Check,
		Short:    "Without overlap the waits add up",
		Text:     "One after another, the tasks take tasks × the wait: without overlap nothing hides the waits",
		Quantity: "wall time one after another, the median of the runs with its 95% interval (s)",
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
// all at once, Repeat times, the models taking turns, then one after
// another, if asked, as many times as their length allows; each run
// sampled for CPU utilisation from /proc (this process and its worker
// processes).
func measureSleeping(ctx context.Context, p *SleepingParams, res *SleepingResult, tr *tracker) error {
	ss, err := res.expandModels(ctx, p.Models, p.Python, model.FlavorThreads, model.FlavorAsyncio)
	if err != nil {
		return err
	}
	rounds := p.Repeat
	if rounds == 0 {
		rounds = repeatsFor(p.Wait)
	}
	seqRounds := 0
	if p.Sequential {
		seqRounds = repeatsFor(p.Wait * time.Duration(p.Tasks))
	}
	tr.expect(float64(len(ss)) * (float64(rounds)*p.Wait.Seconds() + float64(seqRounds)*p.Wait.Seconds()*float64(p.Tasks)))
	sr := sleepingRunner{ctx: ctx, p: p, res: res, tr: tr, ss: ss,
		tasks: model.Repeat(p.Tasks, model.NewTask(model.Wait(p.Wait))),
		// The eventloop model's lag probe fires once a wait, not every 10 ms:
		// asyncio has no such timer, and its wake-ups would be CPU the
		// lecture's program does not spend.
		base: model.Config{Concurrency: p.Tasks, Heartbeat: p.Wait}}
	all, err := sr.rounds(rounds, false)
	if err != nil {
		return err
	}
	seq, err := sr.rounds(seqRounds, true)
	if err != nil {
		return err
	}
	for a, s := range ss {
		res.Points = append(res.Points, sleepingPoint(s, all[a], seq[a]))
	}
	return nil
}

// sampledRunAt is a sampled run and its index in Report.Runs.
type sampledRunAt struct {
	index int
	s     sampled
}

// sleepingRunner runs the sleeping experiment's tasks on its series ss.
type sleepingRunner struct {
	ctx   context.Context
	p     *SleepingParams
	res   *SleepingResult
	tr    *tracker
	ss    []series
	tasks []model.Task
	base  model.Config
}

// rounds runs the tasks on every series rounds times, the series taking
// turns: all at once, or one after another (sequential). It returns each
// series' runs, in round order.
func (sr sleepingRunner) rounds(rounds int, sequential bool) ([][]sampledRunAt, error) {
	p := sr.p
	out := make([][]sampledRunAt, len(sr.ss))
	err := interleave(rounds, len(sr.ss), func(k, a int) error {
		s := sr.ss[a]
		cfg := s.config(sr.base, p.Python)
		stage, label, weight := fmt.Sprintf("%s, all %d at once", s, p.Tasks), fmt.Sprintf("all %d at once", p.Tasks), p.Wait.Seconds()
		if sequential {
			cfg.Concurrency = 1
			stage, label, weight = fmt.Sprintf("%s, one after another", s), "one after another", p.Wait.Seconds()*float64(p.Tasks)
		}
		if rounds > 1 {
			stage += fmt.Sprintf(" (run %d of %d)", k+1, rounds)
		}
		run, err := sampledRun(sr.ctx, sr.tr, stage, weight, s.model, sr.tasks, cfg, p.Interval)
		if err != nil {
			return err
		}
		out[a] = append(out[a], sampledRunAt{sr.res.record(label, run.run), run})
		return nil
	})
	return out, err
}

// sleepingPoint reads series s's point from its runs all at once (all)
// and one after another (seq, none where they did not run): every run's
// figures, and the run shown's, the one whose wall time is nearest the
// runs' median.
func sleepingPoint(s series, all, seq []sampledRunAt) SleepingPoint {
	pt := SleepingPoint{Model: s.String(), Sequential: -1}
	for _, r := range all {
		pt.Runs, pt.Walls, pt.Utilisations = append(pt.Runs, r.index), append(pt.Walls, tasksEnd(r.s.run)), append(pt.Utilisations, r.s.utilisation())
	}
	shown := all[representative(all, func(r sampledRunAt) float64 { return float64(tasksEnd(r.s.run)) })]
	sr := shown.s
	pt.Concurrent, pt.Wall, pt.Spawn = shown.index, tasksEnd(sr.run), sr.run.Totals.Setup
	pt.Utilisation, pt.CallCPU, pt.Usage, pt.ClockStart = sr.utilisation(), sr.usage.CPU, sr.usage, sr.clockStart
	pt.CPU = time.Duration(pt.Utilisation * float64(pt.Wall))
	if pt.Spawn > 0 {
		pt.Stop = sr.run.Totals.Wall - pt.Wall
	}
	if len(seq) > 0 {
		for _, r := range seq {
			pt.SequentialRuns, pt.SequentialWalls = append(pt.SequentialRuns, r.index), append(pt.SequentialWalls, tasksEnd(r.s.run))
		}
		sh := seq[representative(seq, func(r sampledRunAt) float64 { return float64(tasksEnd(r.s.run)) })]
		pt.Sequential = sh.index
		pt.SequentialWall = tasksEnd(sh.s.run)
		pt.SequentialUtilisation = sh.s.utilisation()
		pt.Speedup = ratio(pt.SequentialWall, pt.Wall)
	}
	return pt
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

// judgePoint judges one model's point: its runs all at once and one after
// another.
func (res *SleepingResult) judgePoint(j *judgement, p *SleepingParams, pt SleepingPoint) {
	detail := fmt.Sprintf("%d tasks each waiting %s", p.Tasks, p.Wait)
	overlap := detail
	if pt.Spawn > 0 {
		all := pt.Spawn + pt.Wall + pt.Stop
		overlap += fmt.Sprintf("; the run shown: starting %s took %s before the clock started, stopping %s after the last task: counted, the run would take %s (%s)",
			startedWhat(pt.Model, p.Tasks), units.Duration(pt.Spawn), units.Duration(pt.Stop), units.Duration(all), relDiff(all.Seconds(), p.Wait.Seconds()))
	}
	j.add(claimSleepOverlap.Judge(Measurement{Model: pt.Model, Samples: secondsOf(pt.sleepWalls()), Expected: p.Wait.Seconds(), Unit: "s", Busy: res.busy(pt.Runs...),
		Detail: overlap}))
	j.add(claimSleepIdle.Judge(Measurement{Model: pt.Model, Samples: pt.sleepUtilisations(), Expected: 0.05, Unit: "cores",
		Detail: fmt.Sprintf("%s; the run shown: %s of CPU over %s of waiting, sampled every %s; %s over the whole run, starting and stopping included",
			detail, units.Duration(pt.CPU), units.Duration(pt.Wall), p.Interval, units.Duration(pt.CallCPU))}))
	if pt.Sequential >= 0 {
		seq := pt.SequentialWalls
		if len(seq) == 0 { // a result recorded before the runs were kept
			seq = []time.Duration{pt.SequentialWall}
		}
		j.add(claimSleepAddsUp.Judge(Measurement{Model: pt.Model, Samples: secondsOf(seq), Expected: p.Wait.Seconds() * float64(p.Tasks), Unit: "s", Busy: res.busy(pt.SequentialRuns...),
			Detail: fmt.Sprintf("%s, one after another; the runs shown: %.2fx slower than all at once", detail, pt.Speedup)}))
	}
	if pt.Spawn > 0 {
		j.note("%s: starting %s took %s and stopping %s, both excluded from the wall time; with them the tasks all at once take %s, not %s",
			pt.Model, startedWhat(pt.Model, p.Tasks), units.Duration(pt.Spawn), units.Duration(pt.Stop), units.Duration(pt.Spawn+pt.Wall+pt.Stop), units.Duration(pt.Wall))
	}
}

// sleepWalls are the point's walls all at once: every run's, or the run
// shown's where the runs were not kept.
func (pt SleepingPoint) sleepWalls() []time.Duration {
	if len(pt.Walls) > 0 {
		return pt.Walls
	}
	return []time.Duration{pt.Wall}
}

// sleepUtilisations are the point's utilisations while waiting, as
// sleepWalls.
func (pt SleepingPoint) sleepUtilisations() []float64 {
	if len(pt.Utilisations) > 0 {
		return pt.Utilisations
	}
	return []float64{pt.Utilisation}
}

// startedWhat names what a model starts before its clock: worker
// processes, or CPython's interpreter (with its pool or loop).
func startedWhat(name string, tasks int) string {
	if python(name) {
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
func sampledRun(ctx context.Context, tr *tracker, stage string, weight float64, name model.Name, tasks []model.Task, cfg model.Config, interval time.Duration) (sampled, error) {
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
