package kernel

import (
	"context"
	"errors"
	"fmt"
	"html"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/comms"
	"github.com/janpfeifer/gonb/gonbui/dom"
	"github.com/janpfeifer/gonb/gonbui/protocol"
	"github.com/janpfeifer/gonb/gonbui/widgets"

	"github.com/boundlab/boundlab/charts"
	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/internal/units"
)

// ShowControls shows a control panel for question q under the cell, built from
// p's declared parameters (after the cell's flags): a text field for each,
// with a slider for a single number and a select for a choice (GoNB's
// widgets), and Run, Stop and Close buttons. Run checks the fields as the
// flags are checked (a bad value is one line in the panel naming the
// parameter and its range), copies them into p and reruns the experiment
// in place: the progress bar, then the summary, charts and verdicts
// replace the panel's previous ones, and the result is saved for later
// cells (see Last). Once a run has taken under quickRun (a few seconds),
// releasing a slider reruns too, with no Run pressed; the panel's line
// says so. Stop cancels a run in progress; Close, or the notebook's stop
// button, ends the panel and the cell.
//
// The panel lives while the cell's program runs, so the cells below it
// wait until it is closed. Where no live view can answer (a notebook
// executed by nbclient or nbconvert for a handout, a terminal) ShowControls
// shows only a line listing the values used, which stays meaningful in an
// exported page.
func ShowControls[P, R any, PP interface {
	*P
	experiments.Params
}, RP interface {
	*R
	experiments.Result
}](q *experiments.Question[P, R], p PP) {
	if err := applyArgs(p, cellArgs()); err != nil {
		ShowError(err)
		return
	}
	if !gonbui.IsNotebook {
		fmt.Println(staticText(q.Name(), p))
		return
	}
	if os.Getenv("JPY_SESSION_NAME") == "" {
		// Only a Jupyter server's kernels have a session: nbclient and
		// nbconvert run notebooks with no page to draw controls in.
		gonbui.SendData(&protocol.DisplayData{Data: map[protocol.MIMEType]any{
			protocol.MIMETextHTML:  staticHTML(q.Name(), p, "the values used; in a running notebook this cell shows controls to change them and rerun"),
			protocol.MIMETextPlain: staticText(q.Name(), p),
		}})
		gonbui.Sync()
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	pn := newPanel(q.Name(), q.Title(), p)
	if err := pn.open(ctx); err != nil {
		pn.close(err.Error())
		return
	}
	pn.serve(ctx, func(values map[string]string) (runFunc, error) {
		np := *(*P)(p)
		if err := setAll(PP(&np), values); err != nil {
			return nil, err
		}
		pn.showValues("running with "+valuesLine(PP(&np)), "")
		return func(ctx context.Context, bar *progress) (string, string, error) {
			res, err := q.Run(ctx, PP(&np), bar.update)
			if err != nil {
				if ctx.Err() != nil && errors.Is(err, context.Canceled) {
					err = fmt.Errorf("%s: stopped; the run was cancelled cleanly", q.Name())
				}
				return "", "", err
			}
			*(*P)(p) = np
			pn.setLast(valuesLine(p))
			if err := save(q.Name(), RP(res)); err != nil {
				return "", "", err
			}
			h, text := resultContent(RP(res))
			return h, text, nil
		}, nil
	})
}

// frontEndWait is how long the panel waits for the page to answer before
// it says that no live view is there.
var frontEndWait = 15 * time.Second

// settle is how long a Run waits for the fields' last keystrokes, which
// travel to the program on their own messages.
const settle = 150 * time.Millisecond

// quickRun is the longest a run may have taken for the release of a
// slider to rerun it: a lecturer dragging a limit sees the result follow;
// a run of minutes waits for Run.
const quickRun = 5 * time.Second

// field is one parameter's text field, and the slider or select that
// writes into it.
type field struct {
	param   experiments.Param
	id      string   // the input element's id
	addr    string   // its comms address
	steps   []int64  // a slider's values, if it has one
	choices []string // a select's options, if it has one
	slider  *widgets.SliderBuilder
	sel     *widgets.SelectBuilder
}

// show moves f's slider or select to v where it has v, after v was typed.
func (f *field) show(v string) {
	if f.slider != nil {
		if n, err := strconv.ParseInt(toUnits(f.param.Control().Kind, v), 10, 64); err == nil {
			if i := slices.Index(f.steps, n); i >= 0 && i != f.slider.Value() {
				f.slider.SetValue(i)
			}
		}
	}
	if f.sel != nil {
		if i := slices.Index(f.choices, v); i >= 0 && i != f.sel.Value() {
			f.sel.SetValue(i)
		}
	}
}

// panel is a live control panel: a line with the values of the last run and
// the panel's status (a display updated in place), the controls (added to
// the page by script, so never saved with the notebook), and the results.
type panel struct {
	name, title                        string
	fields                             []*field
	lineID, boxID, resultsID           string
	rootID, buttonsID                  string
	runClicks, stopClicks, closeClicks *comms.AddressChan[int]
	// releases counts the page's slider releases (each slider's change
	// event, sent to releaseAddr).
	releaseAddr string
	releases    *comms.AddressChan[int]

	mu     sync.Mutex
	values map[string]string // each field's text, as the page last sent it
	last   string            // the values line
}

func newPanel(name, title string, p experiments.Params) *panel {
	uid := gonbui.UniqueId()
	pn := &panel{
		name: name, title: title, values: map[string]string{},
		lineID: "boundlab_controls_line_" + uid, boxID: "boundlab_controls_box_" + uid,
		resultsID: "boundlab_controls_results_" + uid, rootID: "boundlab_controls_" + uid,
		buttonsID: "boundlab_controls_buttons_" + uid, last: valuesLine(p),
		releaseAddr: "/boundlab/release/" + uid,
	}
	for _, x := range p.Params() {
		f := &field{param: x, id: "boundlab_field_" + x.Name + "_" + uid, addr: "/boundlab/field/" + x.Name + "/" + uid}
		c := x.Control()
		switch c.Kind {
		case experiments.ControlCount, experiments.ControlDuration, experiments.ControlSize:
			if cur, err := strconv.ParseInt(toUnits(c.Kind, x.String()), 10, 64); err == nil {
				f.steps = ladder(c.Kind, c.Min, c.Max, cur)
			}
		case experiments.ControlChoice:
			f.choices = c.Choices
		case experiments.ControlChoices:
			f.choices = choiceLists(x.String(), c.Choices)
		}
		pn.values[x.Name] = x.String()
		pn.fields = append(pn.fields, f)
	}
	return pn
}

// open shows the panel and waits until the page has every control.
func (pn *panel) open(ctx context.Context) error {
	pn.showValues("", "Set values and press Run.")
	gonbui.UpdateHTML(pn.boxID, fmt.Sprintf(`<div id="%s" class="boundlab-controls" style="font-family:sans-serif;font-size:13px"></div>`, pn.rootID))
	ready := make(chan struct{})
	go func() {
		defer close(ready)
		dom.Append(pn.rootID, pn.tableHTML())
		for _, f := range pn.fields {
			f := f
			if f.steps != nil {
				s := widgets.Slider(0, len(f.steps)-1, slices.Index(f.steps, mustUnits(f))).AppendTo(f.id + "_extra").Done()
				f.slider = s
				pn.follow(f, s.Listen(), func(i int) (string, bool) {
					if i < 0 || i >= len(f.steps) {
						return "", false
					}
					return fromUnits(f.param.Control().Kind, f.steps[i]), true
				})
			}
			if f.choices != nil {
				s := widgets.Select(f.choices).SetDefault(max(0, slices.Index(f.choices, f.param.String()))).AppendTo(f.id + "_extra").Done()
				f.sel = s
				pn.follow(f, s.Listen(), func(i int) (string, bool) {
					if i < 0 || i >= len(f.choices) {
						return "", false
					}
					return f.choices[i], true
				})
			}
		}
		pn.runClicks = pn.button("Run")
		pn.stopClicks = pn.button("Stop")
		pn.closeClicks = pn.button("Close")
		pn.releases = comms.Listen[int](pn.releaseAddr)
		pn.bindFields()
	}()
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		return errors.New("interrupted before the controls were ready")
	case <-time.After(frontEndWait):
		return fmt.Errorf("no live view answered within %s: the controls need this notebook open and trusted in JupyterLab or Notebook 7", frontEndWait)
	}
}

