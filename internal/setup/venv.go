package setup

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/boundlab/boundlab/internal/proc"
)

// Where the pinned Python side of the project lives, relative to the
// project root.
const (
	// VenvDir is the project's own virtual environment.
	VenvDir = ".venv"
	// LockFile pins every Python package of the venv, with hashes.
	LockFile = "requirements.txt"
	// lockStamp, inside the venv, holds the SHA-256 of the lock file the
	// venv was last installed from.
	lockStamp = "boundlab-lock.sha256"
	// choiceFile, in bin/, records that the set-up chose a Jupyter other
	// than the venv's (see JupyterChoice).
	choiceFile = "jupyter-choice.json"
)

// The Jupyter the project runs with.
const (
	// JupyterVenv is the pinned Jupyter in the project's venv: the default.
	JupyterVenv = "venv"
	// JupyterSystem is the Jupyter already on PATH, used only when asked
	// for (setup --jupyter=system, or BOUNDLAB_JUPYTER=system), or when
	// the set-up fell back to Debian's classic Notebook because PyPI could
	// not be reached.
	JupyterSystem = "system"
)

// EnvJupyter is the environment variable that chooses the Jupyter
// (JupyterVenv or JupyterSystem) for set-up, lab, doctor and handouts.
const EnvJupyter = "BOUNDLAB_JUPYTER"

// EnvKernelSpec is the environment variable that says where the kernel
// spec goes (KernelSpecPrefix or KernelSpecUser) when setup is not told
// with --kernelspec: an image that sets it up in its Jupyter's prefix sets
// it, so that lab and handouts keep it there.
const EnvKernelSpec = "BOUNDLAB_KERNELSPEC"

// Where the kernel spec goes.
const (
	// KernelSpecPrefix installs it into the Jupyter's environment
	// prefix (<sys.prefix>/share/jupyter/kernels): the default for the
	// venv, and what an image for JupyterHub wants.
	KernelSpecPrefix = "prefix"
	// KernelSpecUser installs it into the user's Jupyter data directory
	// (JUPYTER_DATA_DIR, or ~/.local/share/jupyter): the default for a
	// system Jupyter.
	KernelSpecUser = "user"
)

// jupyterChoice is what bin/jupyter-choice.json records.
type jupyterChoice struct {
	Jupyter string `json:"jupyter"`
	Why     string `json:"why"`
}

// chosenJupyter returns the Jupyter asked for: the option, else
// BOUNDLAB_JUPYTER, else what the last set-up recorded, else the venv;
// and why, for a choice other than the venv.
func (p Project) chosenJupyter(option string) (mode, why string, err error) {
	switch option {
	case JupyterVenv, JupyterSystem:
		return option, "asked for with --jupyter=" + option, nil
	case "":
	default:
		return "", "", fmt.Errorf("--jupyter=%q: want %s or %s", option, JupyterVenv, JupyterSystem)
	}
	switch v := os.Getenv(EnvJupyter); v {
	case JupyterVenv, JupyterSystem:
		return v, EnvJupyter + "=" + v, nil
	case "":
	default:
		return "", "", fmt.Errorf("%s=%q: want %s or %s", EnvJupyter, v, JupyterVenv, JupyterSystem)
	}
	if c, ok := p.readChoice(); ok {
		return c.Jupyter, c.Why, nil
	}
	return JupyterVenv, "", nil
}

func (p Project) readChoice() (jupyterChoice, bool) {
	var c jupyterChoice
	b, err := os.ReadFile(filepath.Join(p.bin(), choiceFile))
	if err != nil || json.Unmarshal(b, &c) != nil || c.Jupyter != JupyterSystem {
		return jupyterChoice{}, false
	}
	return c, true
}

