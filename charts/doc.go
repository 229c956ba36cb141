// Package charts turns boundlab's results into interactive ECharts charts.
//
// For returns a result's charts in reading order; Timeline draws any run as
// a Gantt chart of its tasks' segments, a row per worker. Each Chart wraps a
// go-echarts chart, encoded once into an ECharts option, and knows its DOM
// id, title and series (with point counts) for browser tests.
//
// Charts render two ways. Snippet gives a container and an inline script
// for pages, such as notebooks, that load the library once (LibraryTag).
// WritePage writes a self-contained page with the library inlined. The
// library, ECharts 5.6.0, is embedded from charts/assets; nothing is ever
// loaded from the network.
//
// Rendering is ours, not go-echarts' templates: those point script tags at
// a CDN, place option JSON unescaped in the page, and declare page-global
// variables per chart. Here every label is JSON-encoded with <, > and &
// escaped, tooltips escape what they show, and the only JavaScript in an
// option is this package's own functions.
package charts
