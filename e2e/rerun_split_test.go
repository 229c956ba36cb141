package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
)

// A run is split at GoNB's log lines and the program's phases; phases
// inside others count once; the rows add up to the total.
func TestSplitRun(t *testing.T) {
	t0 := time.Date(2026, 3, 4, 10, 0, 0, 0, time.Local)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	var log strings.Builder
	for _, l := range []struct {
		ms  int
		msg string
	}{
		{2, `ExecuteCell: ["%% --tasks=3" "res := kernel.Run(...)"]`},
		{5, "Executing /x/bin/goimports -w /tmp/gonb_1/main.go"},
		{20, "Executing /usr/local/go/bin/go get"},
		{250, "ExecuteCell: after s.GoImports()"},
		{260, "Executing /usr/local/go/bin/go build -o /tmp/gonb_1/gonb_1"},
		{400, "ExecuteCell: after s.Compile()"},
		{401, "Executing: /tmp/gonb_1/gonb_1 [--tasks=3]"},
		{3000, "Execution finished successfully"},
		{9000, "ExecuteCell: [later run]"}, // outside the run
	} {
		a := at(l.ms)
		fmt.Fprintf(&log, "I%02d%02d %s %7d execcode.go:80] \x1b[7m[1]\x1b[0m %s\nnot a log line\n",
			a.Month(), a.Day(), a.Format("15:04:05.000000"), 42, l.msg)
	}
	rec := func(name string, from, to int) measure.PhaseRecord {
		return measure.PhaseRecord{Phase: name, Start: at(from).UnixNano(), End: at(to).UnixNano()}
	}
	records := []measure.PhaseRecord{
		rec("run entered", 410, 410),
		rec("experiment", 412, 2900),
		rec("cpu calibration", 420, 500),
		rec("cpython probe", 500, 1000),
		rec("cpython start", 500, 600),
		rec("cpython calibration", 700, 950),
		rec("display", 2900, 2950),
		rec("display", 2960, 2990),
		rec("experiment", 9100, 9500), // outside the run
	}
	run := rerunRun{Line: "%% --tasks=3", Sent: float64(t0.UnixNano()) / 1e9,
		Reply: float64(at(3010).UnixNano()) / 1e9, Idle: float64(at(3005).UnixNano()) / 1e9}
	rp, err := splitRun(run, parseKlog(log.String(), t0), records)
	if err != nil {
		t.Fatal(err)
	}
	want := []phase{
		{rowRequest, 2 * time.Millisecond},
		{rowImports, 18 * time.Millisecond},
		{rowGoGet, 230 * time.Millisecond},
		{rowBuild, 150 * time.Millisecond},
		{rowStart, 10 * time.Millisecond},
		{experiment, 2488*time.Millisecond - 80*time.Millisecond - 500*time.Millisecond},
		{"cpu calibration", 80 * time.Millisecond},
		{"cpython probe" + ownSuffix, 150 * time.Millisecond},
		{"cpython start", 100 * time.Millisecond},
		{"cpython calibration", 250 * time.Millisecond},
		{"display", 80 * time.Millisecond},
		{rowOther, 2*time.Millisecond + 10*time.Millisecond},
		{rowExit, 10 * time.Millisecond},
		{rowReply, 10 * time.Millisecond},
	}
	if fmt.Sprint(rp.phases) != fmt.Sprint(want) {
		t.Errorf("phases:\n got %v\nwant %v", rp.phases, want)
	}
	var sum time.Duration
	for _, p := range rp.phases {
		sum += p.d
	}
	if rp.total != 3010*time.Millisecond || sum != rp.total {
		t.Errorf("total %s, the rows add up to %s", rp.total, sum)
	}
	if rp.experiment != want[5].d {
		t.Errorf("experiment %s, want %s", rp.experiment, want[5].d)
	}
	table := phaseTable([]runPhases{rp, rp})
	for _, s := range []string{"0.250 s     0.250 s [0.250, 0.250]\n", "overhead (total - experiment)"} {
		if !strings.Contains(table, s) {
			t.Errorf("table lacks %q:\n%s", s, table)
		}
	}

	// A run whose program logged no experiment is an error, not a table.
	if _, err := splitRun(run, parseKlog(log.String(), t0), records[:1]); err == nil || !strings.Contains(err.Error(), `no "experiment"`) {
		t.Errorf("no experiment: %v", err)
	}
}