// button adds a GoNB button to the panel and returns its clicks. It
// listens before the button exists, so the address always has a listener.
func (pn *panel) button(label string) *comms.AddressChan[int] {
	b := widgets.Button(label).WithHtmlId(pn.buttonID(label)).AppendTo(pn.buttonsID)
	clicks := comms.Listen[int](b.Address())
	b.Done()
	return clicks
}

func (pn *panel) buttonID(label string) string {
	return "boundlab_" + strings.ToLower(label) + "_" + pn.rootID
}

func (pn *panel) closeID() string { return pn.buttonID("Close") }

// follow copies a slider's or select's choices into f's text field.
func (pn *panel) follow(f *field, c *comms.AddressChan[int], value func(int) (string, bool)) {
	go func() {
		for i := range c.C {
			if v, ok := value(i); ok {
				pn.setValue(f.param.Name, v)
				comms.Send(f.addr, v)
			}
		}
	}()
}

func (pn *panel) setValue(name, v string) {
	pn.mu.Lock()
	pn.values[name] = v
	pn.mu.Unlock()
}

func (pn *panel) setLast(values string) {
	pn.mu.Lock()
	pn.last = values
	pn.mu.Unlock()
}

func (pn *panel) snapshot() map[string]string {
	pn.mu.Lock()
	defer pn.mu.Unlock()
	out := make(map[string]string, len(pn.values))
	for k, v := range pn.values {
		out[k] = v
	}
	return out
}

