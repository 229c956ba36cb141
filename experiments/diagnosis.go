package experiments

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/boundlab/boundlab/experiments/decision"
	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/experiments/model"
)

// DiagnosisParams are the parameters of the diagnosis experiment.
type DiagnosisParams struct {
	// Length is each workload's length: about its wall time on an idle
	// machine. All three last about as long, so the clock alone cannot
	// tell them apart.
	Length time.Duration
	// Tasks is how many waits the waiting workload has in flight at once;
	// it decides between threads and async in the recommendation.
	Tasks int
	// Share is the mixed workload's share of computing, in per cent: 30 to
	// 70, so that it stays clear of the classifier's thresholds (20 and 80
	// per cent of a core) on a busy machine.
	Share int
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
		intParam(&p.Share, "share", "the mixed workload's share of computing, in per cent (kept clear of the classifier's thresholds)", 30, 70),
		durationParam(&p.Interval, "interval", "CPU utilisation sampling interval", measure.MinInterval, time.Second),
		intParam(&p.Top, "top", "functions listed from each CPU profile", 1, 50),
	}
}

// defaultDiagnosis is the default setting: three workloads of 3 s each
// (50 waits at once; computing on every core; half and half), sampled every
// 100 ms, the top 8 functions of each profile.
func defaultDiagnosis() DiagnosisParams {
	return DiagnosisParams{Length: 3 * time.Second, Tasks: 50, Share: 50, Interval: measure.DefaultInterval, Top: 8}
}

// quickDiagnosis is workloads of a second, sampled every 50 ms.
func quickDiagnosis(p *DiagnosisParams) { p.Length, p.Interval = time.Second, 50*time.Millisecond }

// DiagnosisWorkload is one workload as run, measured and diagnosed.
type DiagnosisWorkload struct {
	// Name is the workload's letter: A, B or C.
	Name string `json:"name"`
	// Truth is what the workload is; Description what it does. The reader
	// learns both after the diagnosis.
	Truth       decision.Class `json:"truth"`
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
	// does; Diagnosis is read from it.
	Usage     measure.CPUSeries  `json:"usage"`
	Diagnosis decision.Diagnosed `json:"diagnosis"`
	// Profile is the CPU profile of the run (nil if one could not be
	// recorded; a note says why).
	Profile *measure.CPUProfile `json:"profile,omitempty"`
}

// Right reports whether the diagnosis found what the workload is.
func (w DiagnosisWorkload) Right() bool { return w.Diagnosis.Class == w.Truth }

// DiagnosisResult is the result of the diagnosis experiment.
type DiagnosisResult struct {
	Report
	Workloads []DiagnosisWorkload `json:"workloads"`
}

// Claims of the diagnosis experiment.
var (
	claimDiagnosisRight = Claim{
		ID:       "diagnosis-right",
		Text:     "Diagnosis before tool: measuring CPU utilisation while a program runs tells whether it is I/O-bound or CPU-bound",
		Quantity: "the diagnosis from the utilisation, against what the workload is (1 = right, 0 = wrong)",
		Predicts: "1: every workload diagnosed as what it is",
		Compare:  AtLeast, Tolerance: 0,
	}
	claimCPUBoundFull = Claim{
		ID:       "cpu-bound-full",
		Text:     "A program is CPU-bound when the CPU is running at full utilization",
		Quantity: "the computing workload's mean demand for CPU: utilisation, plus time ready to run but waiting for a CPU other processes held (cores)",
		Predicts: "at least one core",
		Compare:  AtLeast, Tolerance: 0.10,
	}
	claimIOBoundIdle = Claim{
		ID:       "io-bound-idle",
		Text:     "A program is I/O-bound when the CPU is idle while waiting for external operations",
		Quantity: "the waiting workload's mean utilisation (cores)",
		Predicts: "near 0: at most 5% of one core",
		Compare:  AtMost, Tolerance: 0,
	}
)

// Diagnosis is the experiment "diagnosis before tool; measure, never guess".
var Diagnosis = define(about{
	name:    "diagnosis",
	title:   "Diagnosis before tool: measure, never guess",
	lecture: "takeaways 1, 8",
	summary: "three unlabelled workloads of equal wall time, sampled like top and profiled: their CPU utilisation tells I/O-bound from CPU-bound, and the decision framework picks the tool",
	claims:  []Claim{claimDiagnosisRight, claimCPUBoundFull, claimIOBoundIdle},
}, defaultDiagnosis, quickDiagnosis, measureDiagnosis, judgeDiagnosis)

// workloadSpec is one workload to run.
type workloadSpec struct {
	name, description string
	truth             decision.Class
	tasks             []model.Task
	concurrency       int
}

// diagnosisRounds is how many steps each task's work is cut into.
const diagnosisRounds = 10

