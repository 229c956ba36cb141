package model

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/boundlab/boundlab/experiments/measure"
	"github.com/boundlab/boundlab/internal/proc"
)

// CacheDirEnv names the environment variable that says where calibrations
// are kept between processes: a directory, or "off" to calibrate afresh in
// every process. Unset, it is boundlab/ in the user's cache directory
// (os.UserCacheDir); where that cannot be written, nothing is kept.
//
// A notebook cell is a program of its own, so without the cache every cell
// that runs an experiment calibrates again: about 0.1 s for Go's CPU loop
// and 1.5 s for CPython's. With it, a cell re-checks the kept calibration
// with a few short trials (Go: 2 to 7 trials of 5 ms, until the fastest
// agrees; CPython: 5 trials of 10 ms) and uses
// it only if the re-check agrees (see RecheckSlower); otherwise it
// calibrates in full and keeps the new figure. An entry is only ever found
// by the same machine (CPU model, cores, kernel release), the same
// GOMAXPROCS, Go version and build settings, the same source of the CPU
// loop, and for CPython the same interpreter file and version.
const CacheDirEnv = "BOUNDLAB_CACHE_DIR"

// A kept calibration is used when a short re-check in this process agrees
// with it: the re-check's fastest trial is no more than RecheckSlower
// slower than the kept figure and no more than RecheckFaster faster. A
// busy moment can only slow a trial, never speed it up, so the band is
// lopsided: a re-check a little slower is noise; one faster shows that the
// kept figure was measured in a busy moment, and one much slower that the
// machine, or its load, is not what it was. Either way the process
// calibrates in full and keeps the new figure. Full calibrations on an
// idle moment of the 2-core machine this was measured on spread by ±2%
// (Go, 7 trials of 10 ms) and ±1.5% (CPython, 20 trials over 1.5 s).
const (
	RecheckSlower = 0.05
	RecheckFaster = 0.03
)

// cpuSource is the source of the CPU loop and its calibration: the Go
// calibration is kept per version of it.
//
//go:embed cpu.go
var cpuSource []byte

// keptCalibration is one kept calibration: the time per unit (Go) or per
// round (CPython) of CPU work.
type keptCalibration struct {
	Key string `json:"key"`
	// NsPer is the fastest trial's time per unit or round, Slowest the
	// slowest trial's (CPython).
	NsPer   float64 `json:"ns_per"`
	Slowest float64 `json:"slowest,omitempty"`
	// Trial is the units in one trial of the full calibration (Go).
	Trial int64 `json:"trial,omitempty"`
	// Version is the interpreter's version (CPython).
	Version string    `json:"version,omitempty"`
	At      time.Time `json:"calibrated_at"`
}

// calibrationFile is where calibrations are kept; "" when they are not.
func calibrationFile() string {
	dir := os.Getenv(CacheDirEnv)
	if dir == "off" {
		return ""
	}
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(base, "boundlab")
	}
	return filepath.Join(dir, "calibration.json")
}

func readKept(path string) []keptCalibration {
	var kept []keptCalibration
	if b, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(b, &kept)
	}
	return kept
}

// lookupCalibration returns the calibration kept under key.
func lookupCalibration(key string) (keptCalibration, bool) {
	path := calibrationFile()
	if path == "" {
		return keptCalibration{}, false
	}
	for _, k := range readKept(path) {
		if k.Key == key && k.NsPer > 0 {
			return k, true
		}
	}
	return keptCalibration{}, false
}

// keepCalibration keeps c, in place of any calibration under its key. It
// writes a new file and renames it over the old, so that a reader sees
// one or the other; a write that fails is no error (the next process
// calibrates again).
func keepCalibration(c keptCalibration) {
	path := calibrationFile()
	if path == "" {
		return
	}
	kept := readKept(path)
	out := []keptCalibration{c}
	for _, k := range kept {
		if k.Key != c.Key {
			out = append(out, k)
		}
	}
	// Keep the file small: the most recent entries only.
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.After(out[j].At) })
	out = out[:min(len(out), 32)]
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return
	}
	_ = proc.WriteFile(path, b, 0o644)
}