// bindFields listens to every text field, then binds each input to its
// address with a synced variable of GoNB's page-side library.
func (pn *panel) bindFields() {
	var pairs []string
	for _, f := range pn.fields {
		f := f
		c := comms.Listen[string](f.addr)
		go func() {
			for v := range c.C {
				pn.setValue(f.param.Name, v)
				f.show(v)
			}
		}()
		pairs = append(pairs, fmt.Sprintf("[%q, %q]", f.id, f.addr))
	}
	var sliders []string
	for _, f := range pn.fields {
		if f.slider != nil {
			sliders = append(sliders, fmt.Sprintf("%q", f.slider.HtmlId()))
		}
	}
	dom.TransientJavascript(`(() => {
  const c = globalThis.gonb_comm;
  if (!c) { return; }
  for (const [id, addr] of [` + strings.Join(pairs, ", ") + `]) {
    const el = document.getElementById(id);
    if (!el) { continue; }
    const v = c.newSyncedVariable(addr, el.value);
    const send = () => { el.setAttribute('value', el.value); v.set(el.value); };
    el.addEventListener('input', send);
    el.addEventListener('change', send);
    v.subscribe((x) => { el.value = x; el.setAttribute('value', x); });
  }
  // A slider's change event comes when it is released (GoNB's own
  // listener sends every move): count the releases.
  const released = c.newSyncedVariable(` + fmt.Sprintf("%q", pn.releaseAddr) + `, 0);
  let releases = 0;
  for (const id of [` + strings.Join(sliders, ", ") + `]) {
    const el = document.getElementById(id);
    if (el) { el.addEventListener('change', () => released.set(++releases)); }
  }
  // Run All passes through the panel: when a cell below waits for the
  // kernel (its prompt shows *), close the panel so that it can run.
  const root = document.getElementById(` + fmt.Sprintf("%q", pn.rootID) + `);
  const cell = root && root.closest('.jp-Cell, .cell');
  const timer = setInterval(() => {
    if (!document.getElementById(` + fmt.Sprintf("%q", pn.rootID) + `)) { clearInterval(timer); return; }
    for (let n = cell && cell.nextElementSibling; n; n = n.nextElementSibling) {
      const p = n.querySelector('.jp-InputPrompt, .input_prompt');
      if (p && p.textContent.indexOf('*') >= 0) {
        clearInterval(timer);
        const b = document.getElementById(` + fmt.Sprintf("%q", pn.closeID()) + `);
        if (b) { b.click(); }
        return;
      }
    }
  }, 500);
})();`)
}

