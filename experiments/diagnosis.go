package experiments

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"time"

	"github.com/boundlab/boundlab/experiments/decision"
	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/experiments/model"
	"github.com/boundlab/boundlab/internal/units"
)

// DiagnosisParams are the parameters of the diagnosis experiment.
type DiagnosisParams struct {
	// Length is each workload's length: about its wall time on an idle
	// machine. All four last about as long, so the clock alone cannot
	// tell them apart.
	Length time.Duration
	// Tasks is how many waits the waiting workload has in flight at once;
	// it decides between threads and async in the recommendation.
	Tasks int
	// Share is the mixed workload's share of computing, in per cent; Near
	// the fourth workload's, set near one of the classifier's thresholds
	// (75: 0.75 cores, 0.05 under the CPU-bound threshold of 0.8), where
	// the diagnosis may be too close to call. What each workload truly is
	// follows from its share: the class of the cores it is built to use.
	Share int
	Near  int
	// Interval is the utilisation sampling interval.
	Interval time.Duration
	// Top is how many functions of each CPU profile to report.
	Top int
}

// Params binds the parameters to flags.
func (p *DiagnosisParams) Params() []Param {
	return []Param{
		durationParam(&p.Length, "length", "each workload's length (about its wall time)", 200*time.Millisecond, time.Minute),
		intParam(&p.Tasks, "tasks", "waits in flight at once in the waiting workload", 1, 10_000),
		intParam(&p.Share, "share", "the mixed workload's share of computing, in per cent", 1, 99),
		intParam(&p.Near, "near", "the fourth workload's share of computing, in per cent: near a threshold of the classifier (20 or 80)", 1, 99),
		durationParam(&p.Interval, "interval", "CPU utilisation sampling interval", measure.MinInterval, time.Second),
		intParam(&p.Top, "top", "functions listed from each CPU profile", 1, 50),
	}
}

// defaultDiagnosis is the default setting: four workloads of 3 s each
// (50 waits at once; computing on every core; half and half; three
// quarters computing, near the CPU-bound threshold), sampled every 100 ms,
// the top 8 functions of each profile.
func defaultDiagnosis() DiagnosisParams {
	return DiagnosisParams{Length: 3 * time.Second, Tasks: 50, Share: 50, Near: 75, Interval: measure.DefaultInterval, Top: 8}
}

// quickDiagnosis is workloads of a second, sampled every 50 ms: a window of
// the classifier's interval (decision.Windows in a run) is still a round
// of the workloads (diagnosisRounds in a run), two samples long.
func quickDiagnosis(p *DiagnosisParams) { p.Length, p.Interval = time.Second, 50*time.Millisecond }

// DiagnosisWorkload is one workload as run, measured and diagnosed.
type DiagnosisWorkload struct {
	// Name is the workload's letter: A, B, C or D.
	Name string `json:"name"`
	// Truth is what the workload is: the class of Planned, the cores it
	// is built to use (decision.ClassOf). Computing is the share of each
	// of its tasks' time spent computing, by its program. Description
	// says what it does. The reader learns them after the diagnosis.
	Truth       decision.Class `json:"truth"`
	Planned     float64        `json:"planned_cores"`
	Computing   float64        `json:"computing_share"`
	Description string         `json:"description"`
	// Concurrency is how many of its tasks ran at once.
	Concurrency int `json:"concurrency"`
	// Run indexes Report.Runs.
	Run int `json:"run"`
	// Wall is its run's wall time (what time.perf_counter around it says);
	// CPU the process's CPU time meanwhile (time.process_time).
	Wall time.Duration `json:"wall_ns"`
	CPU  time.Duration `json:"cpu_ns"`
	// WaitShare is the share of its tasks' time spent in wait steps, read
	// from the spans: where the tasks' own clocks say the time went.
	WaitShare float64 `json:"wait_share"`
	// Usage is the process's CPU utilisation over the run, sampled as top
	// does; Diagnosis is read from it (see diagnose).
	Usage     measure.CPUSeries  `json:"usage"`
	Diagnosis decision.Diagnosed `json:"diagnosis"`
	// Profile is the CPU profile of the run (nil if one could not be
	// recorded; a note says why).
	Profile *measure.CPUProfile `json:"profile,omitempty"`
}

// Right reports whether the diagnosis found what the workload is.
func (w DiagnosisWorkload) Right() bool { return w.Diagnosis.Class == w.Truth }

// diagnose classifies the workload from its utilisation alone; the
// recommendation is told how many waits it has in flight where it waits.
func (w DiagnosisWorkload) diagnose() decision.Diagnosed {
	concurrency := 0
	if w.Computing == 0 {
		concurrency = w.Concurrency
	}
	return decision.Classify(w.Usage, concurrency)
}

