package experiments

import "testing"

func TestTableText(t *testing.T) {
	tb := Table{Title: "T", Columns: []string{"a", "bee"}, Rows: [][]string{{"1", "x\ty"}, {"22", "z"}}, Note: "n"}
	want := "T\nA   BEE\n1   x y\n22  z\nn\n"
	if got := tb.Text(); got != want {
		t.Errorf("Text() = %q, want %q", got, want)
	}
	if (&AsyncCPUResult{}).Tables() != nil {
		t.Error("a result without tables has tables")
	}
}