// runFunc runs the experiment, showing progress on bar, and returns the
// result's content.
type runFunc func(ctx context.Context, bar *progress) (h, text string, err error)

// prepareFunc checks the fields' values and returns the run they ask for.
type prepareFunc func(values map[string]string) (runFunc, error)

type outcome struct {
	h, text string
	err     error
}

// serve handles the buttons until Close or ctx ends the panel.
func (pn *panel) serve(ctx context.Context, prepare prepareFunc) {
	s := &session{pn: pn, ctx: ctx, prepare: prepare, seen: map[*comms.AddressChan[int]]int{}}
	for {
		select {
		case <-ctx.Done():
			s.finish("stopped by the notebook's stop button")
			return
		case n := <-pn.closeClicks.C:
			if s.clicked(pn.closeClicks, n) {
				s.finish("closed by its button, or because a cell below was waiting to run")
				return
			}
		case n := <-pn.stopClicks.C:
			if s.clicked(pn.stopClicks, n) && s.cancel != nil {
				s.cancel()
			}
		case n := <-pn.runClicks.C:
			if !s.clicked(pn.runClicks, n) {
				continue
			}
			if s.cancel != nil {
				pn.showValues("", "A run is in progress: press Stop first.")
				continue
			}
			s.begin()
		case n := <-pn.releases.C:
			// A release reruns only after a quick run, and never over one
			// in progress (the slider's value waits for the next Run).
			if s.clicked(pn.releases, n) && s.quick && s.cancel == nil {
				s.begin()
			}
		case o := <-s.done:
			s.ended(o)
		}
	}
}

// session is a panel's runs: the one in progress, if any, and what the
// last one took.
type session struct {
	pn      *panel
	ctx     context.Context
	prepare prepareFunc

	cancel context.CancelFunc // nil when no run is in progress
	done   chan outcome
	bar    *progress
	began  time.Time
	quick  bool // the last run took under quickRun
	// seen is each address's last count: GoNB sends a button's clicks
	// (and the page a slider's releases) as a running count.
	seen map[*comms.AddressChan[int]]int
}

// clicked says whether count n on c is new.
func (s *session) clicked(c *comms.AddressChan[int], n int) bool {
	if n <= s.seen[c] {
		return false
	}
	s.seen[c] = n
	return true
}

// begin starts a run with the fields' values, after their last messages
// have arrived; a bad value is the panel's status and nothing runs.
func (s *session) begin() {
	time.Sleep(settle)
	run, err := s.prepare(s.pn.snapshot())
	if err != nil {
		s.pn.showValues("", errorHTML(err))
		return
	}
	s.bar = newProgress(s.pn.title)
	s.bar.id = s.pn.resultsID
	s.began = time.Now()
	s.cancel, s.done = start(s.ctx, run, s.bar)
}

// ended shows a run's outcome in place of its progress bar, and says in
// the panel's line how long it took.
func (s *session) ended(o outcome) {
	took := time.Since(s.began)
	s.cancel()
	s.cancel, s.done = nil, nil
	if o.err != nil {
		s.pn.showValues("", errorHTML(o.err))
		s.bar.set(errorHTML(o.err), "error: "+o.err.Error())
		return
	}
	s.bar.set(o.h, o.text)
	s.quick = took < quickRun
	s.pn.showValues("", quickNote(took))
}

