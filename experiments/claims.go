package experiments

import (
	"fmt"
	"math"
)

// Compare says how a claim's measured value is held against its expected one.
type Compare string

// The comparisons. With tolerance tol:
//   - Within: |measured/expected - 1| <= tol
//   - AtMost: measured <= expected * (1 + tol)
//   - AtLeast: measured >= expected * (1 - tol)
const (
	Within  Compare = "within"
	AtMost  Compare = "at most"
	AtLeast Compare = "at least"
)

// Claim is one of the lecture's claims, as data.
type Claim struct {
	// ID names the claim in results and tests.
	ID string `json:"id"`
	// Text is the claim in the lecture's words.
	Text string `json:"text"`
	// Quantity is what is measured to test it, with its unit.
	Quantity string `json:"quantity"`
	// Predicts is the prediction: a value, a bound or a formula.
	Predicts string `json:"predicts"`
	// Compare and Tolerance say when a measurement agrees.
	Compare   Compare `json:"compare"`
	Tolerance float64 `json:"tolerance"`
}

// Verdict is one claim judged on one model's measurement.
type Verdict struct {
	ClaimID   string  `json:"claim_id"`
	Claim     string  `json:"claim"`
	Model     string  `json:"model"`
	Measured  float64 `json:"measured"`
	Expected  float64 `json:"expected"`
	Unit      string  `json:"unit"`
	Compare   Compare `json:"compare"`
	Tolerance float64 `json:"tolerance"`
	Holds     bool    `json:"holds"`
	// Detail says where the measurement was taken (a setting, a sample size).
	Detail string `json:"detail,omitempty"`
}

// Judge compares measured with expected by c's rule and returns the verdict.
func (c Claim) Judge(model string, measured, expected float64, unit, detail string) Verdict {
	v := Verdict{
		ClaimID: c.ID, Claim: c.Text, Model: model,
		Measured: measured, Expected: expected, Unit: unit,
		Compare: c.Compare, Tolerance: c.Tolerance, Detail: detail,
	}
	if math.IsNaN(measured) || math.IsNaN(expected) {
		return v
	}
	switch c.Compare {
	case Within:
		v.Holds = expected != 0 && math.Abs(measured/expected-1) <= c.Tolerance
	case AtMost:
		v.Holds = measured <= expected*(1+c.Tolerance)
	case AtLeast:
		v.Holds = measured >= expected*(1-c.Tolerance)
	}
	return v
}

// Rule writes the comparison with its bound, e.g. "at most 1.01 s".
func (v Verdict) Rule() string {
	f := func(x float64) string { return fmt.Sprintf("%.4g", x) }
	switch v.Compare {
	case Within:
		return fmt.Sprintf("within ±%.0f%% of %s", v.Tolerance*100, f(v.Expected))
	case AtMost:
		return "at most " + f(v.Expected*(1+v.Tolerance))
	case AtLeast:
		return "at least " + f(v.Expected*(1-v.Tolerance))
	}
	return string(v.Compare)
}
