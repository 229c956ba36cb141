package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/boundlab/boundlab/internal/proc"
)

// frontEnd is a Jupyter front end a test drives.
type frontEnd struct {
	// name names it in logs and screenshots.
	name string
	// args start its server (after the jupyter command); the test adds
	// the address, token and directory.
	args []string
	// tokenFlag sets the server's token (Jupyter Server's, or the classic
	// Notebook's own).
	tokenFlag, rootFlag string
	// open is the URL path that opens a notebook, before its name.
	open string
}

var (
	// jupyterLab is JupyterLab 4, its application object exposed to the
	// page (window.jupyterapp).
	jupyterLab = frontEnd{name: "jupyterlab", args: []string{"lab", "--expose-app-in-browser"},
		tokenFlag: "--ServerApp.token", rootFlag: "--ServerApp.root_dir", open: "/lab/tree/"}
	// notebook7 is Notebook 7, built on JupyterLab.
	notebook7 = frontEnd{name: "notebook7", args: []string{"notebook", "--expose-app-in-browser"},
		tokenFlag: "--ServerApp.token", rootFlag: "--ServerApp.root_dir", open: "/notebooks/"}
	// nbclassic is the classic Notebook interface on Jupyter Server.
	nbclassic = frontEnd{name: "nbclassic", args: []string{"nbclassic"},
		tokenFlag: "--ServerApp.token", rootFlag: "--ServerApp.root_dir", open: "/nbclassic/notebooks/"}
	// classicNotebook is Debian's classic Notebook 6, where that is the
	// Jupyter in use.
	classicNotebook = frontEnd{name: "notebook6", args: []string{"notebook"},
		tokenFlag: "--NotebookApp.token", rootFlag: "--notebook-dir", open: "/notebooks/"}
)

// serverOptions are the choices of a Jupyter server started for a test.
type serverOptions struct {
	// data is Jupyter's data directory, which holds the notebook signing
	// secret: a fresh one makes saved notebooks untrusted. "" means the
	// rig's.
	data string
	// settings are JupyterLab user settings, by plugin id (like
	// "@jupyterlab/notebook-extension:tracker"), written into a fresh
	// settings directory.
	settings map[string]map[string]any
}

// jupyterServer is a Jupyter server run for a test.
type jupyterServer struct {
	fe    frontEnd
	url   string // http://127.0.0.1:PORT
	token string
	pid   int
}

// notebookURL is the URL that opens the notebook called name.
func (s *jupyterServer) notebookURL(name string) string {
	return s.url + s.fe.open + name + ".ipynb?token=" + s.token
}

// startJupyter serves dir with the front end on a free loopback port, and
// stops it, and every process it started, when the test ends.
func startJupyter(t *testing.T, r *rig, fe frontEnd, dir string, o serverOptions) *jupyterServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &jupyterServer{fe: fe, url: fmt.Sprintf("http://127.0.0.1:%d", port), token: randomHex(16)}
	args := append(append([]string(nil), fe.args...), "--no-browser", "--ip=127.0.0.1", "--port="+strconv.Itoa(port),
		fe.tokenFlag+"="+s.token, fe.rootFlag+"="+dir)
	if os.Geteuid() == 0 {
		args = append(args, "--allow-root")
	}
	env := append([]string(nil), r.env...)
	if o.data != "" {
		env = append(env, "JUPYTER_DATA_DIR="+o.data)
	}
	settings := filepath.Join(t.TempDir(), "lab-settings")
	for plugin, values := range o.settings {
		i := strings.LastIndex(plugin, ":")
		pkg, name, ok := plugin[:max(i, 0)], plugin[i+1:], i > 0
		if !ok {
			t.Fatalf("setting plugin %q: want package:plugin", plugin)
		}
		b, err := json.Marshal(values)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(settings, pkg, name+".jupyterlab-settings")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env = append(env, "JUPYTERLAB_SETTINGS_DIR="+settings, "JUPYTERLAB_WORKSPACES_DIR="+t.TempDir())
	logPath := filepath.Join(t.TempDir(), "jupyter.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(r.jupyter, args...)
	cmd.Dir, cmd.Env = dir, env
	cmd.Stdout, cmd.Stderr = logf, logf
	child, err := proc.Start(cmd, syscall.SIGTERM)
	if err != nil {
		t.Fatal(err)
	}
	s.pid = child.Pid()
	w := watch(child.Pid())
	exited := make(chan struct{})
	go func() {
		_ = child.Wait()
		logf.Close()
		close(exited)
	}()
	t.Cleanup(func() {
		// Stop as a person's Ctrl-C would: Jupyter shuts its kernels down.
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			t.Errorf("jupyter %s did not stop within 30s of SIGTERM", fe.name)
			child.Kill(syscall.SIGKILL)
			<-exited
		}
		w.finish()
		deadline := time.Now().Add(5 * time.Second)
		for len(w.alive()) > 0 && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		if left := w.alive(); len(left) > 0 {
			t.Errorf("jupyter %s left processes behind (now killed): %v", fe.name, left)
			w.killAlive()
		}
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("jupyter %s's log:\n%s", fe.name, tailLines(string(b), 40))
			}
		}
	})
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := http.Get(s.url + "/api/status?token=" + s.token)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case <-exited:
			b, _ := os.ReadFile(logPath)
			t.Fatalf("jupyter %s exited:\n%s", fe.name, tailLines(string(b), 40))
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("jupyter %s did not answer on %s within 90s", fe.name, s.url)
		}
	}
}

// copyNotebooks copies the named notebooks into a fresh directory inside
// the module tree (so that their first cell finds the module), where a
// test may run and save them; the committed notebooks are never run in
// place.
func copyNotebooks(t *testing.T, r *rig, prefix string, names ...string) string {
	t.Helper()
	dir := r.scratch(t, prefix)
	for _, name := range names {
		src, err := os.ReadFile(filepath.Join(r.root, "notebooks", name+".ipynb"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".ipynb"), src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
