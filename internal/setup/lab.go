package setup

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/boundlab/boundlab/internal/proc"
	"golang.org/x/sys/unix"
)

// LabOptions are the choices of Lab.
type LabOptions struct {
	// Args go to Jupyter as they are, like --port 9999 --no-browser --ip 0.0.0.0.
	Args []string
	// Stdout and Stderr receive the set-up's lines and Jupyter's output.
	Stdout, Stderr io.Writer
	// GraceTime is how long Jupyter has to stop, after Ctrl-C, before it and
	// its kernels are killed; 0 means 20 seconds.
	GraceTime time.Duration
}

// Lab checks the set-up (doing the project-local steps, installing no
// system packages), then runs Jupyter on notebooks/: JupyterLab where it is
// installed, else the classic Notebook, with the project's bin and Go on
// PATH and BOUNDLAB_ROOT set, adding --allow-root when running as root. It
// returns when Jupyter exits. When ctx is done or the process gets SIGINT
// or SIGTERM, it asks Jupyter to stop (SIGTERM, which shuts its kernels
// down); a second signal, or GraceTime, kills Jupyter and everything it
// started. Stopped that way, Lab returns nil; no process it started is left.
func Lab(ctx context.Context, p Project, o LabOptions) error {
	o.setDefaults()
	res, err := Run(ctx, p, Options{Out: o.Stdout, NoInstall: true})
	if err != nil {
		return err
	}
	j := res.Jupyter
	lp := planLab(p, j, o)

	// Kernels are started in sessions of their own; whatever Jupyter
	// leaves behind when it exits comes back to this process, which
	// stops it.
	_ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	cmd := exec.Command(j.Command, lp.args...)
	cmd.Dir = lp.dir
	cmd.Env = LabEnv(p, res.Go)
	cmd.Stdout, cmd.Stderr = o.Stdout, o.Stderr
	// Jupyter gets the terminal's Ctrl-C through this process only, so that
	// it stops at once instead of asking for confirmation.
	fmt.Fprintf(o.Stdout, "lab: starting %s on %s: %s (Ctrl-C stops it)\n", lp.name, lp.dir, command{name: j.Command, args: lp.args})
	child, err := proc.Start(cmd, syscall.SIGTERM)
	if err != nil {
		return fmt.Errorf("start %s: %w", lp.name, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()
	return superviseLab(ctx, cmd, exited, sigs, lp.name, o)
}

// setDefaults fills in what o leaves out: writers that discard, and 20
// seconds' grace.
func (o *LabOptions) setDefaults() {
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	if o.GraceTime <= 0 {
		o.GraceTime = 20 * time.Second
	}
}

// labPlan is how Lab runs Jupyter: in dir, with args after the jupyter
// command, name saying which application and version it is.
type labPlan struct {
	dir  string
	args []string
	name string
}

// planLab chooses the directory served (notebooks/, else the project root,
// said on o.Stdout), the application of j and its arguments (with
// --allow-root when running as root).
func planLab(p Project, j *Jupyter, o LabOptions) labPlan {
	dir := p.path("notebooks")
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		fmt.Fprintf(o.Stdout, "lab: there is no notebooks/ yet; serving %s\n", p.Root)
		dir = p.Root
	}
	args := []string{j.App()}
	if geteuid() == 0 && !hasFlag(o.Args, "--allow-root") {
		args = append(args, "--allow-root")
	}
	args = append(args, o.Args...)
	name := "JupyterLab " + j.Lab
	if j.App() == "notebook" {
		name = "Jupyter Notebook " + j.Notebook
	}
	return labPlan{dir: dir, args: args, name: name}
}

// superviseLab waits for Jupyter (cmd, its exit on exited) to exit. When
// ctx is done or the first signal comes it asks Jupyter to stop; a second
// signal, or the grace time passing, kills everything below this process.
// Once Jupyter has exited it sweeps up what it left behind; stopped that
// way, or exiting cleanly, it returns nil.
func superviseLab(ctx context.Context, cmd *exec.Cmd, exited <-chan error, sigs <-chan os.Signal, name string, o LabOptions) error {
	stopping, signals := false, 0
	var force <-chan time.Time
	done := ctx.Done()
	stop := func() {
		if stopping {
			return
		}
		stopping = true
		fmt.Fprintf(o.Stderr, "lab: stopping %s and its kernels (Ctrl-C again to kill them at once)\n", name)
		_ = cmd.Process.Signal(syscall.SIGTERM)
		force = time.After(o.GraceTime)
	}
	for {
		select {
		case err := <-exited:
			if n := sweepChildren(); n > 0 {
				fmt.Fprintf(o.Stderr, "lab: stopped %d process(es) Jupyter left behind\n", n)
			}
			if stopping {
				fmt.Fprintf(o.Stderr, "lab: %s stopped\n", name)
				return nil
			}
			if err != nil {
				return fmt.Errorf("%s exited: %w", name, err)
			}
			return nil
		case <-done:
			done = nil
			stop()
		case <-sigs:
			if signals++; signals == 1 {
				stop()
			} else {
				killTree(os.Getpid())
			}
		case <-force:
			fmt.Fprintf(o.Stderr, "lab: %s did not stop within %s; killing it\n", name, o.GraceTime)
			killTree(os.Getpid())
			force = nil
		}
	}
}

// LabEnv is the environment Jupyter and its kernels run with: this
// process's, with the project's bin and the Go toolchain's bin first on
// PATH, BOUNDLAB_ROOT set to the project root and, where HOME is unusable,
// Go's cache and module directories set explicitly.
func LabEnv(p Project, g GoInfo) []string {
	path := []string{p.bin()}
	if g.Root != "" {
		path = append(path, filepath.Join(g.Root, "bin"))
	}
	if old := os.Getenv("PATH"); old != "" {
		path = append(path, old)
	}
	kv := []string{"PATH=" + strings.Join(path, string(os.PathListSeparator)), "BOUNDLAB_ROOT=" + p.Root}
	if !homeUsable() {
		for _, e := range [][2]string{{"GOCACHE", g.Cache}, {"GOPATH", g.GOPATH}, {"GOMODCACHE", g.ModCache}} {
			if e[1] != "" && os.Getenv(e[0]) == "" {
				kv = append(kv, e[0]+"="+e[1])
			}
		}
	}
	return withEnv(os.Environ(), kv...)
}

// homeUsable reports whether HOME is a writable directory.
func homeUsable() bool {
	home := os.Getenv("HOME")
	return home != "" && unix.Access(home, unix.W_OK) == nil
}

// hasFlag reports whether args hold the flag name, alone or as name=value.
func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == name || strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
}

// killTree kills every process descended from pid.
func killTree(pid int) {
	for _, p := range proc.Descendants(pid) {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
}

// sweepChildren kills and reaps the processes that are still this
// process's descendants once Jupyter is gone, returning how many there were.
// (As a child subreaper, this process inherits what Jupyter orphaned.)
func sweepChildren() int {
	killed := map[int]bool{}
	deadline := time.Now().Add(3 * time.Second)
	for {
		left := proc.Descendants(os.Getpid())
		for _, p := range left {
			if !killed[p] {
				killed[p] = true
				_ = syscall.Kill(p, syscall.SIGKILL)
			}
		}
		for {
			var ws syscall.WaitStatus
			if pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil); pid <= 0 || err != nil {
				break
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return len(killed)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
