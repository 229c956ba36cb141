package experiments

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/boundlab/boundlab/experiments/decision"
)

// The three workloads, measured for real, are diagnosed as what they are;
// the computing one keeps a core busy and the waiting one leaves it idle;
// the profiles find the function that computes.
func TestDiagnosisQuick(t *testing.T) {
	res := runQuick(t, Diagnosis, "diagnosis-right", "cpu-bound-full", "io-bound-idle")
	checkJSON(t, res)
	if len(res.Workloads) != 3 || len(res.Runs) != 3 {
		t.Fatalf("%d workloads, %d runs", len(res.Workloads), len(res.Runs))
	}
	p := Diagnosis.Quick()
	for _, w := range res.Workloads {
		t.Logf("%s (%s): %s, mean %.3f cores, demand %.3f, wall %v, wait share %.2f", w.Name, w.Truth, w.Diagnosis.Class, w.Diagnosis.Mean, w.Diagnosis.Demand, w.Wall, w.WaitShare)
		if w.Wall < p.Length || w.Wall > 4*p.Length {
			t.Errorf("%s: wall %v for a workload of %v", w.Name, w.Wall, p.Length)
		}
		if n := len(w.Usage.Samples); n < int(p.Length/p.Interval)-2 {
			t.Errorf("%s: %d samples", w.Name, n)
		}
		if w.Profile == nil {
			t.Fatalf("%s: no profile (notes: %q)", w.Name, res.Notes)
		}
		switch w.Truth {
		case decision.CPUBound:
			if w.Profile.Samples < 50 || len(w.Profile.Top) == 0 || w.Profile.Top[0].Name != "model.burn" || w.Profile.Top[0].FlatShare < 0.8 {
				t.Errorf("%s: profile %d samples, top %+v", w.Name, w.Profile.Samples, w.Profile.Top)
			}
			if w.WaitShare > 0.01 {
				t.Errorf("%s: wait share %.2f", w.Name, w.WaitShare)
			}
		case decision.IOBound:
			if w.Profile.Total > w.Wall/20 {
				t.Errorf("%s: %v of CPU profiled in %v of waiting", w.Name, w.Profile.Total, w.Wall)
			}
			if w.WaitShare < 0.99 || !strings.Contains(w.Diagnosis.Recommendation.Rule, "moderate concurrency (50 waits at once) → threads") {
				t.Errorf("%s: wait share %.2f, rule %q", w.Name, w.WaitShare, w.Diagnosis.Recommendation.Rule)
			}
		case decision.Mixed:
			if w.WaitShare < 0.2 || w.WaitShare > 0.8 {
				t.Errorf("%s: wait share %.2f", w.Name, w.WaitShare)
			}
		}
	}
	ts := res.Tables()
	if len(ts) != 5 || len(ts[0].Rows) != 3 || !strings.Contains(ts[4].Text(), "model.burn") {
		t.Errorf("%d tables:\n%s", len(ts), ts[0].Text())
	}
	// The result decodes back, series and profiles included.
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Diagnosis.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Workloads) != 3 || len(got.Workloads[2].Usage.Samples) != len(res.Workloads[2].Usage.Samples) || got.Workloads[2].Profile == nil {
		t.Errorf("decoded %+v", got.Workloads)
	}
	if paramsOf[DiagnosisParams](&got.Report).Length != p.Length {
		t.Errorf("decoded params %+v", got.Params)
	}
}

// Bad parameters are refused before anything runs.
func TestDiagnosisParams(t *testing.T) {
	p := Diagnosis.Defaults()
	p.Share = 85
	if _, err := Diagnosis.Run(context.Background(), &p, nil); err == nil || !strings.Contains(err.Error(), "--share: 85 is out of range") {
		t.Errorf("share 85: %v", err)
	}
	p = Diagnosis.Defaults()
	if err := Set(&p, "interval", "5ms"); err == nil || !strings.Contains(err.Error(), "5ms is out of range") {
		t.Errorf("interval 5ms: %v", err)
	}
	// The workloads last about as long as each other.
	ws := diagnosisWorkloads(&p, 2)
	if len(ws) != 3 || ws[0].truth != decision.Mixed || ws[1].truth != decision.IOBound || ws[2].truth != decision.CPUBound {
		t.Fatalf("workloads %+v", ws)
	}
	if ws[1].concurrency != p.Tasks || ws[2].concurrency != 2 || len(ws[0].tasks[0].Steps) != 2*diagnosisRounds {
		t.Errorf("workloads %+v", ws)
	}
	if d := ws[1].tasks[0].Steps[0].Duration * diagnosisRounds; d != p.Length {
		t.Errorf("waiting workload lasts %v", d)
	}
}

// Cancelling stops the experiment promptly.
func TestDiagnosisCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	p := Diagnosis.Defaults()
	if _, err := Diagnosis.Run(ctx, &p, nil); err == nil {
		t.Fatal("no error")
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("took %v to stop", d)
	}
}
