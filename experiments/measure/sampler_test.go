package measure

import (
	"math"
	"os"
	"runtime"
	"testing"
	"time"
)

// spin keeps one goroutine computing for d of wall time.
func spin(d time.Duration) float64 {
	x := 1.0
	for t0 := time.Now(); time.Since(t0) < d; {
		for range 1000 {
			x = math.Sqrt(x + 1)
		}
	}
	return x
}

// spinCPU keeps one goroutine computing until its thread has used d of CPU
// time, however long the machine takes to give it that: a fixed amount of
// work, not of wall time.
func spinCPU(d time.Duration) float64 {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	x := 1.0
	for c0 := ThreadCPU(); ThreadCPU()-c0 < d; {
		for range 1000 {
			x = math.Sqrt(x + 1)
		}
	}
	return x
}

// busyThreads is the series' threads running or queued for a CPU, on
// average over its wall time: demand in threads, from the scheduler's
// clocks (schedstat).
func busyThreads(s CPUSeries) float64 {
	var sum float64
	prev := time.Duration(0)
	for _, x := range s.Samples {
		sum += (x.Threads.Running + x.Threads.Runnable) * float64(x.At-prev)
		prev = x.At
	}
	if s.Wall <= 0 {
		return 0
	}
	return sum / float64(s.Wall)
}

// runningCPU is the CPU time the series' threads were on a CPU, from the
// scheduler's clocks.
func runningCPU(s CPUSeries) time.Duration {
	var sum float64
	prev := time.Duration(0)
	for _, x := range s.Samples {
		sum += x.Threads.Running * float64(x.At-prev)
		prev = x.At
	}
	return time.Duration(sum)
}

