package measure

import (
	"math"
	"os"
	"testing"
	"time"
)

// spin keeps one goroutine computing for d.
func spin(d time.Duration) float64 {
	x := 1.0
	for t0 := time.Now(); time.Since(t0) < d; {
		for range 1000 {
			x = math.Sqrt(x + 1)
		}
	}
	return x
}

// This process: computing on one goroutine reads about one core; sleeping
// reads about none.
func TestSamplerSelf(t *testing.T) {
	s, err := StartSampler(os.Getpid(), 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	spin(400 * time.Millisecond)
	busy := s.Stop()
	if n := len(busy.Samples); n < 6 || n > 10 {
		t.Errorf("%d samples in 400 ms at 50 ms", n)
	}
	if m := busy.Mean(); m < 0.7 || m > 1.3 {
		t.Errorf("spinning one goroutine: mean %.2f cores, want about 1", m)
	}
	if busy.CPU <= 0 || busy.CPU != busy.Samples[len(busy.Samples)-1].CPU {
		t.Errorf("CPU %v, last sample %v", busy.CPU, busy.Samples[len(busy.Samples)-1].CPU)
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
	if idle.Peak() > 0.2 {
		t.Errorf("sleeping: a sample at %.2f cores", idle.Peak())
	}
}

// A child's child is counted: sh starting a CPU burner in the background
// reads as about a core busy, though sh itself only waits.
func TestSamplerDescendants(t *testing.T) {
	series := sampleCommand(t, 100*time.Millisecond, "yes > /dev/null & sleep 1; kill $!")
	if series.MaxProcs < 3 {
		t.Errorf("at most %d processes seen: sh, sleep and yes are 3", series.MaxProcs)
	}
	if m := series.Mean(); m < 0.6 {
		t.Errorf("sh running yes in the background: mean %.2f cores, want about 1", m)
	}
	t.Logf("mean %.2f cores over %v, %d samples, waiting for a CPU %.2f cores", series.Mean(), series.Wall, len(series.Samples), series.MeanWaiting())
}

// Children that live and die between two readings are counted through
// their parent's reaped time.
func TestSamplerReapedChildren(t *testing.T) {
	series := sampleCommand(t, 500*time.Millisecond, "for i in 1 2 3 4; do timeout 0.1 yes > /dev/null; done; sleep 0.2")
	if series.CPU < 250*time.Millisecond {
		t.Errorf("four children burning 100 ms each: %v of CPU counted", series.CPU)
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
