package setup

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/boundlab/boundlab/internal/echartsbundle"
)

// Status is the verdict of one doctor check.
type Status string

// The statuses of a check.
const (
	// OK: the piece is there and right.
	OK Status = "OK"
	// Missing: the piece is not there.
	Missing Status = "MISSING"
	// Wrong: the piece is there but not the pinned one, or does not run.
	Wrong Status = "WRONG"
)

// Check is one piece of the set-up as the doctor found it.
type Check struct {
	// Name names the piece, like "gonb" or "Jupyter".
	Name string
	// Status is OK, MISSING or WRONG.
	Status Status
	// Optional pieces do not make the doctor fail.
	Optional bool
	// Detail says what was found, or what is wrong.
	Detail string
	// Fix is the command that fixes a piece that is not OK.
	Fix string
}

// Doctor checks each piece of the project's set-up without changing
// anything: Go, the tools in bin/ (at go.mod's versions), the gonb kernel
// spec Jupyter will use (its binary runs and is the pinned gonb; its PATH
// includes bin/), Jupyter, boundlab's ECharts build, and the optional npm, python3
// and Chromium.
func Doctor(ctx context.Context, p Project) []Check {
	var checks []Check
	add := func(c Check) { checks = append(checks, c) }

	g, goErr := findGo(ctx)
	if goErr != nil {
		add(Check{Name: "Go", Status: Missing, Detail: "go not found on PATH", Fix: goFix})
	} else {
		add(Check{Name: "Go", Status: OK, Detail: fmt.Sprintf("%s at %s", g.Version, g.Root)})
	}

	var pins map[string]string
	if goErr == nil {
		pins, _ = pinnedTools(ctx, p, g)
	}
	for _, t := range Tools {
		path := filepath.Join(p.bin(), t.Name)
		c := Check{Name: t.Name, Fix: "make setup"}
		switch {
		case pins == nil:
			c.Status, c.Detail = Missing, "cannot read the pinned version from go.mod (needs Go)"
		default:
			st := toolState(p.bin(), t, pins[t.Module], g.Version)
			switch {
			case st == "missing":
				c.Status, c.Detail = Missing, path+" is missing"
			case st != "":
				c.Status, c.Detail = Wrong, path+" "+st
			default:
				c.Status, c.Detail, c.Fix = OK, fmt.Sprintf("%s %s", path, pins[t.Module]), ""
				if t.Name == "gonb" {
					if v, err := gonbVersion(ctx, path); err != nil {
						c.Status, c.Detail, c.Fix = Wrong, fmt.Sprintf("%s does not run: %v", path, err), "make setup"
					} else {
						c.Detail += " (gonb -V: " + v + ")"
					}
				}
			}
		}
		add(c)
	}

	j, problem, jerr := p.findChosen(ctx)
	switch {
	case jerr != nil:
		add(Check{Name: "Jupyter", Status: Wrong, Detail: jerr.Error(), Fix: jupyterFix()})
	case j == nil:
		add(Check{Name: "Jupyter", Status: Missing, Detail: problem, Fix: jupyterFix()})
	case !j.Complete():
		add(Check{Name: "Jupyter", Status: Missing, Detail: fmt.Sprintf("%s (Python %s) lacks %s", j.Command, j.Python, strings.Join(j.Missing(), ", ")), Fix: jupyterFix()})
	default:
		c := Check{Name: "Jupyter", Status: OK, Detail: fmt.Sprintf("%s: %s, at %s, run by %s (Python %s)", j.Where(), j, j.Command, j.Python, j.PythonVersion)}
		if pins, err := p.lockVersions(); err == nil && j.Mode == JupyterSystem {
			if old := olderParts(j, pins); len(old) > 0 {
				c.Detail += "; older than tested: " + strings.Join(old, ", ")
			}
		}
		add(c)
	}

	add(kernelCheck(ctx, p, g, j, pins))

	add(bundleCheck(p.Root))
	add(versionCheck(ctx, "npm", "npm", "needed by make setup only to fetch ECharts and esbuild", "install Node.js with npm ("+sudo()+"apt-get install -y npm)"))
	py := versionCheck(ctx, "python3", "python3", "not needed by boundlab itself", "")
	if py.Status == OK && j != nil && j.Python != "" {
		if path, _ := exec.LookPath("python3"); path != j.Python {
			py.Detail += "; Jupyter runs " + j.Python
		}
	}
	add(py)
	if path, v := findChromium(ctx); path != "" {
		add(Check{Name: "Chromium", Status: OK, Optional: true, Detail: fmt.Sprintf("%s (%s)", v, path)})
	} else {
		add(Check{Name: "Chromium", Status: Missing, Optional: true, Detail: "optional: for the browser tests and screenshots (make test installs it)", Fix: chromiumFix()})
	}
	return checks
}

