package handouts

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// EventKind says what happened in a build.
type EventKind int

// The events of a build, in the order they come for each notebook.
const (
	// NotebookStarted: the notebook's kernel is starting. Overrides are set.
	NotebookStarted EventKind = iota
	// KernelReady: the kernel answers.
	KernelReady
	// CellStarted: a code cell runs. Cell and Line are set.
	CellStarted
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
	Elapsed     time.Duration
	Overrides   []string
	Handout     *Handout
	Err         error
}

// Printer shows a build's progress: on a terminal, one line redrawn in
// place with the running cell's time ticking; elsewhere, a plain line per
// finished cell and per notebook. It is safe for concurrent use.
type Printer struct {
	w   io.Writer
	tty bool

	mu    sync.Mutex
	line  string    // the running step, on a terminal
	since time.Time // when it began
	drawn bool
	quit  chan struct{}
	wg    sync.WaitGroup
}

// NewPrinter returns a Printer writing to w; tty says whether w is a
// terminal. Close it when the build is over.
func NewPrinter(w io.Writer, tty bool) *Printer {
	p := &Printer{w: w, tty: tty, quit: make(chan struct{})}
	if tty {
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
	fmt.Fprintf(p.w, "\r\033[K%s %.1fs", p.line, time.Since(p.since).Seconds())
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
		if p.tty {
			p.line, p.since = head+" "+s, time.Now()
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
	case CellStarted:
		running(fmt.Sprintf("cell %d/%d running…", e.Cell, e.Cells))
	case CellFinished:
		if !p.tty {
			permanent(fmt.Sprintf("cell %d/%d done in %s  %s", e.Cell, e.Cells, seconds(e.Elapsed), e.Line))
		}
	case Exporting:
		if !p.tty {
			permanent("exporting HTML")
		}
		running("exporting HTML…")
	case NotebookDone:
		p.line = ""
		msg := fmt.Sprintf("done in %s", seconds(e.Elapsed))
		if h := e.Handout; h != nil {
			msg += fmt.Sprintf(": %d charts, %s", h.Charts, FormatBytes(h.Size))
		}
		permanent(msg)
	case NotebookFailed:
		p.line = ""
		permanent(fmt.Sprintf("failed after %s", seconds(e.Elapsed)))
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

// seconds formats a duration for a person: 12.3s, or 4m05s.
func seconds(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}

// FormatBytes formats a size for a person: 1.3 MB, 850 kB.
func FormatBytes(n int64) string {
	switch {
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.0f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}
