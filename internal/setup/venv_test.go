package setup

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/boundlab/boundlab/internal/project"
)

// The lock pins what the set-up promises (JupyterLab 4.6, Notebook 7.6,
// nbconvert 7, nbclient), and every pin carries a hash, so that pip
// --require-hashes accepts it.
func TestLockPins(t *testing.T) {
	p := thisProject(t)
	pins, err := p.lockVersions()
	if err != nil {
		t.Fatal(err)
	}
	for name, prefix := range map[string]string{"jupyterlab": "4.6.", "notebook": "7.6.", "nbconvert": "7.", "nbclient": "0.", "jupyter-server": "2.", "py-spy": "0."} {
		if !strings.HasPrefix(pins[name], prefix) {
			t.Errorf("%s pins %s %q, want %s*", LockFile, name, pins[name], prefix)
		}
	}
	f, err := os.Open(p.path(LockFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var pin string
	hashes := 0
	check := func() {
		if pin != "" && hashes == 0 {
			t.Errorf("%s: %q has no --hash", LockFile, pin)
		}
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case pinLine.MatchString(line):
			check()
			pin, hashes = line, 0
		case strings.Contains(line, "--hash=sha256:"):
			hashes++
		}
	}
	check()
	// Each requirement of requirements.in is pinned at its version.
	in, err := os.ReadFile(p.path("requirements.in"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(in), "\n") {
		if m := pinLine.FindStringSubmatch(line); m != nil && pins[normName(m[1])] != m[2] {
			t.Errorf("requirements.in asks for %s==%s, %s pins %q (run make lock)", m[1], m[2], LockFile, pins[normName(m[1])])
		}
	}
}

func TestOlderThan(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"4.2.5", "4.6.6", true},
		{"4.6.6", "4.6.6", false},
		{"4.10.0", "4.6.6", false},
		{"7.0.0rc1", "7.6.5", true},
		{"6.4.12", "7.6.5", true},
		{"", "1.0", true},
		{"2.21.1", "2.21", false},
	} {
		if got := olderThan(c.a, c.b); got != c.want {
			t.Errorf("olderThan(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestOlderParts(t *testing.T) {
	pins := map[string]string{"jupyterlab": "4.6.6", "notebook": "7.6.5", "nbclient": "0.11.0", "nbconvert": "7.17.2", "jupyter-server": "2.21.1"}
	j := &Jupyter{Lab: "4.2.5", Notebook: "7.2.2", NBClient: "0.11.0", NBConvert: "7.17.2", Server: "2.14.0"}
	got := strings.Join(olderParts(j, pins), "; ")
	want := "jupyterlab 4.2.5 (tested: 4.6.6); notebook 7.2.2 (tested: 7.6.5); jupyter-server 2.14.0 (tested: 2.21.1)"
	if got != want {
		t.Errorf("olderParts = %q\nwant %q", got, want)
	}
	classic := &Jupyter{Notebook: "6.4.12", NBClient: "0.7.2", NBConvert: "6.5.3"}
	if got := strings.Join(olderParts(classic, pins), "; "); !strings.Contains(got, "notebook 6.4.12 (the classic Notebook") || !strings.Contains(got, "nbconvert 6.5.3") {
		t.Errorf("classic: %q", got)
	}
}

// The Jupyter is the option, else BOUNDLAB_JUPYTER, else the set-up's
// record, else the venv; a bad value is an error naming what is allowed.
func TestChosenJupyter(t *testing.T) {
	p := tempProject(t)
	t.Setenv(EnvJupyter, "")
	if m, _, err := p.chosenJupyter(""); err != nil || m != JupyterVenv {
		t.Fatalf("default: %q, %v", m, err)
	}
	if m, why, err := p.chosenJupyter("system"); err != nil || m != JupyterSystem || why != "asked for with --jupyter=system" {
		t.Fatalf("option: %q %q %v", m, why, err)
	}
	if _, _, err := p.chosenJupyter("conda"); err == nil || !strings.Contains(err.Error(), "want venv or system") {
		t.Fatalf("bad option: %v", err)
	}
	t.Setenv(EnvJupyter, "system")
	if m, why, _ := p.chosenJupyter(""); m != JupyterSystem || why != "BOUNDLAB_JUPYTER=system" {
		t.Fatalf("env: %q %q", m, why)
	}
	if m, _, _ := p.chosenJupyter("venv"); m != JupyterVenv {
		t.Fatalf("the option comes before the environment: %q", m)
	}
	t.Setenv(EnvJupyter, "yes")
	if _, _, err := p.chosenJupyter(""); err == nil || !strings.Contains(err.Error(), "BOUNDLAB_JUPYTER") {
		t.Fatalf("bad env: %v", err)
	}
	t.Setenv(EnvJupyter, "")
	if err := p.writeChoice(&jupyterChoice{Jupyter: JupyterSystem, Why: "PyPI cannot be reached at set-up"}); err != nil {
		t.Fatal(err)
	}
	if m, why, _ := p.chosenJupyter(""); m != JupyterSystem || !strings.Contains(why, "PyPI") {
		t.Fatalf("record: %q %q", m, why)
	}
	if err := p.writeChoice(nil); err != nil {
		t.Fatal(err)
	}
	if m, _, _ := p.chosenJupyter(""); m != JupyterVenv {
		t.Fatalf("record removed: %q", m)
	}
}

// tempProject is a fresh boundlab checkout holding only go.mod and the
// real lock file.
func tempProject(t *testing.T) Project {
	t.Helper()
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module "+project.ModulePath+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lock, err := os.ReadFile(thisProject(t).path(LockFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, LockFile), lock, 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := FindProject(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(p.bin(), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// The venv policy where the pinned Jupyter cannot be had. python3, pip and
// apt-get are fakes that log how they were called: python3 makes a venv
// whose pip cannot reach PyPI (or, with no ensurepip, makes none until
// python3-venv is "installed"); apt-get "installs" a jupyter script run by
// the real Jupyter's Python.
func TestVenvPolicy(t *testing.T) {
	real := completeJupyter(t)
	if !filepath.IsAbs(real.Python) {
		t.Skip("Jupyter's Python has no absolute path")
	}
	dir := t.TempDir()
	calls, venvOK := filepath.Join(dir, "calls"), filepath.Join(dir, "venv-ok")
	logCall := `echo "$(basename "$0") $*" >> ` + calls + "\n"
	python3 := "#!/bin/sh\n" + logCall + `
if [ "$1" = -m ] && [ "$2" = venv ]; then
  if [ -n "$NO_ENSUREPIP" ] && [ ! -e ` + venvOK + ` ]; then
    echo "The virtual environment was not created successfully because ensurepip is not available."; exit 1
  fi
  mkdir -p "$3/bin" && cp "$0" "$3/bin/python" && exit 0
fi
if [ "$1" = -m ] && [ "$2" = pip ]; then echo "ERROR: Could not find a version (network unreachable)"; exit 1; fi
exit 0
`
	makeJupyter := `cat > "$(dirname "$0")/jupyter" <<'EOF'` + "\n#!" + real.Python + "\nimport sys; sys.exit(0)\nEOF\nchmod +x \"$(dirname \"$0\")/jupyter\"\n"
	aptGet := "#!/bin/sh\n" + logCall + `if [ "$1" = install ] && [ "$3" = python3-venv ]; then touch ` + venvOK + `; exit 0; fi
if [ "$1" = install ]; then
` + makeJupyter + "fi\n"
	defer func(f func() int) { geteuid = f }(geteuid)
	run := func(t *testing.T, root bool) (Project, string, error) {
		t.Helper()
		os.Remove(calls)
		os.Remove(venvOK)
		fakePATH(t, map[string]string{"python3": python3, "apt-get": aptGet}, "sh", "cat", "chmod", "cp", "mkdir", "touch", "dirname", "basename")
		t.Setenv(EnvJupyter, "")
		geteuid = func() int {
			if root {
				return 0
			}
			return 1000
		}
		p := tempProject(t)
		var out bytes.Buffer
		r := &runner{p: p, o: Options{Out: &out}}
		err := r.jupyterStep(context.Background())
		log, _ := os.ReadFile(calls)
		return p, out.String() + "--- calls:\n" + string(log), err
	}

	t.Run("PyPI unreachable, root: Debian's Notebook, said in one line", func(t *testing.T) {
		p, log, err := run(t, true)
		if err != nil {
			t.Fatalf("%v\n%s", err, log)
		}
		for _, want := range []string{
			"Python venv: made .venv/ with ",
			"Jupyter: PyPI cannot be reached; falling back to Debian's classic Notebook (jupyter-notebook jupyter-nbconvert python3-nbclient) with apt-get...\n",
			"apt-get install -y jupyter-notebook jupyter-nbconvert python3-nbclient\n",
		} {
			if !strings.Contains(log, want) {
				t.Errorf("lacks %q:\n%s", want, log)
			}
		}
		if m, why, _ := p.chosenJupyter(""); m != JupyterSystem || !strings.Contains(why, "PyPI cannot be reached") {
			t.Errorf("the choice was not recorded: %q %q", m, why)
		}
	})
	t.Run("PyPI unreachable, not root: the commands to run", func(t *testing.T) {
		_, log, err := run(t, false)
		if err == nil || strings.Contains(err.Error(), "\n") ||
			!strings.Contains(err.Error(), "Jupyter: PyPI cannot be reached (for the pinned Jupyter) and apt-get needs root (for Debian's); fix: make setup") ||
			!strings.Contains(err.Error(), "sudo apt-get install -y jupyter-notebook") {
			t.Fatalf("err = %v\n%s", err, log)
		}
		if strings.Contains(log, "apt-get install") {
			t.Fatalf("apt-get ran without root:\n%s", log)
		}
	})
	t.Run("no ensurepip, root: python3-venv installed", func(t *testing.T) {
		t.Setenv("NO_ENSUREPIP", "1")
		_, log, _ := run(t, true)
		if !strings.Contains(log, "apt-get install -y python3-venv\n") || !strings.Contains(log, "Python venv: made .venv/") {
			t.Fatalf("python3-venv was not installed:\n%s", log)
		}
	})
	t.Run("no ensurepip, not root: the one command", func(t *testing.T) {
		t.Setenv("NO_ENSUREPIP", "1")
		_, log, err := run(t, false)
		if err == nil || !strings.Contains(err.Error(), "cannot make a virtual environment") || !strings.HasSuffix(err.Error(), "fix: sudo apt-get install -y python3-venv, then make setup") {
			t.Fatalf("err = %v\n%s", err, log)
		}
	})
}

// A real venv from a real lock, installed from PyPI with hashes checked:
// the stamp makes a second look find it current, a changed lock makes it
// stale, and a wrong hash is refused.
func TestVenvInstallsLock(t *testing.T) {
	if testing.Short() {
		t.Skip("installs from PyPI")
	}
	real := thisProject(t)
	lock, err := os.ReadFile(real.path(LockFile))
	if err != nil {
		t.Fatal(err)
	}
	// six, pinned with its hashes, as the real lock has it.
	var six []string
	for _, line := range strings.Split(string(lock), "\n") {
		if strings.HasPrefix(line, "six==") || (len(six) > 0 && strings.HasPrefix(line, "    --hash=")) {
			six = append(six, line)
		} else if len(six) > 0 {
			break
		}
	}
	if len(six) < 2 {
		t.Fatalf("no pinned six in %s", LockFile)
	}
	p := tempProject(t)
	if err := os.WriteFile(p.path(LockFile), []byte(strings.Join(six, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	r := &runner{p: p, o: Options{Out: &out}}
	ctx := context.Background()
	if err := r.makeVenv(ctx, "python3"); err != nil {
		t.Fatal(err)
	}
	if !pypiReachable(ctx, p.venvPython()) {
		t.Skip("PyPI cannot be reached from here (the set-up falls back to Debian's Notebook; TestVenvPolicy covers that)")
	}
	if err := r.installLock(ctx); err != nil {
		t.Fatal(err)
	}
	// No jupyter in this venv: the state names that, not the lock.
	if st := p.venvState(); st != "it has no bin/jupyter" {
		t.Fatalf("state after install = %q", st)
	}
	if out, err := (command{name: p.venvPython(), args: []string{"-c", "import six; print(six.__version__)"}}).output(ctx); err != nil || !strings.HasPrefix(strings.TrimPrefix(six[0], "six=="), strings.TrimSpace(out)) {
		t.Fatalf("six in the venv: %q, %v", out, err)
	}
	if err := os.WriteFile(p.path(LockFile), []byte(strings.Join(six, "\n")+"\n# changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if st := p.venvState(); st != LockFile+" changed since it was installed" {
		t.Fatalf("state after the lock changed = %q", st)
	}
	bad := strings.Join(six[:1], "\n") + "\n    --hash=sha256:" + strings.Repeat("0", 64) + "\n"
	if err := os.WriteFile(p.path(LockFile), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	// A wheel whose hash is not the pinned one is refused (pip's cache
	// would otherwise serve the installed one: uninstall it first).
	_, _ = command{name: p.venvPython(), args: []string{"-m", "pip", "uninstall", "-y", "six"}}.run(ctx)
	err = r.installLock(ctx)
	if err == nil || !strings.Contains(strings.ToLower(outputOf(err)), "hash") {
		t.Fatalf("a wrong hash was not refused: %v\n%s", err, outputOf(err))
	}
}

// Where the kernel spec goes: the option, else BOUNDLAB_KERNELSPEC, else
// the prefix for the venv and the user's directory for a system Jupyter.
func TestKernelDataDir(t *testing.T) {
	p := tempProject(t)
	data := t.TempDir()
	sys := &Jupyter{Mode: JupyterSystem, Prefix: "/opt/conda", DataDir: data}
	for _, c := range []struct {
		mode, option, env string
		j                 *Jupyter
		want, err         string
	}{
		{mode: JupyterVenv, want: filepath.Join(p.Root, VenvDir, "share", "jupyter")},
		{mode: JupyterSystem, j: sys, want: data},
		{mode: JupyterSystem, j: sys, option: "prefix", want: "/opt/conda/share/jupyter"},
		{mode: JupyterSystem, j: sys, env: "prefix", want: "/opt/conda/share/jupyter"},
		{mode: JupyterSystem, j: sys, env: "prefix", option: "user", want: data},
		{mode: JupyterSystem, j: sys, env: "home", err: `--kernelspec or BOUNDLAB_KERNELSPEC="home": want prefix or user`},
	} {
		t.Setenv(EnvKernelSpec, c.env)
		r := &runner{p: p, o: Options{KernelSpec: c.option}, mode: c.mode, res: Result{Jupyter: c.j}}
		got, err := r.kernelDataDir()
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%+v: err %v, want %q", c, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%+v: %q, %v; want %q", c, got, err, c.want)
		}
	}
}