// DiagnosisResult is the result of the diagnosis experiment.
type DiagnosisResult struct {
	Report
	Workloads []DiagnosisWorkload `json:"workloads"`
}

// Claims of the diagnosis experiment.
var (
	claimDiagnosisRight = Claim{
		ID:       "diagnosis-right",
		Source:   Lecture,
		Quote:    "Before choosing any concurrency model, determine whether your program is I/O-bound or CPU-bound",
		Cite:     "Lecture 18, key takeaway “Diagnosis before tool”",
		Short:    "CPU use tells I/O- from CPU-bound",
		Text:     "Diagnosis before tool: measuring CPU utilisation while a program runs tells whether it is I/O-bound or CPU-bound",
		Quantity: "the classifier's margin: how far inside the range of the class the workload truly is (I/O-bound under 0.2 cores of demand, mixed 0.2 to 0.8, CPU-bound from 0.8) its measured demand lies, demand being CPU time plus time queued for a CPU over wall time; negative outside the range; the mean over the run, with its 95% interval over 10 windows of the run (cores)",
		Predicts: "inside the range: a margin above 0, the whole interval with it",
		Compare:  AtLeast, Tolerance: 0,
	}
	claimCPUBoundFull = Claim{
		ID:       "cpu-bound-full",
		Source:   Lecture,
		Quote:    "A program is CPU-bound when the CPU is running at full utilization",
		Cite:     "Lecture 18, key takeaway “CPU-bound definition”",
		Short:    "CPU-bound: CPU at full utilization",
		Text:     "A program is CPU-bound when the CPU is running at full utilization",
		Quantity: "the computing workload's utilisation of the cores it runs on (one task per core): its CPU time over wall time, over the cores, not counting time queued for a CPU; the mean over the run, with its 95% interval over 10 windows of the run",
		Predicts: "full: at least 90% of its cores busy; a shortfall its threads spent queued for a CPU that other work held is not the program's, and leaves the claim undecided",
		Compare:  AtLeast, Tolerance: 0.10,
	}
	claimIOBoundIdle = Claim{
		ID:       "io-bound-idle",
		Source:   Lecture,
		Quote:    "A program is I/O-bound when the CPU is idle while waiting for external operations",
		Cite:     "Lecture 18, key takeaway “I/O-bound definition”",
		Short:    "I/O-bound: CPU idle while waiting",
		Text:     "A program is I/O-bound when the CPU is idle while waiting for external operations",
		Quantity: "the waiting workload's utilisation: CPU time over wall time; the mean over the run, with its 95% interval over 10 windows of the run (cores)",
		Predicts: "near 0: at most 5% of one core",
		Compare:  AtMost, Tolerance: 0,
	}
)

// Diagnosis is the experiment "diagnosis before tool; measure, never guess".
var Diagnosis = define(about{
	name:    "diagnosis",
	title:   "Diagnosis before tool: measure, never guess",
	lecture: "takeaways 1, 8",
	summary: "four unlabelled workloads of equal wall time, sampled like top and profiled: their CPU utilisation tells I/O-bound from CPU-bound, with its margin from the classifier's thresholds, and the decision framework picks the tool",
	claims:  []Claim{claimDiagnosisRight, claimCPUBoundFull, claimIOBoundIdle},
}, defaultDiagnosis, quickDiagnosis, measureDiagnosis, judgeDiagnosis)

// workloadSpec is one workload to run.
type workloadSpec struct {
	name, description string
	// computing is the share of each task's time spent computing.
	computing   float64
	tasks       []model.Task
	concurrency int
}

// planned is the cores the workload is built to use; truth its class.
func (w workloadSpec) planned() float64 { return w.computing * float64(w.concurrency) }
func (w workloadSpec) truth() decision.Class {
	return decision.ClassOf(w.planned())
}

// diagnosisRounds is how many steps each task's work is cut into.
const diagnosisRounds = 10

// diagnosisWorkloads are the four workloads, in the order the reader
// meets them: A mixed, B waiting, C computing, D mostly computing (near a
// threshold). Each lasts about p.Length.
func diagnosisWorkloads(p *DiagnosisParams, cores int) []workloadSpec {
	step := p.Length / diagnosisRounds
	mix := func(name string, share int) workloadSpec {
		compute := step * time.Duration(share) / 100
		wait := step - compute
		var steps []model.Step
		for range diagnosisRounds {
			steps = append(steps, model.CPUFor(compute), model.Wait(wait))
		}
		return workloadSpec{
			name: name, computing: float64(share) / 100, concurrency: 1,
			tasks:       []model.Task{model.NewTask(steps...)},
			description: fmt.Sprintf("1 task: %d rounds of %s computing, then %s waiting", diagnosisRounds, compute, wait),
		}
	}
	waits := make([]model.Step, diagnosisRounds)
	cpus := make([]model.Step, diagnosisRounds)
	for i := range waits {
		waits[i], cpus[i] = model.Wait(step), model.CPUFor(step)
	}
	return []workloadSpec{
		mix("A", p.Share),
		{
			name: "B", computing: 0, concurrency: p.Tasks,
			tasks:       model.Repeat(p.Tasks, model.NewTask(waits...)),
			description: fmt.Sprintf("%d tasks at once, each waiting %d × %s (simulated I/O)", p.Tasks, diagnosisRounds, step),
		},
		{
			name: "C", computing: 1, concurrency: cores,
			tasks:       model.Repeat(cores, model.NewTask(cpus...)),
			description: fmt.Sprintf("%d tasks at once, one per core, each computing %d × %s", cores, diagnosisRounds, step),
		},
		mix("D", p.Near),
	}
}