// bundleCheck checks boundlab's ECharts build against the pins and the
// entry file.
func bundleCheck(root string) Check {
	c := Check{Name: "ECharts build", Fix: "make setup"}
	want, err := WantedBundle(root)
	if err != nil {
		c.Status, c.Detail, c.Fix = Missing, err.Error(), "git checkout -- package.json package-lock.json "+echartsbundle.Entry
		return c
	}
	switch st := bundleState(filepath.Join(root, bundleAsset), want); {
	case st == "it is missing":
		c.Status, c.Detail = Missing, bundleAsset+" is missing (charts cannot be drawn)"
	case st != "":
		c.Status, c.Detail = Wrong, bundleAsset+": "+st
	default:
		c.Status, c.Detail, c.Fix = OK, fmt.Sprintf("%s: %s (%s)", bundleAsset, want, sizeOf(filepath.Join(root, bundleAsset))), ""
	}
	return c
}

// kernelCheck checks the gonb kernel spec that Jupyter will use.
func kernelCheck(ctx context.Context, p Project, g GoInfo, j *Jupyter, pins map[string]string) Check {
	c := Check{Name: "kernel spec", Fix: "make setup"}
	dirs := []string{filepath.Join(defaultDataDir(), "kernels")}
	if j != nil && len(j.KernelDirs) > 0 {
		dirs = j.KernelDirs
	}
	spec, err := findKernelSpec(dirs)
	switch {
	case err != nil:
		c.Status, c.Detail = Wrong, err.Error()
		return c
	case spec == nil:
		c.Status, c.Detail = Missing, fmt.Sprintf("no '%s' kernel spec in %s", KernelName, strings.Join(dirs, ", "))
		return c
	}
	if st := kernelState(spec, p.bin(), g.Root); st != "" {
		c.Status, c.Detail = Wrong, fmt.Sprintf("'%s' in %s: %s", KernelName, spec.Dir, st)
		return c
	}
	v, err := gonbVersion(ctx, spec.Argv[0])
	if err != nil {
		c.Status, c.Detail = Wrong, fmt.Sprintf("'%s' in %s: its binary %s does not run: %v", KernelName, spec.Dir, spec.Argv[0], err)
		return c
	}
	if want := pins["github.com/janpfeifer/gonb"]; want != "" && v != want {
		c.Status, c.Detail = Wrong, fmt.Sprintf("'%s' in %s runs gonb %s, want %s", KernelName, spec.Dir, v, want)
		return c
	}
	c.Status, c.Fix = OK, ""
	c.Detail = fmt.Sprintf("'%s' in %s; runs %s (%s); PATH includes %s", KernelName, spec.Dir, spec.Argv[0], v, p.bin())
	return c
}

// versionCheck checks an optional command by its --version.
func versionCheck(ctx context.Context, name, cmd, note, fix string) Check {
	c := Check{Name: name, Optional: true}
	path, err := exec.LookPath(cmd)
	if err != nil {
		c.Status, c.Detail, c.Fix = Missing, "optional: "+note, fix
		return c
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	out, err := command{name: path, args: []string{"--version"}}.output(ctx)
	if err != nil {
		c.Status, c.Detail, c.Fix = Wrong, fmt.Sprintf("%s does not run: %v (optional: %s)", path, err, note), fix
		return c
	}
	c.Status, c.Detail = OK, fmt.Sprintf("%s (%s)", strings.TrimSpace(lastLine(out)), path)
	return c
}

// Healthy reports whether every required check is OK.
func Healthy(checks []Check) bool {
	for _, c := range checks {
		if !c.Optional && c.Status != OK {
			return false
		}
	}
	return true
}
