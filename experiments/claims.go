package experiments

import (
	"cmp"
	"fmt"
	"math"
	"strings"

	"github.com/boundlab/boundlab/experiments/measure"
)

// Compare says how a claim's measured value is held against its expected
// one.
type Compare string

// The comparisons, with the claim's tolerance tol (for the model judged)
// and, for Between, its slack s in the measurement's unit. Each gives a
// range of values that agree with the claim:
//   - Within: expected × (1 − tol) to expected × (1 + tol)
//   - AtMost: up to expected × (1 + tol)
//   - AtLeast: from expected × (1 − tol)
//   - Between: expected − s to expected × (1 + tol): at most tol over the
//     prediction, and below it by no more than s (a clock's or a timer's
//     resolution, say), for a prediction that is also a floor.
const (
	Within  Compare = "within"
	AtMost  Compare = "at most"
	AtLeast Compare = "at least"
	Between Compare = "between"
)

// Outcome is what a verdict says of its claim.
type Outcome string

// The outcomes. A verdict holds when the whole 95% interval of its figure
// lies in the range the claim allows, does not hold when the whole interval
// lies outside it, and is inconclusive when the interval straddles a bound
// (the noise is larger than the margin) or when the machine was too busy
// with other work for a timed figure to be read as the model's.
const (
	Holds        Outcome = "holds"
	DoesNotHold  Outcome = "does not hold"
	Inconclusive Outcome = "inconclusive"
	// Observed is the outcome of an observation (see Kind): what happened,
	// with no bound to hold it against.
	Observed Outcome = "observed"
)

// Kind says what a claim is: a test (the zero value), which a measurement
// can pass or fail, or an observation, a claim worded as a possibility
// ("possible crash"), which any outcome agrees with: its verdict reports
// what happened, not whether it held.
type Kind string

// The kinds of claim.
const (
	Test        Kind = ""
	Observation Kind = "observation"
)

// Source says whose claim a claim is: the lecture's, or the project's own
// check.
type Source string

// The sources of a claim.
const (
	// Lecture is a claim the lecture makes: Claim.Quote has its words,
	// Claim.Cite where it says them.
	Lecture Source = "lecture"
	// Check is a check the project adds beside the lecture's claims: a
	// model's fidelity to CPython, a property of the set-up (a server's
	// capacity, a goroutine's stack), or the contrast that makes a lecture
	// claim's figure readable.
	Check Source = "check"
)

// Claim is a claim a question judges, as data: one of the lecture's
// (Source Lecture) or one of the project's own checks (Source Check).
// What a question lists (Question.Claims) is what it judges.
type Claim struct {
	// ID names the claim in results and tests.
	ID string `json:"id"`
	// Text is the claim as it is tested: the lecture's claim made
	// measurable, or the project's check.
	Text string `json:"text"`
	// Source says whose claim it is. For a Lecture claim, Quote is the
	// lecture's own words, verbatim (fragments from one place joined by
	// " … "), and Cite where the lecture says them.
	Source Source `json:"source"`
	Quote  string `json:"quote,omitempty"`
	Cite   string `json:"cite,omitempty"`
	// Short is the claim in a few words, for a table; "" means Text up to
	// its first colon (see Brief).
	Short string `json:"short,omitempty"`
	// Quantity is what is measured to test it, with its unit.
	Quantity string `json:"quantity"`
	// Predicts is the prediction: a value, a bound or a formula.
	Predicts string `json:"predicts"`
	// Kind is Test, or Observation for a claim whose verdict reports
	// what happened (it has no Compare).
	Kind Kind `json:"kind,omitempty"`
	// Compare, Tolerance and Slack say when a measurement agrees (see
	// Compare).
	Compare   Compare `json:"compare"`
	Tolerance float64 `json:"tolerance"`
	Slack     float64 `json:"slack,omitempty"`
}

// Brief is the claim in a few words: Short, or Text up to its first
// colon.
func (c Claim) Brief() string {
	if c.Short != "" {
		return c.Short
	}
	if i := strings.Index(c.Text, ": "); i > 0 {
		return c.Text[:i]
	}
	return c.Text
}

// Measurement is what a claim is judged on: one model's figure, from one
// run or several, and what the claim expects of it.
type Measurement struct {
	// Model is the series the figure is of, e.g. "goroutines" or "cpython
	// asyncio".
	Model string
	// Samples are the figure from each of several runs: the verdict judges
	// their median and its 95% interval (measure.MedianCI). One sample is
	// one run, judged as it is. Where there are no Samples, Interval is
	// judged if set (an interval found otherwise, a fitted slope's), else
	// Value, a figure with no interval (a count, a fit, a derived figure).
	Samples  []float64
	Interval *measure.CI
	Value    float64
	// Expected is the prediction the claim's comparison applies to, in
	// Unit.
	Expected float64
	Unit     string
	// Detail says where the figure was measured (a setting, a sample size).
	Detail string
	// Busy is the share of the machine's cores (0 to 1) that other work
	// used while the figure's runs ran (Report.busy), for a figure that
	// other work can move (a wall time, a speedup, a lag); 0 otherwise.
	Busy float64
}

