package kernel

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"encoding/json"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/protocol"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/internal/proc"
	"github.com/boundlab/boundlab/internal/units"
)

// BindFlags binds p's parameters to the cell program's command-line flags, so
// that a cell's `%% --name=value` line overrides them. Call it from the
// parameters cell's init function:
//
//	func init_params() { kernel.BindFlags(&params) }
//
// A bad flag value does not end the program with a usage dump: Run reports
// it as one line in the cell.
func BindFlags(p experiments.Params) {
	flag.CommandLine.Init(os.Args[0], flag.ContinueOnError)
	flag.CommandLine.SetOutput(io.Discard)
	flag.CommandLine.Usage = func() {}
	experiments.Bind(flag.CommandLine, p)
}

// Override applies "name=value" overrides to p. The handout builder injects
// a cell calling it after the parameters cell, as papermill does; a bad
// override fails the cell with one line naming the parameter.
func Override(p experiments.Params, overrides ...string) {
	for _, kv := range overrides {
		name, value, ok := strings.Cut(kv, "=")
		if !ok {
			fail(fmt.Errorf("override %q: %w", kv, errNotNameValue))
			return
		}
		if err := experiments.Set(p, name, value); err != nil {
			fail(fmt.Errorf("override: %w", err))
			return
		}
	}
}

// applyArgs parses the cell's flags into p again, to report what the
// program's own flag parsing kept quiet about, then validates p.
func applyArgs(p experiments.Params, args []string) error {
	fs := flag.NewFlagSet("cell", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	experiments.Bind(fs, p)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q on the cell's %%%% line (flags look like --limit=50)", fs.Arg(0))
	}
	return experiments.Validate(p)
}

// cellArgs are the flags on the cell's %% line: the program's arguments in
// a notebook. Elsewhere (a test, a program of one's own) the program's
// flags are its own business.
func cellArgs() []string {
	if gonbui.IsNotebook {
		return os.Args[1:]
	}
	return nil
}

// Run runs question q with parameters p (after the cell's flags), showing a
// live progress bar while it runs; when it is done the bar is cleared and
// the run's summary shown as a new output. It saves the result for later
// cells (see Last) and returns it, typed:
// kernel.Run(experiments.Semaphore, &params) is a *experiments.SemaphoreResult.
// On bad parameters, an interruption or a failure the cell fails (see
// fail): it shows one line and ends, and Last then says the run failed.
func Run[P, R any, PP interface {
	*P
	experiments.Params
}, RP interface {
	*R
	experiments.Result
}](q *experiments.Question[P, R], p PP) RP {
	entered := time.Now()
	measure.RecordPhase("run entered", entered, entered)
	if err := applyArgs(p, cellArgs()); err != nil {
		failRun(q.Name(), err)
		return nil
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	bar := newProgress(q.Title())
	endExperiment := measure.Phase("experiment")
	res, err := q.Run(ctx, p, bar.update)
	endExperiment()
	defer measure.Phase("display")()
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			err = fmt.Errorf("%s: interrupted; stopped cleanly", q.Name())
		}
		bar.clear()
		failRun(q.Name(), err)
		return nil
	}
	if err := save(q.Name(), RP(res)); err != nil {
		ShowError(err)
	}
	bar.finish(summaryHTML(RP(res)), summaryText(RP(res)))
	return res
}

// Last returns the result of q that Run saved most recently in this kernel
// session, so a later cell can chart it without running it again. If there
// is none it shows a line saying which cell to run and returns nil.
func Last[P, R any, RP interface {
	*R
	experiments.Result
}](q *experiments.Question[P, R]) RP {
	if err := lastFailure(q.Name()); err != nil {
		ShowError(err)
		return nil
	}
	b, err := os.ReadFile(resultPath(q.Name()))
	if err != nil {
		ShowError(fmt.Errorf("no %s result yet in this kernel session: run the experiment cell above first", q.Name()))
		return nil
	}
	res, err := q.Decode(b)
	if err != nil {
		ShowError(err)
		return nil
	}
	return res
}

// ResultsDirEnv names the environment variable that, when set, is the
// directory where Run saves each question's result, as QUESTION.json (the
// form `boundlab run --json` writes) and where Last reads it. The handout
// builder sets it for each notebook's kernel, and reads the results back
// for the handouts' overview page. Unset, results go to GoNB's temporary
// directory of the kernel session.
const ResultsDirEnv = "BOUNDLAB_RESULTS_DIR"

