package charts

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
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
	// [row, start ms, end ms, first task, duration ms, segments, last task].
	"timelineTooltip": `function (p) {
		var e = echarts.format.encodeHTML, v = p.value;
		var who = v[5] > 1 ? v[5] + ' segments merged, tasks ' + v[3] + ' to ' + v[6] : 'task ' + v[3];
		return p.marker + '<b>' + e(String(p.seriesName)) + '</b> on ' + e(String(p.name)) + '<br/>' +
			who + '<br/>start ' + v[1].toFixed(3) + ' ms, end ' + v[2].toFixed(3) + ' ms<br/>' +
			'duration ' + v[4].toFixed(3) + ' ms';
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
// escaped, and the functions are our constants.
func encodeOption(c goChart, p patcher) (string, error) {
	c.Validate()
	c.Accept(p)
	b, err := json.Marshal(c.JSON())
	if err != nil {
		return "", fmt.Errorf("encode option: %w", err)
	}
	return fnReplacer.Replace(string(b)), nil
}
