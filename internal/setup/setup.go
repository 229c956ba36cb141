package setup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Options are the choices of a set-up run.
type Options struct {
	// Out receives a line per step saying what it found or did.
	Out io.Writer
	// DryRun says what each step would do, and changes nothing.
	DryRun bool
	// NoInstall never installs system packages (with pip or apt-get): a
	// missing one is an error naming the command that installs it. Steps
	// that only touch the project (bin/, node_modules/, charts/assets) and
	// the kernel spec still run.
	NoInstall bool
	// Tests also makes sure of the test dependencies: Chromium.
	Tests bool
}

// Result is what a set-up run found in place at its end.
type Result struct {
	// Go is the Go toolchain.
	Go GoInfo
	// Jupyter is the Jupyter installation; nil after a dry run that found
	// none.
	Jupyter *Jupyter
	// Kernel is the installed gonb kernel spec; nil after a dry run that
	// would install it.
	Kernel *KernelSpec
}

// runner carries one set-up run.
type runner struct {
	p          Project
	o          Options
	res        Result
	aptUpdated bool
}

// Run sets the project up, step by step, saying on o.Out what each step
// found or did: the Go toolchain and the module dependencies; gonb,
// goimports and gopls built into bin/ at go.mod's versions; Jupyter (found,
// or installed with pip or apt-get); the gonb kernel spec installed into
// Jupyter's data directory with a PATH that includes bin/; and the ECharts
// library pinned by package-lock.json, fetched with npm ci and copied to
// charts/assets. With o.Tests it also makes sure Chromium is there.
//
// It is idempotent: a step whose piece is already right only says so. A
// step that cannot be done returns an *Error saying what to run.
func Run(ctx context.Context, p Project, o Options) (*Result, error) {
	if o.Out == nil {
		o.Out = io.Discard
	}
	r := &runner{p: p, o: o}
	start := time.Now()
	steps := []func(context.Context) error{r.goStep, r.toolsStep, r.jupyterStep, r.kernelStep, r.echartsStep}
	if o.Tests {
		steps = append(steps, r.chromiumStep)
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			if ctx.Err() != nil {
				return &r.res, ctx.Err()
			}
			return &r.res, err
		}
	}
	if o.DryRun {
		r.say("set-up", "dry run done in %s; nothing changed", seconds(time.Since(start)))
	} else {
		r.say("set-up", "done in %s", seconds(time.Since(start)))
	}
	return &r.res, nil
}

// say writes one line for a step.
func (r *runner) say(step, format string, args ...any) {
	fmt.Fprintf(r.o.Out, "%s: %s\n", step, fmt.Sprintf(format, args...))
}

func (r *runner) goStep(ctx context.Context) error {
	g, err := findGo(ctx)
	if err != nil {
		return err
	}
	r.res.Go = g
	if g.Cache == "" || g.Cache == "off" || g.GOPATH == "" {
		return &Error{Step: "Go", Problem: "no usable GOCACHE or GOPATH (is HOME unset?)",
			Fix: "set HOME, or GOCACHE and GOPATH, to writable directories"}
	}
	if r.o.DryRun {
		r.say("Go", "%s at %s", g.Version, g.Root)
		return nil
	}
	if _, err := (command{dir: r.p.Root, name: g.Path, args: []string{"mod", "download"}}).run(ctx); err != nil {
		return &Error{Step: "Go", Problem: fmt.Sprintf("cannot download the module dependencies: %v", err),
			Fix: "check that the Go module proxy is reachable (go env GOPROXY), then make setup", Output: outputOf(err), Err: err}
	}
	r.say("Go", "%s at %s; module dependencies downloaded", g.Version, g.Root)
	return nil
}

func (r *runner) toolsStep(ctx context.Context) error {
	g := r.res.Go
	pins, err := pinnedTools(ctx, r.p, g)
	if err != nil {
		return err
	}
	var stale []string
	for _, t := range Tools {
		if st := toolState(r.p.bin(), t, pins[t.Module], g.Version); st != "" {
			stale = append(stale, fmt.Sprintf("%s %s", r.p.rel(filepath.Join(r.p.bin(), t.Name)), st))
		}
	}
	if len(stale) == 0 {
		for _, t := range Tools {
			r.say(toolLabel(t, pins), "%s is current", r.p.rel(filepath.Join(r.p.bin(), t.Name)))
		}
		return nil
	}
	if r.o.DryRun {
		r.say("tools", "would build gonb, goimports and gopls into %s/ (%s)", r.p.rel(r.p.bin()), strings.Join(stale, "; "))
		return nil
	}
	r.say("tools", "building gonb, goimports and gopls into %s/ with go build (%s); the first build takes a minute or two", r.p.rel(r.p.bin()), strings.Join(stale, "; "))
	start := time.Now()
	if err := buildTools(ctx, r.p, g); err != nil {
		return &Error{Step: "tools", Problem: fmt.Sprintf("build failed: %v", err),
			Fix: "check that the Go module proxy is reachable (go env GOPROXY), then make setup", Output: outputOf(err), Err: err}
	}
	for _, t := range Tools {
		path := filepath.Join(r.p.bin(), t.Name)
		if st := toolState(r.p.bin(), t, pins[t.Module], g.Version); st != "" {
			return &Error{Step: toolLabel(t, pins), Problem: fmt.Sprintf("go build made %s, but it %s", r.p.rel(path), st)}
		}
		r.say(toolLabel(t, pins), "built %s", r.p.rel(path))
	}
	r.say("tools", "built in %s", seconds(time.Since(start)))
	return nil
}

