package model

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// useCache gives the test a calibration cache of its own.
func useCache(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv(CacheDirEnv, dir)
	return filepath.Join(dir, "calibration.json")
}

// keptOnly reads the one calibration in the file at path.
func keptOnly(t *testing.T, path string) keptCalibration {
	t.Helper()
	kept := readKept(path)
	if len(kept) != 1 {
		t.Fatalf("%d calibrations kept, want 1: %+v", len(kept), kept)
	}
	return kept[0]
}

// rewrite replaces the calibrations kept at path.
func rewrite(t *testing.T, path string, kept ...keptCalibration) {
	t.Helper()
	b, err := json.Marshal(kept)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// The first process calibrates in full and keeps the figure; a later one
// re-checks it and uses it; a kept figure the re-check disagrees with is
// measured again, and so is one kept under another key.
func TestGoCalibrationKept(t *testing.T) {
	path := useCache(t)
	const key = "go:test"
	first := calibrate(key)
	if first.NsPerUnit <= 0 || first.Checked != 0 || first.At.IsZero() {
		t.Fatalf("first calibration %+v: want a full one", first)
	}
	if k := keptOnly(t, path); k.Key != key || k.NsPer != first.NsPerUnit || k.Trial <= 0 {
		t.Fatalf("kept %+v after %+v", k, first)
	}
	// On a busy machine a re-check can disagree; then the figure is
	// measured again and kept, and the next re-check is against it.
	var later Calibration
	for range 5 {
		if later = calibrate(key); later.Checked != 0 {
			break
		}
	}
	k := keptOnly(t, path)
	if later.Checked == 0 || later.NsPerUnit != k.NsPer || !agrees(later.Checked, k.NsPer) {
		t.Fatalf("later calibration %+v, kept %+v: want the kept figure, re-checked", later, k)
	}

	// A kept figure half as fast again as the machine is not used.
	wrong := k
	wrong.NsPer *= 1.5
	rewrite(t, path, wrong)
	again := calibrate(key)
	if again.Checked != 0 || again.NsPerUnit == wrong.NsPer {
		t.Fatalf("calibration %+v after a wrong kept figure %v: want a full one", again, wrong.NsPer)
	}
	if k := keptOnly(t, path); k.NsPer != again.NsPerUnit {
		t.Fatalf("kept %+v, want the new figure %v", k, again.NsPerUnit)
	}

	// Another key (another machine, build or loop) finds nothing.
	if other := calibrate("go:other"); other.Checked != 0 {
		t.Fatalf("calibration under another key %+v: want a full one", other)
	}
	if n := len(readKept(path)); n != 2 {
		t.Fatalf("%d calibrations kept, want 2", n)
	}

	// With the cache off, nothing is kept and every calibration is full.
	t.Setenv(CacheDirEnv, "off")
	if c := calibrate(key); c.Checked != 0 {
		t.Fatalf("calibration with the cache off %+v", c)
	}
}

// The Go calibration's key changes with GOMAXPROCS.
func TestGoCalibrationKey(t *testing.T) {
	k := goCalibrationKey()
	if k != goCalibrationKey() {
		t.Fatal("the key changes from one call to the next")
	}
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	if runtime.NumCPU() > 1 && goCalibrationKey() == k {
		t.Fatal("the key is the same with GOMAXPROCS 1")
	}
}

// CPython's calibration is kept like Go's: a later probe re-checks it and
// uses it; a wrong kept figure is measured again.
func TestCPythonCalibrationKept(t *testing.T) {
	needPython(t)
	path := useCache(t)
	python, err := FindPython("")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	first, err := probe(ctx, python)
	if err != nil {
		t.Fatal(err)
	}
	if first.CheckedNsPerRound != 0 || first.NsPerRound <= 0 {
		t.Fatalf("first probe %+v: want a full calibration", first)
	}
	k := keptOnly(t, path)
	if k.NsPer != first.NsPerRound || k.Version != first.Version {
		t.Fatalf("kept %+v after %+v", k, first)
	}
	var later *Interpreter
	for range 5 {
		if later, err = probe(ctx, python); err != nil {
			t.Fatal(err)
		}
		if later.CheckedNsPerRound != 0 {
			break
		}
	}
	k = keptOnly(t, path)
	if later.CheckedNsPerRound == 0 || later.NsPerRound != k.NsPer || !agrees(later.CheckedNsPerRound, k.NsPer) {
		t.Fatalf("later probe %.1f ns per round (checked %.1f), kept %+v: want the kept figure, re-checked",
			later.NsPerRound, later.CheckedNsPerRound, k)
	}

	wrong := k
	wrong.NsPer *= 1.5
	rewrite(t, path, wrong)
	again, err := probe(ctx, python)
	if err != nil {
		t.Fatal(err)
	}
	if again.CheckedNsPerRound != 0 || again.NsPerRound == wrong.NsPer {
		t.Fatalf("probe after a wrong kept figure: %.1f ns per round (checked %.1f), want a full calibration",
			again.NsPerRound, again.CheckedNsPerRound)
	}

	// In a kernel session, the interpreter path resolved to is remembered.
	t.Setenv("GONB_TMP_DIR", t.TempDir())
	if _, ok := sessionPython(python); ok {
		t.Fatal("an interpreter remembered before any probe in the session")
	}
	if _, err := probe(ctx, python); err != nil {
		t.Fatal(err)
	}
	if exe, ok := sessionPython(python); !ok || exe != again.Executable {
		t.Fatalf("session remembers %q (%v), want %q", exe, ok, again.Executable)
	}
}
