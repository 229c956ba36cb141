package measure

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Stamp records the machine and runtime a result was measured on, so a
// figure read later can be judged against the hardware that produced it.
type Stamp struct {
	CPU        string `json:"cpu"`
	Cores      int    `json:"cores"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	GoVersion  string `json:"go_version"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	Kernel     string `json:"kernel,omitempty"`
	// CPULimit is the CPU time a second the process's cgroup may use, in
	// cores (a container's CPU limit, cgroup v2's cpu.max); 0 for none.
	CPULimit float64   `json:"cpu_limit,omitempty"`
	Time     time.Time `json:"time"`
	// Load is how busy the rest of the machine was while the result was
	// measured; nil until the measuring is done (or in results saved
	// before it was recorded).
	Load *Load `json:"load,omitempty"`
}

// NewStamp reads the machine stamp now.
func NewStamp() Stamp {
	return Stamp{
		CPU:        cpuModel(),
		Cores:      runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		GoVersion:  runtime.Version(),
		OS:         runtime.GOOS,
		Arch:       runtime.GOARCH,
		Kernel:     kernelRelease(),
		CPULimit:   cgroupCPULimit(),
		Time:       time.Now().UTC().Truncate(time.Second),
	}
}

// Usable is how many cores the machine gives the process: its CPUs, or
// fewer where a CPU limit caps its time (rounded up, as Go's runtime rounds
// it for GOMAXPROCS). A parallel speedup is predicted against it; Go's
// GOMAXPROCS, a setting of Go's own, is not counted.
func (s Stamp) Usable() int {
	if s.CPULimit > 0 {
		return max(1, min(s.Cores, int(math.Ceil(s.CPULimit))))
	}
	return s.Cores
}

// cgroupCPULimit reads cgroup v2's cpu.max for the process's cgroup and
// each of its parents, and returns the tightest quota over period, in
// cores; 0 where there is none or no cgroup v2.
func cgroupCPULimit() float64 {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return 0
	}
	var dir string
	for _, line := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			dir = p
		}
	}
	if dir == "" {
		return 0
	}
	limit := 0.0
	for d := path.Clean(dir); ; d = path.Dir(d) {
		if l := cpuMax(filepath.Join("/sys/fs/cgroup", d, "cpu.max")); l > 0 && (limit == 0 || l < limit) {
			limit = l
		}
		if d == "/" || d == "." {
			return limit
		}
	}
}

// cpuMax parses a cpu.max file, "quota period" or "max period", into
// cores; 0 for no limit or no file.
func cpuMax(file string) float64 {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) != 2 || f[0] == "max" {
		return 0
	}
	q, err1 := strconv.ParseFloat(f[0], 64)
	p, err2 := strconv.ParseFloat(f[1], 64)
	if err1 != nil || err2 != nil || q <= 0 || p <= 0 {
		return 0
	}
	return q / p
}

// String is the one-line form used in chart subtitles and terminal reports.
func (s Stamp) String() string {
	out := fmt.Sprintf("%s · %d cores", s.CPU, s.Cores)
	if s.CPULimit > 0 {
		out += fmt.Sprintf(" (a CPU limit of %.3g)", s.CPULimit)
	}
	out += fmt.Sprintf(" · GOMAXPROCS %d · %s · %s/%s", s.GOMAXPROCS, s.GoVersion, s.OS, s.Arch)
	if !s.Time.IsZero() {
		out += " · " + s.Time.Format("2006-01-02 15:04 UTC")
	}
	if s.Load != nil {
		out += " · " + s.Load.String()
	}
	return out
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(key) {
		case "model name", "Processor", "cpu model":
			if v := strings.TrimSpace(val); v != "" {
				return v
			}
		}
	}
	return runtime.GOARCH
}

func kernelRelease() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
