package pyprof

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestParseCommand(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "s.py")
	writeFile(t, script, "print(1)\n")
	envScript := filepath.Join(dir, "tool")
	writeFile(t, envScript, "#!/usr/bin/env python3\nprint(1)\n")
	argScript := filepath.Join(dir, "tool2")
	writeFile(t, argScript, "#!/usr/bin/python3 -u\nprint(1)\n")
	shScript := filepath.Join(dir, "tool3")
	writeFile(t, shScript, "#!/bin/sh\necho 1\n")
	zip := filepath.Join(dir, "app.pyz")
	writeFile(t, zip, "PK\x03\x04rest")
	for _, c := range []struct {
		argv []string
		want Program
	}{
		{[]string{"python3", script, "a"}, Program{Interpreter: []string{"python3"}, Mode: Script, Target: script, Args: []string{"a"}}},
		{[]string{"/usr/bin/python3.11", "-u", "-X", "dev", "-Wignore", script}, Program{Interpreter: []string{"/usr/bin/python3.11", "-u", "-X", "dev", "-Wignore"}, Mode: Script, Target: script}},
		{[]string{"python", "-uBm", "http.server", "8000"}, Program{Interpreter: []string{"python", "-uB"}, Mode: Module, Target: "http.server", Args: []string{"8000"}}},
		{[]string{"python3", "-cprint(1)", "x"}, Program{Interpreter: []string{"python3"}, Mode: Code, Target: "print(1)", Args: []string{"x"}}},
		{[]string{"python3", "-W", "error", "-c", "pass"}, Program{Interpreter: []string{"python3", "-W", "error"}, Mode: Code, Target: "pass"}},
		{[]string{"python3", "--", script}, Program{Interpreter: []string{"python3"}, Mode: Script, Target: script}},
		{[]string{"pypy3", "--check-hash-based-pycs", "never", script}, Program{Interpreter: []string{"pypy3", "--check-hash-based-pycs", "never"}, Mode: Script, Target: script}},
		{[]string{argScript, "q"}, Program{Interpreter: []string{"/usr/bin/python3", "-u"}, Mode: Script, Target: argScript, Args: []string{"q"}}},
	} {
		got, err := ParseCommand(c.argv)
		got.line, got.programAt = nil, 0
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: %+v, %v\nwant %+v", c.argv, got, err, c.want)
		}
	}
	got, err := ParseCommand([]string{envScript})
	if err != nil || !IsInterpreter(got.Interpreter[0]) || got.Target != envScript {
		t.Errorf("#!/usr/bin/env python3: %+v, %v", got, err)
	}
	for _, argv := range [][]string{{"sleep", "2"}, {shScript}, {"/no/such/prog"}, {"python3-config"}} {
		if _, err := ParseCommand(argv); !errors.Is(err, ErrNotPython) {
			t.Errorf("%q: %v, want ErrNotPython", argv, err)
		}
	}
	for _, argv := range [][]string{
		{"python3"}, {"python3", "-u"}, {"python3", "-"}, {"python3", "-i", script}, {"python3", "-V"},
		{"python3", "--version"}, {"python3", "-c"}, {"python3", filepath.Join(dir, "missing.py")},
		{"python3", dir}, {"python3", zip}, {"python3", "x.pyc"},
	} {
		var ue *UnsupportedError
		if _, err := ParseCommand(argv); !errors.As(err, &ue) || ue.Reason == "" {
			t.Errorf("%q: %v, want an UnsupportedError", argv, err)
		}
	}
	if _, err := os.Stat(script); err != nil {
		t.Fatal(err)
	}
}
