package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestComparePage writes `boundlab compare --html` pages for two scaling
// results (the recorded quick run, and a copy whose machine had GOMAXPROCS
// 1 and one core usable) and two semaphore results, opens each from disk
// in Chromium with the network cut off, and checks that every overlay is
// drawn with the series Go meant, one per machine, that the verdict table
// has a column per machine and a row per claim and model, that nothing is
// fetched and nothing is logged as an error. A screenshot of each.
func TestComparePage(t *testing.T) {
	r := need(t)
	dir := r.scratch(t, "compare")
	recorded := func(name string) string { return filepath.Join(r.root, "experiments", "testdata", name+".json") }
	one := filepath.Join(dir, "gomaxprocs1.json")
	b, err := os.ReadFile(recorded("scaling-quick"))
	if err != nil {
		t.Fatal(err)
	}
	// The recorded JSON is compact: its stamp's GOMAXPROCS and the cores
	// the run could use are each written once.
	edit := strings.NewReplacer(`"gomaxprocs":2,`, `"gomaxprocs":1,`, `"cores":2,"points"`, `"cores":1,"points"`)
	if err := os.WriteFile(one, []byte(edit.Replace(string(b))), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		files  []string
		charts int
		column string // the second column's head
		row    string // a row of the table
	}{
		{"scaling", []string{recorded("scaling-quick"), one}, 5, "B · 2 cores · GOMAXPROCS 1", "goroutines · 2 workers"},
		{"semaphore", []string{recorded("semaphore-quick"), recorded("semaphore-quick")}, 3, "B · 2 cores · GOMAXPROCS 2", "cpython asyncio"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page := filepath.Join(dir, tc.name+".html")
			res := r.run(t, time.Minute, append([]string{"compare", "--html", page}, tc.files...)...)
			if res.code != 0 {
				t.Fatalf("exit %d: %s", res.code, res.stderr)
			}
			bw := newBrowser(t, r, true)
			if err := chromedp.Do(bw.ctx, chromedp.Navigate("file://"+page)); err != nil {
				t.Fatal(err)
			}
			bw.poll(t, "every chart drawn", jsAllRendered, 30*time.Second)
			cs := bw.charts(t, "document")
			checkCharts(t, tc.name, cs)
			if len(cs) != tc.charts {
				t.Errorf("%d charts, want %d", len(cs), tc.charts)
			}
			for _, c := range cs {
				machines := map[string]bool{}
				for _, s := range c.Got {
					if strings.HasPrefix(s.Name, "A · ") || strings.HasPrefix(s.Name, "B · ") {
						machines[s.Name[:1]] = true
					}
				}
				if len(machines) != 2 {
					t.Errorf("chart %q draws machines %v, want A and B", c.Title, machines)
				}
			}
			heads := eval[[]string](t, bw, `Array.from(document.querySelectorAll('table.verdicts thead th')).map(function (th) { return th.textContent; })`)
			if len(heads) != 4 || !strings.HasPrefix(heads[2], tc.column) {
				t.Errorf("table heads %q, want the row label, two machines (the second %q) and the rule", heads, tc.column)
			}
			rows := eval[[]string](t, bw, `Array.from(document.querySelectorAll('table.verdicts td.row')).map(function (td) { return td.textContent; })`)
			found := false
			for _, row := range rows {
				found = found || row == tc.row
			}
			if !found {
				t.Errorf("no row %q among %q", tc.row, rows)
			}
			bw.screenshot(t, r, "compare-"+tc.name)
			console, requests := bw.problems()
			if len(console) > 0 || len(requests) > 0 {
				t.Errorf("console errors %q, requests off the machine %q", console, requests)
			}
		})
	}
}
