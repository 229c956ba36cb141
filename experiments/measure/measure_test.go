package measure

import (
	"math"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	s := Summarize(ds)
	if s.N != 100 || s.Min != 1 || s.Max != 100 || math.Abs(s.Mean-50.5) > 1e-9 {
		t.Fatalf("summary %+v", s)
	}
	if s.P50 != 50 || s.P95 != 95 || s.P99 != 99 {
		t.Fatalf("quantiles p50 %v p95 %v p99 %v", s.P50, s.P95, s.P99)
	}
	if Summarize(nil) != (Summary{}) {
		t.Fatal("empty sample")
	}
	if one := Summarize([]time.Duration{time.Millisecond}); one.Std != 0 || one.P99 != 1 {
		t.Fatalf("one sample %+v", one)
	}
}

func TestLinearFit(t *testing.T) {
	xs := []float64{1, 2, 3, 4}
	ys := []float64{3, 5, 7, 9}
	a, b, r2 := LinearFit(xs, ys)
	if math.Abs(a-1) > 1e-9 || math.Abs(b-2) > 1e-9 || math.Abs(r2-1) > 1e-9 {
		t.Fatalf("fit a=%v b=%v r2=%v", a, b, r2)
	}
}

// ReadUsage counts this process's CPU time: a thread that computes for 50
// ms of its own CPU clock (however long the machine takes to give it them)
// adds at least that much, and not much more: the other threads of this
// test process barely run meanwhile.
func TestUsageCountsCPU(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	u0 := ReadUsage()
	c0 := ThreadCPU()
	x := 1.0
	for ThreadCPU()-c0 < 50*time.Millisecond {
		x = math.Sqrt(x + 1)
	}
	_ = x
	c := ThreadCPU() - c0
	d := ReadUsage().Sub(u0)
	if got := d.User + d.Sys; got < c-time.Millisecond || got > c+25*time.Millisecond {
		t.Fatalf("a thread computed %v by its clock; getrusage counted %v", c, got)
	}
}

func TestRSS(t *testing.T) {
	if err := ResetPeakRSS(); err != nil {
		t.Skip(err)
	}
	before := PeakRSS()
	buf := make([]byte, 64<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	if got := PeakRSS(); got < before+32<<20 {
		t.Fatalf("peak RSS %d after touching 64 MiB (was %d)", got, before)
	}
	if RSS() <= 0 {
		t.Fatal("RSS not read")
	}
	_ = buf[len(buf)-1]
}

func TestStamp(t *testing.T) {
	s := NewStamp()
	if s.Cores < 1 || s.GOMAXPROCS < 1 || !strings.HasPrefix(s.GoVersion, "go") || s.CPU == "" {
		t.Fatalf("stamp %+v", s)
	}
	if !strings.Contains(s.String(), "cores") {
		t.Fatalf("stamp string %q", s)
	}
}

func TestMonoAcrossCalls(t *testing.T) {
	a := Mono()
	time.Sleep(5 * time.Millisecond)
	if d := time.Duration(Mono() - a); d < 5*time.Millisecond || d > time.Second {
		t.Fatalf("Mono advanced %v over a 5 ms sleep", d)
	}
}

// The machine's busy time grows at least by what this process computes.
func TestMachineBusy(t *testing.T) {
	b0 := MachineBusy()
	if b0 < 0 {
		t.Skip("no /proc/stat")
	}
	u0 := ReadUsage()
	for t0 := time.Now(); time.Since(t0) < 100*time.Millisecond; {
	}
	u := ReadUsage().Sub(u0)
	if d := MachineBusy() - b0; d < u.User+u.Sys-30*time.Millisecond {
		t.Fatalf("machine busy %v while this process used %v", d, u.User+u.Sys)
	}
}

// A Load counts this process's computing as its own, not as others', and
// the load average as the kernel reports it.
func TestLoad(t *testing.T) {
	if _, _, ok := machineTimes(); !ok {
		t.Skip("no /proc/stat")
	}
	m := StartLoad()
	spinCPU(150 * time.Millisecond)
	l := m.Stop()
	if l.Wall < 150*time.Millisecond || l.Own < 150*time.Millisecond || l.Cores < 1 || l.LoadAverage <= 0 {
		t.Fatalf("load %+v", l)
	}
	// Others is the machine's busy time less ours: never more than the rest
	// of the machine could have done, with a tick of rounding.
	if rest := time.Duration(l.Cores)*l.Wall - l.Own + 20*time.Millisecond; l.Others > rest {
		t.Fatalf("others %v in %v on %d cores, %v ours", l.Others, l.Wall, l.Cores, l.Own)
	}
	if s := l.Share(); s < 0 || s > 1.1 {
		t.Fatalf("share %v", s)
	}
	st := NewStamp()
	st.Load = &l
	if !strings.Contains(st.String(), "others used") {
		t.Fatalf("stamp %q", st)
	}
}

func TestLoadShare(t *testing.T) {
	l := Load{Wall: time.Second, Others: 400 * time.Millisecond, Steal: 100 * time.Millisecond, Cores: 2}
	if l.OtherCores() != 0.5 || l.Share() != 0.25 {
		t.Fatalf("other cores %v, share %v", l.OtherCores(), l.Share())
	}
	if (Load{}).Share() != 0 || (Load{}).OtherCores() != 0 {
		t.Fatal("empty load")
	}
}