// Verdict is one claim judged on one model's measurement.
type Verdict struct {
	ClaimID string `json:"claim_id"`
	Claim   string `json:"claim"`
	// Brief, Source, Quote and Cite are the claim's (see Claim).
	Brief  string `json:"brief,omitempty"`
	Source Source `json:"source,omitempty"`
	Quote  string `json:"quote,omitempty"`
	Cite   string `json:"cite,omitempty"`
	Model  string `json:"model"`
	// Kind is the claim's: an observation's Outcome is Observed.
	Kind Kind `json:"kind,omitempty"`
	// Measured is the figure judged: the median of Runs runs, with its 95%
	// confidence interval [Low, High] (for one run or a figure without an
	// interval, Low = High = Measured).
	Measured float64 `json:"measured"`
	Low      float64 `json:"low"`
	High     float64 `json:"high"`
	Runs     int     `json:"runs"`
	Expected float64 `json:"expected"`
	Unit     string  `json:"unit"`
	// Compare, Tolerance (the model's) and Slack are the claim's rule.
	Compare   Compare `json:"compare"`
	Tolerance float64 `json:"tolerance"`
	Slack     float64 `json:"slack,omitempty"`
	Outcome   Outcome `json:"outcome"`
	// Holds is Outcome == Holds, for scripts written before Outcome.
	Holds bool `json:"holds"`
	// Busy is the share of the machine's cores other work used during the
	// runs (timed figures only).
	Busy float64 `json:"busy,omitempty"`
	// Reason says why an inconclusive verdict is inconclusive.
	Reason string `json:"reason,omitempty"`
	// Detail says where the measurement was taken (a setting, a sample
	// size, how its interval was found).
	Detail string `json:"detail,omitempty"`
}

// level is the confidence of every verdict's interval.
const level = 0.95

// busyShare is the share of the machine's cores that other work may use
// while a timed figure is measured: above it the verdict is inconclusive,
// whatever the figure. A quarter of the cores (half a core of two) is where
// a neighbour's load starts to move wall times by more than the margins the
// claims judge, and about the most an idle desktop's background takes.
const busyShare = 0.25

// Judge holds m against c and returns the verdict: the figure's median and
// interval, the claim's range for the model, and the outcome (see Outcome).
func (c Claim) Judge(m Measurement) Verdict {
	v := Verdict{
		ClaimID: c.ID, Claim: c.Text, Brief: c.Brief(), Source: c.Source, Quote: c.Quote, Cite: c.Cite,
		Model: m.Model, Kind: c.Kind,
		Expected: m.Expected, Unit: m.Unit, Compare: c.Compare,
		Tolerance: c.Tolerance, Slack: c.Slack,
		Busy: m.Busy, Detail: m.Detail,
	}
	ci := m.estimate()
	v.Measured, v.Low, v.High, v.Runs = ci.Median, ci.Low, ci.High, ci.N
	if how := describeCI(ci); how != "" {
		v.Detail = join(v.Detail, how)
	}
	if bad(v.Measured) || bad(v.Low) || bad(v.High) || bad(v.Expected) {
		// JSON has no NaN: a figure that could not be measured is 0, and
		// says so.
		v.Measured, v.Low, v.High, v.Expected = finite(v.Measured), finite(v.Low), finite(v.High), finite(v.Expected)
		v.Outcome, v.Reason = Inconclusive, "nothing was measured to judge"
		return v
	}
	if c.Kind == Observation {
		v.Outcome = Observed
		return v
	}
	lo, hi := v.Bounds()
	switch {
	case v.Low >= lo && v.High <= hi:
		v.Outcome = Holds
	case v.High < lo || v.Low > hi:
		v.Outcome = DoesNotHold
	default:
		v.Outcome = Inconclusive
		v.Reason = straddles(v, ci, lo, hi)
	}
	switch {
	case m.Busy > busyShare && v.Outcome == Inconclusive:
		v.Reason += fmt.Sprintf("; other work also used %.0f%% of the machine's cores during the runs", 100*m.Busy)
	case m.Busy > busyShare:
		would := "would hold"
		if v.Outcome == DoesNotHold {
			would = "would not hold"
		}
		v.Outcome = Inconclusive
		v.Reason = fmt.Sprintf("other work used %.0f%% of the machine's cores during the runs, more than the %.0f%% a timed figure allows: the figure alone %s, but it may be a neighbour's load, not the model's",
			100*m.Busy, 100*busyShare, would)
	}
	v.Holds = v.Outcome == Holds
	return v
}

// estimate is the figure as a median with its interval.
func (m Measurement) estimate() measure.CI {
	switch {
	case len(m.Samples) > 0:
		return measure.MedianCI(m.Samples, level)
	case m.Interval != nil:
		return *m.Interval
	}
	return measure.CI{Median: m.Value, Low: m.Value, High: m.Value, N: 1}
}

