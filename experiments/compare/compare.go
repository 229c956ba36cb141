// Package compare puts results of one question side by side: the same
// experiment run on several machines (a class's laptops with 2, 8 and 16
// cores, with and without a free-threaded CPython) or under several
// settings (GOMAXPROCS=1 and without). Each claim's verdict on each model
// becomes a row with a cell per result, the figure with its 95% interval
// and the outcome, the machines' stamps are the columns' heads, and the
// parameters that differ between the results are listed.
//
//	a, _ := compare.Decode("one.json", oneBytes)
//	b, _ := compare.Decode("two.json", twoBytes)
//	c, err := compare.Of(compare.Input{Name: "one.json", Result: a}, compare.Input{Name: "two.json", Result: b})
//	c.WriteText(os.Stdout)
//
// It judges nothing again: a cell is the verdict as its result recorded it.
// It is a pure function of the decoded results, and knows nothing of charts
// (package charts draws a comparison's overlays) or of files.
package compare

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/experiments/measure"
)

// Input is one result to compare and the name it is shown by, such as the
// file it was read from.
type Input struct {
	Name   string
	Result experiments.Result
}

// Comparison is results of one question side by side.
type Comparison struct {
	// Question is the question's name, e.g. "scaling"; Title its title.
	Question string
	Title    string
	// Columns are the results, in the order given.
	Columns []Column
	// Params are the parameters whose values differ between the results.
	Params []ParamDiff
	// Groups are the rows, one group per claim, in the order the claims
	// first appear in the results.
	Groups []Group
	// Footnotes are the reasons inconclusive cells give, each once; a
	// cell's Footnote numbers its reason from 1.
	Footnotes []string
}

// Column is one result.
type Column struct {
	// Label names the column in a table: "A", "B", … "Z", "AA", …
	Label string
	// Name is the name it was given, such as its file's.
	Name   string
	Result experiments.Result
}

// ParamDiff is a parameter whose value differs between the results: its
// value in each column, in Columns' order ("" where a result does not
// record it).
type ParamDiff struct {
	Name   string
	Values []string
}

// Group is the rows of one claim.
type Group struct {
	ClaimID string
	// Claim is the claim in the lecture's words, Unit its figure's unit.
	Claim string
	Unit  string
	Rows  []Row
}

// Row is one claim on one model, at one setting where a result judges the
// claim on the model more than once (scaling's "2 workers", "4 workers").
type Row struct {
	ClaimID string
	Model   string
	// Setting is where the verdict was measured, when the claim is judged
	// more than once on the model: the first clause of its detail (up to
	// its first comma, colon or semicolon, as in "2 workers, 8 tasks …"),
	// or "#n", the n-th such verdict, where those clauses do not tell the
	// verdicts apart.
	Setting string
	// Cells are the verdicts, one per column.
	Cells []Cell
}

// Cell is one result's verdict on a row's claim and model.
type Cell struct {
	// Verdict is nil where the result has no such verdict (a model it did
	// not run, a setting it did not sweep).
	Verdict *experiments.Verdict
	// Footnote numbers, from 1, the reason in Comparison.Footnotes an
	// inconclusive verdict gives; 0 if none.
	Footnote int
}

