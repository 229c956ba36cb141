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

	"github.com/boundlab/boundlab/internal/echartsbundle"
	"github.com/boundlab/boundlab/internal/units"
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
	// Jupyter chooses the Jupyter: JupyterVenv (the pinned one, in the
	// project's venv) or JupyterSystem (the one on PATH); "" means
	// BOUNDLAB_JUPYTER, else what the last set-up chose, else the venv.
	Jupyter string
	// KernelSpec says where the gonb kernel spec goes: KernelSpecPrefix
	// or KernelSpecUser; "" means the prefix for the venv and the user's
	// data directory for a system Jupyter.
	KernelSpec string
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
	// mode is the Jupyter chosen (JupyterVenv or JupyterSystem).
	mode string
}

// Run sets the project up, step by step, saying on o.Out what each step
// found or did: the Go toolchain and the module dependencies; gonb,
// goimports and gopls built into bin/ at go.mod's versions; Jupyter (found,
// or installed with pip or apt-get); the gonb kernel spec installed into
// Jupyter's data directory with a PATH that includes bin/; and boundlab's
// ECharts build, charts/assets/echarts-boundlab.min.js: the modules listed
// in charts/assets/src/echarts-boundlab.js bundled by esbuild, both ECharts
// and esbuild pinned by package-lock.json and fetched with npm ci. With
// o.Tests it also makes sure Chromium is there.
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
		r.say("set-up", "dry run done in %s; nothing changed", units.Elapsed(time.Since(start)))
	} else {
		r.say("set-up", "done in %s", units.Elapsed(time.Since(start)))
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
	r.say("tools", "built in %s", units.Elapsed(time.Since(start)))
	return nil
}

func (r *runner) jupyterStep(ctx context.Context) error {
	mode, why, err := r.p.chosenJupyter(r.o.Jupyter)
	if err != nil {
		return &Error{Step: "Jupyter", Problem: err.Error(), Err: err}
	}
	r.mode = mode
	if mode == JupyterSystem {
		return r.systemJupyter(ctx, why)
	}
	return r.venvJupyterStep(ctx)
}

// systemJupyter uses the Jupyter on PATH, as asked (why), warning where it
// is older than what the lock pins and the tests run.
func (r *runner) systemJupyter(ctx context.Context, why string) error {
	j, err := findJupyter(ctx)
	switch {
	case err != nil:
		return &Error{Step: "Jupyter", Problem: fmt.Sprintf("the Jupyter on PATH (%s) is broken: %v", why, err), Fix: jupyterFix(), Err: err}
	case j == nil:
		return &Error{Step: "Jupyter", Problem: "no jupyter on PATH (" + why + ")", Fix: jupyterFix()}
	case !j.Complete():
		return &Error{Step: "Jupyter", Problem: fmt.Sprintf("the Jupyter on PATH (%s) is incomplete: %s (Python %s) lacks %s", why, j.Command, j.Python, strings.Join(j.Missing(), ", ")), Fix: jupyterFix()}
	}
	j.Mode, j.Why = JupyterSystem, why
	r.res.Jupyter = j
	r.say("Jupyter", "using the Jupyter on PATH (%s): %s, run by %s", why, j, j.Python)
	if pins, err := r.p.lockVersions(); err == nil {
		if old := olderParts(j, pins); len(old) > 0 {
			r.say("Jupyter", "warning: older than what boundlab is tested with: %s; the pinned set is one make setup away (without --jupyter=system)", strings.Join(old, ", "))
		}
	}
	return nil
}

