package charts

import (
	"fmt"

	"github.com/boundlab/boundlab/experiments"
)

// param is the result's parameter called name, as given, or "?".
func param(r *experiments.Report, name string) string {
	if v, ok := r.ParamValues[name]; ok {
		return v
	}
	return "?"
}

// validRun reports whether i indexes a run of r.
func validRun(r *experiments.Report, i int) bool {
	return i >= 0 && i < len(r.Runs) && r.Runs[i].Run != nil
}

// firstVerdict is the first verdict on claim, of any model.
func firstVerdict(r *experiments.Report, claim string) (experiments.Verdict, bool) {
	for _, v := range r.Verdicts {
		if v.ClaimID == claim {
			return v, true
		}
	}
	return experiments.Verdict{}, false
}

// claimOf is the claim with id among a question's claims (its Claims()),
// or a claim with that id alone where the question has none.
func claimOf(claims []experiments.Claim, id string) experiments.Claim {
	for _, c := range claims {
		if c.ID == id {
			return c
		}
	}
	return experiments.Claim{ID: id}
}

// medianOfRuns says what a figure from n runs is, for a tooltip or a
// subtitle: " (median of n runs)", or "" for one run.
func medianOfRuns(n int) string {
	if n <= 1 {
		return ""
	}
	return fmt.Sprintf(" (median of %d runs)", n)
}
