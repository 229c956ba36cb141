package e2e

import (
	"bufio"
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/internal/proc"
)

var reruns = flag.Int("reruns", 6, "TestRerunPhases: reruns of the experiment cell after the first run")

// TestRerunPhases is the benchmark of a student's most frequent step:
// rerunning the 01-async-cpu experiment cell with a changed flag in a warm
// kernel. nbclient (testdata/rerun.py) runs the notebook's cells above
// the experiment cell, then the experiment cell with the quick flags, then
// -reruns times more, --tasks=3 and --tasks=4 in turn. Each run is split
// into phases from real timestamps: nbclient's (the request sent, the
// reply and the idle status received), GoNB's own log (run with -v=2: the
// cell received, goimports, go get, go build, the program started and
// ended) and the cell program's phase log (measure.PhaseEnv: kernel.Run
// entered, the calibrations, the experiment, the display). It prints the
// table, and writes it to test-artifacts/e2e/rerun-phases.txt.
//
// It fails if a run fails or a phase it must see is missing; it holds no
// time limit (the figures go in the README).
func TestRerunPhases(t *testing.T) {
	r := need(t)
	const name = "01-async-cpu"
	quick := quickFlagsOf(t, "async-cpu")
	lines := []string{"%% " + quick}
	for i := range *reruns {
		lines = append(lines, "%% "+replaceFlag(quick, "tasks", strconv.Itoa(3+i%2)))
	}
	dir := copyNotebooks(t, r, "rerun", name)
	tmp := t.TempDir()
	phasePath := filepath.Join(tmp, "phases.jsonl")
	runs, logText := runRerun(t, r, dir, map[string]any{
		"notebook": filepath.Join(dir, name+".ipynb"), "match": "kernel.Run(",
		"lines": lines, "kernel_args": []string{"-v=2"},
	}, measure.PhaseEnv+"="+phasePath)
	for _, ev := range runs {
		if ev.Status != "ok" || len(ev.Errors) > 0 {
			t.Fatalf("run %d (%s): status %q, errors %q", ev.Index, ev.Line, ev.Status, ev.Errors)
		}
	}
	if len(runs) != len(lines) {
		t.Fatalf("%d runs reported, want %d", len(runs), len(lines))
	}
	klog := parseKlog(string(logText), time.Unix(int64(runs[0].Sent), 0))
	phases, err := readPhaseLog(phasePath)
	if err != nil {
		t.Fatal(err)
	}
	var split []runPhases
	for _, run := range runs {
		ps, err := splitRun(run, klog, phases)
		if err != nil {
			t.Fatalf("run %d (%s): %v", run.Index, run.Line, err)
		}
		split = append(split, ps)
	}
	table := phaseTable(split)
	t.Logf("reruns of %s's experiment cell in a warm kernel (%s):\n%s", name, measure.NewStamp(), table)
	if err := os.WriteFile(filepath.Join(r.artifacts, "rerun-phases.txt"), []byte(table), 0o644); err != nil {
		t.Error(err)
	}
}

