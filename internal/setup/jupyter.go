package setup

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Jupyter is the Jupyter installation on PATH, as its own Python sees it.
type Jupyter struct {
	// Command is the jupyter script.
	Command string
	// Python is the interpreter running it (from the script's first line),
	// and PythonVersion its version.
	Python, PythonVersion string
	// Prefix is the Python's sys.prefix: its environment.
	Prefix string
	// Versions of the Python distributions; "" where one is not importable.
	Notebook, Lab, NBConvert, NBClient, Server, Client string
	// Mode is JupyterVenv for the project's pinned Jupyter, JupyterSystem
	// for one found on PATH; Why says why a system one is used.
	Mode, Why string
	// DataDir is Jupyter's data directory, where set-up installs the kernel
	// spec (JUPYTER_DATA_DIR, or the user's).
	DataDir string
	// KernelDirs are the directories Jupyter searches for kernel specs, in
	// order.
	KernelDirs []string
}

// Complete reports whether this Jupyter can serve and run the notebooks:
// Notebook or JupyterLab, plus nbconvert and nbclient.
func (j *Jupyter) Complete() bool { return len(j.Missing()) == 0 }

// Missing lists what Complete needs and lacks.
func (j *Jupyter) Missing() []string {
	var m []string
	if j.Notebook == "" && j.Lab == "" {
		m = append(m, "notebook or jupyterlab")
	}
	if j.NBConvert == "" {
		m = append(m, "nbconvert")
	}
	if j.NBClient == "" {
		m = append(m, "nbclient")
	}
	if j.DataDir == "" {
		m = append(m, "jupyter_core")
	}
	return m
}

// App returns the Jupyter subcommand lab opens: "lab" where JupyterLab is
// installed, else "notebook".
func (j *Jupyter) App() string {
	if j.Lab != "" {
		return "lab"
	}
	return "notebook"
}

// String describes the installation, like "JupyterLab 4.6.6 (notebook
// 7.6.5, nbconvert 7.17.2, nbclient 0.11.0, jupyter_server 2.21.1)".
func (j *Jupyter) String() string {
	var head string
	var parts []string
	if j.Lab != "" {
		head = "JupyterLab " + j.Lab
		if j.Notebook != "" {
			parts = append(parts, "notebook "+j.Notebook)
		}
	} else if j.Notebook != "" {
		head = "jupyter-notebook " + j.Notebook
	} else {
		head = "jupyter without notebook or jupyterlab"
	}
	for _, p := range [][2]string{{"nbconvert", j.NBConvert}, {"nbclient", j.NBClient}} {
		if p[1] != "" {
			parts = append(parts, p[0]+" "+p[1])
		} else {
			parts = append(parts, "no "+p[0])
		}
	}
	if j.Server != "" {
		parts = append(parts, "jupyter_server "+j.Server)
	}
	return head + " (" + strings.Join(parts, ", ") + ")"
}

// probeScript prints, as JSON, what the Python running it can import of
// Jupyter and where Jupyter keeps its data and kernel specs. It looks the
// packages up without importing them, which keeps it fast.
const probeScript = `
import importlib.util, json, sys
def ver(mod):
    try:
        if importlib.util.find_spec(mod) is None:
            return ""
    except Exception:
        return ""
    try:
        from importlib.metadata import version
        return version(mod)
    except Exception:
        pass
    try:
        return str(getattr(importlib.import_module(mod), "__version__", "unknown"))
    except Exception:
        return ""
out = {"python": sys.executable, "python_version": sys.version.split()[0], "prefix": sys.prefix}
for mod in ("notebook", "jupyterlab", "nbconvert", "nbclient", "jupyter_server", "jupyter_client"):
    out[mod] = ver(mod)
try:
    from jupyter_core.paths import jupyter_data_dir, jupyter_path
    out["data_dir"] = jupyter_data_dir()
    out["kernel_dirs"] = jupyter_path("kernels")
except Exception as e:
    out["error"] = "jupyter_core: %s" % e
print(json.dumps(out))
`