func (r *runner) jupyterStep(ctx context.Context) error {
	j, err := findJupyter(ctx)
	var problem string
	switch {
	case err != nil:
		problem = fmt.Sprintf("broken (%v)", err)
	case j == nil:
		problem = "not found"
	case !j.Complete():
		problem = fmt.Sprintf("incomplete: %s (Python %s) lacks %s", j.Command, j.Python, strings.Join(j.Missing(), ", "))
	default:
		r.res.Jupyter = j
		r.say("Jupyter", "found %s, run by %s", j, j.Python)
		return nil
	}
	if r.o.DryRun {
		r.say("Jupyter", "%s; would install it: with pip (%s) if its index is reachable, else with apt-get (%s)",
			problem, strings.Join(pipJupyter, " "), strings.Join(aptJupyter, " "))
		return nil
	}
	if r.o.NoInstall {
		return &Error{Step: "Jupyter", Problem: problem + " (need notebook or jupyterlab, nbconvert and nbclient)", Fix: jupyterFix()}
	}
	notes := []string{problem}

	// First choice: JupyterLab from pip, when pip reaches its index.
	py, ok, why := pipReachable(ctx)
	if ok {
		r.say("Jupyter", "%s; installing %s with pip...", problem, strings.Join(pipJupyter, " "))
		args := append([]string{"-m", "pip", "install", "--disable-pip-version-check"}, pipJupyter...)
		_, err := command{name: py, args: args}.run(ctx)
		if err == nil {
			j, err := r.refindJupyter(ctx, py)
			if err != nil {
				return err
			}
			if j != nil && j.Complete() {
				r.res.Jupyter = j
				r.say("Jupyter", "%s; installed %s with pip: %s, run by %s", problem, strings.Join(pipJupyter, " "), j, j.Python)
				return nil
			}
			notes = append(notes, "pip installed "+strings.Join(pipJupyter, " ")+" but jupyter is still incomplete")
		} else {
			notes = append(notes, "pip could not install it ("+firstErrorLine(outputOf(err))+")")
		}
	} else {
		notes = append(notes, why)
	}

	// Second choice: Debian's packages.
	if ok, why := canApt(); !ok {
		notes = append(notes, why)
		return &Error{Step: "Jupyter", Problem: strings.Join(notes, "; "), Fix: jupyterFix()}
	}
	r.say("Jupyter", "%s; installing Debian's %s with apt-get...", strings.Join(notes, "; "), strings.Join(aptJupyter, " "))
	if err := r.aptInstall(ctx, aptJupyter...); err != nil {
		return &Error{Step: "Jupyter", Problem: fmt.Sprintf("apt-get could not install it: %v", err), Fix: jupyterFix(), Output: outputOf(err), Err: err}
	}
	j, err = findJupyter(ctx)
	if err != nil || j == nil || !j.Complete() {
		what := "no jupyter on PATH"
		if err != nil {
			what = err.Error()
		} else if j != nil {
			what = "lacks " + strings.Join(j.Missing(), ", ")
		}
		return &Error{Step: "Jupyter", Problem: "apt-get installed " + strings.Join(aptJupyter, " ") + " but Jupyter is still incomplete: " + what, Fix: jupyterFix()}
	}
	r.res.Jupyter = j
	r.say("Jupyter", "%s; installed Debian's %s with apt-get: %s, run by %s", strings.Join(notes, "; "), strings.Join(aptJupyter, " "), j, j.Python)
	return nil
}

// refindJupyter finds Jupyter after pip installed it with python: on PATH,
// else in python's scripts directories, which then must be put on PATH.
func (r *runner) refindJupyter(ctx context.Context, python string) (*Jupyter, error) {
	if j, err := findJupyter(ctx); err != nil || j != nil {
		return j, err
	}
	if p := lookPathIn("jupyter", pythonScriptsDirs(ctx, python)); p != "" {
		return nil, &Error{Step: "Jupyter", Problem: "pip installed jupyter into " + filepath.Dir(p) + ", which is not on PATH",
			Fix: "export PATH=" + filepath.Dir(p) + ":$PATH, then make setup"}
	}
	return nil, nil
}

