package handouts

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/boundlab/boundlab/internal/units"
	"golang.org/x/sys/unix"
)

// EventKind says what happened in a build.
type EventKind int

// The events of a build, in the order they come for each notebook.
const (
	// NotebookStarted: the notebook's kernel is starting. Overrides are set.
	NotebookStarted EventKind = iota
	// KernelReady: the kernel answers.
	KernelReady
	// Waiting: the notebook's set-up cells have run; its next cell (Cell,
	// Line) waits until the previous notebook's handout is written, so
	// that nothing else runs beside what it measures.
	Waiting
	// CellStarted: a code cell runs. Cell and Line are set.
	CellStarted
	// CellProgress: the running cell's own progress, as its progress bar
	// says it (Text).
	CellProgress
	// CellFinished: a code cell is done. Elapsed is its time.
	CellFinished
	// Exporting: the executed notebook is being converted to HTML.
	Exporting
	// NotebookDone: the handout is written. Handout is set; Elapsed is the
	// notebook's time.
	NotebookDone
	// NotebookFailed: no handout. Err says why; Elapsed is the time spent.
	NotebookFailed
)

// Event is one step of a build, for a progress display.
type Event struct {
	Kind EventKind
	// Notebook is the notebook's name; Index its position (from 1) among
	// the Total notebooks of the build.
	Notebook     string
	Index, Total int
	// Cell is the cell's position (from 1) among Cells; Line its first line.
	Cell, Cells int
	Line        string
	// Text is the running cell's progress bar as text (CellProgress).
	Text      string
	Elapsed   time.Duration
	Overrides []string
	Handout   *Handout
	Err       error
}

// Printer shows a build's progress: on a terminal, one line redrawn in
// place with the running cell's time ticking and its own progress bar;
// elsewhere, a plain line per finished cell and per notebook, and every
// 15 seconds a line with the running cell's progress bar. It is safe for
// concurrent use.
type Printer struct {
	w   io.Writer
	tty bool
	// width is the terminal's width in columns (0: unknown): a longer line
	// would wrap, and its redraw would leave the wrapped part behind.
	width int

	mu     sync.Mutex
	line   string    // the running step
	owner  int       // the notebook (Index) whose step it is
	detail string    // the running cell's progress bar
	since  time.Time // when the running step began
	shown  time.Time // when a progress line was last printed (not a terminal)
	drawn  bool
	quit   chan struct{}
	wg     sync.WaitGroup
}

// progressEvery is how often a Printer that does not write to a terminal
// prints the running cell's progress.
var progressEvery = 15 * time.Second

// NewPrinter returns a Printer writing to w; tty says whether w is a
// terminal. Close it when the build is over.
func NewPrinter(w io.Writer, tty bool) *Printer {
	p := &Printer{w: w, tty: tty, quit: make(chan struct{})}
	if tty {
		if f, ok := w.(*os.File); ok {
			if ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ); err == nil {
				p.width = int(ws.Col)
			}
		}
		p.wg.Add(1)
		go p.tick()
	}
	return p
}

// tick redraws the running step's line with its time.
func (p *Printer) tick() {
	defer p.wg.Done()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.quit:
			return
		case <-t.C:
			p.mu.Lock()
			p.redraw()
			p.mu.Unlock()
		}
	}
}

// redraw draws the running step; p.mu is held.
func (p *Printer) redraw() {
	if p.line == "" {
		return
	}
	s := p.line + " " + units.Elapsed(time.Since(p.since))
	if p.detail != "" {
		s += "  " + p.detail
	}
	if r := []rune(s); p.width > 1 && len(r) >= p.width {
		s = string(r[:p.width-2]) + "…"
	}
	fmt.Fprint(p.w, "\r\033[K"+s)
	p.drawn = true
}

// clear removes the drawn line; p.mu is held.
func (p *Printer) clear() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}

// Event shows e.
func (p *Printer) Event(e Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	head := fmt.Sprintf("[%d/%d] %s:", e.Index, e.Total, e.Notebook)
	running := func(s string) {
		p.line, p.owner, p.detail, p.since = head+" "+s, e.Index, "", time.Now()
		p.shown = p.since
		if p.tty {
			p.redraw()
		}
	}
	permanent := func(s string) {
		p.clear()
		fmt.Fprintln(p.w, head+" "+s)
	}
	switch e.Kind {
	case NotebookStarted:
		if len(e.Overrides) > 0 {
			permanent("overrides " + strings.Join(e.Overrides, " "))
		}
		if !p.tty {
			permanent("starting the kernel")
		}
		running("starting the kernel…")
	case KernelReady:
		running("kernel ready…")
	case Waiting:
		running(fmt.Sprintf("cell %d/%d waits for the previous handout…", e.Cell, e.Cells))
	case CellStarted:
		running(fmt.Sprintf("cell %d/%d running…", e.Cell, e.Cells))
	case CellProgress:
		if p.tty {
			p.detail = e.Text
			p.redraw()
		} else if time.Since(p.shown) >= progressEvery {
			p.shown = time.Now()
			permanent(fmt.Sprintf("cell %d/%d running for %s  %s", e.Cell, e.Cells, units.Elapsed(time.Since(p.since)), e.Text))
		}
	case CellFinished:
		if !p.tty {
			permanent(fmt.Sprintf("cell %d/%d done in %s  %s", e.Cell, e.Cells, units.Elapsed(e.Elapsed), e.Line))
		}
	case Exporting:
		if !p.tty {
			permanent("exporting HTML")
		}
		running("exporting HTML…")
	case NotebookDone:
		p.end(e.Index)
		msg := fmt.Sprintf("done in %s", units.Elapsed(e.Elapsed))
		if h := e.Handout; h != nil {
			msg += fmt.Sprintf(": %d charts, %s", h.Charts, units.Bytes(float64(h.Size)))
		}
		permanent(msg)
	case NotebookFailed:
		p.end(e.Index)
		permanent(fmt.Sprintf("failed after %s", units.Elapsed(e.Elapsed)))
	}
}

// end drops the running step if it is notebook index's: the next
// notebook may already be running while a handout is written. p.mu is
// held.
func (p *Printer) end(index int) {
	if p.owner == index {
		p.line = ""
	}
}

// Close stops redrawing and clears the line.
func (p *Printer) Close() {
	close(p.quit)
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.line = ""
	p.clear()
}