// measureDiagnosis runs the diagnosis experiment: each workload on the
// goroutines model, one after another, while this process's CPU
// utilisation is sampled and a CPU profile recorded; each is classified
// from its utilisation alone.
func measureDiagnosis(ctx context.Context, p *DiagnosisParams, res *DiagnosisResult, tr *tracker) error {
	cores := min(runtime.GOMAXPROCS(0), runtime.NumCPU())
	specs := diagnosisWorkloads(p, cores)
	tr.expect(p.Length.Seconds() * float64(len(specs)))
	for _, w := range specs {
		dw, err := res.runWorkload(ctx, tr, p, w)
		if err != nil {
			return err
		}
		res.Workloads = append(res.Workloads, dw)
	}
	return nil
}

// runWorkload runs one workload, sampled and profiled, and diagnoses it.
func (res *DiagnosisResult) runWorkload(ctx context.Context, tr *tracker, p *DiagnosisParams, w workloadSpec) (DiagnosisWorkload, error) {
	stage := "workload " + w.name
	cfg := model.Config{Concurrency: w.concurrency}
	sampler, err := measure.StartSampler(os.Getpid(), p.Interval)
	if err != nil {
		return DiagnosisWorkload{}, fmt.Errorf("%s: %w", stage, err)
	}
	var run *model.Run
	do := func(ctx context.Context) error {
		r, err := runModel(ctx, tr, stage, p.Length.Seconds(), model.Goroutines, w.tasks, cfg)
		run = r
		return err
	}
	prof, err := measure.ProfileCPU(ctx, p.Top, do)
	if errors.Is(err, measure.ErrProfilerBusy) {
		res.Notes = append(res.Notes, fmt.Sprintf("%s: no CPU profile: %v", stage, err))
		err = do(ctx)
	}
	usage := sampler.Stop()
	if run == nil {
		return DiagnosisWorkload{}, err
	}
	if err != nil {
		res.Notes = append(res.Notes, fmt.Sprintf("%s: no CPU profile: %v", stage, err))
		prof = nil
	}
	dw := DiagnosisWorkload{
		Name: w.name, Truth: w.truth(), Planned: w.planned(), Computing: w.computing,
		Description: w.description, Concurrency: w.concurrency,
		Run:       res.record(stage, run),
		Wall:      run.Totals.Wall,
		CPU:       run.Totals.CPU(),
		WaitShare: waitShare(run.Spans),
		Usage:     usage,
		Profile:   prof,
	}
	dw.Diagnosis = dw.diagnose()
	return dw, nil
}

// waitShare is the share of the spans' step time spent in wait steps.
func waitShare(spans []model.Span) float64 {
	var wait, all time.Duration
	for _, s := range spans {
		for _, g := range s.Segments {
			d := g.End - g.Start
			all += d
			if g.Kind == model.KindWait {
				wait += d
			}
		}
	}
	if all <= 0 {
		return 0
	}
	return float64(wait) / float64(all)
}

// judgeDiagnosis judges every workload's diagnosis by the classifier's
// margin, then the computing workload's utilisation and the waiting
// workload's, each from the utilisation series alone.
func judgeDiagnosis(res *DiagnosisResult) judgement {
	var j judgement
	for _, w := range res.Workloads {
		j.add(res.judgeRight(w))
	}
	for _, w := range res.Workloads {
		switch w.Computing {
		case 1:
			j.add(res.judgeFull(w))
		case 0:
			j.add(res.judgeIdle(w))
		}
	}
	return j
}

// windowsCI is the 95% interval of the mean of a series' windows, as the
// classifier finds it (decision.Windows windows of the run).
func windowsCI(xs []float64) measure.CI { return measure.MeanCI(xs, level) }

// intervalText says where a figure's interval comes from.
func intervalText(ci measure.CI) string {
	if ci.N < 2 {
		return "one window: no interval"
	}
	return fmt.Sprintf("the mean over the run, 95%% interval from its %d windows (batch means)", ci.N)
}

