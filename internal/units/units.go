// Package units converts and writes durations and byte counts: the one home
// of the project's unit helpers.
//
// Figures for charts and judging are plain numbers in a named unit (Millis,
// MiB); text for a person carries its unit (Duration for a measured time,
// Elapsed for how long a step took, Bytes for a size). Byte sizes are IEC:
// a KiB is 1024 bytes, a MiB 1024 KiB.
package units

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Millis is d in milliseconds.
func Millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// MiB is n bytes in mebibytes (1 MiB = 1<<20 bytes).
func MiB(n int64) float64 { return float64(n) / (1 << 20) }

// Bytes writes a byte figure with an IEC unit: "2719 B" (below 10 KiB),
// "11.1 KiB", "7.8 MiB", "1.25 GiB". It takes a float64 because many
// byte figures are estimates (a fitted slope per task, a median); a count
// is converted by its caller. A negative figure (a size that fell) keeps
// its sign.
func Bytes(b float64) string {
	switch a := math.Abs(b); {
	case a >= 1<<30:
		return fmt.Sprintf("%.2f GiB", b/(1<<30))
	case a >= 1<<20:
		return fmt.Sprintf("%.1f MiB", b/(1<<20))
	case a >= 10<<10:
		return fmt.Sprintf("%.1f KiB", b/(1<<10))
	}
	return fmt.Sprintf("%.0f B", b)
}

// durationUnits are the units Duration writes in, largest first.
var durationUnits = []struct {
	name string
	size time.Duration
}{{"s", time.Second}, {"ms", time.Millisecond}, {"µs", time.Microsecond}, {"ns", time.Nanosecond}}

// Duration writes a duration with at most four significant digits and a
// unit, without trailing zeros: "1.234 s", "12.35 ms", "850.3 µs", "25 ms",
// "0 s". Durations of 10000 s and more are written in whole seconds.
func Duration(d time.Duration) string {
	if d == 0 {
		return "0 s"
	}
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	// Round to four significant digits first, so that 999.96 ms is written
	// as 1.000 s, not 1000 ms.
	if n := digits(int64(d)); n > 4 {
		p := time.Duration(math.Pow10(n - 4))
		d = (d + p/2) / p * p
	}
	for _, u := range durationUnits {
		if d >= u.size || u.size == time.Nanosecond {
			decimals := max(4-digits(int64(d/u.size)), 0)
			if u.size == time.Nanosecond {
				decimals = 0 // no fractions of a nanosecond
			}
			v := fmt.Sprintf("%.*f", decimals, float64(d)/float64(u.size))
			if decimals > 0 {
				v = strings.TrimRight(strings.TrimRight(v, "0"), ".")
			}
			return sign + v + " " + u.name
		}
	}
	panic("unreachable: the last unit is a nanosecond")
}

// digits is how many decimal digits n (at least 1) has.
func digits(n int64) int {
	k := 1
	for ; n >= 10; n /= 10 {
		k++
	}
	return k
}

// Elapsed writes how long something took for a person reading progress:
// "12.3s" under a minute, "4m05s" under an hour, "1h02m05s" after.
func Elapsed(d time.Duration) string {
	if d.Round(100*time.Millisecond) < time.Minute {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	s := int64(d.Round(time.Second) / time.Second)
	if s < 3600 {
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
	return fmt.Sprintf("%dh%02dm%02ds", s/3600, s/60%60, s%60)
}