// venvJupyterStep makes sure of the pinned Jupyter in the project's venv:
// the venv made with python3 -m venv, the lock file installed into it with
// pip --require-hashes. Where PyPI cannot be reached, it falls back to
// Debian's classic Notebook and says so.
func (r *runner) venvJupyterStep(ctx context.Context) error {
	state := r.p.venvState()
	if state == "" {
		j, err := probeJupyter(ctx, r.p.venvJupyter())
		switch {
		case err != nil:
			state = fmt.Sprintf("its Jupyter does not run (%v)", err)
		case !j.Complete():
			state = "its Jupyter lacks " + strings.Join(j.Missing(), ", ")
		default:
			j.Mode = JupyterVenv
			r.res.Jupyter = j
			r.say("Jupyter", "%s in %s/ is current (pinned by %s)", j, VenvDir, LockFile)
			return r.p.writeChoice(nil)
		}
	}
	if r.o.DryRun {
		r.say("Jupyter", "the project's venv: %s; would make %s/ with python3 -m venv and install %s into it with pip --require-hashes (Debian's classic Notebook where PyPI cannot be reached)", state, VenvDir, LockFile)
		return nil
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		return &Error{Step: "Jupyter", Problem: "there is no python3 to make " + VenvDir + "/ with", Fix: sudo() + "apt-get install -y python3 python3-venv, then make setup"}
	}
	if _, err := os.Stat(r.p.venvPython()); err != nil {
		if err := r.makeVenv(ctx, python); err != nil {
			return err
		}
		r.say("Python venv", "made %s/ with %s -m venv", VenvDir, python)
	}
	if !pypiReachable(ctx, r.p.venvPython()) {
		return r.debianFallback(ctx, "PyPI cannot be reached")
	}
	pins, _ := r.p.lockVersions()
	r.say("Jupyter", "the project's venv: %s; installing %s into %s/ with pip --require-hashes (JupyterLab %s, Notebook %s, nbclient %s, nbconvert %s)...",
		state, LockFile, VenvDir, pins["jupyterlab"], pins["notebook"], pins["nbclient"], pins["nbconvert"])
	start := time.Now()
	if err := r.installLock(ctx); err != nil {
		return err
	}
	j, err := probeJupyter(ctx, r.p.venvJupyter())
	if err != nil {
		return &Error{Step: "Jupyter", Problem: fmt.Sprintf("installed %s, but its Jupyter does not run: %v", LockFile, err), Fix: "rm -rf " + VenvDir + ", then make setup", Err: err}
	}
	if !j.Complete() {
		return &Error{Step: "Jupyter", Problem: "installed " + LockFile + ", but its Jupyter lacks " + strings.Join(j.Missing(), ", "), Fix: "rm -rf " + VenvDir + ", then make setup"}
	}
	j.Mode = JupyterVenv
	r.res.Jupyter = j
	r.say("Jupyter", "installed into %s/ in %s: %s", VenvDir, units.Elapsed(time.Since(start)), j)
	return r.p.writeChoice(nil)
}

