package image

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// hookPath is the start hook the Dockerfile copies into HookDir.
var hookPath = filepath.Join("..", "..", "docker", "before-notebook.d", "50-boundlab-notebooks")

// runHook runs the start hook as start.sh would, with the project as
// BOUNDLAB_ROOT and dest as the notebooks' directory.
func runHook(t *testing.T, root, dest string) (string, error) {
	t.Helper()
	cmd := exec.Command(hookPath)
	cmd.Env = append(os.Environ(),
		"BOUNDLAB_ROOT="+root, "BOUNDLAB_NOTEBOOKS="+dest, "HOME="+t.TempDir(),
		"NB_USER=jovyan", "NB_UID="+strconv.Itoa(os.Getuid()), "NB_GID="+strconv.Itoa(os.Getgid()))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestNotebooksHook runs the hook on the project's notebooks three times:
// into an empty home, after the user edited one notebook and deleted
// another, and without BOUNDLAB_ROOT.
func TestNotebooksHook(t *testing.T) {
	if !strings.Contains(readDockerfile(t), "COPY docker/before-notebook.d/ "+HookDir+"/") {
		t.Fatalf("the Dockerfile does not copy %s into %s", filepath.Dir(hookPath), HookDir)
	}
	fi, err := os.Stat(hookPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&0o111 == 0 {
		t.Fatalf("%s is not executable: start.sh runs only executable hooks (or sources *.sh)", hookPath)
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	notebooks, _ := filepath.Glob(filepath.Join(root, "notebooks", "*.ipynb"))
	if len(notebooks) == 0 {
		t.Fatal("no notebooks in notebooks/")
	}
	dest := filepath.Join(t.TempDir(), "home", "boundlab-notebooks")

	out, err := runHook(t, root, dest)
	if err != nil {
		t.Fatalf("first start: %v\n%s", err, out)
	}
	t.Logf("first start: %s", strings.TrimSpace(out))
	for _, nb := range notebooks {
		want, _ := os.ReadFile(nb)
		got, err := os.ReadFile(filepath.Join(dest, filepath.Base(nb)))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s not copied as it is (err %v)", filepath.Base(nb), err)
		}
	}

	// The user saves one notebook and deletes another.
	edited, deleted := filepath.Join(dest, filepath.Base(notebooks[0])), filepath.Join(dest, filepath.Base(notebooks[1]))
	saved := []byte(`{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}`)
	if err := os.WriteFile(edited, saved, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(deleted); err != nil {
		t.Fatal(err)
	}
	out, err = runHook(t, root, dest)
	if err != nil {
		t.Fatalf("second start: %v\n%s", err, out)
	}
	t.Logf("second start: %s", strings.TrimSpace(out))
	if got, _ := os.ReadFile(edited); !bytes.Equal(got, saved) {
		t.Errorf("the second start overwrote the user's %s", filepath.Base(edited))
	}
	if _, err := os.Stat(deleted); err != nil {
		t.Errorf("the second start did not bring back %s: %v", filepath.Base(deleted), err)
	}
	if want := "1 notebook(s) copied"; !strings.Contains(out, want) {
		t.Errorf("second start said %q, want %q", out, want)
	}

	cmd := exec.Command(hookPath)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "BOUNDLAB_ROOT=")
	out2, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out2), "BOUNDLAB_ROOT is not set") {
		t.Errorf("without BOUNDLAB_ROOT: err %v, output %q; want a failure naming BOUNDLAB_ROOT", err, out2)
	}
}