// judgeRight judges whether a workload is diagnosed as what it is, by how
// far inside the range of its true class its demand lies. Other work's
// load moves the demand the class is read from (a computing step that
// waits for a CPU takes longer, and its time queued counts), so the busy
// rule applies.
func (res *DiagnosisResult) judgeRight(w DiagnosisWorkload) Verdict {
	d := w.diagnose()
	lo, hi := decision.MarginRange(w.Truth, d.Low, d.High)
	ci := measure.CI{Median: decision.Margin(w.Truth, d.Demand), Low: lo, High: hi, N: d.Windows, Level: level, Method: measure.MeanT}
	if d.Windows < 2 {
		ci.Method = measure.OneValue
	}
	where := "inside"
	if ci.Median < 0 {
		where = "outside"
	}
	return claimDiagnosisRight.Judge(Measurement{
		Model: "workload " + w.Name, Interval: &ci, Expected: 0, Unit: "cores", Busy: res.busy(w.Run),
		Detail: fmt.Sprintf("diagnosed %s from a demand of %s cores: %.2f cores used plus %.2f queued for a CPU that other work held (so a demand can exceed the machine's cores; the charts and tables show the cores used); it is %s, built to use %.2f cores: %s; the demand lies %s the range of %s (%s), %.2f cores from its nearest threshold; %s",
			d.Class, figure(d.Demand, d.Low, d.High, d.Windows, "%.3f"), d.Mean, d.Waiting, w.Truth, w.Planned, w.Description,
			where, w.Truth, classRange(w.Truth), math.Abs(ci.Median), intervalText(ci)),
	})
}

// classRange writes the demand that reads as class c.
func classRange(c decision.Class) string {
	switch c {
	case decision.IOBound:
		return fmt.Sprintf("under %.1f cores", decision.IOBoundBelow)
	case decision.CPUBound:
		return fmt.Sprintf("from %.1f cores", decision.CPUBoundFrom)
	}
	return fmt.Sprintf("%.1f to %.1f cores", decision.IOBoundBelow, decision.CPUBoundFrom)
}

// judgeFull judges the computing workload's utilisation of its cores. A
// shortfall that its threads spent queued for a CPU (the scheduler's own
// account, from schedstat) is other work's doing, not the program's: then
// the claim is undecided, not refuted.
func (res *DiagnosisResult) judgeFull(w DiagnosisWorkload) Verdict {
	used, queued := w.Usage.Windows(decision.Windows)
	cores := float64(max(1, w.Concurrency))
	share, want := make([]float64, len(used)), make([]float64, len(used))
	for i := range used {
		share[i], want[i] = used[i]/cores, (used[i]+queued[i])/cores
	}
	ci := windowsCI(share)
	demand := windowsCI(want)
	v := claimCPUBoundFull.Judge(Measurement{
		Model: "workload " + w.Name, Interval: &ci, Expected: 1, Unit: "of its cores", Busy: res.busy(w.Run),
		Detail: fmt.Sprintf("%s; %.2f of %.0f cores used, and %.2f more queued for a CPU that other work held (used and queued: %s of its cores); peak %.2f cores; %s",
			w.Description, w.Usage.Mean(), cores, w.Usage.MeanWaiting(), figure(demand.Median, demand.Low, demand.High, demand.N, "%.3f"), w.Usage.Peak(), intervalText(ci)),
	})
	floor := 1 - v.Tolerance
	queuedFor := figure(demand.Median, demand.Low, demand.High, demand.N, "%.3f")
	switch {
	case v.Outcome == DoesNotHold && demand.High >= floor:
		v.Outcome = Inconclusive
		v.Reason = fmt.Sprintf("it used %s of its cores, under the %s a full utilisation needs, but its threads were queued for a CPU that other work held for the rest (used and queued: %s): the shortfall is a neighbour's load, not the program's",
			v.Estimate(), num(floor), queuedFor)
	case v.Outcome == Inconclusive && ci.Low < floor && demand.High >= floor:
		v.Reason += fmt.Sprintf("; and what it fell short by, its threads spent queued for a CPU that other work held (used and queued: %s of its cores)", queuedFor)
	}
	return v
}

// judgeIdle judges the waiting workload's utilisation. A neighbour's load
// cannot make a waiting program compute: no busy rule.
func (res *DiagnosisResult) judgeIdle(w DiagnosisWorkload) Verdict {
	used, _ := w.Usage.Windows(decision.Windows)
	ci := windowsCI(used)
	return claimIOBoundIdle.Judge(Measurement{
		Model: "workload " + w.Name, Interval: &ci, Expected: 0.05, Unit: "cores",
		Detail: fmt.Sprintf("%s; %s of CPU over %s, peak %.2f cores; %s", w.Description, units.Duration(w.Usage.CPU), units.Duration(w.Usage.Wall), w.Usage.Peak(), intervalText(ci)),
	})
}