// debianFallback uses Debian's classic Notebook (installing it as root)
// when the pinned Jupyter cannot be installed, and records the choice so
// that lab, doctor and handouts use it too, until a set-up reaches PyPI.
func (r *runner) debianFallback(ctx context.Context, why string) error {
	choice := &jupyterChoice{Jupyter: JupyterSystem, Why: why + " at set-up: Debian's classic Notebook instead of the pinned JupyterLab"}
	if j, err := findJupyter(ctx); err == nil && j != nil && j.Complete() {
		j.Mode, j.Why = JupyterSystem, choice.Why
		r.res.Jupyter, r.mode = j, JupyterSystem
		r.say("Jupyter", "%s; using the Jupyter on PATH instead of the pinned one: %s", why, j)
		return r.p.writeChoice(choice)
	}
	ok, whyNot := canApt()
	if r.o.NoInstall {
		ok, whyNot = false, "not installing system packages"
	}
	if !ok {
		return &Error{Step: "Jupyter", Problem: why + " (for the pinned Jupyter) and " + whyNot + " (for Debian's)", Fix: jupyterFix()}
	}
	r.say("Jupyter", "%s; falling back to Debian's classic Notebook (%s) with apt-get...", why, strings.Join(aptJupyter, " "))
	if err := r.aptInstall(ctx, aptJupyter...); err != nil {
		return &Error{Step: "Jupyter", Problem: fmt.Sprintf("%s, and apt-get could not install Debian's Notebook: %v", why, err), Fix: jupyterFix(), Output: outputOf(err), Err: err}
	}
	j, err := findJupyter(ctx)
	if err != nil || j == nil || !j.Complete() {
		what := "no jupyter on PATH"
		if err != nil {
			what = err.Error()
		} else if j != nil {
			what = "it lacks " + strings.Join(j.Missing(), ", ")
		}
		return &Error{Step: "Jupyter", Problem: "apt-get installed " + strings.Join(aptJupyter, " ") + ", but " + what, Fix: jupyterFix()}
	}
	j.Mode, j.Why = JupyterSystem, choice.Why
	r.res.Jupyter, r.mode = j, JupyterSystem
	r.say("Jupyter", "%s; using Debian's classic Notebook: %s (not the tested JupyterLab)", why, j)
	return r.p.writeChoice(choice)
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
	dataDir, err := r.kernelDataDir()
	if err != nil {
		return &Error{Step: "kernel spec", Problem: err.Error(), Err: err}
	}
	kernelDirs := []string{filepath.Join(dataDir, "kernels")}
	if j := r.res.Jupyter; j != nil {
		kernelDirs = j.KernelDirs
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
	want, err := WantedBundle(root)
	if err != nil {
		return &Error{Step: "ECharts", Problem: err.Error(), Fix: "restore them (git checkout -- package.json package-lock.json " + echartsbundle.Entry + ")", Err: err}
	}
	step := "ECharts " + want.ECharts
	if legacy := filepath.Join(root, legacyAsset); fileExists(legacy) {
		if r.o.DryRun {
			r.say(step, "would remove %s (the whole library, replaced by boundlab's build)", legacyAsset)
		} else if err := os.Remove(legacy); err != nil {
			return &Error{Step: step, Problem: err.Error(), Fix: "rm " + legacyAsset, Err: err}
		} else {
			r.say(step, "removed %s (the whole library, replaced by boundlab's build)", legacyAsset)
		}
	}
	asset := filepath.Join(root, bundleAsset)
	state := bundleState(asset, want)
	if state == "" {
		r.say(step, "%s is current (%s, %s)", bundleAsset, want, sizeOf(asset))
		return nil
	}
	fetch := !nodeModulesCurrent(root, want)
	if r.o.DryRun {
		how := "would build it with esbuild " + want.Esbuild
		if fetch {
			how = "would run npm ci, then build it with esbuild " + want.Esbuild
		}
		r.say(step, "%s: %s; %s from %s", bundleAsset, state, how, bundleEntry)
		return nil
	}
	start := time.Now()
	if fetch {
		if err := r.npmCI(ctx, step, want); err != nil {
			return err
		}
	}
	if err := buildBundle(ctx, root, want); err != nil {
		return &Error{Step: step, Problem: fmt.Sprintf("esbuild could not bundle %s: %v", bundleEntry, err),
			Fix: "fix " + bundleEntry + " (each import is a module of the pinned echarts), then make setup", Output: outputOf(err), Err: err}
	}
	did := "built"
	if fetch {
		did = "npm ci, then built"
	}
	r.say(step, "%s %s from %s in %s (%s, %s)", did, bundleAsset, bundleEntry, units.Elapsed(time.Since(start)), want, sizeOf(asset))
	return nil
}

// npmCI installs node_modules from package-lock.json with npm ci,
// installing Debian's npm first where there is none (and that is allowed).
func (r *runner) npmCI(ctx context.Context, step string, want echartsbundle.Stamp) error {
	npm, err := exec.LookPath("npm")
	if err != nil {
		ok, why := canApt()
		if r.o.NoInstall || !ok {
			if r.o.NoInstall {
				why = "not installing system packages"
			}
			return &Error{Step: step, Problem: "npm not found (it fetches ECharts and esbuild); " + why,
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
	root := r.p.Root
	if _, err := (command{dir: root, name: npm, args: []string{"ci", "--no-audit", "--no-fund"}}).run(ctx); err != nil {
		return &Error{Step: step, Problem: fmt.Sprintf("npm ci failed: %v", err),
			Fix: "check that the npm registry is reachable (npm ping), then make setup", Output: outputOf(err), Err: err}
	}
	if !nodeModulesCurrent(root, want) {
		return &Error{Step: step, Problem: fmt.Sprintf("npm ci installed echarts %q and esbuild %q, not %s and %s",
			installedNpm(root, "echarts"), installedNpm(root, "esbuild"), want.ECharts, want.Esbuild),
			Fix: "make package.json and package-lock.json agree (npm install), then make setup"}
	}
	return nil
}

// sizeOf is a file's size for a person.
func sizeOf(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return "?"
	}
	return units.Bytes(float64(fi.Size()))
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
