package charts

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/boundlab/boundlab/experiments"
)

// recordedResults decodes every recorded quick run in
// ../experiments/testdata, by the question each names.
func recordedResults(t *testing.T) map[string]experiments.Result {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "experiments", "testdata", "*-quick.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded results: %v", err)
	}
	out := map[string]experiments.Result{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var head struct{ Question string }
		if err := json.Unmarshal(b, &head); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		q, err := experiments.Lookup(head.Question)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		res, err := q.DecodeResult(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[filepath.Base(f)] = res
	}
	return out
}

// optionMap is c's option decoded as plain JSON values.
func optionMap(t *testing.T, c *Chart) map[string]any {
	t.Helper()
	var opt map[string]any
	if err := json.Unmarshal([]byte(unsplice.Replace(c.Option())), &opt); err != nil {
		t.Fatalf("chart %q: %v", c.Title(), err)
	}
	return opt
}

// seriesColor is the colour a series is drawn in: its item style's, else
// its line's, else "" (the palette's).
func seriesColor(s map[string]any) string {
	for _, k := range []string{"itemStyle", "lineStyle"} {
		if st, ok := s[k].(map[string]any); ok {
			if c, ok := st["color"].(string); ok && c != "" {
				return c
			}
		}
	}
	return ""
}

// Every chart of every recorded result lists all its series in a legend
// that is never paged and fits in a few rows, with room under the plot
// for them; and draws each series (each name) in a colour of its own.
func TestChartsLegible(t *testing.T) {
	for file, res := range recordedResults(t) {
		cs, err := For(res)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, c := range cs {
			opt := optionMap(t, c)
			name := file + ": " + c.Title()
			if lg, ok := opt["legend"].(map[string]any); ok && lg["type"] == "scroll" {
				t.Errorf("%s: a paged (scroll) legend", name)
			}
			names := legendNames(opt)
			rows := legendRows(names)
			if rows > maxLegendRows {
				t.Errorf("%s: %d legend entries need %d rows at %d px, more than %d: %q",
					name, len(names), rows, legendWidth, maxLegendRows, names)
			}
			if rows > 1 {
				need := gridBottom + legendRowHeight*(rows-1)
				for _, g := range opt["grid"].([]any) {
					if b, _ := strconv.Atoi(g.(map[string]any)["bottom"].(string)); b < need {
						t.Errorf("%s: grid bottom %d px leaves no room for %d legend rows (%d px)", name, b, rows, need)
					}
				}
			}
			checkColours(t, name, opt)
		}
	}
}

// checkColours fails when two series of different names share a colour.
func checkColours(t *testing.T, name string, opt map[string]any) {
	t.Helper()
	var palette []string
	if p, ok := opt["color"].([]any); ok {
		for _, c := range p {
			palette = append(palette, c.(string))
		}
	}
	colourOf := map[string]string{} // series name → colour
	implicit := 0
	series, _ := opt["series"].([]any)
	for _, x := range series {
		s := x.(map[string]any)
		n, _ := s["name"].(string)
		if n == "" || s["type"] == "heatmap" {
			continue // coloured by the visual map
		}
		if _, seen := colourOf[n]; seen {
			continue
		}
		c := seriesColor(s)
		if c == "" && len(palette) > 0 {
			c = palette[implicit%len(palette)]
			implicit++
		}
		colourOf[n] = strings.ToLower(c)
	}
	byColour := map[string]string{}
	for n, c := range colourOf {
		if other, ok := byColour[c]; ok {
			a, b := min(n, other), max(n, other)
			t.Errorf("%s: %q and %q share the colour %s", name, a, b, c)
			continue
		}
		byColour[c] = n
	}
}
