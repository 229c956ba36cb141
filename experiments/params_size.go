package experiments

import "fmt"

// sizeParam binds a byte size from lo to hi, written like 64KiB or 1MiB.
func sizeParam(v *int, name, usage string, lo, hi int) Param {
	check := func(n int) error {
		if n < lo || n > hi {
			return fmt.Errorf("%s is out of range", FormatSize(n))
		}
		return nil
	}
	return Param{
		Name: name, Usage: usage, Allowed: fmt.Sprintf("a size from %s to %s", FormatSize(lo), FormatSize(hi)),
		set: func(s string) error {
			n, err := ParseSize(s)
			if err != nil {
				return err
			}
			if err := check(n); err != nil {
				return err
			}
			*v = n
			return nil
		},
		get:     func() string { return FormatSize(*v) },
		check:   func() error { return check(*v) },
		control: Control{Kind: ControlSize, Min: int64(lo), Max: int64(hi)},
	}
}
