package charts

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/boundlab/boundlab/experiments"
)

// everyChart is every chart of every question's fixture result, and a
// timeline drawn by hand.
func everyChart(t *testing.T) []*Chart {
	t.Helper()
	results := []experiments.Result{
		must(diagnosisResult())(t), must(asyncCPUResult())(t), must(scalingResult())(t),
		must(semaphoreResult())(t), must(noSemaphoreResult())(t), must(memoryResult())(t),
		must(sleepingResult())(t), must(jsonResult())(t), must(manyTasksResult())(t),
		must(matrixResult())(t),
	}
	var cs []*Chart
	for _, res := range results {
		cs = append(cs, must(For(res))(t)...)
	}
	cs = append(cs, compareCharts(t)...)
	return append(cs, must(Timeline(handRun(), "by hand"))(t))
}

// plainOptions are top-level option keys that need no ECharts component.
var plainOptions = []string{"color", "backgroundColor", "textStyle", "animation", "animationDuration",
	"animationEasing", "animationThreshold", "animationDurationUpdate", "animationEasingUpdate", "useUTC"}

// either returns the name of a module that one of several provides, as
// "A|B".
func either(names ...string) string { return strings.Join(names, "|") }

// optionNeeds lists what an ECharts option needs from the build: a chart
// module per series type (line: LineChart), a component per component
// option and series marker, toolbox features by name ("feature:saveAsImage"),
// and the canvas renderer, which Snippet asks for. Alternatives are joined by
// "|": ECharts' LegendComponent holds both the plain and the scroll legend.
// It fails on an option key it does not know, so that a new kind of option
// is looked at, not let through.
func optionNeeds(opt map[string]any) ([]string, error) { return needsOf(opt, false) }

// needsOf is optionNeeds of a whole option, or of one of a timeline's
// options (partial), whose series take their types from the whole's.
func needsOf(opt map[string]any, partial bool) ([]string, error) {
	need := map[string]bool{"CanvasRenderer": true}
	types := func(v any, def string) []string {
		var out []string
		list, ok := v.([]any)
		if !ok {
			list = []any{v}
		}
		for _, x := range list {
			m, _ := x.(map[string]any)
			typ, _ := m["type"].(string)
			if typ == "" {
				typ = def
			}
			out = append(out, typ)
		}
		return out
	}
	upper := func(s string) string { return string(unicode.ToUpper(rune(s[0]))) + s[1:] }
	for key, v := range opt {
		switch key {
		case "series":
			list, _ := v.([]any)
			for _, x := range list {
				s, _ := x.(map[string]any)
				typ, _ := s["type"].(string)
				switch {
				case typ != "":
					need[upper(typ)+"Chart"] = true
				case !partial:
					return nil, fmt.Errorf("a series without a type: %v", s)
				}
				for _, marker := range []string{"markLine", "markArea", "markPoint"} {
					if s[marker] != nil {
						need[upper(marker)+"Component"] = true
					}
				}
				if s["datasetIndex"] != nil {
					need["DatasetComponent"] = true
				}
				for _, f := range []string{"labelLayout", "universalTransition"} {
					if s[f] != nil {
						return nil, fmt.Errorf("series option %s: add its feature to the bundle and to this test", f)
					}
				}
			}
		case "timeline":
			need["TimelineComponent"] = true
		case "options":
			// A timeline's options: each is an option of its own.
			list, _ := v.([]any)
			for _, x := range list {
				o, _ := x.(map[string]any)
				more, err := needsOf(o, true)
				if err != nil {
					return nil, fmt.Errorf("options: %w", err)
				}
				for _, n := range more {
					need[n] = true
				}
			}
		case "title":
			need["TitleComponent"] = true
		case "tooltip":
			need["TooltipComponent"] = true
		case "grid", "xAxis", "yAxis":
			need[either("GridComponent", "GridSimpleComponent")] = true
		case "dataset":
			need["DatasetComponent"] = true
		case "legend":
			for _, typ := range types(v, "plain") {
				need[either("Legend"+upper(typ)+"Component", "LegendComponent")] = true
			}
		case "dataZoom":
			for _, typ := range types(v, "inside") {
				need[either("DataZoom"+upper(typ)+"Component", "DataZoomComponent")] = true
			}
		case "visualMap":
			for _, typ := range types(v, "continuous") {
				need[either("VisualMap"+upper(typ)+"Component", "VisualMapComponent")] = true
			}
		case "toolbox":
			need[either("ToolboxComponent", "ToolboxModel")] = true
			m, _ := v.(map[string]any)
			features, _ := m["feature"].(map[string]any)
			for f := range features {
				need[either("feature:"+f, "ToolboxComponent")] = true
			}
		default:
			if !slices.Contains(plainOptions, key) {
				return nil, fmt.Errorf("option %q: add what it needs from ECharts to this test (and to the bundle)", key)
			}
		}
	}
	return slices.Sorted(maps.Keys(need)), nil
}

