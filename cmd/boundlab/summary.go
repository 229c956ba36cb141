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
	printTables(w, res)
	fmt.Fprintln(w)
	if len(r.Notes) > 0 {
		fmt.Fprintln(w, "Notes:")
		for _, n := range r.Notes {
			fmt.Fprintln(w, "  "+n)
		}
		fmt.Fprintln(w)
	}
	printVerdicts(w, r.Verdicts)
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
