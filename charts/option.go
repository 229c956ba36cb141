package charts

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	gocharts "github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/types"
)

// JavaScript functions in chart options.
//
// go-echarts marks a function in an option string with "__f__" and strips
// the markers, and the JSON quotes around them, with a regular expression on
// the rendered page, after encoding the option with HTML escaping turned
// off. That puts every label verbatim inside a <script> element, and breaks
// on a function holding a double quote. We encode options with HTML escaping
// on (so "<" in a label becomes \u003c) and splice our own functions in
// afterwards, in place of placeholders no label can forge: they carry a
// random per-process nonce.
//
// The functions are constants of this package, never built from data. Each
// escapes every string it puts into tooltip HTML with ECharts'
// format.encodeHTML.
var jsFuncs = map[string]string{
	// itemTooltip shows the series and the data item's name, which the Go
	// side composes as the point's description; newlines become <br/>.
	"itemTooltip": `function (p) {
		var e = echarts.format.encodeHTML;
		var t = p.name ? '<br/>' + e(String(p.name)).replace(/\n/g, '<br/>') : '';
		return p.marker + '<b>' + e(String(p.seriesName)) + '</b>' + t;
	}`,
	// timelineTooltip describes one bar of a timeline from its value:
	// [row, start ms, end ms, task], or [row, start ms, end ms, first task,
	// segments, last task] for merged segments; p.name is the row's label.
	"timelineTooltip": `function (p) {
		var e = echarts.format.encodeHTML, v = p.value;
		var who = v[4] > 1 ? v[4] + ' segments merged, tasks ' + v[3] + ' to ' + v[5] : 'task ' + v[3];
		return p.marker + '<b>' + e(String(p.seriesName)) + '</b> on ' + e(String(p.name)) + '<br/>' +
			who + '<br/>start ' + v[1].toFixed(3) + ' ms, end ' + v[2].toFixed(3) + ' ms<br/>' +
			'duration ' + (v[2] - v[1]).toFixed(3) + ' ms';
	}`,
	// timelineBar draws one segment as a rectangle across its row, at least
	// one pixel wide, clipped to the plot area; wide bars get a white edge so
	// back-to-back tasks stay apart.
	"timelineBar": `function (params, api) {
		var row = api.value(0);
		var a = api.coord([api.value(1), row]);
		var b = api.coord([api.value(2), row]);
		var h = Math.max(api.size([0, 1])[1] * 0.72, 1);
		var w = Math.max(b[0] - a[0], 1);
		var cs = params.coordSys;
		var shape = echarts.graphic.clipRectByRect(
			{x: a[0], y: a[1] - h / 2, width: w, height: h},
			{x: cs.x, y: cs.y, width: cs.width, height: cs.height});
		if (!shape) { return null; }
		var style = api.style();
		if (w > 4 && h > 4) { style.stroke = 'rgba(255,255,255,0.85)'; style.lineWidth = 1; }
		return {type: 'rect', transition: ['shape'], shape: shape, style: style};
	}`,
}

// fnNonce makes the placeholders unguessable.
var fnNonce = func() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("charts: read random nonce: %v", err))
	}
	return hex.EncodeToString(b[:])
}()

// fnReplacer swaps each quoted placeholder for its function.
var fnReplacer = func() *strings.Replacer {
	var pairs []string
	for name, code := range jsFuncs {
		lower := strings.ToLower(code)
		if strings.Contains(lower, "</script") || strings.Contains(lower, "<!--") {
			panic("charts: JavaScript function " + name + " would end its <script> element")
		}
		pairs = append(pairs, `"`+string(jsFunc(name))+`"`, compactJS(code))
	}
	return strings.NewReplacer(pairs...)
}()

// jsFunc returns the placeholder for the named function of jsFuncs.
func jsFunc(name string) types.FuncStr {
	if _, ok := jsFuncs[name]; !ok {
		panic("charts: no JavaScript function " + name)
	}
	return types.FuncStr("__boundlab_js_" + fnNonce + "_" + name + "__")
}

// compactJS joins a function's lines. The functions hold no // comments.
func compactJS(code string) string {
	lines := strings.Split(code, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.Join(lines, " ")
}

// patcher adds the options go-echarts has no field for: it is passed to the
// go-echarts chart's Accept, and sees the option map as it is built.
type patcher struct {
	gocharts.BaseConfigurationVisitor
	// top holds top-level options, replacing go-echarts' own.
	top map[string]any
	// series holds extra options per series index.
	series map[int]map[string]any
	// after, if set, edits the finished option, decoded as plain JSON
	// values.
	after func(opt map[string]any)
}

// Visit sets the top-level options.
func (p patcher) Visit(obj map[string]any) {
	for k, v := range p.top {
		obj[k] = v
	}
}

// VisitSeriesOpt wraps the series that have extra options.
func (p patcher) VisitSeriesOpt(ms gocharts.MultiSeries) any {
	out := make([]any, len(ms))
	for i, s := range ms {
		if extra := p.series[i]; len(extra) > 0 {
			out[i] = seriesJSON{s: s, extra: extra}
		} else {
			out[i] = s
		}
	}
	return out
}

// seriesJSON is a go-echarts series with extra keys.
type seriesJSON struct {
	s     gocharts.SingleSeries
	extra map[string]any
}

// MarshalJSON encodes the series' own fields, then the extra ones over them.
func (s seriesJSON) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(s.s)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	m := map[string]any{}
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	for k, v := range s.extra {
		m[k] = v
	}
	return json.Marshal(m)
}

