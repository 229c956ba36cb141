package measure

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cpu.max is "quota period" in microseconds, or "max period" for none.
func TestCPUMax(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		text string
		want float64
	}{
		{"max 100000\n", 0},
		{"150000 100000\n", 1.5},
		{"200000 100000", 2},
		{"50000 100000\n", 0.5},
		{"garbage\n", 0},
		{"-1 100000\n", 0},
		{"100000 0\n", 0},
	} {
		f := filepath.Join(dir, "cpu.max")
		if err := os.WriteFile(f, []byte(c.text), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := cpuMax(f); got != c.want {
			t.Errorf("cpu.max %q: %v cores, want %v", c.text, got, c.want)
		}
	}
	if got := cpuMax(filepath.Join(dir, "none")); got != 0 {
		t.Errorf("no file: %v", got)
	}
}

// The cores a prediction counts: the machine's, or its CPU limit rounded
// up; never GOMAXPROCS.
func TestStampUsable(t *testing.T) {
	for _, c := range []struct {
		s    Stamp
		want int
	}{
		{Stamp{Cores: 8, GOMAXPROCS: 8}, 8},
		{Stamp{Cores: 8, GOMAXPROCS: 1}, 8},
		{Stamp{Cores: 8, GOMAXPROCS: 2, CPULimit: 1.5}, 2},
		{Stamp{Cores: 8, CPULimit: 0.5}, 1},
		{Stamp{Cores: 2, CPULimit: 16}, 2},
	} {
		if got := c.s.Usable(); got != c.want {
			t.Errorf("%+v: %d usable, want %d", c.s, got, c.want)
		}
	}
	s := Stamp{CPU: "x", Cores: 8, CPULimit: 1.5, GOMAXPROCS: 2}
	if !strings.Contains(s.String(), "8 cores (a CPU limit of 1.5) · GOMAXPROCS 2") {
		t.Errorf("stamp line %q", s.String())
	}
	// This process's stamp: a limit, if any, is positive and read.
	if l := NewStamp().CPULimit; l < 0 {
		t.Errorf("CPU limit %v", l)
	}
}