// findJupyter returns the Jupyter on PATH, or nil when there is no jupyter
// command. An installation that is there but incomplete is returned, with
// Complete false.
func findJupyter(ctx context.Context) (*Jupyter, error) {
	cmd, err := exec.LookPath("jupyter")
	if err != nil {
		return nil, nil
	}
	return probeJupyter(ctx, cmd)
}

// probeJupyter describes the installation of the jupyter script at cmd.
func probeJupyter(ctx context.Context, cmd string) (*Jupyter, error) {
	py := scriptInterpreter(cmd)
	if py == "" {
		py = "python3"
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := command{name: py, args: []string{"-c", probeScript}}.output(ctx)
	if err != nil {
		return nil, fmt.Errorf("ask %s (the Python of %s) about Jupyter: %w", py, cmd, err)
	}
	var r struct {
		Python        string   `json:"python"`
		PythonVersion string   `json:"python_version"`
		Prefix        string   `json:"prefix"`
		Notebook      string   `json:"notebook"`
		Lab           string   `json:"jupyterlab"`
		NBConvert     string   `json:"nbconvert"`
		NBClient      string   `json:"nbclient"`
		Server        string   `json:"jupyter_server"`
		Client        string   `json:"jupyter_client"`
		DataDir       string   `json:"data_dir"`
		KernelDirs    []string `json:"kernel_dirs"`
	}
	if err := json.Unmarshal([]byte(lastLine(out)), &r); err != nil {
		return nil, fmt.Errorf("ask %s about Jupyter: unexpected answer %q: %w", py, tail(out, 3), err)
	}
	return &Jupyter{Command: cmd, Python: r.Python, PythonVersion: r.PythonVersion, Prefix: r.Prefix,
		Notebook: r.Notebook, Lab: r.Lab, NBConvert: r.NBConvert, NBClient: r.NBClient,
		Server: r.Server, Client: r.Client, DataDir: r.DataDir, KernelDirs: r.KernelDirs}, nil
}

// lastLine returns the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// scriptInterpreter returns the interpreter named by the #! line of the
// script at path, or "" when it has none. "#!/usr/bin/env python3" is
// resolved on PATH.
func scriptInterpreter(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && line == "" || !strings.HasPrefix(line, "#!") {
		return ""
	}
	fields := strings.Fields(strings.TrimPrefix(line, "#!"))
	if len(fields) == 0 {
		return ""
	}
	if filepath.Base(fields[0]) != "env" {
		return fields[0]
	}
	for _, f := range fields[1:] {
		if strings.HasPrefix(f, "-") || strings.Contains(f, "=") {
			continue
		}
		if p, err := exec.LookPath(f); err == nil {
			return p
		}
		return ""
	}
	return ""
}

// defaultDataDir is where Jupyter keeps its data when it cannot be asked:
// JUPYTER_DATA_DIR, else the XDG data directory's jupyter.
func defaultDataDir() string {
	if d := os.Getenv("JUPYTER_DATA_DIR"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "jupyter")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".local", "share", "jupyter")
}

// aptJupyter are Debian's packages of the classic Notebook: the fallback
// where PyPI cannot be reached.
var aptJupyter = []string{"jupyter-notebook", "jupyter-nbconvert", "python3-nbclient"}

// jupyterFix is what to run by hand to get Jupyter.
func jupyterFix() string {
	return fmt.Sprintf("make setup (the pinned JupyterLab into %s/, from PyPI), or where PyPI cannot be reached '%sapt-get install -y %s' then make setup",
		VenvDir, sudo(), strings.Join(aptJupyter, " "))
}

// sudo is "sudo " unless this process is root.
func sudo() string {
	if geteuid() == 0 {
		return ""
	}
	return "sudo "
}

// geteuid is os.Geteuid; tests replace it.
var geteuid = os.Geteuid
