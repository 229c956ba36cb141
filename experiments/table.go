package experiments

import (
	"strings"
	"text/tabwriter"
)

// Table is a small table of a result's figures, for a terminal or a
// notebook: a title, column names, rows of text, and a note under it.
type Table struct {
	Title   string     `json:"title"`
	Columns []string   `json:"columns"`
	Rows    [][]string `json:"rows"`
	Note    string     `json:"note,omitempty"`
}

// Tabler is a result with tables of its figures beyond the verdicts.
type Tabler interface {
	Tables() []Table
}

// TablesOf returns res's tables, or none if it has no Tables method.
func TablesOf(res Result) []Table {
	if t, ok := res.(Tabler); ok {
		return t.Tables()
	}
	return nil
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