func (p Project) writeChoice(c *jupyterChoice) error {
	path := filepath.Join(p.bin(), choiceFile)
	if c == nil {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	b, _ := json.MarshalIndent(c, "", "  ")
	return proc.WriteFile(path, append(b, '\n'), 0o644)
}

// venvPython is the venv's interpreter.
func (p Project) venvPython() string { return filepath.Join(p.path(VenvDir), "bin", "python") }

// venvJupyter is the venv's jupyter command.
func (p Project) venvJupyter() string { return filepath.Join(p.path(VenvDir), "bin", "jupyter") }

// lockHash is the SHA-256 of the lock file, in hex.
func (p Project) lockHash() (string, error) {
	b, err := os.ReadFile(p.path(LockFile))
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:]), nil
}

// venvState says whether the venv holds what the lock pins: "" when it
// does, else what is not right.
func (p Project) venvState() string {
	if _, err := os.Stat(p.venvPython()); err != nil {
		return VenvDir + "/ is missing"
	}
	want, err := p.lockHash()
	if err != nil {
		return "cannot read " + LockFile + ": " + err.Error()
	}
	got, err := os.ReadFile(filepath.Join(p.path(VenvDir), lockStamp))
	if err != nil {
		return "it was not installed from " + LockFile
	}
	if strings.TrimSpace(string(got)) != want {
		return LockFile + " changed since it was installed"
	}
	if _, err := os.Stat(p.venvJupyter()); err != nil {
		return "it has no bin/jupyter"
	}
	return ""
}

// Versions are what the lock file pins, by distribution name in lower
// case with "-" for "_" (jupyterlab, notebook, nbclient, nbconvert,
// jupyter-server, ...). Where the lock pins a name differently for
// different Pythons, the last pin is kept.
func (p Project) lockVersions() (map[string]string, error) {
	f, err := os.Open(p.path(LockFile))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseLock(f)
}