// firstErrorLine picks the line of a command's output that says what went
// wrong.
func firstErrorLine(out string) string {
	for _, line := range strings.Split(out, "\n") {
		if l := strings.TrimSpace(line); strings.HasPrefix(l, "error:") || strings.HasPrefix(l, "ERROR:") || strings.HasPrefix(l, "E:") {
			return l
		}
	}
	return lastLine(out)
}

// canApt reports whether this process may install Debian packages.
func canApt() (bool, string) {
	if _, err := exec.LookPath("apt-get"); err != nil {
		return false, "there is no apt-get"
	}
	if geteuid() != 0 {
		return false, "apt-get needs root"
	}
	return true, ""
}

// aptInstall installs Debian packages, refreshing the package lists first
// (once per run).
func (r *runner) aptInstall(ctx context.Context, pkgs ...string) error {
	apt, err := exec.LookPath("apt-get")
	if err != nil {
		return fmt.Errorf("apt-get: %w", err)
	}
	env := withEnv(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if !r.aptUpdated {
		if _, err := (command{env: env, name: apt, args: []string{"update"}}).run(ctx); err != nil {
			return err
		}
		r.aptUpdated = true
	}
	_, err = command{env: env, name: apt, args: append([]string{"install", "-y"}, pkgs...)}.run(ctx)
	return err
}

func (r *runner) kernelStep(ctx context.Context) error {
	bin, goroot := r.p.bin(), r.res.Go.Root
	dataDir := defaultDataDir()
	kernelDirs := []string{filepath.Join(dataDir, "kernels")}
	if j := r.res.Jupyter; j != nil {
		dataDir, kernelDirs = j.DataDir, j.KernelDirs
	}
	dir := filepath.Join(dataDir, "kernels", KernelName)
	var spec *KernelSpec
	state := "not installed"
	if _, err := os.Stat(filepath.Join(dir, "kernel.json")); err == nil {
		if spec, err = ReadKernelSpec(dir); err != nil {
			state = err.Error()
		} else {
			state = kernelState(spec, bin, goroot)
		}
	}
	switch {
	case state == "":
		r.res.Kernel = spec
		r.say("kernel spec", "'%s' in %s is current (runs %s; PATH includes %s)", KernelName, dir, spec.Argv[0], bin)
	case r.o.DryRun:
		r.say("kernel spec", "%s; would install '%s' into %s (PATH including %s)", state, KernelName, dir, bin)
		return nil
	default:
		spec, err := InstallKernelSpec(ctx, bin, goroot, dataDir)
		if err != nil {
			return &Error{Step: "kernel spec", Problem: err.Error(), Fix: "check that " + dataDir + " is writable (or set JUPYTER_DATA_DIR), then make setup", Output: outputOf(err), Err: err}
		}
		if st := kernelState(spec, bin, goroot); st != "" {
			return &Error{Step: "kernel spec", Problem: "installed into " + dir + ", but " + st}
		}
		r.res.Kernel = spec
		r.say("kernel spec", "installed '%s' into %s (PATH includes %s)", KernelName, dir, bin)
	}
	// Jupyter uses the first spec of that name on its search path.
	if first, err := findKernelSpec(kernelDirs); err == nil && first != nil && first.Dir != dir {
		r.say("kernel spec", "note: Jupyter finds another '%s' first, in %s; remove it, or put %s first on JUPYTER_PATH", KernelName, first.Dir, dataDir)
	}
	return nil
}

func (r *runner) echartsStep(ctx context.Context) error {
	root := r.p.Root
	pin, err := PinnedECharts(root)
	if err != nil {
		return &Error{Step: "ECharts", Problem: err.Error(), Fix: "restore package.json and package-lock.json (git checkout -- package.json package-lock.json)", Err: err}
	}
	step := "ECharts " + pin
	asset := filepath.Join(root, echartsAsset)
	if installedECharts(root) == pin {
		if r.o.DryRun {
			if same, _ := sameContent(filepath.Join(root, echartsDist), asset); !same {
				r.say(step, "would copy %s to %s", echartsDist, echartsAsset)
			} else {
				r.say(step, "%s is current", echartsAsset)
			}
			return nil
		}
		copied, err := copyAsset(root)
		if err != nil {
			return &Error{Step: step, Problem: err.Error(), Fix: "check that charts/assets is writable, then make setup", Err: err}
		}
		if copied {
			r.say(step, "node_modules is current; copied to %s", echartsAsset)
		} else {
			r.say(step, "%s is current", echartsAsset)
		}
		return nil
	}
	if v, _ := EChartsFileVersion(asset); v == pin {
		r.say(step, "%s is current (node_modules not needed)", echartsAsset)
		return nil
	}
	if r.o.DryRun {
		r.say(step, "would run npm ci and copy %s to %s", echartsDist, echartsAsset)
		return nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		ok, why := canApt()
		if r.o.NoInstall || !ok {
			if r.o.NoInstall {
				why = "not installing system packages"
			}
			return &Error{Step: step, Problem: "npm not found (it fetches ECharts); " + why,
				Fix: "install Node.js with npm (" + sudo() + "apt-get install -y npm), then make setup"}
		}
		r.say(step, "npm not found; installing Debian's npm with apt-get...")
		if err := r.aptInstall(ctx, "npm"); err != nil {
			return &Error{Step: step, Problem: fmt.Sprintf("apt-get could not install npm: %v", err),
				Fix: "install Node.js with npm, then make setup", Output: outputOf(err), Err: err}
		}
		if npm, err = exec.LookPath("npm"); err != nil {
			return &Error{Step: step, Problem: "apt-get installed npm, but there is no npm on PATH", Fix: "install Node.js with npm, then make setup"}
		}
		r.say(step, "installed Debian's npm with apt-get")
	}
	start := time.Now()
	if _, err := (command{dir: root, name: npm, args: []string{"ci", "--no-audit", "--no-fund"}}).run(ctx); err != nil {
		return &Error{Step: step, Problem: fmt.Sprintf("npm ci failed: %v", err),
			Fix: "check that the npm registry is reachable (npm ping), then make setup", Output: outputOf(err), Err: err}
	}
	if v := installedECharts(root); v != pin {
		return &Error{Step: step, Problem: fmt.Sprintf("npm ci installed ECharts %q, not %s", v, pin),
			Fix: "make package.json and package-lock.json agree (npm install echarts@" + pin + "), then make setup"}
	}
	if _, err := copyAsset(root); err != nil {
		return &Error{Step: step, Problem: err.Error(), Fix: "check that charts/assets is writable, then make setup", Err: err}
	}
	if v, err := EChartsFileVersion(asset); err != nil || v != pin {
		return &Error{Step: step, Problem: fmt.Sprintf("%s declares version %q, not %s", echartsAsset, v, pin), Err: err}
	}
	r.say(step, "npm ci (%s); copied to %s", seconds(time.Since(start)), echartsAsset)
	return nil
}

// chromiumNames are the commands a Chromium may be installed as.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// chromiumPackages are Debian's packages of Chromium.
var chromiumPackages = []string{"chromium", "chromium-driver"}

// findChromium returns the Chromium on PATH and the version it reports, or
// "" when there is none.
func findChromium(ctx context.Context) (path, version string) {
	for _, name := range chromiumNames {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		return "", ""
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	out, err := command{name: path, args: []string{"--version"}}.output(ctx)
	if err != nil {
		return path, "version unknown"
	}
	return path, strings.TrimSpace(lastLine(out))
}

// chromiumFix is what to run by hand to get Chromium.
func chromiumFix() string {
	return sudo() + "apt-get install -y " + strings.Join(chromiumPackages, " ")
}

func (r *runner) chromiumStep(ctx context.Context) error {
	if path, v := findChromium(ctx); path != "" {
		r.say("Chromium", "found %s (%s)", v, path)
		return nil
	}
	if r.o.DryRun {
		r.say("Chromium", "not found; would install Debian's %s with apt-get", strings.Join(chromiumPackages, " "))
		return nil
	}
	ok, why := canApt()
	if r.o.NoInstall {
		ok, why = false, "not installing system packages"
	}
	if !ok {
		return &Error{Step: "Chromium", Problem: "not found (the browser tests need it); " + why, Fix: chromiumFix() + ", then make test"}
	}
	r.say("Chromium", "not found; installing Debian's %s with apt-get...", strings.Join(chromiumPackages, " "))
	if err := r.aptInstall(ctx, chromiumPackages...); err != nil {
		return &Error{Step: "Chromium", Problem: fmt.Sprintf("apt-get could not install it: %v", err), Fix: chromiumFix(), Output: outputOf(err), Err: err}
	}
	path, v := findChromium(ctx)
	if path == "" {
		return &Error{Step: "Chromium", Problem: "apt-get installed " + strings.Join(chromiumPackages, " ") + ", but there is no chromium on PATH", Fix: chromiumFix()}
	}
	r.say("Chromium", "not found; installed Debian's %s with apt-get: %s (%s)", strings.Join(chromiumPackages, " "), v, path)
	return nil
}

// IsSetupError reports whether err is a set-up step's error, and returns it.
func IsSetupError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