// describeCI says how ci was found, for a verdict's detail; "" for a
// figure with no interval.
func describeCI(ci measure.CI) string {
	switch ci.Method {
	case measure.OrderStatistics:
		return fmt.Sprintf("median of %d runs, 95%% interval between order statistics", ci.N)
	case measure.StudentT:
		return fmt.Sprintf("median of %d runs, 95%% interval from Student's t on their mean (too few runs for a distribution-free one)", ci.N)
	case measure.OneValue:
		return "one run"
	case measure.SlopeT:
		return fmt.Sprintf("least-squares slope over %d runs, 95%% interval from Student's t", ci.N)
	}
	return ""
}

// straddles says why an interval that crosses a bound is inconclusive.
func straddles(v Verdict, ci measure.CI, lo, hi float64) string {
	bound := hi
	if v.Low < lo {
		bound = lo
	}
	why := "the runs vary more than the claim's margin: a noisy machine, or a figure that truly sits at the bound"
	switch ci.Method {
	case measure.StudentT:
		why = fmt.Sprintf("too few runs (%d) for an interval narrower than the margin", ci.N)
	case measure.SlopeT:
		why = fmt.Sprintf("the %d runs scatter about the fitted line more than the margin allows: a noisy machine, or too few runs", ci.N)
	case measure.MeanT:
		why = fmt.Sprintf("the figure moved over the run's %d windows more than its distance from the bound: a noisy machine, or a figure that truly sits near the bound", ci.N)
	}
	return fmt.Sprintf("the 95%% interval %s straddles the bound %s: %s", v.Estimate(), num(bound), why)
}

// Bounds is the range of values that agree with the claim (see Compare),
// for a chart to draw: -Inf or +Inf where the claim has no bound.
func (v Verdict) Bounds() (lo, hi float64) {
	e, t := v.Expected, v.Tolerance
	switch v.Compare {
	case Within:
		a, b := e*(1-t), e*(1+t)
		return math.Min(a, b), math.Max(a, b)
	case AtMost:
		return math.Inf(-1), e * (1 + t)
	case AtLeast:
		return e * (1 - t), math.Inf(1)
	case Between:
		return e - v.Slack, e * (1 + t)
	}
	return math.NaN(), math.NaN()
}

// Rule writes the comparison with its bounds, e.g. "at most 1.01 s" or
// "from 0.999 to 1.01".
func (v Verdict) Rule() string {
	lo, hi := v.Bounds()
	switch v.Compare {
	case Within:
		return fmt.Sprintf("within ±%s%% of %s", num(v.Tolerance*100), num(v.Expected))
	case AtMost:
		return "at most " + num(hi)
	case AtLeast:
		return "at least " + num(lo)
	case Between:
		return fmt.Sprintf("from %s to %s", num(lo), num(hi))
	}
	if v.Kind == Observation {
		return "what happens: an observation"
	}
	return string(v.Compare)
}

// Estimate writes the figure with its interval, e.g. "1.008 [1.006,
// 1.011]", or the figure alone where it has no interval.
func (v Verdict) Estimate() string {
	if v.Runs <= 1 || v.Low == v.High {
		return num(v.Measured)
	}
	return fmt.Sprintf("%s [%s, %s]", num(v.Measured), num(v.Low), num(v.High))
}

// num writes a figure with four significant digits.
func num(x float64) string { return fmt.Sprintf("%.4g", x) }

func bad(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) }

func finite(x float64) float64 {
	if bad(x) {
		return 0
	}
	return x
}

// join appends part to a detail, after a semicolon.
func join(detail, part string) string {
	if detail == "" {
		return part
	}
	return detail + "; " + part
}

// worst picks, of verdicts on one claim at several settings, the one to
// report, and returns its index: one that does not hold before an
// inconclusive one before one that holds, and among equals the one whose
// figure is furthest from its expected value.
func worst(vs []Verdict) int {
	rank := map[Outcome]int{Holds: 0, Inconclusive: 1, DoesNotHold: 2}
	w := 0
	for i, v := range vs {
		if c := cmp.Compare(rank[v.Outcome], rank[vs[w].Outcome]); c > 0 ||
			c == 0 && math.Abs(v.Measured/v.Expected-1) > math.Abs(vs[w].Measured/vs[w].Expected-1) {
			w = i
		}
	}
	return w
}

// judgement is what a question's judge returns: the verdicts, and notes on
// claims it left unjudged and why.
type judgement struct {
	verdicts []Verdict
	notes    []string
}

// add keeps a verdict.
func (j *judgement) add(v Verdict) { j.verdicts = append(j.verdicts, v) }

// note keeps a note.
func (j *judgement) note(format string, args ...any) {
	j.notes = append(j.notes, fmt.Sprintf(format, args...))
}
