package kernel

import (
	"fmt"
	"html"
	"strings"

	"github.com/janpfeifer/gonb/gonbui"

	"github.com/boundlab/boundlab/experiments/model"
)

// ShowPython shows, folded (a <details> to open), the Python the cpython
// model runs: the named top-level functions of its scripts, as embedded in
// the program that ran (model.PythonSource), so a student sees the
// lecture's own tools (asyncio, ThreadPoolExecutor, ProcessPoolExecutor)
// doing the work:
//
//	kernel.ShowPython("run_asyncio", "run_steps_async", "cpu_async")
//
// An unknown name is one line in the cell.
func ShowPython(names ...string) {
	fns, err := model.PythonSource(names...)
	if err != nil {
		ShowError(err)
		return
	}
	if !gonbui.IsNotebook {
		fmt.Print(pythonText(fns))
		return
	}
	gonbui.DisplayHTML(pythonHTML(fns))
	gonbui.Sync()
}

func pythonSummary(fns []model.PythonFunc) string {
	var names []string
	for _, f := range fns {
		names = append(names, f.Name)
	}
	return "The Python the cpython model ran: " + strings.Join(names, ", ")
}

func pythonHTML(fns []model.PythonFunc) string {
	var b strings.Builder
	b.WriteString(`<details class="boundlab-python" style="font-family:sans-serif;margin:4px 0">`)
	fmt.Fprintf(&b, `<summary style="cursor:pointer;font-weight:bold">%s <span style="font-weight:normal;color:#666">(click to open)</span></summary>`, html.EscapeString(pythonSummary(fns)))
	for _, f := range fns {
		fmt.Fprintf(&b, `<div style="color:#666;margin:6px 0 2px">from <code>%s/%s</code></div>`, model.PythonScriptDir, html.EscapeString(f.File))
		fmt.Fprintf(&b, `<pre style="margin:0;padding:6px 8px;background:#f5f5f5;border:1px solid #e0e0e0;overflow:auto;font-size:12px;line-height:1.35">%s</pre>`, html.EscapeString(f.Source))
	}
	b.WriteString(`</details>`)
	return b.String()
}

func pythonText(fns []model.PythonFunc) string {
	var b strings.Builder
	b.WriteString(pythonSummary(fns) + "\n")
	for _, f := range fns {
		fmt.Fprintf(&b, "\n# from %s/%s\n%s\n", model.PythonScriptDir, f.File, f.Source)
	}
	return b.String()
}
