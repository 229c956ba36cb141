package setup

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/boundlab/boundlab/internal/echartsbundle"
	"github.com/boundlab/boundlab/internal/testlock"
)

// need skips a test whose prerequisite is missing, or fails it when the
// set-up is required (make test exports BOUNDLAB_REQUIRE_ASSETS=1 after
// running the set-up).
func need(t *testing.T, ok bool, what string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("BOUNDLAB_REQUIRE_ASSETS") == "1" {
		t.Fatalf("%s is missing (BOUNDLAB_REQUIRE_ASSETS=1); run make setup", what)
	}
	t.Skipf("%s is missing; run make setup", what)
}

// thisProject is the checkout the tests run in.
func thisProject(t *testing.T) Project {
	t.Helper()
	p, err := FindProject(".")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// completeJupyter returns the Jupyter the project uses (the venv's, unless
// BOUNDLAB_JUPYTER=system), skipping the test without one.
func completeJupyter(t *testing.T) *Jupyter {
	t.Helper()
	j, _, err := thisProject(t).findChosen(context.Background())
	need(t, err == nil && j != nil && j.Complete(), "Jupyter (notebook or jupyterlab, nbconvert, nbclient)")
	return j
}

// fakePATH makes PATH a fresh directory holding the given scripts, plus
// links to the real commands named in keep.
func fakePATH(t *testing.T, scripts map[string]string, keep ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range keep {
		real, err := exec.LookPath(name)
		if err != nil {
			t.Fatalf("need %s: %v", name, err)
		}
		if err := os.Symlink(real, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", dir)
	return dir
}

func TestFindProject(t *testing.T) {
	p := thisProject(t)
	if _, err := os.Stat(filepath.Join(p.Root, "go.mod")); err != nil || p.bin() != filepath.Join(p.Root, "bin") {
		t.Fatalf("FindProject(.) = %+v", p)
	}
	_, err := FindProject(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "no boundlab checkout") {
		t.Fatalf("FindProject(empty dir): %v", err)
	}
}

func TestScriptInterpreter(t *testing.T) {
	dir := t.TempDir()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	cases := map[string]string{
		"#!/usr/bin/python3\nprint()\n":        "/usr/bin/python3",
		"#!/usr/bin/env sh\necho\n":            sh,
		"#!/usr/bin/env -S sh -e\necho\n":      sh,
		"#!/usr/bin/env no-such-interp-xyz\n":  "",
		"\x7fELF\x02\x01\x01 not a script\n":   "",
		"#! /opt/conda/bin/python3.11 -E\nx\n": "/opt/conda/bin/python3.11",
	}
	i := 0
	for body, want := range cases {
		i++
		path := filepath.Join(dir, "s"+string(rune('a'+i)))
		if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
		if got := scriptInterpreter(path); got != want {
			t.Errorf("scriptInterpreter(%q) = %q, want %q", body, got, want)
		}
	}
}

// The set-up, run twice against a fresh bin/ and a fresh Jupyter data
// directory: the first run builds the tools with go build and installs the
// kernel spec with the real gonb; Jupyter then lists the spec; the second
// run finds everything current and changes nothing.
func TestRunInstallsKernelSpec(t *testing.T) {
	j := completeJupyter(t)
	p := thisProject(t)
	p.Bin = filepath.Join(t.TempDir(), "bin")
	data := t.TempDir()
	t.Setenv("JUPYTER_DATA_DIR", data)
	// In a venv, Jupyter looks in the environment before the user's data
	// directory; this test's spec is the user's.
	t.Setenv("JUPYTER_PREFER_ENV_PATH", "0")
	ctx := context.Background()

	// The kernel spec into JUPYTER_DATA_DIR (not the venv's prefix, which
	// the project's own set-up owns).
	o := Options{Out: &bytes.Buffer{}, NoInstall: true, KernelSpec: KernelSpecUser}
	out := o.Out.(*bytes.Buffer)
	res, err := Run(ctx, p, o)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	log := out.String()
	for _, want := range []string{"gonb v", ": built " + filepath.Join(p.Bin, "gonb"), "Jupyter: ", "kernel spec: installed 'gonb' into " + filepath.Join(data, "kernels", "gonb"), "set-up: done in"} {
		if !strings.Contains(log, want) {
			t.Errorf("set-up output lacks %q:\n%s", want, log)
		}
	}

	spec, err := ReadKernelSpec(filepath.Join(data, "kernels", "gonb"))
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(spec.Argv[0]); err != nil || fi.Mode()&0o111 == 0 {
		t.Fatalf("kernel argv[0] %s is not an executable: %v", spec.Argv[0], err)
	}
	if !strings.HasPrefix(spec.Env["PATH"], p.Bin+":") || !strings.HasSuffix(spec.Env["PATH"], ":${PATH}") {
		t.Fatalf("kernel env PATH = %q, want %s first and ${PATH} last", spec.Env["PATH"], p.Bin)
	}
	if v, err := gonbVersion(ctx, spec.Argv[0]); err != nil || !strings.HasPrefix(v, "v0.") {
		t.Fatalf("%s -V: %q, %v", spec.Argv[0], v, err)
	}
	if res.Kernel == nil || res.Jupyter == nil || res.Go.Version == "" {
		t.Fatalf("result: %+v", res)
	}

	// Jupyter's own kernel spec manager finds it (what `jupyter kernelspec
	// list` runs; Debian ships that script in a package of its own).
	args := []string{"-m", "jupyter_client.kernelspecapp", "list", "--json"}
	name := j.Python
	if ks, err := exec.LookPath("jupyter-kernelspec"); err == nil {
		name, args = ks, []string{"list", "--json"}
	}
	b, err := exec.Command(name, args...).Output()
	if err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	var list struct {
		Kernelspecs map[string]struct {
			ResourceDir string `json:"resource_dir"`
		} `json:"kernelspecs"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatalf("kernelspec list: %v\n%s", err, b)
	}
	if got := list.Kernelspecs["gonb"].ResourceDir; got != filepath.Join(data, "kernels", "gonb") {
		t.Fatalf("Jupyter lists gonb in %q, want %s:\n%s", got, filepath.Join(data, "kernels", "gonb"), b)
	}

	// Again: nothing to do.
	out.Reset()
	start := time.Now()
	if _, err := Run(ctx, p, o); err != nil {
		t.Fatalf("second Run: %v\n%s", err, out.String())
	}
	log = out.String()
	if strings.Contains(log, "built") || strings.Contains(log, "installed") || !strings.Contains(log, "gonb is current") || !strings.Contains(log, "kernel spec: 'gonb' in") {
		t.Fatalf("second run did something:\n%s", log)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("second run took %s; want it fast", d)
	}

	// A spec whose PATH lost the project's bin is reinstalled.
	spec.fields["env"] = map[string]string{"PATH": "${PATH}"}
	raw, _ := json.Marshal(spec.fields)
	if err := os.WriteFile(filepath.Join(spec.Dir, "kernel.json"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if _, err := Run(ctx, p, o); err != nil {
		t.Fatalf("third Run: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "kernel spec: installed 'gonb'") {
		t.Fatalf("a spec without the project's PATH was not reinstalled:\n%s", out.String())
	}
}

// The doctor, pointed at an empty bin/ and an empty Jupyter data directory,
// reports the tools and the kernel spec missing, with the fix.
func TestDoctorEmpty(t *testing.T) {
	p := thisProject(t)
	p.Bin = t.TempDir()
	t.Setenv("JUPYTER_DATA_DIR", t.TempDir())
	t.Setenv("JUPYTER_PATH", "")
	checks := Doctor(context.Background(), p)
	byName := map[string]Check{}
	for _, c := range checks {
		byName[c.Name] = c
	}
	for _, name := range []string{"gonb", "goimports", "gopls", "kernel spec"} {
		c, ok := byName[name]
		if !ok {
			t.Fatalf("no %s check: %+v", name, checks)
		}
		if name == "kernel spec" && c.Status == Wrong && strings.Contains(c.Detail, "/share/jupyter/") {
			continue // a system-wide gonb spec, not this project's
		}
		if c.Status != Missing || c.Fix != "make setup" || c.Optional {
			t.Errorf("%s: %+v, want MISSING with fix 'make setup'", name, c)
		}
	}
	if c := byName["Go"]; c.Status != OK || !strings.HasPrefix(c.Detail, "go1.") {
		t.Errorf("Go: %+v", c)
	}
	for _, name := range []string{"npm", "python3", "Chromium"} {
		if !byName[name].Optional {
			t.Errorf("%s should be optional: %+v", name, byName[name])
		}
	}
	if Healthy(checks) {
		t.Fatal("Healthy with no tools")
	}
}

// fakeEsbuild is an esbuild that writes its --banner:js line and a line
// naming its entry to its --outfile, as the real one would start and end.
const fakeEsbuild = `#!/bin/sh
for a in "$@"; do
  case "$a" in
    --banner:js=*) banner="${a#--banner:js=}" ;;
    --outfile=*) out="${a#--outfile=}" ;;
    --*) ;;
    *) entry="$a" ;;
  esac
done
printf '%s\n(()=>{globalThis.echarts={}})(); /* %s */\n' "$banner" "$entry" > "$out"
`

// writeFakeNodeModules makes root a project with the real package files and
// entry, and a node_modules holding ECharts and esbuild at versions ec and
// eb, that esbuild being fakeEsbuild.
func writeFakeNodeModules(t *testing.T, root, ec, eb string) {
	t.Helper()
	src := thisProject(t).Root
	files := map[string][]byte{
		"node_modules/echarts/package.json": []byte(`{"name":"echarts","version":"` + ec + `"}`),
		"node_modules/esbuild/package.json": []byte(`{"name":"esbuild","version":"` + eb + `"}`),
		"node_modules/.bin/esbuild":         []byte(fakeEsbuild),
	}
	for _, f := range []string{"package.json", "package-lock.json", echartsbundle.Entry} {
		b, err := os.ReadFile(filepath.Join(src, filepath.FromSlash(f)))
		if err != nil {
			t.Fatal(err)
		}
		files[f] = b
	}
	for name, b := range files {
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// The ECharts step builds the bundle from the entry with node_modules'
// esbuild, stamps it, says it is current on the next run (without
// node_modules too), rebuilds it when the entry changes, removes the whole
// library an older set-up left, and without npm says what to install.
func TestEChartsBundle(t *testing.T) {
	root := t.TempDir()
	if _, err := WantedBundle(root); err == nil {
		t.Fatal("a wanted bundle without package files")
	}
	want, err := WantedBundle(thisProject(t).Root)
	if err != nil {
		t.Fatal(err)
	}
	writeFakeNodeModules(t, root, want.ECharts, want.Esbuild)
	legacy := filepath.Join(root, legacyAsset)
	if err := os.WriteFile(legacy, []byte(`t.version="5.6.0"`), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	r := &runner{p: Project{Root: root}, o: Options{Out: &out}}
	step := func(what string, wantOut ...string) {
		t.Helper()
		out.Reset()
		if err := r.echartsStep(context.Background()); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		for _, w := range wantOut {
			if !strings.Contains(out.String(), w) {
				t.Fatalf("%s: output lacks %q:\n%s", what, w, out.String())
			}
		}
	}
	step("first run", "removed charts/assets/echarts.min.js", "built charts/assets/echarts-boundlab.min.js from charts/assets/src/echarts-boundlab.js")
	if fileExists(legacy) {
		t.Error("the whole library is still there")
	}
	asset := filepath.Join(root, bundleAsset)
	if got, ok, err := BundleStamp(asset); err != nil || !ok || got != want {
		t.Fatalf("bundle stamp %+v (%v, %v), want %+v", got, ok, err, want)
	}
	if b, _ := os.ReadFile(asset); !strings.Contains(string(b), bundleEntry) {
		t.Errorf("esbuild was not given the entry:\n%s", b)
	}
	step("second run", "charts/assets/echarts-boundlab.min.js is current")

	// node_modules gone, bundle right: nothing to fetch, even without npm.
	if err := os.RemoveAll(filepath.Join(root, "node_modules")); err != nil {
		t.Fatal(err)
	}
	fakePATH(t, nil)
	step("bundle alone", "is current")

	// The entry changed: the bundle is stale, and without npm there is one
	// line with the fix.
	entry := filepath.Join(root, bundleEntry)
	if err := os.WriteFile(entry, []byte("import 'echarts/core';\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	changed, err := WantedBundle(root)
	if err != nil {
		t.Fatal(err)
	}
	if st := bundleState(asset, changed); !strings.Contains(st, "another "+echartsbundle.Entry) {
		t.Errorf("stale bundle's state %q", st)
	}
	r.o.NoInstall = true
	err = r.echartsStep(context.Background())
	var se *Error
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "npm not found") || !strings.Contains(se.Fix, "apt-get install -y npm") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("stale bundle without npm: %v", err)
	}

	// With node_modules back, the changed entry is rebuilt.
	writeFakeNodeModules(t, root, want.ECharts, want.Esbuild)
	if err := os.WriteFile(entry, []byte("import 'echarts/core';\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	step("changed entry", "built charts/assets/echarts-boundlab.min.js")
	if got, _, _ := BundleStamp(asset); got.Entry != echartsbundle.EntryHash([]byte("import 'echarts/core';\n")) {
		t.Errorf("rebuilt bundle's stamp %+v", got)
	}
}

// npm ci into a fresh directory with the project's pinned package files and
// entry, then esbuild: the real thing, as make setup does it.
func TestEChartsNpmCI(t *testing.T) {
	_, err := exec.LookPath("npm")
	need(t, err == nil, "npm")
	src := thisProject(t).Root
	root := t.TempDir()
	for _, f := range []string{"package.json", "package-lock.json", echartsbundle.Entry} {
		b, err := os.ReadFile(filepath.Join(src, filepath.FromSlash(f)))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(root, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	r := &runner{p: Project{Root: root}, o: Options{Out: &out}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := r.echartsStep(ctx); err != nil {
		var se *Error
		if errors.As(err, &se) {
			t.Fatalf("%v\n%s", err, se.Output)
		}
		t.Fatal(err)
	}
	want, err := WantedBundle(root)
	if err != nil {
		t.Fatal(err)
	}
	if st := bundleState(filepath.Join(root, bundleAsset), want); st != "" {
		t.Fatalf("bundle: %s; output:\n%s", st, out.String())
	}
	if !strings.Contains(out.String(), "npm ci, then built charts/assets/echarts-boundlab.min.js") {
		t.Fatalf("output: %s", out.String())
	}
	b, err := os.ReadFile(filepath.Join(root, bundleAsset))
	if err != nil {
		t.Fatal(err)
	}
	// The bundle is ECharts' core with the modules the entry lists, and
	// defines the global.
	for _, w := range []string{`"5.6.0"`, "globalThis.echarts", "saveAsImage"} {
		if !strings.Contains(string(b), w) {
			t.Errorf("the bundle lacks %s", w)
		}
	}
}

func TestChromiumMissingNoInstall(t *testing.T) {
	fakePATH(t, nil)
	r := &runner{o: Options{Out: &bytes.Buffer{}, NoInstall: true, Tests: true}}
	err := r.chromiumStep(context.Background())
	if err == nil || !strings.Contains(err.Error(), "Chromium: not found") || !strings.Contains(err.Error(), "apt-get install -y chromium chromium-driver") {
		t.Fatalf("err = %v", err)
	}
}

func TestKernelPATH(t *testing.T) {
	if got := KernelPATH("/p/bin", "/usr/local/go"); got != "/p/bin:/usr/local/go/bin:${PATH}" {
		t.Fatalf("KernelPATH = %q", got)
	}
	if got := KernelPATH("/p/bin", ""); got != "/p/bin:${PATH}" {
		t.Fatalf("KernelPATH without GOROOT = %q", got)
	}
}

func TestLabEnv(t *testing.T) {
	t.Setenv("PATH", "/usr/bin:/bin")
	env := LabEnv(Project{Root: "/p", Bin: "/p/bin"}, GoInfo{Root: "/go"})
	if got := lookEnv(env, "PATH"); got != "/p/bin:/go/bin:/usr/bin:/bin" {
		t.Fatalf("PATH = %q", got)
	}
	if got := lookEnv(env, "BOUNDLAB_ROOT"); got != "/p" {
		t.Fatalf("BOUNDLAB_ROOT = %q", got)
	}
	n := 0
	for _, kv := range env {
		if strings.HasPrefix(kv, "PATH=") {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d PATH entries", n)
	}
}

// TestMain takes the timing lock: these tests build, link, run npm and start
// Python, and that load would distort the timing-sensitive tests of other
// packages running in parallel.
func TestMain(m *testing.M) { testlock.Main(m) }