// goChart is what Chart needs of a go-echarts chart.
type goChart interface {
	Validate()
	Accept(gocharts.ConfigurationVisitor)
	JSON() map[string]any
}

// encodeOption renders c's option as a JavaScript object literal that is
// safe inside a <script> element: every string is JSON with <, > and &
// escaped, and the functions are our constants. The data are made compact
// first (see compactData).
func encodeOption(c goChart, p patcher) (string, error) {
	c.Validate()
	c.Accept(p)
	b, err := json.Marshal(c.JSON())
	if err != nil {
		return "", fmt.Errorf("encode option: %w", err)
	}
	// Decoded again as plain JSON values, numbers kept as written.
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var opt map[string]any
	if err := dec.Decode(&opt); err != nil {
		return "", fmt.Errorf("encode option: %w", err)
	}
	if p.after != nil {
		p.after(opt)
	}
	fitLegend(opt)
	if compactOptions {
		compactData(opt)
	}
	if b, err = json.Marshal(opt); err != nil {
		return "", fmt.Errorf("encode option: %w", err)
	}
	return fnReplacer.Replace(string(b)), nil
}

// compactOptions turns compactData on; the tests turn it off to compare.
var compactOptions = true

// compactData rewrites each series' data items {"name": …, "value": …},
// which go-echarts writes for every point, into the shorter forms ECharts
// reads the same way, so that a chart of thousands of points does not
// repeat two keys and a label per point:
//
//   - a name that ECharts would take from a category axis anyway (the
//     category at the item's index on that axis) is dropped;
//   - items left with a value alone become the bare value;
//   - items with a name and an array value [v0, …, vn] become
//     [v0, …, vn, name], with encode.itemName pointing at the name, where
//     the series' encoding is known: the series has an encode, or it is a
//     line or scatter series on two value axes ([x, y]).
//
// Any other series, any series whose items hold more than a name and a
// value (an item style, say), and any series the rewrite would not make
// shorter, is left as it is. The point counts do not change.
func compactData(opt map[string]any) {
	series, _ := opt["series"].([]any)
	for i, x := range series {
		s, ok := x.(map[string]any)
		if !ok {
			continue
		}
		c := maps.Clone(s)
		if enc, ok := s["encode"].(map[string]any); ok {
			c["encode"] = maps.Clone(enc)
		}
		compactSeries(opt, c)
		// A few points do not pay for an added encode.
		if before, err := json.Marshal(s); err == nil {
			if after, err := json.Marshal(c); err == nil && len(after) < len(before) {
				series[i] = c
			}
		}
	}
}

// compactSeries compacts one series' data in place, or leaves it as it is.
func compactSeries(opt, s map[string]any) {
	items, ok := s["data"].([]any)
	if !ok || len(items) == 0 {
		return
	}
	names := make([]any, len(items))
	values := make([]any, len(items))
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			return
		}
		for k := range m {
			if k != "name" && k != "value" {
				return
			}
		}
		names[i], values[i] = m["name"], m["value"]
		if names[i] == "" {
			names[i] = nil
		}
	}
	cats, dim, hasCats := categoryDim(opt, s)
	if hasCats {
		// An item without a name of its own takes its category's: say so,
		// so that a name dimension (below) does not give it "".
		for i, v := range values {
			if names[i] != nil {
				continue
			}
			if list, ok := v.([]any); ok && dim < len(list) {
				if at, ok := intOf(list[dim]); ok && at >= 0 && at < len(cats) {
					names[i] = cats[at]
				}
			}
		}
		if namesFromCategories(names, values, cats, dim) {
			clear(names)
		}
	}
	if slices.ContainsFunc(names, func(n any) bool { return n != nil }) {
		n, ok := nameDim(s, values)
		if !ok {
			return
		}
		for i, v := range values {
			name := names[i]
			if name == nil {
				name = ""
			}
			values[i] = append(slices.Clip(v.([]any)), name)
		}
		enc, _ := s["encode"].(map[string]any)
		if enc == nil {
			enc = map[string]any{"x": 0, "y": 1}
		}
		enc["itemName"] = n
		s["encode"] = enc
	}
	s["data"] = values
}

