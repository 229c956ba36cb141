package setup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/boundlab/boundlab/internal/proc"
)

// KernelName is the name of the kernel spec the notebooks use.
const KernelName = "gonb"

// KernelSpec is an installed gonb kernel spec: its kernel.json.
type KernelSpec struct {
	// Dir is the kernel spec's directory, .../kernels/gonb.
	Dir string
	// Argv is the command Jupyter runs; Argv[0] is the gonb binary.
	Argv []string
	// Env is the environment Jupyter adds; PATH must start with the
	// project's bin.
	Env map[string]string
	// fields is the whole kernel.json.
	fields map[string]any
}

// ReadKernelSpec reads the kernel spec in dir.
func ReadKernelSpec(dir string) (*KernelSpec, error) {
	b, err := os.ReadFile(filepath.Join(dir, "kernel.json"))
	if err != nil {
		return nil, fmt.Errorf("read kernel spec: %w", err)
	}
	s := &KernelSpec{Dir: dir}
	if err := json.Unmarshal(b, &s.fields); err != nil {
		return nil, fmt.Errorf("read kernel spec %s: %w", filepath.Join(dir, "kernel.json"), err)
	}
	var v struct {
		Argv []string          `json:"argv"`
		Env  map[string]string `json:"env"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("read kernel spec %s: %w", filepath.Join(dir, "kernel.json"), err)
	}
	s.Argv, s.Env = v.Argv, v.Env
	return s, nil
}

// KernelPATH is the PATH the kernel runs with: the project's bin (for
// goimports and gopls), the bin of the Go that built them, then Jupyter's
// own PATH (jupyter_client expands ${PATH}).
func KernelPATH(bin, goroot string) string {
	parts := []string{bin}
	if goroot != "" {
		if gb := filepath.Join(goroot, "bin"); gb != bin {
			parts = append(parts, gb)
		}
	}
	return strings.Join(append(parts, "${PATH}"), string(os.PathListSeparator))
}

// findKernelSpec returns the first gonb kernel spec in dirs (Jupyter's
// search order), or nil.
func findKernelSpec(dirs []string) (*KernelSpec, error) {
	for _, d := range dirs {
		dir := filepath.Join(d, KernelName)
		if _, err := os.Stat(filepath.Join(dir, "kernel.json")); err == nil {
			return ReadKernelSpec(dir)
		}
	}
	return nil, nil
}

// kernelState says whether the spec runs the project's gonb with the
// project's PATH: "" when it does, else what is wrong.
func kernelState(s *KernelSpec, bin, goroot string) string {
	if s == nil {
		return "not installed"
	}
	if len(s.Argv) < 3 || !contains(s.Argv, "--kernel") {
		return fmt.Sprintf("argv %q does not run a gonb kernel", s.Argv)
	}
	if fi, err := os.Stat(s.Argv[0]); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		return fmt.Sprintf("its binary %s is missing", s.Argv[0])
	}
	same, err := sameContent(s.Argv[0], filepath.Join(bin, "gonb"))
	if err != nil {
		return fmt.Sprintf("cannot compare its binary with %s: %v", filepath.Join(bin, "gonb"), err)
	}
	if !same {
		return fmt.Sprintf("its binary %s is not %s", s.Argv[0], filepath.Join(bin, "gonb"))
	}
	if want := KernelPATH(bin, goroot); s.Env["PATH"] != want {
		return fmt.Sprintf("its PATH is %q, want %q", s.Env["PATH"], want)
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// sameContent reports whether the files a and b are the same file or have
// the same bytes.
func sameContent(a, b string) (bool, error) {
	fa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	fb, err := os.Stat(b)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if os.SameFile(fa, fb) {
		return true, nil
	}
	if fa.Size() != fb.Size() {
		return false, nil
	}
	ha, err := fileHash(a)
	if err != nil {
		return false, err
	}
	hb, err := fileHash(b)
	if err != nil {
		return false, err
	}
	return bytes.Equal(ha, hb), nil
}

func fileHash(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return h.Sum(nil), nil
}

// InstallKernelSpec installs the gonb kernel spec into dataDir/kernels/gonb
// with gonb's own --install (run from bin, so it finds goimports and gopls),
// then adds the PATH the kernel needs to kernel.json. It returns the
// installed spec.
func InstallKernelSpec(ctx context.Context, bin, goroot, dataDir string) (*KernelSpec, error) {
	gonb := filepath.Join(bin, "gonb")
	if !filepath.IsAbs(gonb) {
		return nil, fmt.Errorf("install kernel spec: %s is not an absolute path", gonb)
	}
	pathEnv := strings.Join([]string{bin, filepath.Join(goroot, "bin"), os.Getenv("PATH")}, string(os.PathListSeparator))
	env := withEnv(os.Environ(), "JUPYTER_DATA_DIR="+dataDir, "PATH="+pathEnv)
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if _, err := (command{env: env, name: gonb, args: []string{"--install", "--logtostderr"}}).run(ctx); err != nil {
		return nil, fmt.Errorf("install kernel spec into %s: %w", dataDir, err)
	}
	dir := filepath.Join(dataDir, "kernels", KernelName)
	s, err := ReadKernelSpec(dir)
	if err != nil {
		return nil, fmt.Errorf("install kernel spec: gonb --install wrote no usable spec: %w", err)
	}
	// Remove what gonb --install keeps of an older copy of itself.
	_ = os.Remove(filepath.Join(dir, "gonb~"))
	s.Env = map[string]string{}
	if env, ok := s.fields["env"].(map[string]any); ok {
		for k, v := range env {
			if sv, ok := v.(string); ok {
				s.Env[k] = sv
			}
		}
	}
	s.Env["PATH"] = KernelPATH(bin, goroot)
	s.fields["env"] = s.Env
	b, err := json.MarshalIndent(s.fields, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("install kernel spec: %w", err)
	}
	if err := proc.WriteFile(filepath.Join(dir, "kernel.json"), append(b, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("install kernel spec: %w", err)
	}
	return s, nil
}

// gonbVersion runs the gonb binary at path with -V and returns the version
// it prints.
func gonbVersion(ctx context.Context, path string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	out, err := command{name: path, args: []string{"-V"}}.output(ctx)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(lastLine(out)), nil
}

// lookPathIn finds name in the directories dirs.
func lookPathIn(name string, dirs []string) string {
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}
