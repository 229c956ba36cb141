package handouts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInjectOverrides(t *testing.T) {
	nb, err := ReadNotebook("../../notebooks/03-semaphore.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	pc, ok, err := nb.Parameters()
	if err != nil || !ok {
		t.Fatalf("parameters cell: %v %v", ok, err)
	}
	if pc.Question != "semaphore" || pc.Var != "params" || nb.CellType(pc.Index) != "code" {
		t.Fatalf("parameters cell %+v", pc)
	}
	n := nb.Cells()
	nb.InjectOverrides(pc, []string{"limit=50", `latency=20ms`, `odd="quoted"`})
	if nb.Cells() != n+1 {
		t.Fatalf("%d cells after injecting, want %d", nb.Cells(), n+1)
	}
	want := "// Injected by boundlab handouts: overrides of the parameters above.\n" +
		`func init_overrides() { kernel.Override(&params, "limit=50", "latency=20ms", "odd=\"quoted\"") }`
	if got := nb.Source(pc.Index + 1); got != want {
		t.Errorf("injected source:\n%s\nwant:\n%s", got, want)
	}

	// The notebook written and read back keeps the cell, its tag and id,
	// and the other cells as they were.
	b, err := nb.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "nb.ipynb")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	back, err := ReadNotebook(path)
	if err != nil {
		t.Fatal(err)
	}
	if back.Source(pc.Index+1) != want || back.Source(pc.Index) != nb.Source(pc.Index) || back.Kernel() != "gonb" {
		t.Error("the written notebook differs")
	}
	for _, s := range []string{`"injected-parameters"`, `"id": "injected-parameters"`, `"nbformat_minor": 5`} {
		if !strings.Contains(string(b), s) {
			t.Errorf("written notebook lacks %s", s)
		}
	}
	if strings.Contains(string(b), `\u003c`) {
		t.Error("the written notebook escapes HTML characters")
	}
}

func TestParametersErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, cells string) string {
		p := filepath.Join(dir, name)
		doc := `{"cells": [` + cells + `], "metadata": {"kernelspec": {"name": "gonb"}}, "nbformat": 4, "nbformat_minor": 5}`
		if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	param := `{"cell_type": "code", "metadata": {"tags": ["parameters"], "boundlab": {"question": "semaphore", "var": "params"}}, "source": "var params = 1", "outputs": []}`
	for name, c := range map[string]struct {
		cells, want string
	}{
		"no metadata": {`{"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "", "outputs": []}`, "does not name the question"},
		"two":         {param + "," + param, "cells 1 and 2 are both tagged"},
		"bad var":     {strings.Replace(param, `"var": "params"`, `"var": "p[0]"`, 1), "not a Go variable"},
	} {
		nb, err := ReadNotebook(write(strings.ReplaceAll(name, " ", "-")+".ipynb", c.cells))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := nb.Parameters(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %q", name, err, c.want)
		}
	}
	nb, err := ReadNotebook(write("none.ipynb", `{"cell_type": "markdown", "metadata": {}, "source": ["# a"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := nb.Parameters(); ok || err != nil {
		t.Errorf("no parameters cell: %v %v", ok, err)
	}
	if _, err := Plan([]string{write("unknown.ipynb", strings.Replace(param, "semaphore", "nope", 1))}, nil, false); err == nil || !strings.Contains(err.Error(), `unknown experiment "nope"`) {
		t.Errorf("unknown question: %v", err)
	}
}

func TestFirstLine(t *testing.T) {
	for src, want := range map[string]string{
		"%%\nres := kernel.Run(q, &params)\nkernel.ShowResult(res)": "%% res := kernel.Run(q, &params)",
		"%% --tasks=3\nres := 1":                                    "%% --tasks=3",
		"\n\n  import (\n\"time\"\n)":                               "import (",
		"":                                                          "",
		strings.Repeat("x", 100):                                    strings.Repeat("x", 79) + "…",
	} {
		if got := firstLine(src); got != want {
			t.Errorf("firstLine(%q) = %q, want %q", src, got, want)
		}
	}
}