func resultPath(question string) string {
	if dir := os.Getenv(ResultsDirEnv); dir != "" {
		return filepath.Join(dir, question+".json")
	}
	dir := os.Getenv("GONB_TMP_DIR")
	if dir == "" {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "boundlab-results", question+".json")
}

func save(question string, res experiments.Result) error {
	b, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("save result: %w", err)
	}
	if err := proc.WriteFile(resultPath(question), b, 0o644); err != nil {
		return fmt.Errorf("save result: %w", err)
	}
	_ = os.Remove(failedPath(question))
	return nil
}

// progress is a live progress bar in an output that updates in place
// (GoNB's display-update by id), at most ten times a second. The output
// holds the bar twice: as HTML for a notebook's page, and as a line of
// text, which a terminal shows (boundlab handouts prints it while the
// cell runs). Its update may be called from several goroutines at once.
type progress struct {
	id, title string
	start     time.Time

	mu    sync.Mutex
	last  time.Time
	shown bool
}

func newProgress(title string) *progress {
	p := &progress{title: title, start: time.Now()}
	if gonbui.IsNotebook {
		p.id = progressIDPrefix + gonbui.UniqueId()
	}
	return p
}

// progressIDPrefix begins the display id of every progress bar, which tells
// the bar's updates from a cell's other outputs.
const progressIDPrefix = "boundlab_progress_"

func (p *progress) update(pr experiments.Progress) {
	if pr.Total <= 0 {
		return
	}
	// A report that comes while another is being shown is not needed: the
	// bar shows at most ten a second.
	if !p.mu.TryLock() {
		return
	}
	defer p.mu.Unlock()
	if p.id == "" {
		return
	}
	now := time.Now()
	if p.shown && now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last, p.shown = now, true
	frac := min(1, max(0, pr.Done/pr.Total))
	var left time.Duration
	if frac > 0.01 && now.Sub(p.start) > time.Second {
		left = time.Duration(float64(now.Sub(p.start)) * (1 - frac) / frac)
	}
	h, text := progressContent(frac, p.title, pr.Stage, left)
	gonbui.SendData(&protocol.DisplayData{
		Data:      map[protocol.MIMEType]any{protocol.MIMETextHTML: h, protocol.MIMETextPlain: text},
		DisplayID: p.id,
	})
}

// progressContent is the bar at frac (0 to 1) done, with the time left if
// known (left > 0), as HTML and as a line of text.
func progressContent(frac float64, title, stage string, left time.Duration) (h, text string) {
	eta := ""
	if left > 0 {
		eta = fmt.Sprintf(" · about %s left", units.Elapsed(left.Round(time.Second)))
	}
	const width = 20
	n := int(frac*width + 0.5)
	h = fmt.Sprintf(
		`<div class="boundlab-progress" style="font-family:sans-serif"><progress value="%.0f" max="1000" style="width:320px;vertical-align:middle"></progress> <b>%3.0f%%</b> %s · %s%s</div>`,
		frac*1000, frac*100, html.EscapeString(title), html.EscapeString(stage), eta)
	// The text leads with what changes, so that a line cut to a terminal's
	// width keeps it.
	text = fmt.Sprintf("[%s%s] %3.0f%% %s%s · %s", strings.Repeat("#", n), strings.Repeat("-", width-n), frac*100, stage, eta, title)
	return h, text
}

// set replaces the bar, in place, with content (a result, or an error),
// and ends its updates.
func (p *progress) set(htmlContent, text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.id == "" {
		return
	}
	gonbui.SendData(&protocol.DisplayData{
		Data:      map[protocol.MIMEType]any{protocol.MIMETextHTML: htmlContent, protocol.MIMETextPlain: text},
		DisplayID: p.id,
	})
	p.id = ""
	gonbui.Sync()
}

// finish clears the bar (an update of its display to nothing) and shows the
// final content as an output of its own, or prints the text outside a
// notebook. A view that missed the bar's updates (a page reloaded, or a
// second view opened, while the cell ran) still gets the content: Jupyter
// sends a new output to every view, and an update only to the views that
// have the display it updates.
func (p *progress) finish(htmlContent, text string) {
	if p.id == "" {
		fmt.Println(text)
		return
	}
	p.clear()
	gonbui.DisplayHTML(htmlContent)
	gonbui.Sync()
}

// clear clears the bar, if it was shown.
func (p *progress) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.id != "" && p.shown {
		gonbui.SendData(&protocol.DisplayData{
			Data:      map[protocol.MIMEType]any{protocol.MIMETextHTML: "", protocol.MIMETextPlain: ""},
			DisplayID: p.id,
		})
	}
}
