package measure

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// Stamp records the machine and runtime a result was measured on, so a
// figure read later can be judged against the hardware that produced it.
type Stamp struct {
	CPU        string    `json:"cpu"`
	Cores      int       `json:"cores"`
	GOMAXPROCS int       `json:"gomaxprocs"`
	GoVersion  string    `json:"go_version"`
	OS         string    `json:"os"`
	Arch       string    `json:"arch"`
	Kernel     string    `json:"kernel,omitempty"`
	Time       time.Time `json:"time"`
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
		Time:       time.Now().UTC().Truncate(time.Second),
	}
}

// String is the one-line form used in chart subtitles and terminal reports.
func (s Stamp) String() string {
	out := fmt.Sprintf("%s · %d cores · GOMAXPROCS %d · %s · %s/%s", s.CPU, s.Cores, s.GOMAXPROCS, s.GoVersion, s.OS, s.Arch)
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
