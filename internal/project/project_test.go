package project

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRoot finds this checkout from a folder inside it, and no checkout
// from a folder outside one, nor from one whose go.mod declares another
// module.
func TestRoot(t *testing.T) {
	root, err := Root(".")
	if err != nil {
		t.Fatal(err)
	}
	if modulePathOf(filepath.Join(root, "go.mod")) != ModulePath || filepath.Base(filepath.Dir(mustAbs(t, "."))) != "internal" {
		t.Errorf("Root(.) = %s", root)
	}
	if got, err := Root(filepath.Join(root, "internal", "project")); err != nil || got != root {
		t.Errorf("Root(inside) = %q, %v; want %q", got, err, root)
	}
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "go.mod"), []byte("module example.com/other\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{t.TempDir(), other} {
		if _, err := Root(dir); err == nil || !strings.Contains(err.Error(), "no boundlab checkout at or above") {
			t.Errorf("Root(%s): %v, want no checkout", dir, err)
		}
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
