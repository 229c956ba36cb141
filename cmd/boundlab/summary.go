package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/boundlab/boundlab/experiments"
)

// printSummary writes a result for a person: what ran, the key figures, and
// the verdicts.
func printSummary(w io.Writer, res experiments.Result) {
	r := res.Base()
	fmt.Fprintf(w, "%s (%s)\n", r.Title, r.Question)
	fmt.Fprintf(w, "measured on %s; took %s\n", r.Stamp, r.Elapsed.Round(10*time.Millisecond))
	if in := r.Python; in != nil {
		fmt.Fprintf(w, "cpython: %s; its CPU loop calibrated at %.0f ns per round (Go's: %.2f ns)\n",
			in, in.NsPerRound, r.Calibration.NsPerUnit/512)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	switch res := res.(type) {
	case *experiments.AsyncCPUResult:
		fmt.Fprintln(tw, "MODEL\tONE AFTER ANOTHER\tALL AT ONCE\tSPEEDUP\tMOST COMPUTING AT ONCE\tMAX LOOP LAG")
		for _, p := range res.Points {
			lag := "-"
			if p.Model == "eventloop" || p.MaxLoopLag > 0 {
				lag = dur(p.MaxLoopLag)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", p.Model,
				dur(res.Runs[p.Sequential].Totals.Wall), dur(res.Runs[p.Concurrent].Totals.Wall), speedup(p.Speedup, p.RawSpeedup), p.MaxComputing, lag)
		}
	case *experiments.ScalingResult:
		fmt.Fprintf(tw, "MODEL\tWORKERS\tWALL\tSPEEDUP\tIDEAL\tEFFICIENCY\tSPAWN (EXCLUDED)\n")
		for _, p := range res.Points {
			spawn := "-"
			if p.Setup > 0 {
				spawn = dur(p.Setup)
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%.0fx\t%.0f%%\t%s\n", p.Model, p.Workers, dur(p.Wall), speedup(p.Speedup, p.RawSpeedup), p.Ideal, p.Efficiency*100, spawn)
		}
		if c := res.Processes; c != nil {
			tw.Flush()
			fmt.Fprintf(w, "\nprocesses pay: spawn %s per worker (mean), %.1f MiB peak memory per worker\n",
				dur(c.SpawnMean), float64(c.WorkerRSS)/(1<<20))
			fmt.Fprintln(tw, "PAYLOAD\tSERIALISATION PER TASK\tSHARE OF BUSY TIME")
			for _, p := range c.Payloads {
				fmt.Fprintf(tw, "%s\t%s\t%.0f%%\n", experiments.FormatSize(p.Bytes), dur(p.PerTask), p.Share*100)
			}
		}
	}
	tw.Flush()
	printTables(w, res)
	fmt.Fprintln(w)
	if corrected(res) {
		fmt.Fprintln(w, "cpython's speedups are at its calibrated speed (each wall over its tasks' CPU per calibrated second), as measured in brackets:")
		fmt.Fprintln(w, "the interpreter's speed on a shared machine swings by a third from one second to the next, where Go's tight loop varies far less")
		fmt.Fprintln(w)
	}
	if len(r.Notes) > 0 {
		fmt.Fprintln(w, "Notes:")
		for _, n := range r.Notes {
			fmt.Fprintln(w, "  "+n)
		}
		fmt.Fprintln(w)
	}
	printVerdicts(w, r.Verdicts)
}

// speedup writes a speedup, with the speedup as measured after it where
// the first was corrected to the calibrated speed.
func speedup(s, raw float64) string {
	if raw > 0 {
		return fmt.Sprintf("%.2fx (%.2fx)", s, raw)
	}
	return fmt.Sprintf("%.2fx", s)
}

// corrected reports whether res has a speedup taken at the calibrated speed.
func corrected(res experiments.Result) bool {
	switch res := res.(type) {
	case *experiments.AsyncCPUResult:
		for _, p := range res.Points {
			if p.RawSpeedup > 0 {
				return true
			}
		}
	case *experiments.ScalingResult:
		for _, p := range res.Points {
			if p.RawSpeedup > 0 {
				return true
			}
		}
	}
	return false
}

// printVerdicts writes each verdict on a line: its outcome, the claim and
// model, the figure with its 95% interval against the claim's range, why
// an inconclusive one is, and where it was measured; then each claim's
// words once.
func printVerdicts(w io.Writer, vs []experiments.Verdict) {
	n := map[experiments.Outcome]int{}
	for _, v := range vs {
		n[v.Outcome]++
	}
	fmt.Fprintf(w, "Verdicts: %d of %d hold", n[experiments.Holds], len(vs)-n[experiments.Observed])
	if n[experiments.Inconclusive] > 0 {
		fmt.Fprintf(w, ", %d inconclusive", n[experiments.Inconclusive])
	}
	if n[experiments.Observed] > 0 {
		fmt.Fprintf(w, "; %d observations", n[experiments.Observed])
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, v := range vs {
		mark := map[experiments.Outcome]string{experiments.Holds: "holds", experiments.DoesNotHold: "DOES NOT HOLD", experiments.Inconclusive: "inconclusive", experiments.Observed: "observed"}[v.Outcome]
		detail := v.Detail
		if v.Reason != "" {
			detail = "why: " + v.Reason + "; " + detail
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\tmeasured %s %s, expected %s\t%s\n", mark, v.ClaimID, v.Model, v.Estimate(), v.Unit, v.Rule(), detail)
	}
	tw.Flush()
	seen := map[string]bool{}
	for _, v := range vs {
		if !seen[v.ClaimID] {
			seen[v.ClaimID] = true
			fmt.Fprintf(w, "  %s: %s\n", v.ClaimID, strings.TrimSpace(v.Claim))
		}
	}
}

func dur(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}