// This process. The CPU the sampler counts is what the kernel accounts to
// the process over the same stretch (getrusage before and after, which
// bracket the sampler's first and last readings): nothing lost, nothing
// counted twice. A goroutine that spins is a thread on a CPU or queued for
// one throughout: at least one thread in the thread states, however much
// of a core the machine gave it. Sleeping, the process uses about no CPU.
func TestSamplerSelf(t *testing.T) {
	u0 := ReadUsage()
	s, err := StartSampler(os.Getpid(), 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	spin(400 * time.Millisecond)
	busy := s.Stop()
	d := ReadUsage().Sub(u0)
	if len(busy.Samples) < 2 || busy.CPU <= 0 || busy.CPU != busy.Samples[len(busy.Samples)-1].CPU {
		t.Fatalf("%d samples, CPU %v", len(busy.Samples), busy.CPU)
	}
	// The sampler's own thread is left out of CPU, kept in Overhead.
	counted, kernel := busy.CPU+busy.Overhead, d.User+d.Sys
	t.Logf("spinning: %v counted (%v of it the sampler's), getrusage %v over %v; %.2f cores used, %.2f threads running or queued",
		busy.CPU, busy.Overhead, kernel, busy.Wall, busy.Mean(), busyThreads(busy))
	if counted > kernel+time.Millisecond || counted < kernel-20*time.Millisecond {
		t.Errorf("spinning: the sampler counted %v of CPU, the kernel %v", counted, kernel)
	}
	// At least one: the spinning thread is never blocked. There is no
	// upper bound to check: the runtime's own threads wake now and then,
	// and on a crowded machine their wake-ups queue for a CPU too (up to
	// 0.6 threads' worth, measured with two other programs computing on
	// this machine's two cores).
	if n := busyThreads(busy); n < 0.85 {
		t.Errorf("spinning one goroutine: %.2f threads running or queued for a CPU, want at least about 1", n)
	}

	s, err = StartSampler(os.Getpid(), 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond)
	idle := s.Stop()
	if m := idle.Mean(); m > 0.05 {
		t.Errorf("sleeping: mean %.3f cores, want about 0", m)
	}
	if ran := runningCPU(idle); idle.Peak() > 0.2 || ran > idle.Wall/20 {
		t.Errorf("sleeping: a sample at %.2f cores, threads on a CPU for %v of %v", idle.Peak(), ran, idle.Wall)
	}
}

// A child's child is counted: sh starting a CPU burner in the background
// reads as one thread running or queued for a CPU throughout (the burner),
// though sh itself only waits; and the tree's CPU time is what its
// threads' clocks say they ran.
func TestSamplerDescendants(t *testing.T) {
	series := sampleCommand(t, 100*time.Millisecond, "yes > /dev/null & sleep 1; kill $!")
	t.Logf("mean %.2f cores over %v, %d samples, waiting for a CPU %.2f cores, %.2f threads running or queued",
		series.Mean(), series.Wall, len(series.Samples), series.MeanWaiting(), busyThreads(series))
	if series.MaxProcs < 3 {
		t.Errorf("at most %d processes seen: sh, sleep and yes are 3", series.MaxProcs)
	}
	if n := busyThreads(series); n < 0.8 || n > 1.3 {
		t.Errorf("sh running yes in the background: %.2f threads running or queued, want about 1", n)
	}
	if ran := runningCPU(series); (series.CPU - ran).Abs() > 50*time.Millisecond {
		t.Errorf("the tree's CPU %v, its threads ran %v", series.CPU, ran)
	}
}

// Children that live and die between two readings are counted through
// their parent's reaped time: the tree's CPU is what the kernel gives this
// process for the whole tree once it is reaped (getrusage of its children),
// less the clock ticks /proc rounds to. Each child burns a fixed 100 ms of
// CPU, however long that takes.
func TestSamplerReapedChildren(t *testing.T) {
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(burnEnv, "100ms")
	u0 := ReadUsage()
	series := sampleCommand(t, 500*time.Millisecond, `for i in 1 2 3 4; do "$0"; done; sleep 0.2`, bin)
	d := ReadUsage().Sub(u0)
	kernel := d.ChildUser + d.ChildSys
	t.Logf("%v counted in %d samples; getrusage of the reaped tree %v", series.CPU, len(series.Samples), kernel)
	if kernel < 400*time.Millisecond {
		t.Fatalf("four children burning 100 ms each: the kernel says %v", kernel)
	}
	// Four processes' stat fields (sh's own and reaped, user and system)
	// are floored to 10 ms ticks.
	if series.CPU > kernel+time.Millisecond || series.CPU < kernel-45*time.Millisecond {
		t.Errorf("the sampler counted %v, the kernel %v", series.CPU, kernel)
	}
}

func TestStartSamplerErrors(t *testing.T) {
	if _, err := StartSampler(os.Getpid(), time.Millisecond); err == nil {
		t.Error("a 1 ms interval was accepted")
	}
	if _, err := StartSampler(1<<30, DefaultInterval); err == nil {
		t.Error("a process that does not exist was sampled")
	}
}

func TestParseStat(t *testing.T) {
	line := "4242 (a (weird) name) S 17 4242 4242 0 -1 4194560 1 2 0 0 150 25 30 5 20 0 1 0 9999 0 0"
	s, err := parseStat(4242, []byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if s.ppid != 17 || s.own != 1750*time.Millisecond || s.reaped != 350*time.Millisecond || s.start != 9999 || s.zombie {
		t.Errorf("parsed %+v", s)
	}
	if _, err := parseStat(1, []byte("1 (x) S 0")); err == nil {
		t.Error("a short line parsed")
	}
}

// A vanished child is counted once: in its parent's reaped time if the
// parent reaped it, else by its last reading.
func TestTreeSettle(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	tr := newProcTree(1)
	tr.known = map[int]procStat{
		1: {pid: 1, start: 1, own: ms(100)},
		2: {pid: 2, ppid: 1, start: 2, own: ms(500)},
		3: {pid: 3, ppid: 1, start: 3, own: ms(300)},
		4: {pid: 4, ppid: 3, start: 4, own: ms(200)},
	}
	// 2 was reaped by 1 (its reaped time grew by 2's total and a bit);
	// 3 and 4 vanished together: no parent left to have reaped them.
	cur := map[int]procStat{1: {pid: 1, start: 1, own: ms(110), reaped: ms(520)}}
	tr.settle(cur)
	if tr.goneCPU != ms(500) {
		t.Errorf("gone CPU %v, want 500ms (3 and 4, not 2)", tr.goneCPU)
	}

	// 4 was reaped by 3, and 3 by 1: 1's reaped time has both.
	tr = newProcTree(1)
	tr.known = map[int]procStat{
		1: {pid: 1, start: 1},
		3: {pid: 3, ppid: 1, start: 3, own: ms(10)},
		4: {pid: 4, ppid: 3, start: 4, own: ms(300)},
	}
	tr.settle(map[int]procStat{1: {pid: 1, start: 1, reaped: ms(320)}})
	if tr.goneCPU != 0 {
		t.Errorf("a grandchild reaped up the chain: gone CPU %v, want 0", tr.goneCPU)
	}
}

func TestSeriesCPUAt(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	s := CPUSeries{Wall: ms(200), CPU: ms(150), Samples: []CPUSample{{At: ms(100), CPU: ms(50)}, {At: ms(200), CPU: ms(150)}}}
	for _, c := range []struct{ at, want time.Duration }{{0, 0}, {ms(50), ms(25)}, {ms(150), ms(100)}, {ms(300), ms(150)}} {
		if got := s.CPUAt(c.at); got != c.want {
			t.Errorf("CPUAt(%v) = %v, want %v", c.at, got, c.want)
		}
	}
	if got := s.CPUBetween(ms(50), ms(150)); got != ms(75) {
		t.Errorf("CPUBetween = %v", got)
	}
	if got := s.MeanBetween(ms(100), ms(200)); got != 1 {
		t.Errorf("MeanBetween(100ms, 200ms) = %v, want the second sample's 1 core", got)
	}
	if got := s.MeanBetween(ms(50), ms(150)); got != 0.75 {
		t.Errorf("MeanBetween(50ms, 150ms) = %v, want 0.75 interpolated", got)
	}
	if s.Mean() != 0.75 {
		t.Errorf("Mean = %v", s.Mean())
	}
}
