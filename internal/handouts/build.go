package handouts

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/boundlab/boundlab/experiments"
	"github.com/boundlab/boundlab/internal/proc"
	"github.com/boundlab/boundlab/kernel"
)

// Jupyter is what a build needs of the Jupyter installation.
type Jupyter struct {
	// Command is the jupyter script (for jupyter nbconvert).
	Command string
	// Python is the interpreter that runs it, which can import nbclient.
	Python string
}

// Options are the choices of a build.
type Options struct {
	// OutDir receives NAME.html for each notebook.
	OutDir string
	// Timeout limits each notebook's execution; 0 means DefaultTimeout.
	Timeout time.Duration
	// Jupyter runs the notebooks and converts them.
	Jupyter Jupyter
	// Env is the environment of Jupyter and its kernels (JUPYTER_DATA_DIR,
	// PATH with the project's bin, ...); nil means this process's.
	Env []string
	// Progress, if set, receives each step of the build.
	Progress func(Event)
}

// DefaultTimeout is the time a notebook may take when Options.Timeout is 0.
const DefaultTimeout = 30 * time.Minute

func (o *Options) env() []string {
	if o.Env == nil {
		return os.Environ()
	}
	return o.Env
}

func (o *Options) report(e Event) {
	if o.Progress != nil {
		o.Progress(e)
	}
}

// Handout is a handout a build wrote.
type Handout struct {
	// Notebook is the notebook's name; Path the page written.
	Notebook, Path string
	// Size is the page's size in bytes; Charts the number of charts on it.
	Size   int64
	Charts int
	// Parts are the page's bytes by what they are.
	Parts Parts
	// Overrides are the parameters injected.
	Overrides []string
	// Elapsed is the time the notebook took, execution and export.
	Elapsed time.Duration
	// Cells are the code cells' times.
	Cells []CellTime
	// Result is the result the notebook's experiment saved (nil for a
	// notebook without a question): what the overview page reports.
	Result experiments.Result
}

// CellTime is how long one code cell ran.
type CellTime struct {
	// Cell is the cell's position, from 1; Line its first line.
	Cell    int
	Line    string
	Elapsed time.Duration
}

// Build executes each job's notebook on its kernel, with its overrides
// injected after the parameters cell, and writes the handout
// OutDir/NAME.html. The notebooks run one after another, each with the
// notebook's directory as the kernel's working directory. While a
// notebook's handout is exported, the next notebook's kernel starts and its
// set-up cells (those down to its parameters cell, which measure nothing)
// run; its next cell waits until the handout is written, so that no
// experiment runs beside anything of the build's. A notebook with a
// failing cell (a *CellError) or a page that is not self-contained gets no
// handout; the others are still built, and the error joins every failure.
// Each handout's result, as its run saved it, goes beside it as
// OutDir/NAME.json; then Build writes the overview of every handout in
// OutDir, OutDir/index.html (WriteIndex), from those results.
// When ctx is done, Build stops the running notebook's kernel and every
// process below it, and returns ctx's error.
func Build(ctx context.Context, jobs []*Job, o Options) ([]Handout, error) {
	if err := planBuild(&o); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "boundlab-handouts-")
	if err != nil {
		return nil, fmt.Errorf("handouts: %w", err)
	}
	defer os.RemoveAll(tmp)
	script, templateDir, err := prepareBuild(tmp, o.OutDir)
	if err != nil {
		return nil, fmt.Errorf("handouts: %w", err)
	}
	results := buildAll(ctx, jobs, &o, tmp, script, templateDir)
	return collectHandouts(results, o.OutDir)
}

// planBuild checks the options (Jupyter, an output directory, the library
// marker) and gives a notebook without a time limit DefaultTimeout.
func planBuild(o *Options) error {
	if o.Jupyter.Command == "" || o.Jupyter.Python == "" {
		return errors.New("handouts: no Jupyter (want its jupyter command and its Python)")
	}
	if o.OutDir == "" {
		return errors.New("handouts: no output directory")
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if _, err := libraryMarker(); err != nil {
		return fmt.Errorf("handouts: %w", err)
	}
	return nil
}

// prepareBuild writes execute.py and the export templates into tmp and
// makes the output directory outDir; it returns the script's path and the
// templates' directory.
func prepareBuild(tmp, outDir string) (script, templateDir string, err error) {
	script = filepath.Join(tmp, "execute.py")
	if err := os.WriteFile(script, executeScript, 0o644); err != nil {
		return "", "", err
	}
	templateDir, err = writeTemplates(tmp)
	if err != nil {
		return "", "", err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", "", err
	}
	return script, templateDir, nil
}

// buildResult is one job's handout, or why it has none.
type buildResult struct {
	h   *Handout
	err error
}

// buildAll executes the jobs one at a time, each exported while the next
// one runs (a notebook's gate waits until the previous handout is written),
// and reports each one done or failed. It stops starting jobs when ctx is
// done.
func buildAll(ctx context.Context, jobs []*Job, o *Options, tmp, script, templateDir string) []buildResult {
	var (
		results = make([]buildResult, len(jobs))
		wg      sync.WaitGroup
		// written is closed once the previous notebook's handout is
		// written (or failed): the next notebook's gate waits for it.
		written = make(chan struct{})
	)
	close(written)
	failed := func(i int, start time.Time, err error) {
		results[i].err = err
		o.report(Event{Kind: NotebookFailed, Notebook: jobs[i].Name(), Index: i + 1, Total: len(jobs), Elapsed: time.Since(start), Err: err})
	}
	for i, j := range jobs {
		b := &builder{o: o, job: j, tmp: filepath.Join(tmp, fmt.Sprintf("%02d", i+1)),
			script: script, templateDir: templateDir,
			base: Event{Notebook: j.Name(), Index: i + 1, Total: len(jobs)}}
		start := time.Now()
		x, executed, err := b.execute(ctx, written)
		if err != nil {
			failed(i, start, err)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		done := make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done)
			h, err := b.finish(ctx, executed, x.cells, start)
			if err != nil {
				failed(i, start, err)
				return
			}
			results[i].h = h
			o.report(Event{Kind: NotebookDone, Notebook: j.Name(), Index: i + 1, Total: len(jobs), Elapsed: h.Elapsed, Handout: h})
		}()
		written = done
	}
	wg.Wait()
	return results
}