// categoryDim returns the labels of the category axis a series sits on and
// the index, in its data items' values, of the dimension ECharts maps to
// it: the series' encode for that axis, else x at 0 and y at 1 for a line,
// bar or scatter series. ok is false when there is no one such axis, or
// the dimension cannot be told.
func categoryDim(opt, s map[string]any) (cats []any, dim int, ok bool) {
	found := 0
	for _, axis := range []string{"x", "y"} {
		list, _ := opt[axis+"Axis"].([]any)
		if len(list) != 1 {
			return nil, 0, false
		}
		a, _ := list[0].(map[string]any)
		if a["type"] != "category" {
			continue
		}
		found++
		cats, _ = a["data"].([]any)
		if enc, ok := s["encode"].(map[string]any); ok {
			dim, ok = intOf(enc[axis])
			if !ok {
				return nil, 0, false
			}
		} else if t := s["type"]; t == "line" || t == "bar" || t == "scatter" {
			dim = map[string]int{"x": 0, "y": 1}[axis]
		} else {
			return nil, 0, false
		}
	}
	return cats, dim, found == 1 && len(cats) > 0
}

// intOf reads a dimension index from an encode entry: n, or the first of
// [n, …].
func intOf(v any) (int, bool) {
	if list, ok := v.([]any); ok && len(list) > 0 {
		v = list[0]
	}
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil
	case int:
		return n, true
	}
	return 0, false
}

// namesFromCategories reports whether every item's name is the category at
// its value's index dim, so that ECharts gives it that name by itself.
func namesFromCategories(names, values, cats []any, dim int) bool {
	for i, v := range values {
		list, ok := v.([]any)
		if !ok || dim >= len(list) {
			return false
		}
		at, ok := intOf(list[dim])
		if !ok || at < 0 || at >= len(cats) || names[i] != cats[at] {
			return false
		}
	}
	return true
}

// nameDim returns the dimension a name appended to every value would take:
// the values must be arrays of one length, and the series' encoding known
// (see compactData).
func nameDim(s map[string]any, values []any) (int, bool) {
	n := -1
	for _, v := range values {
		list, ok := v.([]any)
		if !ok || (n >= 0 && len(list) != n) {
			return 0, false
		}
		n = len(list)
	}
	if _, ok := s["dimensions"]; ok {
		return 0, false
	}
	if enc, ok := s["encode"].(map[string]any); ok {
		_, named := enc["itemName"]
		return n, !named
	}
	t := s["type"]
	return n, n == 2 && (t == "line" || t == "scatter")
}

// The legend lists every series a chart draws, on as many rows as its
// entries need, never paged: a paged legend hides series from a reader who
// does not click through it. A chart whose legend would need more than
// maxLegendRows rows at legendWidth has too many series for one chart.
const (
	// legendWidth is the width, in CSS pixels, a legend's rows are laid out
	// in: a narrow notebook column, less the legend's padding.
	legendWidth = 740
	// legendRowHeight is one row of entries, in CSS pixels.
	legendRowHeight = 22
	// maxLegendRows is the most rows a legend may take.
	maxLegendRows = 3
	// gridBottom is the room under the plot for the x axis' name and a
	// one-row legend.
	gridBottom = 74
)

// legendNames are the entries of opt's legend: its data if it names them,
// else each named series once, in order; nil when the legend is hidden.
func legendNames(opt map[string]any) []string {
	lg, _ := opt["legend"].(map[string]any)
	if lg == nil || lg["show"] != true {
		return nil
	}
	var names []string
	if data, ok := lg["data"].([]any); ok {
		for _, d := range data {
			if n, ok := d.(string); ok {
				names = append(names, n)
			}
		}
		return names
	}
	series, _ := opt["series"].([]any)
	for _, x := range series {
		s, _ := x.(map[string]any)
		if n, _ := s["name"].(string); n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names
}

// legendRows is how many rows ECharts' plain legend lays names out on in
// legendWidth: each entry is its 25-pixel icon, a 5-pixel gap and its text
// (12-pixel sans-serif, at most 7 pixels a character), 10 pixels apart.
func legendRows(names []string) int {
	rows, used := 0, 0
	for _, n := range names {
		w := 25 + 5 + 7*len([]rune(n))
		if rows == 0 || used+10+w > legendWidth {
			rows++
			used = w
			continue
		}
		used += 10 + w
	}
	return rows
}

// fitLegend makes opt's legend plain (wrapped, never paged) and leaves
// room under the plot for its rows.
func fitLegend(opt map[string]any) {
	lg, _ := opt["legend"].(map[string]any)
	if lg == nil {
		return
	}
	lg["type"] = "plain"
	rows := legendRows(legendNames(opt))
	if rows <= 1 {
		return
	}
	need := gridBottom + legendRowHeight*(rows-1)
	grids, _ := opt["grid"].([]any)
	for _, g := range grids {
		m, ok := g.(map[string]any)
		if !ok {
			continue
		}
		if had, err := strconv.Atoi(fmt.Sprint(m["bottom"])); err != nil || had < need {
			m["bottom"] = strconv.Itoa(need)
		}
	}
}
