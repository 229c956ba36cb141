package charts

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// SeriesInfo names one series a chart draws and counts its data points, so
// that a browser test can check a rendered ECharts instance against it.
type SeriesInfo struct {
	Name   string
	Points int
}

// Chart is one interactive chart: a go-echarts chart, encoded once into an
// ECharts option, with a DOM id that is unique in this process and stable
// for the chart's life.
type Chart struct {
	id     string
	title  string
	stamp  string
	height int
	series []SeriesInfo
	// option is the ECharts option as a JavaScript object literal, safe to
	// place inside a <script> element.
	option string
}

// ID is the chart's DOM id: letters, digits and underscores, starting with
// a letter, so it is a valid HTML id and can be part of a JavaScript
// identifier. It is derived from the chart's content; a second chart with
// the same content in the same process gets a numbered suffix.
func (c *Chart) ID() string { return c.id }

// Title is the chart's title.
func (c *Chart) Title() string { return c.title }

// Stamp is the machine stamp in the chart's subtitle, or "" if it has none.
func (c *Chart) Stamp() string { return c.stamp }

// Height is the chart's height in CSS pixels.
func (c *Chart) Height() int { return c.height }

// Series lists the series the chart draws, in drawing order, with their
// point counts.
func (c *Chart) Series() []SeriesInfo { return slices.Clone(c.series) }

// Option returns the chart's ECharts option as a JavaScript object literal
// (JSON with the chart's functions spliced in), safe inside a <script>
// element.
func (c *Chart) Option() string { return c.option }

// build describes a chart to finish.
type build struct {
	// kind names the chart's type in its id, e.g. "timeline".
	kind   string
	frame  frame
	height int
	series []SeriesInfo
	patch  patcher
}

// finish encodes ec and wraps it.
func finish(ec goChart, b build) (*Chart, error) {
	if b.height == 0 {
		b.height = DefaultHeight
	}
	option, err := encodeOption(ec, b.patch)
	if err != nil {
		return nil, fmt.Errorf("charts: %s %q: %w", b.kind, b.frame.title, err)
	}
	c := &Chart{
		title: b.frame.title, stamp: b.frame.stamp, height: b.height,
		series: b.series, option: option,
	}
	c.id = ids.next(b.kind, option)
	return c, nil
}

// idSafe keeps the characters allowed in an id.
var idSafe = regexp.MustCompile(`[^A-Za-z0-9_]+`)

// idRegistry hands out ids, numbering repeats.
type idRegistry struct {
	mu   sync.Mutex
	seen map[string]int
}

var ids = &idRegistry{seen: map[string]int{}}

// next returns "bl_<kind>_<hash of the option>", with "_<n>" appended for
// the n-th repeat.
func (r *idRegistry) next(kind, option string) string {
	sum := sha256.Sum256([]byte(option))
	kind = strings.Trim(idSafe.ReplaceAllString(kind, "_"), "_")
	if kind == "" {
		kind = "chart"
	}
	id := "bl_" + kind + "_" + hex.EncodeToString(sum[:5])
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.seen[id]
	r.seen[id] = n + 1
	if n > 0 {
		id = fmt.Sprintf("%s_%d", id, n+1)
	}
	return id
}

// chartList collects a result's charts in reading order.
type chartList []*Chart

// add appends c unless it is nil (a chart with nothing to draw), and
// returns err, so that the caller stops at the first chart that failed.
func (l *chartList) add(c *Chart, err error) error {
	if err == nil && c != nil {
		*l = append(*l, c)
	}
	return err
}
