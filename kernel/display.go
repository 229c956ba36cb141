package kernel

import (
	"fmt"
	"html"
	"os"
	"path/filepath"
	"strings"

	"github.com/janpfeifer/gonb/gonbui"

	"github.com/boundlab/boundlab/charts"
)

// markerPath is where this kernel session records that the loader was
// shown. Each cell is a new process, so the record lives in GoNB's
// temporary directory.
func markerPath() string {
	if d := os.Getenv("GONB_TMP_DIR"); d != "" {
		return filepath.Join(d, ".boundlab_echarts_loaded")
	}
	return ""
}

// Setup loads the ECharts library into the notebook page. Put it in a cell
// near the top and run it first: charts shown later in the page wait for it.
// It also works again after the page is reloaded, which a kernel-side
// record alone could not know about.
func Setup() {
	if !gonbui.IsNotebook {
		fmt.Println("kernel.Setup: not in a notebook; charts will be listed as text")
		return
	}
	loader, err := charts.LibraryTag()
	if err != nil {
		ShowError(err)
		return
	}
	if p := markerPath(); p != "" {
		_ = os.WriteFile(p, nil, 0o644)
	}
	gonbui.DisplayHTML(loader)
	gonbui.Sync()
}

// withLoader prepends the loader to h the first time a chart is shown in a
// kernel session where Setup was not run.
func withLoader(h string) string {
	p := markerPath()
	if p == "" {
		return h
	}
	if _, err := os.Stat(p); err == nil {
		return h
	}
	loader, err := charts.LibraryTag()
	if err != nil {
		return h
	}
	_ = os.WriteFile(p, nil, 0o644)
	return loader + h
}

// ShowCharts displays charts inline, each as its own output.
func ShowCharts(cs ...*charts.Chart) {
	for _, c := range cs {
		if !gonbui.IsNotebook {
			fmt.Println(chartText(c))
			continue
		}
		h, err := charts.Snippet(c)
		if err != nil {
			ShowError(err)
			continue
		}
		gonbui.DisplayHTML(withLoader(h))
		gonbui.Sync()
	}
}

func chartText(c *charts.Chart) string {
	var parts []string
	for _, s := range c.Series() {
		parts = append(parts, fmt.Sprintf("%s (%d points)", s.Name, s.Points))
	}
	return fmt.Sprintf("[chart] %s: %s", c.Title(), strings.Join(parts, ", "))
}

// ShowError shows err as one clear line in the cell's output; outside a
// notebook, as every display, on standard output ("error: ..."), in its
// place among the others.
func ShowError(err error) {
	if err == nil {
		return
	}
	if !gonbui.IsNotebook {
		fmt.Println("error:", err)
		return
	}
	gonbui.DisplayHTML(errorHTML(err))
	gonbui.Sync()
}

func errorHTML(err error) string {
	return `<div class="boundlab-error" style="color:#a40000;background:#fff0f0;border-left:4px solid #a40000;padding:6px 10px;font-family:monospace">` +
		html.EscapeString(err.Error()) + `</div>`
}
