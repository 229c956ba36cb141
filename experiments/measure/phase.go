package measure

import (
	"encoding/json"
	"os"
	"time"
)

// PhaseEnv names the environment variable that asks a program to log its
// phases: when it names a file, Phase and RecordPhase append one JSON line
// per phase to it, {"phase": NAME, "start_ns": S, "end_ns": E}, with times
// in Unix nanoseconds, so that a benchmark can line them up with the
// timestamps of other processes (Jupyter's messages, the kernel's log).
// Unset, the calls cost a look-up of the variable.
const PhaseEnv = "BOUNDLAB_PHASES"

// PhaseRecord is one line of the phase log.
type PhaseRecord struct {
	Phase string `json:"phase"`
	Start int64  `json:"start_ns"`
	End   int64  `json:"end_ns"`
}

// Phase starts timing the named phase and returns the function that ends
// it and logs it (see PhaseEnv).
func Phase(name string) (end func()) {
	if os.Getenv(PhaseEnv) == "" {
		return func() {}
	}
	start := time.Now()
	return func() { RecordPhase(name, start, time.Now()) }
}

// RecordPhase logs a phase that ran from start to end (see PhaseEnv).
func RecordPhase(name string, start, end time.Time) {
	path := os.Getenv(PhaseEnv)
	if path == "" {
		return
	}
	b, err := json.Marshal(PhaseRecord{Phase: name, Start: start.UnixNano(), End: end.UnixNano()})
	if err != nil {
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return
	}
	// One write of a short line to a file opened for appending: lines of
	// concurrent writers do not interleave.
	_, _ = f.Write(append(b, '\n'))
	_ = f.Close()
}

// MonoTime is the wall-clock time of mono, a CLOCK_MONOTONIC reading (see
// Mono) of this or another process on this machine.
func MonoTime(mono int64) time.Time {
	now, m := time.Now(), Mono()
	return now.Add(time.Duration(mono - m))
}
