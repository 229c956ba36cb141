package handouts

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func events() []Event {
	nb := Event{Notebook: "01-async-cpu", Index: 1, Total: 2, Cells: 14}
	at := func(e Event, f func(*Event)) Event { f(&e); return e }
	return []Event{
		at(nb, func(e *Event) { e.Kind, e.Overrides = NotebookStarted, []string{"tasks=4", "cpu=30ms"} }),
		at(nb, func(e *Event) { e.Kind = KernelReady }),
		at(nb, func(e *Event) { e.Kind, e.Cell, e.Line = CellStarted, 10, "%% res := kernel.Run()" }),
		at(nb, func(e *Event) {
			e.Kind, e.Cell, e.Text = CellProgress, 10, "[####----------------]  20% goroutines, limit 1 · about 5m0s left · Semaphore"
		}),
		at(nb, func(e *Event) {
			e.Kind, e.Cell, e.Line, e.Elapsed = CellFinished, 10, "%% res := kernel.Run()", 12300*time.Millisecond
		}),
		at(nb, func(e *Event) { e.Kind = Exporting }),
		at(nb, func(e *Event) {
			e.Kind, e.Elapsed, e.Handout = NotebookDone, 75*time.Second, &Handout{Charts: 3, Size: 1_600_000}
		}),
		{Kind: NotebookFailed, Notebook: "02-x", Index: 2, Total: 2, Elapsed: 3 * time.Second, Err: errors.New("boom")},
	}
}

func TestPrinterPlain(t *testing.T) {
	var b strings.Builder
	p := NewPrinter(&b, false)
	es := events()
	for _, e := range es {
		p.Event(e)
	}
	p.Close()
	want := `[1/2] 01-async-cpu: overrides tasks=4 cpu=30ms
[1/2] 01-async-cpu: starting the kernel
[1/2] 01-async-cpu: cell 10/14 done in 12.3s  %% res := kernel.Run()
[1/2] 01-async-cpu: exporting HTML
[1/2] 01-async-cpu: done in 1m15s: 3 charts, 1.5 MiB
[2/2] 02-x: failed after 3.0s
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

// Elsewhere than on a terminal, the running cell's progress is a line of
// its own every progressEvery.
func TestPrinterPlainProgress(t *testing.T) {
	defer func(d time.Duration) { progressEvery = d }(progressEvery)
	progressEvery = 0
	var b strings.Builder
	p := NewPrinter(&b, false)
	es := events()
	p.Event(es[2])
	p.Event(es[3])
	p.Close()
	want := "[1/2] 01-async-cpu: cell 10/14 running for 0.0s  [####----------------]  20% goroutines, limit 1 · about 5m0s left · Semaphore\n"
	if b.String() != want {
		t.Errorf("got:\n%q\nwant:\n%q", b.String(), want)
	}
}

// A terminal's line shows the running cell's progress, cut to the
// terminal's width.
func TestPrinterTerminalProgress(t *testing.T) {
	var b syncBuilder
	p := NewPrinter(&b, true)
	p.mu.Lock()
	p.width = 60
	p.mu.Unlock()
	es := events()
	p.Event(es[2])
	p.Event(es[3])
	p.Close()
	out := b.String()
	want := "\r\033[K[1/2] 01-async-cpu: cell 10/14 running… 0.0s  [####-------…"
	if !strings.Contains(out, want) {
		t.Errorf("output lacks %q:\n%q", want, out)
	}
	for _, l := range strings.Split(out, "\r\033[K") {
		if n := len([]rune(l)); n >= 60 {
			t.Errorf("a line of %d runes on a terminal 60 wide: %q", n, l)
		}
	}
}

func TestPrinterTerminal(t *testing.T) {
	var b syncBuilder
	p := NewPrinter(&b, true)
	es := events()
	p.Event(es[0])
	p.Event(es[2])
	time.Sleep(250 * time.Millisecond)
	p.Event(es[4])
	p.Event(es[6])
	p.Close()
	out := b.String()
	for _, want := range []string{
		"[1/2] 01-async-cpu: overrides tasks=4 cpu=30ms\n",
		"\r\033[K[1/2] 01-async-cpu: cell 10/14 running… 0.",
		"\r\033[K[1/2] 01-async-cpu: done in 1m15s: 3 charts, 1.5 MiB\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%q", want, out)
		}
	}
	if strings.Contains(out, "done in 12.3s") {
		t.Error("a terminal got a line per cell")
	}
	if !strings.HasSuffix(out, "\n") {
		t.Errorf("the line is not cleared at the end: %q", out)
	}
}

// syncBuilder is a strings.Builder safe for the printer's goroutine.
type syncBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuilder) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuilder) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
