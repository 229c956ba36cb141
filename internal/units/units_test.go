package units

import (
	"fmt"
	"math"
	"testing"
	"time"
)

func TestDuration(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0 s"},
		{1, "1 ns"},
		{999, "999 ns"},
		{1500, "1.5 µs"},
		{850_300, "850.3 µs"},
		{12_345_678, "12.35 ms"},
		{999_960_000, "1 s"},
		{999_940_000, "999.9 ms"},
		{1_234_500_000, "1.235 s"}, // round half away from zero, in integers
		{12_345 * time.Millisecond, "12.35 s"},
		{9_999_600 * time.Microsecond, "10 s"},
		{1234 * time.Second, "1234 s"},
		{25 * time.Millisecond, "25 ms"},
		{1_010 * time.Millisecond, "1.01 s"},
		{98765 * time.Second, "98770 s"},
		{-2500 * time.Microsecond, "-2.5 ms"},
	} {
		if got := Duration(c.d); got != c.want {
			t.Errorf("Duration(%d) = %q, want %q", int64(c.d), got, c.want)
		}
	}
}

func TestBytes(t *testing.T) {
	for _, c := range []struct {
		n    float64
		want string
	}{
		{0, "0 B"},
		{2719.4, "2719 B"},
		{2719, "2719 B"},
		{10<<10 - 1, "10239 B"},
		{10 << 10, "10.0 KiB"},
		{11_366, "11.1 KiB"},
		{1_300_000, "1.2 MiB"},
		{8_178_893, "7.8 MiB"},
		{1_342_177_280, "1.25 GiB"},
		{-3 << 20, "-3.0 MiB"},
		{-512, "-512 B"},
	} {
		if got := Bytes(c.n); got != c.want {
			t.Errorf("Bytes(%v) = %q, want %q", c.n, got, c.want)
		}
	}
}

func TestElapsed(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0.0s"},
		{12_340 * time.Millisecond, "12.3s"},
		{59_900 * time.Millisecond, "59.9s"},
		{59_960 * time.Millisecond, "1m00s"},
		{time.Minute, "1m00s"},
		{4*time.Minute + 5*time.Second, "4m05s"},
		{59*time.Minute + 59_600*time.Millisecond, "1h00m00s"},
		{time.Hour + 2*time.Minute + 5*time.Second, "1h02m05s"},
	} {
		if got := Elapsed(c.d); got != c.want {
			t.Errorf("Elapsed(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestConversions(t *testing.T) {
	if got := Millis(1500 * time.Microsecond); got != 1.5 {
		t.Errorf("Millis(1.5ms) = %v, want 1.5", got)
	}
	if got := MiB(3 << 19); got != 1.5 {
		t.Errorf("MiB(1.5 MiB) = %v, want 1.5", got)
	}
	if got := MiB(1); math.Abs(got-1.0/1048576) > 1e-18 {
		t.Errorf("MiB(1) = %v", got)
	}
}

func Example() {
	took := 1234567 * time.Microsecond
	fmt.Println(Duration(took), Millis(took))
	fmt.Println(Bytes(3<<19), MiB(3<<19))
	fmt.Println(Elapsed(245 * time.Second))
	// Output:
	// 1.235 s 1234.567
	// 1.5 MiB 1.5
	// 4m05s
}