// What the entry file puts into the build: the modules passed to
// echarts.use, the component models registered by its own install
// functions (which stand for themselves in use), and the toolbox features
// it registers.
var (
	useList      = regexp.MustCompile(`(?s)echarts\.use\(\[(.*?)\]\)`)
	registeredRE = regexp.MustCompile(`registerComponentModel\((\w+)\)`)
	localFuncRE  = regexp.MustCompile(`function (\w+)\(`)
	featureRE    = regexp.MustCompile(`registerFeature\('(\w+)'`)
)

// bundleHas reads the names in the build's entry file.
func bundleHas(t *testing.T, entry string) map[string]bool {
	t.Helper()
	m := useList.FindStringSubmatch(entry)
	if m == nil {
		t.Fatalf("%s has no echarts.use([...])", entryPath)
	}
	local := map[string]bool{}
	for _, m := range localFuncRE.FindAllStringSubmatch(entry, -1) {
		local[m[1]] = true
	}
	has := map[string]bool{}
	for _, name := range strings.Split(m[1], ",") {
		if name = strings.TrimSpace(name); name != "" && !local[name] {
			has[name] = true
		}
	}
	for _, m := range registeredRE.FindAllStringSubmatch(entry, -1) {
		has[m[1]] = true
	}
	for _, m := range featureRE.FindAllStringSubmatch(entry, -1) {
		has["feature:"+m[1]] = true
	}
	return has
}

// TestBundleHasWhatChartsUse draws every chart of every question and checks
// that the ECharts build's entry file holds each chart type, component and
// toolbox feature their options use, and nothing none of them uses: a new
// kind of chart fails here until it is added to the build, and the build
// stays as small as the charts allow.
func TestBundleHasWhatChartsUse(t *testing.T) {
	src, err := fs.ReadFile(assets, entryPath)
	if err != nil {
		t.Fatal(err)
	}
	has := bundleHas(t, string(src))
	used := map[string]bool{}
	for _, c := range everyChart(t) {
		var opt map[string]any
		if err := json.Unmarshal([]byte(unsplice.Replace(c.Option())), &opt); err != nil {
			t.Fatalf("%q: %v", c.Title(), err)
		}
		needs, err := optionNeeds(opt)
		if err != nil {
			t.Fatalf("%q: %v", c.Title(), err)
		}
		for _, n := range needs {
			alts := strings.Split(n, "|")
			i := slices.IndexFunc(alts, func(a string) bool { return has[a] })
			if i < 0 {
				t.Errorf("chart %q needs %s, which charts/%s does not put into the build", c.Title(), strings.Join(alts, " or "), entryPath)
				continue
			}
			used[alts[i]] = true
		}
	}
	for name := range has {
		if !used[name] {
			t.Errorf("charts/%s puts %s into the build, but no chart uses it", entryPath, name)
		}
	}
	t.Logf("the build holds %v", slices.Sorted(maps.Keys(used)))
}

// TestOptionNeeds checks the rules on options made by hand, and that an
// entry lacking a module is caught.
func TestOptionNeeds(t *testing.T) {
	opt := map[string]any{
		"title": map[string]any{}, "color": []any{"#000"},
		"legend":   map[string]any{"type": "scroll"},
		"dataZoom": []any{map[string]any{"type": "slider"}, map[string]any{}},
		"toolbox":  map[string]any{"feature": map[string]any{"dataView": map[string]any{}}},
		"series":   []any{map[string]any{"type": "effectScatter", "markArea": map[string]any{}}},
	}
	got, err := optionNeeds(opt)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"CanvasRenderer", "DataZoomComponent|DataZoomInsideComponent", "DataZoomComponent|DataZoomSliderComponent",
		"EffectScatterChart", "LegendComponent|LegendScrollComponent", "MarkAreaComponent", "TitleComponent",
		"ToolboxComponent|ToolboxModel", "ToolboxComponent|feature:dataView"}
	for i := range want {
		// either joins in argument order; compare as sets of alternatives.
		alts := strings.Split(want[i], "|")
		slices.Sort(alts)
		want[i] = strings.Join(alts, "|")
	}
	for i := range got {
		alts := strings.Split(got[i], "|")
		slices.Sort(alts)
		got[i] = strings.Join(alts, "|")
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("needs %v,\nwant %v", got, want)
	}
	if _, err := optionNeeds(map[string]any{"geo": map[string]any{}}); err == nil || !strings.Contains(err.Error(), `"geo"`) {
		t.Errorf("an unknown option: %v", err)
	}
	has := bundleHas(t, "function Tools(r) { r.registerComponentModel(ToolboxModel); registerFeature('saveAsImage', S); }\n"+
		"echarts.use([LineChart, Tools, CanvasRenderer]);")
	if !has["LineChart"] || !has["CanvasRenderer"] || !has["ToolboxModel"] || !has["feature:saveAsImage"] || has["Tools"] || has["BarChart"] {
		t.Errorf("bundleHas = %v", has)
	}
}