// finish stops a run in progress, waits for it, and closes the panel.
func (s *session) finish(reason string) {
	if s.cancel != nil {
		s.cancel()
		if o := <-s.done; o.err != nil {
			s.bar.set(errorHTML(o.err), "error: "+o.err.Error())
		}
	}
	s.pn.close(reason)
}

// quickNote says, after a run that took took, whether releasing a slider
// reruns.
func quickNote(took time.Duration) string {
	if took < quickRun {
		return fmt.Sprintf("The run took %s: releasing a slider reruns it.", units.Duration(took))
	}
	return fmt.Sprintf("The run took %s: press Run to rerun (a slider reruns on release after runs under %s).", units.Duration(took), quickRun)
}

// start runs run in a goroutine of its own; its outcome comes on done.
func start(ctx context.Context, run runFunc, bar *progress) (context.CancelFunc, chan outcome) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan outcome, 1)
	go func() {
		h, text, err := run(ctx, bar)
		done <- outcome{h, text, err}
	}()
	return cancel, done
}

// showValues updates the panel's line: the values (what to say about
// them) and the status, which is HTML.
func (pn *panel) showValues(values, status string) {
	pn.mu.Lock()
	defer pn.mu.Unlock()
	if values == "" {
		values = "values of the last run: " + pn.last
	}
	if pn.lineID == "" {
		return
	}
	h := `<div class="boundlab-controls-line" style="font-family:sans-serif;font-size:13px"><b>Controls · ` + html.EscapeString(pn.name) + `</b> · ` + html.EscapeString(values) + `</div>`
	if status != "" {
		if !strings.HasPrefix(status, "<") {
			status = html.EscapeString(status)
		}
		h += `<div class="boundlab-controls-status" style="font-family:sans-serif;font-size:13px">` + status + `</div>`
	}
	gonbui.SendData(&protocol.DisplayData{
		Data:      map[protocol.MIMEType]any{protocol.MIMETextHTML: h, protocol.MIMETextPlain: "Controls · " + pn.name + " · " + values},
		DisplayID: pn.lineID,
	})
}

// close removes the controls from the page and leaves the line with the
// values of the last run, and why the panel ended.
func (pn *panel) close(reason string) {
	pn.showValues("", "The controls are closed ("+reason+"); rerun this cell to open them again.")
	gonbui.UpdateHTML(pn.boxID, "")
	gonbui.Sync()
}

// tableHTML is the panel's fields, with a cell for each one's slider or
// select and a row for the buttons.
func (pn *panel) tableHTML() string {
	var b strings.Builder
	b.WriteString(`<table class="boundlab-controls-table" style="border-collapse:collapse">`)
	for _, f := range pn.fields {
		fmt.Fprintf(&b, `<tr><td style="padding:2px 8px;text-align:right" title="%s"><label for="%s">%s</label></td>`+
			`<td style="padding:2px 8px"><input id="%s" class="boundlab-control-field" data-param="%s" type="text" size="28" value="%s"/></td>`+
			`<td id="%s_extra" style="padding:2px 8px"></td><td style="padding:2px 8px;color:#666">%s</td></tr>`,
			html.EscapeString(f.param.Usage), f.id, html.EscapeString(f.param.Name),
			f.id, html.EscapeString(f.param.Name), html.EscapeString(f.param.String()),
			f.id, html.EscapeString(f.param.Allowed))
	}
	fmt.Fprintf(&b, `</table><div id="%s" class="boundlab-controls-buttons" style="padding:4px 8px"></div>`, pn.buttonsID)
	return b.String()
}

// setAll sets p's parameters from a field's text each, as the flags do,
// then validates p; the first error names the parameter and its range.
func setAll(p experiments.Params, values map[string]string) error {
	for _, x := range p.Params() {
		v, ok := values[x.Name]
		if !ok || v == x.String() {
			continue
		}
		if err := x.Set(v); err != nil {
			return err
		}
	}
	return experiments.Validate(p)
}

