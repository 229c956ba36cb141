package measure

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sampleCommand runs sh -c script (with args as $0, $1, ...) in a process
// group of its own and samples its tree until it exits; what it leaves
// running is killed.
func sampleCommand(t *testing.T, interval time.Duration, script string, args ...string) CPUSeries {
	t.Helper()
	cmd := exec.Command("sh", append([]string{"-c", script}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	s, err := StartSampler(cmd.Process.Pid, interval)
	if err != nil {
		t.Fatal(err)
	}
	if err := AwaitExit(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	series := s.Stop()
	_ = cmd.Wait()
	return series
}

// A sleeping command's one thread is asleep in every sample, in the
// kernel's nanosleep.
func TestThreadStatesSleep(t *testing.T) {
	series := sampleCommand(t, 100*time.Millisecond, "exec sleep 1")
	if n := len(series.Samples); n < 8 {
		t.Fatalf("%d samples", n)
	}
	for i, x := range series.Samples {
		st := x.Threads
		t.Logf("%v: %+v", x.At, st)
		if st.Threads != 1 || st.Sleeping < 0.9 || st.Running > 0.05 || st.Runnable > 0.05 {
			t.Errorf("sample %d: %+v, want 1 thread asleep throughout", i, st)
		}
		// At the last sample it has exited (a zombie, not yet reaped).
		if i < len(series.Samples)-1 && st.S != 1 {
			t.Errorf("sample %d: %+v, want top's S", i, st)
		}
	}
	if len(series.Waits) == 0 {
		t.Fatal("no wait place")
	}
	w := series.Waits[0]
	if !strings.Contains(w.Kernel, "nanosleep") && !strings.Contains(w.Syscall, "nanosleep") {
		t.Errorf("sleep waited in %s", w)
	}
	if w.Samples < len(series.Samples)-1 || w.MaxThreads != 1 {
		t.Errorf("wait place %+v over %d samples", w, len(series.Samples))
	}
	t.Log(series.WaitSummary(3))
}

// Three CPU burners on this machine's cores: each thread's time is on a
// CPU or queued for one, none blocked; with more burners than cores some
// of it is queued.
func TestThreadStatesBusy(t *testing.T) {
	series := sampleCommand(t, 200*time.Millisecond, "yes > /dev/null & a=$!; yes > /dev/null & b=$!; yes > /dev/null & c=$!; sleep 1.2; kill $a $b $c")
	var ran, queued float64
	var n int
	for _, x := range series.Samples[1 : len(series.Samples)-1] {
		st := x.Threads
		t.Logf("%v: %+v", x.At, st)
		ran += st.Running
		queued += st.Runnable
		n++
	}
	ran, queued = ran/float64(n), queued/float64(n)
	if busy := ran + queued; busy < 2.7 || busy > 3.3 {
		t.Errorf("three burners: %.2f threads running and %.2f queued, want 3 in all", ran, queued)
	}
	if series.Cores <= 2 && queued < 0.5 {
		t.Errorf("three burners on %d cores: %.2f threads queued for a CPU", series.Cores, queued)
	}
}

// step attributes each thread's blocked time by its state at the sample.
func TestThreadTrackerStep(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	tr := newThreadTracker(0, []threadStat{
		{tid: 1, state: 'S', start: 1, timed: true},
		{tid: 2, state: 'R', start: 1, timed: true},
		{tid: 3, state: 'D', start: 1, timed: true},
	})
	disk := WaitPlace{Kernel: "io_schedule", Syscall: "read"}
	st := tr.step([]threadStat{
		{tid: 1, state: 'S', start: 1, timed: true, exec: ms(10), wait: WaitPlace{Syscall: "futex"}},
		{tid: 2, state: 'R', start: 1, timed: true, exec: ms(60), delay: ms(40)},
		{tid: 3, state: 'D', start: 1, timed: true, exec: ms(50), wait: disk},
		{tid: 4, state: 'T', start: 1, timed: true},
	}, ms(100), 0)
	want := ThreadStates{Running: 1.2, Runnable: 0.4, Sleeping: 0.9, IO: 0.5, Other: 1, Threads: 4, R: 1, S: 1, D: 1, Others: 1}
	if !nearStates(st, want) {
		t.Errorf("step: %+v\nwant %+v", st, want)
	}
	if got := tr.places(); len(got) != 2 || got[0].ThreadSamples != 1 {
		t.Errorf("places %+v", got)
	}
	// Undone, the next step spans from the first reading again.
	tr.undo()
	if got := tr.places(); len(got) != 0 {
		t.Errorf("places after undo: %+v", got)
	}
	// A thread born 30 ms before the end of the interval lived 30 ms of it.
	tr = newThreadTracker(0, nil)
	st = tr.step([]threadStat{{tid: 9, state: 'S', start: 97, timed: true, exec: ms(10)}}, ms(100), ms(1000))
	if st.Running < 0.099 || st.Running > 0.101 || st.Sleeping < 0.199 || st.Sleeping > 0.201 {
		t.Errorf("a thread born in the interval: %+v, want 0.1 running and 0.2 sleeping", st)
	}
}

func nearStates(a, b ThreadStates) bool {
	close := func(x, y float64) bool { return x-y < 1e-9 && y-x < 1e-9 }
	return close(a.Running, b.Running) && close(a.Runnable, b.Runnable) && close(a.Sleeping, b.Sleeping) &&
		close(a.IO, b.IO) && close(a.Other, b.Other) && a.Threads == b.Threads && a.R == b.R && a.S == b.S && a.D == b.D && a.Others == b.Others
}

// A thread whose clocks were not read at the last reading is counted by
// its state, not by its whole lifetime's clocks.
func TestThreadTrackerMissedReading(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	tr := newThreadTracker(0, []threadStat{{tid: 1, state: 'R', start: 1}})
	st := tr.step([]threadStat{{tid: 1, state: 'R', start: 1, timed: true, exec: ms(5000), delay: ms(9000)}}, ms(100), ms(100_000))
	if st.Running != 1 || st.Runnable != 0 {
		t.Errorf("after a reading without clocks: %+v, want its interval by its state", st)
	}
	// Missed altogether: its clocks, within the interval.
	tr = newThreadTracker(0, nil)
	st = tr.step([]threadStat{{tid: 2, state: 'R', start: 1, timed: true, exec: ms(5000), delay: ms(9000)}}, ms(100), ms(100_000))
	if st.Running != 1 || st.Runnable != 0 || st.Sleeping != 0 {
		t.Errorf("a thread missed at the last reading: %+v, want at most the interval", st)
	}
}