var pinLine = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)`)

func parseLock(r interface{ Read([]byte) (int, error) }) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if m := pinLine.FindStringSubmatch(sc.Text()); m != nil {
			out[normName(m[1])] = m[2]
		}
	}
	return out, sc.Err()
}

// normName is a distribution name as PEP 503 compares them.
func normName(s string) string {
	return strings.ToLower(strings.NewReplacer("_", "-", ".", "-").Replace(s))
}

// olderThan reports whether version a is older than b, comparing the
// leading dotted numbers ("4.2.5" < "4.6.6"); "" is older than anything.
func olderThan(a, b string) bool {
	na, nb := versionNumbers(a), versionNumbers(b)
	for i := 0; i < max(len(na), len(nb)); i++ {
		var x, y int
		if i < len(na) {
			x = na[i]
		}
		if i < len(nb) {
			y = nb[i]
		}
		if x != y {
			return x < y
		}
	}
	return false
}

func versionNumbers(v string) []int {
	var out []int
	for _, part := range strings.Split(v, ".") {
		digits := part
		for i, r := range part {
			if r < '0' || r > '9' {
				digits = part[:i]
				break
			}
		}
		n, err := strconv.Atoi(digits)
		if err != nil {
			break
		}
		out = append(out, n)
		if digits != part {
			break
		}
	}
	return out
}

// olderParts lists the pieces of j older than the lock pins, like
// "jupyterlab 4.2.5 (tested: 4.6.6)".
func olderParts(j *Jupyter, pins map[string]string) []string {
	var out []string
	for _, x := range [][2]string{{"jupyterlab", j.Lab}, {"notebook", j.Notebook}, {"nbclient", j.NBClient}, {"nbconvert", j.NBConvert}, {"jupyter-server", j.Server}} {
		want := pins[x[0]]
		if x[1] == "" || want == "" {
			continue
		}
		if x[0] == "notebook" && j.Lab == "" && strings.HasPrefix(x[1], "6.") {
			// The classic Notebook 6 has no JupyterLab; it is what it is.
			out = append(out, "notebook "+x[1]+" (the classic Notebook; tested: "+want+")")
			continue
		}
		if olderThan(x[1], want) {
			out = append(out, fmt.Sprintf("%s %s (tested: %s)", x[0], x[1], want))
		}
	}
	return out
}

// makeVenv creates the venv with python3 -m venv. Where the venv module
// cannot make one (Debian without python3-venv), it installs Debian's
// python3-venv as root, or says the one command to run.
func (r *runner) makeVenv(ctx context.Context, python string) error {
	dir := r.p.path(VenvDir)
	_, err := command{name: python, args: []string{"-m", "venv", dir}}.run(ctx)
	if err == nil {
		return nil
	}
	out := outputOf(err)
	_ = os.RemoveAll(dir)
	noVenv := strings.Contains(out, "ensurepip is not available") || strings.Contains(out, "No module named venv")
	if !noVenv {
		return &Error{Step: "Python venv", Problem: fmt.Sprintf("%s -m venv %s failed: %v", python, VenvDir, err), Output: out, Err: err,
			Fix: "check that " + r.p.Root + " is writable, then make setup"}
	}
	fix := sudo() + "apt-get install -y python3-venv"
	ok, why := canApt()
	if r.o.NoInstall {
		ok, why = false, "not installing system packages"
	}
	if !ok {
		return &Error{Step: "Python venv", Problem: python + " cannot make a virtual environment (no venv/ensurepip module); " + why, Fix: fix + ", then make setup"}
	}
	r.say("Python venv", "%s cannot make a virtual environment; installing Debian's python3-venv with apt-get...", python)
	if err := r.aptInstall(ctx, "python3-venv"); err != nil {
		return &Error{Step: "Python venv", Problem: fmt.Sprintf("apt-get could not install python3-venv: %v", err), Fix: fix, Output: outputOf(err), Err: err}
	}
	if _, err := (command{name: python, args: []string{"-m", "venv", dir}}).run(ctx); err != nil {
		_ = os.RemoveAll(dir)
		return &Error{Step: "Python venv", Problem: fmt.Sprintf("%s -m venv still fails after installing python3-venv: %v", python, err), Fix: fix, Output: outputOf(err), Err: err}
	}
	return nil
}

// pypiReachable reports whether the venv's pip reaches its package index,
// asking with a short timeout.
func pypiReachable(ctx context.Context, python string) bool {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, err := command{name: python, args: []string{"-m", "pip", "index", "versions", "pip",
		"--timeout", "10", "--retries", "1", "--disable-pip-version-check"}}.run(ctx)
	return err == nil
}

// installLock installs the lock file into the venv: every package pinned
// and checked against its hashes, wheels only, then records the lock's
// hash in the venv.
func (r *runner) installLock(ctx context.Context) error {
	py := r.p.venvPython()
	args := []string{"-m", "pip", "install", "--require-hashes", "--only-binary=:all:", "--no-input",
		"--disable-pip-version-check", "-r", r.p.path(LockFile)}
	if _, err := (command{dir: r.p.Root, env: venvEnv(), name: py, args: args}).run(ctx); err != nil {
		return &Error{Step: "Jupyter", Problem: fmt.Sprintf("pip could not install %s into %s: %s", LockFile, VenvDir, firstErrorLine(outputOf(err))),
			Fix: "check that PyPI is reachable (" + r.p.rel(py) + " -m pip index versions pip), then make setup", Output: outputOf(err), Err: err}
	}
	h, err := r.p.lockHash()
	if err != nil {
		return err
	}
	return proc.WriteFile(filepath.Join(r.p.path(VenvDir), lockStamp), []byte(h+"\n"), 0o644)
}

// venvEnv is the environment for the venv's pip: this process's, without
// what would send pip's installs elsewhere (a user or target install) or
// make it ask questions.
func venvEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "PIP_USER", "PIP_TARGET", "PIP_PREFIX", "PIP_REQUIRE_VIRTUALENV", "PYTHONHOME", "PYTHONUSERBASE", "VIRTUAL_ENV":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "PIP_NO_INPUT=1")
}

// kernelDataDir is the Jupyter data directory the gonb kernel spec goes
// into: the environment prefix's share/jupyter (KernelSpecPrefix, the
// default for the venv) or the user's data directory (KernelSpecUser, the
// default for a system Jupyter; JUPYTER_DATA_DIR when set). j is the
// Jupyter in use, nil when a dry run found none yet.
func (r *runner) kernelDataDir() (string, error) {
	j, where := r.res.Jupyter, r.o.KernelSpec
	if where == "" {
		where = os.Getenv(EnvKernelSpec)
	}
	if where == "" {
		where = KernelSpecUser
		if r.mode == JupyterVenv {
			where = KernelSpecPrefix
		}
	}
	switch where {
	case KernelSpecUser:
		if j != nil && j.DataDir != "" {
			return j.DataDir, nil
		}
		return defaultDataDir(), nil
	case KernelSpecPrefix:
		switch {
		case j != nil && j.Prefix != "":
			return filepath.Join(j.Prefix, "share", "jupyter"), nil
		case r.mode == JupyterVenv:
			return filepath.Join(r.p.path(VenvDir), "share", "jupyter"), nil
		}
		return "", fmt.Errorf("--kernelspec=prefix needs a Jupyter whose environment prefix is known")
	}
	return "", fmt.Errorf("--kernelspec or %s=%q: want %s or %s", EnvKernelSpec, where, KernelSpecPrefix, KernelSpecUser)
}

// findChosen finds the Jupyter the project is set to use (see
// chosenJupyter), installing nothing: the venv's, or the one on PATH. It
// returns nil and what is wrong when the venv is not ready.
func (p Project) findChosen(ctx context.Context) (j *Jupyter, problem string, err error) {
	mode, why, err := p.chosenJupyter("")
	if err != nil {
		return nil, "", err
	}
	if mode == JupyterSystem {
		j, err := findJupyter(ctx)
		if j != nil {
			j.Mode, j.Why = JupyterSystem, why
		}
		if j == nil && err == nil {
			return nil, "no jupyter on PATH (" + why + ")", nil
		}
		return j, "", err
	}
	if st := p.venvState(); st != "" {
		return nil, "the project's venv: " + st, nil
	}
	j, err = probeJupyter(ctx, p.venvJupyter())
	if j != nil {
		j.Mode = JupyterVenv
	}
	return j, "", err
}

// Where says which Jupyter this is, for a person: "the project's pinned
// Jupyter in .venv/ (requirements.txt)", or "the Jupyter on PATH
// (BOUNDLAB_JUPYTER=system)".
func (j *Jupyter) Where() string {
	if j.Mode == JupyterVenv {
		return "the project's pinned Jupyter in " + VenvDir + "/ (" + LockFile + ")"
	}
	if j.Why != "" {
		return "the Jupyter on PATH (" + j.Why + ")"
	}
	return "the Jupyter on PATH"
}

// FindJupyter returns the Jupyter the project is set to use, installing
// nothing: the pinned one in the project's venv, or the one on PATH where
// BOUNDLAB_JUPYTER=system or the set-up fell back to it. The error says
// what is missing and how to fix it.
func FindJupyter(ctx context.Context, p Project) (*Jupyter, error) {
	j, problem, err := p.findChosen(ctx)
	switch {
	case err != nil:
		return nil, &Error{Step: "Jupyter", Problem: err.Error(), Fix: jupyterFix(), Err: err}
	case j == nil:
		return nil, &Error{Step: "Jupyter", Problem: problem, Fix: jupyterFix()}
	case !j.Complete():
		return nil, &Error{Step: "Jupyter", Problem: fmt.Sprintf("%s lacks %s", j.Command, strings.Join(j.Missing(), ", ")), Fix: jupyterFix()}
	}
	return j, nil
}
