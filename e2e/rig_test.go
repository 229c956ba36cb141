package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/boundlab/boundlab/charts"
	"github.com/boundlab/boundlab/internal/setup"
)

// rig is what the end-to-end tests run with, set up once per test binary.
type rig struct {
	// root is the project; artifacts its test-artifacts/e2e.
	root, artifacts string
	// boundlab is the built command.
	boundlab string
	// jupyter is the jupyter command of the project's Jupyter (the pinned
	// one in .venv/, unless BOUNDLAB_JUPYTER=system), and jup what it is;
	// chromium the browser.
	jupyter, chromium string
	jup               *setup.Jupyter
	// env is the environment of Jupyter and the command: fresh Jupyter
	// data (with the gonb kernel spec installed), config and runtime
	// directories.
	env []string
	// tmp holds the above; removed by cleanupRig.
	tmp string
}

var (
	rigOnce sync.Once
	theRig  *rig
	rigErr  error
	// rigMissing is set when a piece is missing (skip), rigErr when the
	// set-up failed (fail).
	rigMissing string
)

// need returns the rig, skipping the test when a piece is missing (or in
// -short mode), or failing it when BOUNDLAB_REQUIRE_E2E=1.
func need(t testing.TB) *rig {
	t.Helper()
	required := os.Getenv("BOUNDLAB_REQUIRE_E2E") == "1"
	if testing.Short() && !required {
		t.Skip("skipping the end-to-end tests in -short mode")
	}
	rigOnce.Do(func() { theRig, rigMissing, rigErr = newRig() })
	if rigErr != nil {
		t.Fatalf("e2e set-up: %v", rigErr)
	}
	if rigMissing != "" {
		if required {
			t.Fatalf("%s (BOUNDLAB_REQUIRE_E2E=1); run make setup, or 'go run ./cmd/boundlab setup --tests'", rigMissing)
		}
		t.Skipf("skipping the end-to-end tests: %s; run 'go run ./cmd/boundlab setup --tests' (set BOUNDLAB_REQUIRE_E2E=1 to make this a failure)", rigMissing)
	}
	return theRig
}

// newRig checks the pieces and sets the rig up.
func newRig() (*rig, string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, "", err
	}
	p, err := setup.FindProject(wd)
	if err != nil {
		return nil, "", err
	}
	r := &rig{root: p.Root, artifacts: filepath.Join(p.Root, "test-artifacts", "e2e")}
	var missing []string
	if r.jup, err = setup.FindJupyter(context.Background(), p); err != nil {
		missing = append(missing, err.Error())
	} else {
		r.jupyter = r.jup.Command
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if path, err := exec.LookPath(name); err == nil {
			r.chromium = path
			break
		}
	}
	if r.chromium == "" {
		missing = append(missing, "Chromium")
	}
	if _, err := os.Stat(filepath.Join(p.Bin, "gonb")); err != nil {
		missing = append(missing, "the gonb kernel ("+filepath.Join(p.Bin, "gonb")+")")
	}
	if _, err := charts.Library(); err != nil {
		missing = append(missing, "the ECharts build (charts/assets/echarts-boundlab.min.js; make setup)")
	}
	if len(missing) > 0 {
		return nil, strings.Join(missing, ", ") + " missing", nil
	}

	if r.tmp, err = os.MkdirTemp("", "boundlab-e2e-"); err != nil {
		return nil, "", err
	}
	if err := os.MkdirAll(r.artifacts, 0o755); err != nil {
		return nil, "", err
	}
	r.boundlab = filepath.Join(r.tmp, "boundlab")
	build := exec.Command("go", "build", "-o", r.boundlab, "./cmd/boundlab")
	build.Dir = r.root
	if out, err := build.CombinedOutput(); err != nil {
		return nil, "", fmt.Errorf("build boundlab: %v\n%s", err, out)
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return nil, "", fmt.Errorf("go env GOROOT: %w", err)
	}
	data := filepath.Join(r.tmp, "jupyter-data")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := setup.InstallKernelSpec(ctx, p.Bin, strings.TrimSpace(string(goroot)), data); err != nil {
		return nil, "", err
	}
	r.env = append(os.Environ(),
		"JUPYTER_DATA_DIR="+data,
		"JUPYTER_CONFIG_DIR="+filepath.Join(r.tmp, "jupyter-config"),
		"JUPYTER_RUNTIME_DIR="+filepath.Join(r.tmp, "jupyter-runtime"),
		"JUPYTER_PATH=",
	)
	return r, "", nil
}

// cleanupRig removes the rig's temporary files.
func cleanupRig() {
	if theRig != nil && theRig.tmp != "" {
		os.RemoveAll(theRig.tmp)
	}
}

// result is a finished run of the command.
type result struct {
	stdout, stderr string
	code           int
	elapsed        time.Duration
}

// run runs the built command in the project root with the rig's
// environment, and fails the test if it cannot be started or outlives
// timeout.
func (r *rig) run(t *testing.T, timeout time.Duration, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.boundlab, args...)
	cmd.Dir, cmd.Env = r.root, r.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	res := result{stdout: out.String(), stderr: errb.String(), elapsed: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("boundlab %s: still running after %s\nstderr:\n%s", strings.Join(args, " "), timeout, res.stderr)
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("boundlab %s: %v", strings.Join(args, " "), err)
	}
	return res
}

// scratch makes a fresh directory inside the module tree (under
// test-artifacts/), where a notebook's first cell still finds the module,
// and removes it at the end of the test.
func (r *rig) scratch(t *testing.T, prefix string) string {
	t.Helper()
	dir := filepath.Join(r.root, "test-artifacts", prefix+"-"+randomHex(4))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