// Decode reads a result saved as JSON (what `boundlab run --json` writes,
// or what a notebook's kernel.Run saves) of whichever question it is a
// result of. name says which input it is in errors, which refuse anything
// that is not a result: not JSON, JSON without a question and verdicts, a
// result of a question this program does not know.
func Decode(name string, b []byte) (experiments.Result, error) {
	var head struct {
		Question *string          `json:"question"`
		Verdicts *json.RawMessage `json:"verdicts"`
		Stamp    *json.RawMessage `json:"stamp"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		if errors.As(err, &syn) || errors.As(err, &typ) {
			return nil, fmt.Errorf("%s is not a boundlab result: not a JSON object (%v)", name, err)
		}
		return nil, fmt.Errorf("%s is not a boundlab result: %v", name, err)
	}
	if head.Question == nil || *head.Question == "" || head.Stamp == nil || head.Verdicts == nil {
		return nil, fmt.Errorf("%s is not a boundlab result: it lacks a question, a stamp or verdicts (write one with 'boundlab run NAME --json FILE')", name)
	}
	q, err := experiments.Lookup(*head.Question)
	if err != nil {
		return nil, fmt.Errorf("%s: a result of %v", name, err)
	}
	res, err := q.DecodeResult(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return res, nil
}

// Of compares results of one question: one result gives one column. It
// refuses no results, and results of different questions, naming the
// first two that differ.
func Of(in ...Input) (*Comparison, error) {
	if len(in) == 0 {
		return nil, errors.New("compare: no results to compare")
	}
	for i, x := range in {
		if x.Result == nil || x.Result.Base() == nil {
			return nil, fmt.Errorf("compare: %s holds no result", nameOf(x, i))
		}
	}
	first := in[0].Result.Base()
	for i, x := range in[1:] {
		if q := x.Result.Base().Question; q != first.Question {
			return nil, fmt.Errorf("%s is a result of %q, %s of %q: compare results of one question at a time",
				nameOf(in[0], 0), first.Question, nameOf(x, i+1), q)
		}
	}
	c := &Comparison{Question: first.Question, Title: first.Title}
	for i, x := range in {
		c.Columns = append(c.Columns, Column{Label: label(i), Name: nameOf(x, i), Result: x.Result})
	}
	c.Params = paramDiffs(c.Columns)
	c.rows()
	return c, nil
}

// nameOf is an input's name, or "result n" where it has none.
func nameOf(x Input, i int) string {
	if x.Name != "" {
		return x.Name
	}
	return fmt.Sprintf("result %d", i+1)
}

// label is the i-th column's label: A … Z, then AA, AB, …
func label(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

// paramDiffs lists the parameters whose values differ between columns, by
// name.
func paramDiffs(cols []Column) []ParamDiff {
	names := map[string]bool{}
	for _, c := range cols {
		for n := range c.Result.Base().ParamValues {
			names[n] = true
		}
	}
	var out []ParamDiff
	for _, n := range slices.Sorted(maps.Keys(names)) {
		d := ParamDiff{Name: n}
		for _, c := range cols {
			d.Values = append(d.Values, c.Result.Base().ParamValues[n])
		}
		if slices.ContainsFunc(d.Values, func(v string) bool { return v != d.Values[0] }) {
			out = append(out, d)
		}
	}
	return out
}

// key is what a row stands for.
type key struct{ claim, model, setting string }

// rows lines the columns' verdicts up by claim, model and setting.
func (c *Comparison) rows() {
	// A claim judged more than once on a model in any result has its
	// verdicts told apart by setting, in every result alike.
	several := map[key]bool{}
	for _, col := range c.Columns {
		n := map[key]int{}
		for _, v := range col.Result.Base().Verdicts {
			k := key{v.ClaimID, v.Model, ""}
			if n[k]++; n[k] > 1 {
				several[k] = true
			}
		}
	}
	at := map[key]*Row{}
	var order []key
	groups := map[string]*Group{}
	var claims []string
	reasons := map[string]int{}
	for ci, col := range c.Columns {
		vs := col.Result.Base().Verdicts
		sets := settings(vs, several)
		for vi := range vs {
			v := &vs[vi]
			k := key{v.ClaimID, v.Model, sets[vi]}
			r, ok := at[k]
			if !ok {
				r = &Row{ClaimID: v.ClaimID, Model: v.Model, Setting: k.setting, Cells: make([]Cell, len(c.Columns))}
				at[k] = r
				order = append(order, k)
			}
			if r.Cells[ci].Verdict != nil {
				continue // the same verdict twice in one result: the first stands
			}
			cell := Cell{Verdict: v}
			if v.Outcome == experiments.Inconclusive && v.Reason != "" {
				n, ok := reasons[v.Reason]
				if !ok {
					c.Footnotes = append(c.Footnotes, v.Reason)
					n = len(c.Footnotes)
					reasons[v.Reason] = n
				}
				cell.Footnote = n
			}
			r.Cells[ci] = cell
			if _, ok := groups[v.ClaimID]; !ok {
				groups[v.ClaimID] = &Group{ClaimID: v.ClaimID, Claim: strings.TrimSpace(v.Claim), Unit: v.Unit}
				claims = append(claims, v.ClaimID)
			}
		}
	}
	for _, k := range order {
		g := groups[k.claim]
		g.Rows = append(g.Rows, *at[k])
	}
	for _, id := range claims {
		g := groups[id]
		sortRows(g.Rows)
		c.Groups = append(c.Groups, *g)
	}
}

// sortRows orders a claim's rows by model, in the order the models first
// appear, and a model's settings by their leading number where both have
// one ("2 workers" before "16 workers"), else as they first appear.
func sortRows(rows []Row) {
	rank := map[string]int{}
	for _, r := range rows {
		if _, ok := rank[r.Model]; !ok {
			rank[r.Model] = len(rank)
		}
	}
	slices.SortStableFunc(rows, func(a, b Row) int {
		if c := cmp.Compare(rank[a.Model], rank[b.Model]); c != 0 {
			return c
		}
		x, okA := leadingNumber(a.Setting)
		y, okB := leadingNumber(b.Setting)
		if okA && okB {
			return cmp.Compare(x, y)
		}
		return 0
	})
}

// leadingNumber is the number s starts with ("#" aside), as in "16 workers"
// or "#2".
func leadingNumber(s string) (float64, bool) {
	s = strings.TrimPrefix(s, "#")
	end := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if end < 0 {
		end = len(s)
	}
	x, err := strconv.ParseFloat(s[:end], 64)
	return x, err == nil
}

// maxSetting is the longest first clause of a detail read as a setting.
const maxSetting = 32

// settings names the setting of each verdict of one result whose claim and
// model are among several: the first clause of its detail, where those
// tell the result's verdicts on that claim and model apart, else "#n".
func settings(vs []experiments.Verdict, several map[key]bool) []string {
	out := make([]string, len(vs))
	byKey := map[key][]int{}
	for i, v := range vs {
		k := key{v.ClaimID, v.Model, ""}
		if several[k] {
			byKey[k] = append(byKey[k], i)
		}
	}
	for _, idx := range byKey {
		seen := map[string]bool{}
		distinct := true
		for _, i := range idx {
			s := firstClause(vs[i].Detail)
			if s == "" || len(s) > maxSetting || seen[s] {
				distinct = false
				break
			}
			seen[s] = true
		}
		for n, i := range idx {
			if distinct {
				out[i] = firstClause(vs[i].Detail)
			} else {
				out[i] = fmt.Sprintf("#%d", n+1)
			}
		}
	}
	return out
}

// firstClause is detail up to its first comma, colon or semicolon.
func firstClause(detail string) string {
	if i := strings.IndexAny(detail, ",:;"); i >= 0 {
		detail = detail[:i]
	}
	return strings.TrimSpace(detail)
}

// Label is the row's model and setting, e.g. "gil · 2 workers".
func (r Row) Label() string {
	if r.Setting == "" {
		return r.Model
	}
	return r.Model + " · " + r.Setting
}

// Rule is the claim's rule, e.g. "at least 1.7", where every column that
// judged the row judged it by the same rule; else each column's, e.g.
// "A: at least 0.85 · B: at least 1.7" (a prediction that depends on the
// machine, such as min(workers, cores)). same says which.
func (r Row) Rule(cols []Column) (rule string, same bool) {
	var rules, labelled []string
	for i, cell := range r.Cells {
		if cell.Verdict == nil {
			continue
		}
		s := cell.Verdict.Rule()
		rules = append(rules, s)
		labelled = append(labelled, cols[i].Label+": "+s)
	}
	slices.Sort(rules)
	if len(slices.Compact(rules)) <= 1 {
		if len(rules) == 0 {
			return "", true
		}
		return rules[0], true
	}
	return strings.Join(labelled, " · "), false
}

// Stamp is the machine and runtime the column's result was measured on.
func (c Column) Stamp() measure.Stamp { return c.Result.Base().Stamp }

// Head is the column's machine in a few words, as two lines: the cores,
// with the CPU limit if any, and GOMAXPROCS, e.g. "2 cores (limit 1) ·
// GOMAXPROCS 2", then Go's version and the CPython the result ran, if
// any, e.g. "go1.26.8 · CPython 3.11.7".
func (c Column) Head() (string, string) {
	s := c.Stamp()
	one := fmt.Sprintf("%d cores", s.Cores)
	if s.CPULimit > 0 {
		one += fmt.Sprintf(" (limit %.3g)", s.CPULimit)
	}
	one += fmt.Sprintf(" · GOMAXPROCS %d", s.GOMAXPROCS)
	two := s.GoVersion
	if p := c.Python(); p != "" {
		two += " · " + p
	}
	return one, two
}

// Short is Head on one line: "2 cores · GOMAXPROCS 1 · go1.26.8 · CPython 3.11.7".
func (c Column) Short() string {
	one, two := c.Head()
	return one + " · " + two
}

// Machine is the column's whole stamp: the CPU, cores, GOMAXPROCS, Go,
// OS and architecture, when, how busy the rest of the machine was, and the
// CPython it ran, if any.
func (c Column) Machine() string {
	s := c.Stamp().String()
	if p := c.Python(); p != "" {
		s += " · " + p
	}
	return s
}

// Python names the interpreter the result's cpython model ran, e.g.
// "CPython 3.13.1 free-threaded (GIL disabled)", or "" if none ran.
func (c Column) Python() string {
	in := c.Result.Base().Python
	if in == nil {
		return ""
	}
	impl := in.Implementation
	if impl == "" || impl == "cpython" {
		impl = "CPython"
	}
	s := impl + " " + in.Version
	if in.FreeThreaded {
		gil := "GIL disabled"
		if in.GILEnabled {
			gil = "GIL enabled"
		}
		s += " free-threaded (" + gil + ")"
	}
	return s
}

// Counts is how many of the column's verdicts come out each way.
func (c Column) Counts() map[experiments.Outcome]int {
	n := map[experiments.Outcome]int{}
	for _, v := range c.Result.Base().Verdicts {
		n[v.Outcome]++
	}
	return n
}

// Outcomes says in a few words how the column's verdicts came out, e.g.
// "11 verdicts: 5 hold, 6 inconclusive".
func (c Column) Outcomes() string {
	n := c.Counts()
	total := len(c.Result.Base().Verdicts)
	var parts []string
	for _, o := range []struct {
		o            experiments.Outcome
		one, several string
	}{{experiments.Holds, "holds", "hold"}, {experiments.DoesNotHold, "does not hold", "do not hold"}, {experiments.Inconclusive, "inconclusive", "inconclusive"}} {
		switch k := n[o.o]; {
		case k == 1:
			parts = append(parts, "1 "+o.one)
		case k > 1:
			parts = append(parts, fmt.Sprintf("%d %s", k, o.several))
		}
	}
	if len(parts) == 0 {
		return "no verdicts"
	}
	return fmt.Sprintf("%d %s: %s", total, plural(total, "verdict", "verdicts"), strings.Join(parts, ", "))
}
