package compare

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/boundlab/boundlab/experiments"
)

// WriteText writes the comparison for a terminal, as benchstat does: the
// question; a legend naming each column's result and its whole machine
// stamp; the parameters that differ; then the table, with each column's
// machine in short as its head, a group of rows per claim, and in each
// cell the figure with its 95% interval and the outcome (a footnote mark
// on an inconclusive one), and the claim's rule at the end of the row
// (each column's where they differ); under it each column's count of
// outcomes. Then the footnotes (why a cell is inconclusive), the results'
// notes, and the claims in the lecture's words.
func (c *Comparison) WriteText(w io.Writer) error {
	var b strings.Builder
	n := len(c.Columns)
	side := "side by side"
	if n == 1 {
		side = "one column"
	}
	fmt.Fprintf(&b, "%s: %s · %d %s, %s\n\n", c.Question, c.Title, n, plural(n, "result", "results"), side)
	for _, col := range c.Columns {
		fmt.Fprintf(&b, "  %s  %s\n     %s\n", col.Label, col.Name, col.Machine())
	}
	b.WriteString("\n")
	switch {
	case n == 1:
	case len(c.Params) == 0:
		b.WriteString("Parameters: the same in every result.\n\n")
	default:
		b.WriteString("Parameters that differ:\n")
		var t table
		for _, p := range c.Params {
			row := []string{"  " + p.Name}
			for i, v := range p.Values {
				if v == "" {
					v = "(not recorded)"
				}
				row = append(row, c.Columns[i].Label+": "+v)
			}
			t.add(row...)
		}
		t.write(&b, "  ")
		b.WriteString("\n")
	}
	c.writeTable(&b)
	if len(c.Footnotes) > 0 {
		b.WriteString("\nWhy inconclusive:\n")
		for i, f := range c.Footnotes {
			fmt.Fprintf(&b, "  %s %s\n", Mark(i+1), f)
		}
	}
	var notes []string
	for _, col := range c.Columns {
		for _, note := range col.Result.Base().Notes {
			notes = append(notes, fmt.Sprintf("  %s  %s\n", col.Label, note))
		}
	}
	if len(notes) > 0 {
		b.WriteString("\nNotes:\n" + strings.Join(notes, ""))
	}
	b.WriteString("\nClaims:\n")
	for _, g := range c.Groups {
		fmt.Fprintf(&b, "  %s: %s\n", g.ClaimID, g.Claim)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeTable writes the verdicts' table.
func (c *Comparison) writeTable(b *strings.Builder) {
	n := len(c.Columns)
	// Each column is a figure and an outcome; its head spans both.
	figW, outW := make([]int, n), make([]int, n)
	for _, g := range c.Groups {
		for _, r := range g.Rows {
			for i, cell := range r.Cells {
				f, o := CellText(cell)
				figW[i], outW[i] = max(figW[i], width(f)), max(outW[i], width(o))
			}
		}
	}
	colW := make([]int, n)
	heads := make([][2]string, n)
	for i, col := range c.Columns {
		one, two := col.Head()
		heads[i] = [2]string{col.Label + " · " + one, two}
		colW[i] = max(figW[i]+2+outW[i], width(heads[i][0]), width(heads[i][1]), width(col.Outcomes()))
	}
	labelW := width("claim (unit)")
	for _, g := range c.Groups {
		labelW = max(labelW, width(groupHead(g)))
		for _, r := range g.Rows {
			labelW = max(labelW, width("  "+r.Label()))
		}
	}
	line := func(label string, cells []string, rule string) {
		s := pad(label, labelW)
		for i, x := range cells {
			s += " │ " + pad(x, colW[i])
		}
		s += " │ " + rule
		b.WriteString(strings.TrimRight(s, " ") + "\n")
	}
	spans := func(k int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = heads[i][k]
		}
		return out
	}
	line("", spans(0), "")
	line("claim (unit)", spans(1), "rule")
	rule := strings.Repeat("─", labelW)
	for i := range n {
		rule += "─┼─" + strings.Repeat("─", colW[i])
	}
	b.WriteString(rule + "─┼─" + strings.Repeat("─", width("rule")) + "\n")
	cols := make([]string, n)
	for _, g := range c.Groups {
		line(groupHead(g), make([]string, n), "")
		for _, r := range g.Rows {
			for i, cell := range r.Cells {
				f, o := CellText(cell)
				cols[i] = pad(f, figW[i]) + "  " + o
			}
			rl, _ := r.Rule(c.Columns)
			line("  "+r.Label(), cols, rl)
		}
	}
	for i, col := range c.Columns {
		cols[i] = col.Outcomes()
	}
	b.WriteString(rule + "─┼─" + strings.Repeat("─", width("rule")) + "\n")
	line("outcomes", cols, "")
}

// groupHead is a claim's line in the table: its id and unit.
func groupHead(g Group) string {
	if g.Unit == "" {
		return g.ClaimID
	}
	return g.ClaimID + " (" + g.Unit + ")"
}

// CellText is a cell as the text table writes it: the figure with its 95%
// interval, e.g. "1.008 [1.006, 1.011]", and the outcome with the mark of
// its footnote where it has one ("inconclusive²"); "—" and "" where the
// result has no such verdict. A verdict that does not hold is in capitals,
// as in `boundlab run`'s summary.
func CellText(c Cell) (figure, outcome string) {
	v := c.Verdict
	if v == nil {
		return "—", ""
	}
	outcome = string(v.Outcome)
	if v.Outcome == experiments.DoesNotHold {
		outcome = "DOES NOT HOLD"
	}
	if c.Footnote > 0 {
		outcome += Mark(c.Footnote)
	}
	return v.Estimate(), outcome
}

// Mark is the mark of footnote n, in superscript digits: "¹", "²", … "¹⁰".
func Mark(n int) string {
	const digits = "⁰¹²³⁴⁵⁶⁷⁸⁹"
	var out []string
	for _, d := range fmt.Sprint(n) {
		out = append(out, string([]rune(digits)[d-'0']))
	}
	return strings.Join(out, "")
}

func plural(n int, one, several string) string {
	if n == 1 {
		return one
	}
	return several
}

// table aligns rows of cells in columns.
type table struct{ rows [][]string }

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(b *strings.Builder, gap string) {
	var ws []int
	for _, r := range t.rows {
		for i, c := range r {
			if i == len(ws) {
				ws = append(ws, 0)
			}
			ws[i] = max(ws[i], width(c))
		}
	}
	for _, r := range t.rows {
		s := ""
		for i, c := range r {
			if i > 0 {
				s += gap
			}
			s += pad(c, ws[i])
		}
		b.WriteString(strings.TrimRight(s, " ") + "\n")
	}
}

// width is how many characters s takes in a terminal (one per rune: the
// text holds no wide characters).
func width(s string) int { return utf8.RuneCountInString(s) }

// pad pads s with spaces to w characters.
func pad(s string, w int) string {
	if d := w - width(s); d > 0 {
		return s + strings.Repeat(" ", d)
	}
	return s
}