// diagnosisWorkloads are the three workloads, in the order the reader
// meets them: A mixed, B waiting, C computing. Each lasts about p.Length.
func diagnosisWorkloads(p *DiagnosisParams, cores int) []workloadSpec {
	step := p.Length / diagnosisRounds
	compute := step * time.Duration(p.Share) / 100
	wait := step - compute
	var mixed []model.Step
	for range diagnosisRounds {
		mixed = append(mixed, model.CPUFor(compute), model.Wait(wait))
	}
	waits := make([]model.Step, diagnosisRounds)
	cpus := make([]model.Step, diagnosisRounds)
	for i := range waits {
		waits[i], cpus[i] = model.Wait(step), model.CPUFor(step)
	}
	return []workloadSpec{
		{
			name: "A", truth: decision.Mixed, concurrency: 1,
			tasks:       []model.Task{model.NewTask(mixed...)},
			description: fmt.Sprintf("1 task: %d rounds of %s computing, then %s waiting", diagnosisRounds, compute, wait),
		},
		{
			name: "B", truth: decision.IOBound, concurrency: p.Tasks,
			tasks:       model.Repeat(p.Tasks, model.NewTask(waits...)),
			description: fmt.Sprintf("%d tasks at once, each waiting %d × %s (simulated I/O)", p.Tasks, diagnosisRounds, step),
		},
		{
			name: "C", truth: decision.CPUBound, concurrency: cores,
			tasks:       model.Repeat(cores, model.NewTask(cpus...)),
			description: fmt.Sprintf("%d tasks at once, one per core, each computing %d × %s", cores, diagnosisRounds, step),
		},
	}
}

// measureDiagnosis runs the diagnosis experiment: each workload on the
// goroutines model, one after another, while this process's CPU
// utilisation is sampled and a CPU profile recorded; each is classified
// from its utilisation alone.
func measureDiagnosis(ctx context.Context, p *DiagnosisParams, res *DiagnosisResult, tr *tracker) error {
	cores := min(runtime.GOMAXPROCS(0), runtime.NumCPU())
	specs := diagnosisWorkloads(p, cores)
	tr.expect(seconds(p.Length) * float64(len(specs)))
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
		r, err := runModel(ctx, tr, stage, seconds(p.Length), "goroutines", w.tasks, cfg)
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
	concurrency := 0
	if w.truth == decision.IOBound {
		concurrency = w.concurrency
	}
	return DiagnosisWorkload{
		Name: w.name, Truth: w.truth, Description: w.description, Concurrency: w.concurrency,
		Run:       res.record(stage, run),
		Wall:      run.Totals.Wall,
		CPU:       run.Totals.CPU(),
		WaitShare: waitShare(run.Spans),
		Usage:     usage,
		Diagnosis: decision.Classify(usage, concurrency),
		Profile:   prof,
	}, nil
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

// judgeDiagnosis judges every workload's diagnosis, then the computing
// workload's utilisation and the waiting workload's.
func judgeDiagnosis(res *DiagnosisResult) judgement {
	var j judgement
	for _, w := range res.Workloads {
		right := 0.0
		if w.Right() {
			right = 1
		}
		// Other work's load moves the demand the class is read from (time
		// waiting for a CPU counts): the busy rule applies.
		j.add(claimDiagnosisRight.Judge(Measurement{Model: "workload " + w.Name, Value: right, Expected: 1, Unit: "(1 = right, 0 = wrong)", Busy: res.busy(w.Run),
			Detail: fmt.Sprintf("diagnosed %s from %.2f cores on average; it is %s: %s", w.Diagnosis.Class, w.Diagnosis.Demand, w.Truth, w.Description)}))
	}
	for _, w := range res.Workloads {
		detail := fmt.Sprintf("%s; %d samples every %s, peak %.2f cores", w.Description, len(w.Usage.Samples), w.Usage.Interval, w.Diagnosis.Peak)
		switch w.Truth {
		case decision.CPUBound:
			j.add(claimCPUBoundFull.Judge(Measurement{Model: "workload " + w.Name, Value: w.Diagnosis.Demand, Expected: 1, Unit: "cores", Busy: res.busy(w.Run),
				Detail: fmt.Sprintf("%s; %.2f cores used and %.2f waiting for a CPU that other processes held", detail, w.Diagnosis.Mean, w.Diagnosis.Waiting)}))
		case decision.IOBound:
			j.add(claimIOBoundIdle.Judge(Measurement{Model: "workload " + w.Name, Value: w.Diagnosis.Mean, Expected: 0.05, Unit: "cores",
				Detail: fmt.Sprintf("%s; %s of CPU over %s", detail, showDur(w.Usage.CPU), showDur(w.Usage.Wall))}))
		}
	}
	return j
}
