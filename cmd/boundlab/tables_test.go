package main

import (
	"strings"
	"testing"

	"github.com/boundlab/boundlab/experiments"
)

func TestPrintTables(t *testing.T) {
	var b strings.Builder
	res := &experiments.SleepingResult{Points: []experiments.SleepingPoint{{Model: "goroutines", Sequential: -1}}}
	printTables(&b, res)
	if !strings.Contains(b.String(), "Wall time and CPU time per model\nMODEL") || !strings.Contains(b.String(), "goroutines") {
		t.Errorf("tables:\n%s", b.String())
	}
	b.Reset()
	printTables(&b, &experiments.AsyncCPUResult{})
	if b.Len() != 0 {
		t.Errorf("a result without tables printed %q", b.String())
	}
}