// runRerun runs testdata/rerun.py on cfg (its "workdir" and "events" are
// filled in) in dir, with env added to the rig's environment, and returns
// its runs and the log of it and the kernel. It fails the test if the
// script fails, takes over ten minutes, or reports a fatal event.
func runRerun(t *testing.T, r *rig, dir string, cfg map[string]any, env ...string) (runs []rerunRun, log string) {
	t.Helper()
	tmp := t.TempDir()
	cfgPath, logPath, eventsPath := filepath.Join(tmp, "config.json"), filepath.Join(tmp, "kernel.log"), filepath.Join(tmp, "events.jsonl")
	cfg["workdir"], cfg["events"] = dir, eventsPath
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(cfgPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(r.jup.Python, filepath.Join(r.root, "e2e", "testdata", "rerun.py"), cfgPath)
	cmd.Dir = dir
	cmd.Env = append(append([]string(nil), r.env...), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	child, err := proc.Start(cmd, syscall.SIGTERM)
	if err != nil {
		t.Fatal(err)
	}
	w := watch(child.Pid())
	t.Cleanup(w.killAlive)
	done := make(chan error, 1)
	go func() { done <- child.Wait() }()
	select {
	case err = <-done:
	case <-time.After(10 * time.Minute):
		child.Kill(syscall.SIGKILL)
		err = fmt.Errorf("still running after 10 minutes: %w", <-done)
	}
	w.finish()
	if left := w.alive(); len(left) > 0 {
		t.Errorf("processes left behind (now killed): %v", left)
	}
	logText, _ := os.ReadFile(logPath)
	events, _ := os.ReadFile(eventsPath)
	if err != nil {
		t.Fatalf("rerun.py: %v\n%s\nits log ends:\n%s", err, events, tailLines(string(logText), 30))
	}
	for _, l := range strings.Split(strings.TrimSpace(string(events)), "\n") {
		var ev rerunRun
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("rerun.py: %q: %v", l, err)
		}
		switch ev.Event {
		case "fatal":
			t.Fatalf("rerun.py: %s\nits log ends:\n%s", ev.Error, tailLines(string(logText), 30))
		case "run":
			runs = append(runs, ev)
		}
	}
	return runs, string(logText)
}

// rerunRun is one run of the cell as rerun.py reports it; times are Unix
// seconds.
type rerunRun struct {
	Event    string   `json:"event"`
	Error    string   `json:"error"`
	Index    int      `json:"index"`
	Line     string   `json:"line"`
	Sent     float64  `json:"sent"`
	Reply    float64  `json:"reply"`
	Idle     float64  `json:"idle"`
	Status   string   `json:"status"`
	Messages [][]any  `json:"messages"`
	Errors   []string `json:"errors"`
	// Texts are the run's outputs as text (HTML tags removed); After, the
	// outputs of the config's "after" cell, run after it.
	Texts []string `json:"texts"`
	After []string `json:"after"`
}

// unixSeconds is a time.time() reading, to the microsecond.
func unixSeconds(s float64) time.Time {
	return time.UnixMicro(int64(math.Round(s * 1e6)))
}

// klogLine is a line of GoNB's log: its time and message.
type klogLine struct {
	at  time.Time
	msg string
}

// klogRE matches klog's header: Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg
var klogRE = regexp.MustCompile(`^[IWEF](\d\d)(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{6})\s+\d+ [^ ]+:\d+\] (.*)$`)

// parseKlog reads the klog lines of text. klog writes local time without
// a year: the year is ref's.
func parseKlog(text string, ref time.Time) []klogLine {
	var out []klogLine
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		m := klogRE.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		n := make([]int, 6)
		for i := range n {
			n[i], _ = strconv.Atoi(m[i+1])
		}
		at := time.Date(ref.Year(), time.Month(n[0]), n[1], n[2], n[3], n[4], n[5]*1000, time.Local)
		out = append(out, klogLine{at: at, msg: m[7]})
	}
	return out
}