// agrees reports whether a re-check agrees with a kept calibration (see
// RecheckSlower).
func agrees(check, kept float64) bool {
	return check > 0 && kept > 0 && check >= kept*(1-RecheckFaster) && check <= kept*(1+RecheckSlower)
}

// machineKey is what a kept calibration depends on besides the code: the
// machine and the runtime.
func machineKey() string {
	s := measure.NewStamp()
	return fmt.Sprintf("%s|%d cores|GOMAXPROCS %d|%s|%s/%s|%s", s.CPU, s.Cores, s.GOMAXPROCS, s.GoVersion, s.OS, s.Arch, s.Kernel)
}

// goCalibrationKey names the Go calibration of this binary: the machine,
// the build settings that change the generated code, and the source of the
// CPU loop.
func goCalibrationKey() string {
	h := sha256.New()
	fmt.Fprintf(h, "go|%s\n", machineKey())
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if strings.HasPrefix(s.Key, "vcs.") || s.Key == "-ldflags" {
				continue
			}
			fmt.Fprintf(h, "%s=%s\n", s.Key, s.Value)
		}
	}
	h.Write(cpuSource)
	return "go:" + hex.EncodeToString(h.Sum(nil))[:32]
}

// pythonCalibrationKey names the CPython calibration of the interpreter
// file exe on this machine, with this version of the scripts' CPU loop; ok
// is false if exe cannot be read. (The interpreter's version is kept in
// the entry and compared once the interpreter has said it.)
func pythonCalibrationKey(exe string) (string, bool) {
	fi, err := os.Stat(exe)
	if err != nil {
		return "", false
	}
	loop, err := cpythonScripts.ReadFile("cpython/boundlab_cpu.py")
	if err != nil {
		return "", false
	}
	h := sha256.New()
	fmt.Fprintf(h, "cpython|%s|%d|%s|%s\n", exe, fi.Size(), fi.ModTime().UTC().Format(time.RFC3339Nano), machineKey())
	h.Write(loop)
	return "cpython:" + hex.EncodeToString(h.Sum(nil))[:32], true
}

// sessionPythonFile is where a kernel session keeps which interpreter each
// interpreter name it found resolved to; "" outside a GoNB session.
func sessionPythonFile() string {
	if d := os.Getenv("GONB_TMP_DIR"); d != "" {
		return filepath.Join(d, "boundlab-python.json")
	}
	return ""
}

// sessionPythonKey is path with what a pyenv shim's choice depends on.
func sessionPythonKey(path string) string {
	wd, _ := os.Getwd()
	return path + "|" + os.Getenv("PYENV_VERSION") + "|" + wd
}

// sessionPython returns the interpreter that path resolved to earlier in
// this kernel session, if it is still there.
func sessionPython(path string) (string, bool) {
	f := sessionPythonFile()
	if f == "" {
		return "", false
	}
	var m map[string]string
	if b, err := os.ReadFile(f); err != nil || json.Unmarshal(b, &m) != nil {
		return "", false
	}
	exe, ok := m[sessionPythonKey(path)]
	if !ok {
		return "", false
	}
	if _, err := os.Stat(exe); err != nil {
		return "", false
	}
	return exe, true
}

// rememberSessionPython records, for this kernel session, that path
// resolved to exe.
func rememberSessionPython(path, exe string) {
	f := sessionPythonFile()
	if f == "" || exe == "" {
		return
	}
	m := map[string]string{}
	if b, err := os.ReadFile(f); err == nil {
		_ = json.Unmarshal(b, &m)
	}
	m[sessionPythonKey(path)] = exe
	if b, err := json.Marshal(m); err == nil {
		_ = proc.WriteFile(f, b, 0o644)
	}
}
