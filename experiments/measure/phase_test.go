package measure

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// With PhaseEnv naming a file, each phase is a line of it; without, nothing
// is written.
func TestPhaseLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "phases.jsonl")
	t.Setenv(PhaseEnv, "")
	Phase("unlogged")()
	if _, err := os.Stat(path); err == nil {
		t.Fatal("a phase was logged with the variable unset")
	}
	t.Setenv(PhaseEnv, path)
	end := Phase("first")
	time.Sleep(2 * time.Millisecond)
	end()
	at := time.Unix(100, 0)
	RecordPhase("second", at, at.Add(time.Second))
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), b)
	}
	var first, second PhaseRecord
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatal(err)
	}
	if first.Phase != "first" || time.Duration(first.End-first.Start) < 2*time.Millisecond {
		t.Errorf("first phase %+v", first)
	}
	if second != (PhaseRecord{Phase: "second", Start: 100e9, End: 101e9}) {
		t.Errorf("second phase %+v", second)
	}
}

// MonoTime places a CLOCK_MONOTONIC reading on the wall clock.
func TestMonoTime(t *testing.T) {
	m, now := Mono(), time.Now()
	if d := MonoTime(m).Sub(now); d < -time.Millisecond || d > time.Millisecond {
		t.Fatalf("MonoTime(Mono()) is %s from time.Now()", d)
	}
	if d := MonoTime(m + int64(time.Second)).Sub(MonoTime(m)); d < time.Second-time.Millisecond || d > time.Second+time.Millisecond {
		t.Fatalf("a second later on the monotonic clock is %s later on the wall clock", d)
	}
}
