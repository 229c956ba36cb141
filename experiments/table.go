package experiments

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/boundlab/boundlab/internal/units"
)

// Table is a small table of a result's figures, for a terminal or a
// notebook: a title, column names, rows of text, and a note under it.
type Table struct {
	Title   string     `json:"title"`
	Columns []string   `json:"columns"`
	Rows    [][]string `json:"rows"`
	Note    string     `json:"note,omitempty"`
}

// Text writes the table as aligned plain text: the title, the column
// names in capitals, the rows, then the note.
func (t Table) Text() string {
	var b strings.Builder
	if t.Title != "" {
		b.WriteString(t.Title + "\n")
	}
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	row := func(cells []string) {
		clean := make([]string, len(cells))
		for i, c := range cells {
			clean[i] = strings.NewReplacer("\t", " ", "\n", " ").Replace(c)
		}
		_, _ = tw.Write([]byte(strings.Join(clean, "\t") + "\n"))
	}
	if len(t.Columns) > 0 {
		cols := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			cols[i] = strings.ToUpper(c)
		}
		row(cols)
	}
	for _, r := range t.Rows {
		row(r)
	}
	tw.Flush()
	if t.Note != "" {
		b.WriteString(t.Note + "\n")
	}
	return b.String()
}

// figure writes a median with its 95% interval, e.g. "1.008 [1.006,
// 1.011]", each number in format; for one run, the figure alone.
func figure(median, low, high float64, runs int, format string) string {
	return figureOf(median, low, high, runs, func(x float64) string { return fmt.Sprintf(format, x) })
}

// figureOf writes a median and its interval with f, or the median alone
// for one run.
func figureOf[T any](median, low, high T, runs int, f func(T) string) string {
	if runs <= 1 {
		return f(median)
	}
	return fmt.Sprintf("%s [%s, %s]", f(median), f(low), f(high))
}

// durFigure writes a duration's median with its interval, e.g. "1.002 s
// [1.001 s, 1.004 s]", or the figure alone for one run.
func durFigure(median, low, high time.Duration, runs int) string {
	return figureOf(median, low, high, runs, units.Duration)
}

// bytesFigure writes a byte count's median with its interval.
func bytesFigure(median, low, high int64, runs int) string {
	return figureOf(median, low, high, runs, func(x int64) string { return units.Bytes(float64(x)) })
}

// msText writes a latency in milliseconds, or "-" for none.
func msText(v float64) string {
	if v <= 0 {
		return "-"
	}
	return units.Duration(time.Duration(v * float64(time.Millisecond)))
}