// collectHandouts gathers the handouts built and the errors met, in the
// jobs' order, and writes the index into outDir if any handout was built.
func collectHandouts(results []buildResult, outDir string) ([]Handout, error) {
	var (
		out  []Handout
		errs []error
	)
	for _, r := range results {
		switch {
		case r.h != nil:
			out = append(out, *r.h)
		case r.err != nil:
			errs = append(errs, r.err)
		}
	}
	if len(out) > 0 {
		if err := WriteIndex(outDir); err != nil {
			errs = append(errs, err)
		}
	}
	return out, errors.Join(errs...)
}

// builder builds one handout.
type builder struct {
	o           *Options
	job         *Job
	tmp         string
	script      string
	templateDir string
	base        Event
}

// execute runs the job's notebook, its cells from the first one after the
// parameters cell on only once release is closed, and returns the
// execution and the executed notebook's path.
func (b *builder) execute(ctx context.Context, release <-chan struct{}) (*execution, string, error) {
	name := b.job.Name()
	if err := os.MkdirAll(filepath.Join(b.tmp, "executed"), 0o755); err != nil {
		return nil, "", fmt.Errorf("%s: %w", name, err)
	}
	nb, err := b.prepare()
	if err != nil {
		return nil, "", err
	}
	src := filepath.Join(b.tmp, name+".ipynb")
	data, err := nb.Marshal()
	if err != nil {
		return nil, "", err
	}
	if err := os.WriteFile(src, data, 0o644); err != nil {
		return nil, "", fmt.Errorf("%s: %w", name, err)
	}

	e := b.base
	e.Kind, e.Overrides, e.Cells = NotebookStarted, b.job.Overrides, nb.Cells()
	b.o.report(e)
	nctx, cancel := context.WithTimeoutCause(ctx, b.o.Timeout, fmt.Errorf("%w after %s (boundlab handouts --timeout)", errTimeout, b.o.Timeout))
	defer cancel()
	executed := filepath.Join(b.tmp, "executed", name+".ipynb")
	env := append(slices.Clone(b.o.env()), kernel.ResultsDirEnv+"="+b.resultsDir())
	x := &execution{o: b.o, nb: nb, script: b.script, log: filepath.Join(b.tmp, "kernel.log"), env: env, report: b.o.Progress, base: b.base,
		gate: b.gate(), release: release}
	if err := x.run(nctx, src, executed); err != nil {
		return nil, "", err
	}
	return x, executed, nil
}

// resultsDir is where the notebook's kernel saves its question's result
// (kernel.ResultsDirEnv).
func (b *builder) resultsDir() string { return filepath.Join(b.tmp, "results") }

// result reads the result the notebook's experiment cell saved (kernel.Run
// saves it), for the overview page; nil for a notebook without a question.
// It returns the result's JSON too.
func (b *builder) result() (experiments.Result, []byte, error) {
	q := b.job.Question
	if q == nil {
		return nil, nil, nil
	}
	data, err := os.ReadFile(filepath.Join(b.resultsDir(), q.Name()+".json"))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: its run saved no %s result (does a cell call kernel.Run(experiments...)?): %w", b.job.Name(), q.Name(), err)
	}
	res, err := q.DecodeResult(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", b.job.Name(), err)
	}
	return res, data, nil
}

// gate is the index, in the prepared notebook, of the first cell that may
// measure: the one after the parameters cell and the injected overrides.
// Without a parameters cell every cell may.
func (b *builder) gate() int {
	if b.job.Question == nil {
		return 0
	}
	g := b.job.Params.Index + 1
	if len(b.job.Overrides) > 0 {
		g++
	}
	return g
}

// finish exports the executed notebook, checks the page and writes it.
func (b *builder) finish(ctx context.Context, executed string, cells []CellTime, start time.Time) (*Handout, error) {
	name := b.job.Name()
	e := b.base
	e.Kind = Exporting
	b.o.report(e)
	page, err := exportHTML(ctx, b.o, b.templateDir, executed, filepath.Join(b.tmp, "html"), name)
	if err != nil {
		return nil, err
	}
	html, err := os.ReadFile(page)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	n, err := verifyHTML(html)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	res, data, err := b.result()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(b.o.OutDir, name+".html")
	if err := proc.WriteFile(path, html, 0o644); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	saved := filepath.Join(b.o.OutDir, name+".json")
	if data != nil {
		err = proc.WriteFile(saved, data, 0o644)
	} else {
		err = os.Remove(saved)
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &Handout{Notebook: name, Path: path, Size: int64(len(html)), Charts: n, Parts: Measure(html),
		Overrides: b.job.Overrides, Elapsed: time.Since(start), Cells: cells, Result: res}, nil
}

// prepare returns a copy of the job's notebook with the overrides
// injected; the copy keeps the original's path, which sets the kernel's
// working directory.
func (b *builder) prepare() (*Notebook, error) {
	data, err := b.job.Notebook.Marshal()
	if err != nil {
		return nil, err
	}
	nb, err := parseNotebook(b.job.Notebook.Path, data)
	if err != nil {
		return nil, err
	}
	if b.job.Question != nil {
		nb.InjectOverrides(b.job.Params, b.job.Overrides)
	}
	return nb, nil
}