// readPhaseLog reads the cell programs' phase log.
func readPhaseLog(path string) ([]measure.PhaseRecord, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("the cell programs wrote no phase log (%s): %w", measure.PhaseEnv, err)
	}
	var out []measure.PhaseRecord
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var p measure.PhaseRecord
		if err := json.Unmarshal([]byte(l), &p); err != nil {
			return nil, fmt.Errorf("phase log: %q: %w", l, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// phase is a row of the table: a name and its time in one run.
type phase struct {
	name string
	d    time.Duration
}

// runPhases is one run split into phases, in order, which add up to its
// total; experiment is the experiment's own time among them.
type runPhases struct {
	line              string
	phases            []phase
	total, experiment time.Duration
}

// The rows that do not come from the program's phase log.
const (
	rowRequest  = "request to GoNB"
	rowImports  = "GoNB: parse the cell, goimports"
	rowGoGet    = "GoNB: go get"
	rowBuild    = "GoNB: go build (compile, link)"
	rowStart    = "program start (exec to kernel.Run)"
	rowOther    = "program: the rest (flags, stamp, ...)"
	rowExit     = "program exit, GoNB wrap-up"
	rowReply    = "reply and idle to nbclient"
	experiment  = "experiment"
	runEntered  = "run entered"
	ownSuffix   = " (rest)"
	totalRow    = "total (request sent to idle)"
	overheadRow = "overhead (total - experiment)"
)

// splitRun splits run into phases with GoNB's log lines and the program's
// phase records that fall in its time.
func splitRun(run rerunRun, klog []klogLine, records []measure.PhaseRecord) (runPhases, error) {
	sent, end := unixSeconds(run.Sent), unixSeconds(max(run.Reply, run.Idle))
	marks := map[string]time.Time{}
	for _, l := range klog {
		if l.at.Before(sent) || l.at.After(end) {
			continue
		}
		for key, needle := range map[string]string{
			"cell":     "ExecuteCell: [",
			"imports":  "/goimports -w ",
			"goget":    "go get",
			"imported": "ExecuteCell: after s.GoImports()",
			"compiled": "ExecuteCell: after s.Compile()",
			"exec":     "Executing: ",
			"finished": "Execution finished successfully",
		} {
			if _, ok := marks[key]; !ok && strings.Contains(l.msg, needle) {
				marks[key] = l.at
			}
		}
	}
	for _, k := range []string{"cell", "imported", "compiled", "exec", "finished"} {
		if _, ok := marks[k]; !ok {
			return runPhases{}, fmt.Errorf("GoNB's log (-v=2) has no %q line in the run's time", k)
		}
	}
	var prog []measure.PhaseRecord
	var entered time.Time
	for _, p := range records {
		s, e := time.Unix(0, p.Start), time.Unix(0, p.End)
		if s.Before(marks["exec"]) || e.After(marks["finished"]) {
			continue
		}
		if p.Phase == runEntered {
			entered = s
			continue
		}
		prog = append(prog, p)
	}
	if entered.IsZero() {
		return runPhases{}, fmt.Errorf("the phase log has no %q record in the run's time", runEntered)
	}
	goget := marks["imported"]
	if t, ok := marks["goget"]; ok {
		goget = t
	}
	rp := runPhases{line: run.Line, total: end.Sub(sent)}
	add := func(name string, d time.Duration) { rp.phases = append(rp.phases, phase{name, d}) }
	add(rowRequest, marks["cell"].Sub(sent))
	add(rowImports, goget.Sub(marks["cell"]))
	add(rowGoGet, marks["imported"].Sub(goget))
	add(rowBuild, marks["compiled"].Sub(marks["imported"]))
	add(rowStart, entered.Sub(marks["compiled"]))

	// Each program phase's own time is its time less the phases inside it.
	own := ownTimes(prog)
	last := entered
	var top time.Duration
	for i, p := range prog {
		last = later(last, time.Unix(0, p.End))
		if !nested(prog, i) {
			top += time.Duration(p.End - p.Start)
		}
	}
	sawExperiment := false
	for _, o := range own {
		add(o.name, o.d)
		if o.name == experiment {
			rp.experiment += o.d
			sawExperiment = true
		}
	}
	if !sawExperiment {
		return runPhases{}, fmt.Errorf("the phase log has no %q record in the run's time", experiment)
	}
	add(rowOther, last.Sub(entered)-top)
	add(rowExit, marks["finished"].Sub(last))
	add(rowReply, end.Sub(marks["finished"]))
	return rp, nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// nested reports whether record i lies inside another record.
func nested(rs []measure.PhaseRecord, i int) bool {
	for j, o := range rs {
		if j != i && o.Start <= rs[i].Start && rs[i].End <= o.End && (o.End-o.Start) > (rs[i].End-rs[i].Start) {
			return true
		}
	}
	return false
}

// ownTimes sums each phase name's own time (its time less that of the
// phases directly inside it), in order of first appearance. A phase with
// others inside it is named with ownSuffix, except the experiment.
func ownTimes(rs []measure.PhaseRecord) []phase {
	parent := make([]int, len(rs))
	hasKids := make([]bool, len(rs))
	for i, r := range rs {
		parent[i] = -1
		for j, o := range rs {
			if j == i || o.Start > r.Start || r.End > o.End || o.End-o.Start <= r.End-r.Start {
				continue
			}
			if parent[i] < 0 || o.End-o.Start < rs[parent[i]].End-rs[parent[i]].Start {
				parent[i] = j
			}
		}
	}
	own := make([]time.Duration, len(rs))
	for i, r := range rs {
		own[i] += time.Duration(r.End - r.Start)
		if p := parent[i]; p >= 0 {
			own[p] -= time.Duration(r.End - r.Start)
			hasKids[p] = true
		}
	}
	order := make([]int, len(rs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(rs[a].Start, rs[b].Start) })
	var out []phase
	idx := map[string]int{}
	for _, i := range order {
		name := rs[i].Phase
		if hasKids[i] && name != experiment {
			name += ownSuffix
		}
		if k, ok := idx[name]; ok {
			out[k].d += own[i]
			continue
		}
		idx[name] = len(out)
		out = append(out, phase{name, own[i]})
	}
	return out
}

// phaseTable lays the runs out as a table: a row per phase with the first
// run (a new cell program: compiled and linked, nothing cached in the
// kernel session yet) and the reruns' median and range; then the total,
// the experiment's own time and the overhead.
func phaseTable(runs []runPhases) string {
	var names []string
	for _, r := range runs {
		for _, p := range r.phases {
			if !slices.Contains(names, p.name) {
				names = append(names, p.name)
			}
		}
	}
	get := func(r runPhases, name string) time.Duration {
		var d time.Duration
		for _, p := range r.phases {
			if p.name == name {
				d += p.d
			}
		}
		return d
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-44s %10s   %s\n", "phase", "first run", fmt.Sprintf("reruns (%d): median [min, max]", len(runs)-1))
	row := func(name string, f func(runPhases) time.Duration) {
		var ds []time.Duration
		for _, r := range runs[1:] {
			ds = append(ds, f(r))
		}
		slices.Sort(ds)
		med := "-"
		if len(ds) > 0 {
			med = fmt.Sprintf("%7.3f s [%.3f, %.3f]", median(ds).Seconds(), ds[0].Seconds(), ds[len(ds)-1].Seconds())
		}
		fmt.Fprintf(&b, "%-44s %8.3f s   %s\n", name, f(runs[0]).Seconds(), med)
	}
	for _, n := range names {
		row(n, func(r runPhases) time.Duration { return get(r, n) })
	}
	b.WriteString(strings.Repeat("-", 90) + "\n")
	row(totalRow, func(r runPhases) time.Duration { return r.total })
	row("experiment's own time", func(r runPhases) time.Duration { return r.experiment })
	row(overheadRow, func(r runPhases) time.Duration { return r.total - r.experiment })
	var rerun []string
	for _, r := range runs[1:] {
		if !slices.Contains(rerun, r.line) {
			rerun = append(rerun, r.line)
		}
	}
	fmt.Fprintf(&b, "first run: %s; reruns, in turn: %s\n", runs[0].line, strings.Join(rerun, " | "))
	return b.String()
}

// median of sorted ds.
func median(ds []time.Duration) time.Duration {
	n := len(ds)
	if n%2 == 1 {
		return ds[n/2]
	}
	return (ds[n/2-1] + ds[n/2]) / 2
}