// valuesLine lists p's values, name=value, in the order they are
// declared; an empty value is left out.
func valuesLine(p experiments.Params) string {
	if p == nil {
		return ""
	}
	var parts []string
	for _, x := range p.Params() {
		if v := x.String(); v != "" {
			parts = append(parts, x.Name+"="+v)
		}
	}
	return strings.Join(parts, " · ")
}

func staticText(name string, p experiments.Params) string {
	return "Controls · " + name + " · values used: " + valuesLine(p)
}

// staticHTML is the panel as a line: what a handout or a view with no
// live program shows.
func staticHTML(name string, p experiments.Params, note string) string {
	return `<div class="boundlab-controls-line" style="font-family:sans-serif;font-size:13px"><b>Controls · ` + html.EscapeString(name) +
		`</b> · values used: <code>` + html.EscapeString(valuesLine(p)) + `</code> <span style="color:#666">(` + html.EscapeString(note) + `)</span></div>`
}

// resultContent is a result as one output: its summary, charts and
// verdicts, as HTML and as text.
func resultContent(res experiments.Result) (h, text string) {
	var hb, tb strings.Builder
	hb.WriteString(summaryHTML(res))
	tb.WriteString(summaryText(res) + "\n")
	cs, err := charts.For(res)
	if err != nil {
		hb.WriteString(errorHTML(err))
	}
	for _, c := range cs {
		s, err := charts.Snippet(c)
		if err != nil {
			hb.WriteString(errorHTML(err))
			continue
		}
		hb.WriteString(s)
		tb.WriteString(chartText(c) + "\n")
	}
	hb.WriteString(verdictsHTML(res.Base()))
	tb.WriteString(verdictsText(res.Base()))
	return withLoader(hb.String()), tb.String()
}

// ladder is the values a slider steps through, from lo to hi: every one
// where there are at most 100, else 1, 2 and 5 times the powers of ten
// (powers of two for sizes), with lo, hi and cur.
func ladder(kind experiments.ControlKind, lo, hi, cur int64) []int64 {
	out := []int64{lo, hi}
	if cur >= lo && cur <= hi {
		out = append(out, cur)
	}
	switch {
	case hi-lo <= 100:
		for v := lo; v <= hi; v++ {
			out = append(out, v)
		}
	case kind == experiments.ControlSize:
		for v := int64(1); v > 0 && v <= hi; v *= 2 {
			if v >= lo {
				out = append(out, v)
			}
		}
	default:
		for p := int64(1); p > 0 && p <= hi; p *= 10 {
			for _, m := range []int64{1, 2, 5} {
				if v := m * p; v >= lo && v <= hi {
					out = append(out, v)
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// toUnits writes a single number's value (as Param.String gives it) in
// the units of its kind: a count, nanoseconds or bytes.
func toUnits(kind experiments.ControlKind, s string) string {
	switch kind {
	case experiments.ControlDuration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return s
		}
		return strconv.FormatInt(int64(d), 10)
	case experiments.ControlSize:
		n, err := experiments.ParseSize(s)
		if err != nil {
			return s
		}
		return strconv.Itoa(n)
	}
	return s
}

func mustUnits(f *field) int64 {
	n, _ := strconv.ParseInt(toUnits(f.param.Control().Kind, f.param.String()), 10, 64)
	return n
}

// fromUnits writes v, in the units of kind, as Param.Set reads it.
func fromUnits(kind experiments.ControlKind, v int64) string {
	switch kind {
	case experiments.ControlDuration:
		return time.Duration(v).String()
	case experiments.ControlSize:
		return experiments.FormatSize(int(v))
	}
	return strconv.FormatInt(v, 10)
}

// choiceLists are a select's options for a list of choices: the current
// list, each choice alone, and all of them.
func choiceLists(cur string, choices []string) []string {
	out := []string{cur}
	for _, c := range choices {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	if all := strings.Join(choices, ","); !slices.Contains(out, all) {
		out = append(out, all)
	}
	return out
}
