package experiments

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Param is one named parameter of a question, bound to a field of the
// question's parameter struct. The same Param serves a command-line flag, a
// notebook cell's flag, and a handout override, and checks its value against
// the allowed range in each case.
type Param struct {
	// Name is the flag name, without dashes.
	Name string
	// Usage says what the parameter is.
	Usage string
	// Allowed says which values are accepted, e.g. "1 to 100000".
	Allowed string

	set   func(string) error
	get   func() string
	check func() error
	// boolean marks a yes-or-no parameter: as a flag, --name alone means
	// true.
	boolean bool
	// control is how a control panel shows it (see Param.Control).
	control Control
}

// Set parses s into the bound field, or says why it cannot, naming the
// parameter and the allowed values.
func (p Param) Set(s string) error {
	if err := p.set(strings.TrimSpace(s)); err != nil {
		return fmt.Errorf("--%s: %w (allowed: %s)", p.Name, err, p.Allowed)
	}
	return nil
}

// String returns the field's current value in the form Set accepts.
func (p Param) String() string { return p.get() }

// Check validates the field's current value (set directly in Go code, say).
func (p Param) Check() error {
	if err := p.check(); err != nil {
		return fmt.Errorf("--%s: %w (allowed: %s)", p.Name, err, p.Allowed)
	}
	return nil
}

// Params is implemented by each question's parameter struct: its parameters,
// bound to its fields.
type Params interface {
	Params() []Param
}

// Validate checks every parameter of ps and returns the first problem.
func Validate(ps Params) error {
	for _, p := range ps.Params() {
		if err := p.Check(); err != nil {
			return err
		}
	}
	return nil
}

// Bind registers every parameter of ps as a flag of fs.
func Bind(fs *flag.FlagSet, ps Params) {
	for _, p := range ps.Params() {
		fs.Var(flagValue{p}, p.Name, p.Usage+" ("+p.Allowed+")")
	}
}

// Set sets the parameter called name, as a handout override does.
func Set(ps Params, name, value string) error {
	for _, p := range ps.Params() {
		if p.Name == name {
			return p.Set(value)
		}
	}
	return fmt.Errorf("unknown parameter %q (known: %s)", name, strings.Join(paramNames(ps), ", "))
}

// paramNames lists the names of ps's parameters.
func paramNames(ps Params) []string {
	var names []string
	for _, p := range ps.Params() {
		names = append(names, p.Name)
	}
	return names
}

// flagValue adapts a Param to flag.Value. Its errors are already complete
// sentences, so it strips the Param's own prefix that flag adds again.
type flagValue struct{ p Param }

func (f flagValue) String() string {
	if f.p.get == nil {
		return ""
	}
	return f.p.get()
}

// IsBoolFlag lets a yes-or-no parameter stand alone as a flag (--name).
func (f flagValue) IsBoolFlag() bool { return f.p.boolean }

func (f flagValue) Set(s string) error {
	if err := f.p.set(strings.TrimSpace(s)); err != nil {
		return fmt.Errorf("%w (allowed: %s)", err, f.p.Allowed)
	}
	return nil
}

func intParam(v *int, name, usage string, lo, hi int) Param {
	check := func(n int) error {
		if n < lo || n > hi {
			return fmt.Errorf("%d is out of range", n)
		}
		return nil
	}
	return Param{
		Name: name, Usage: usage, Allowed: fmt.Sprintf("an integer from %d to %d", lo, hi),
		set: func(s string) error {
			n, err := strconv.Atoi(s)
			if err != nil {
				return fmt.Errorf("%q is not an integer", s)
			}
			if err := check(n); err != nil {
				return err
			}
			*v = n
			return nil
		},
		get:     func() string { return strconv.Itoa(*v) },
		check:   func() error { return check(*v) },
		control: Control{Kind: ControlCount, Min: int64(lo), Max: int64(hi)},
	}
}

// pythonParam binds the cpython model's interpreter: a name on PATH or a
// path, looked up when the model runs (a missing one skips the model with a
// note). Empty means $BOUNDLAB_PYTHON, else the first python3 on PATH.
func pythonParam(v *string) Param {
	return Param{
		Name: "python", Usage: "the interpreter the cpython model runs",
		Allowed: "a name on PATH or a path; empty for $BOUNDLAB_PYTHON, else python3 on PATH",
		set: func(s string) error {
			*v = s
			return nil
		},
		get:   func() string { return *v },
		check: func() error { return nil },
	}
}

func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (write it like 100ms or 1s)", s)
	}
	return d, nil
}

func durationParam(v *time.Duration, name, usage string, lo, hi time.Duration) Param {
	check := func(d time.Duration) error {
		if d < lo || d > hi {
			return fmt.Errorf("%s is out of range", d)
		}
		return nil
	}
	return Param{
		Name: name, Usage: usage, Allowed: fmt.Sprintf("a duration from %s to %s", lo, hi),
		set: func(s string) error {
			d, err := parseDuration(s)
			if err != nil {
				return err
			}
			if err := check(d); err != nil {
				return err
			}
			*v = d
			return nil
		},
		get:     func() string { return v.String() },
		check:   func() error { return check(*v) },
		control: Control{Kind: ControlDuration, Min: int64(lo), Max: int64(hi)},
	}
}

// listParam binds a comma-separated list of 1 to maxLen items.
func listParam[T any](v *[]T, name, usage, allowed string, maxLen int,
	parse func(string) (T, error), check func(T) error, format func(T) string) Param {
	checkAll := func(xs []T) error {
		if len(xs) == 0 {
			return errors.New("the list is empty")
		}
		if len(xs) > maxLen {
			return fmt.Errorf("%d items is too many (at most %d)", len(xs), maxLen)
		}
		for _, x := range xs {
			if err := check(x); err != nil {
				return err
			}
		}
		return nil
	}
	return Param{
		Name: name, Usage: usage, Allowed: fmt.Sprintf("a comma-separated list of up to %d: %s", maxLen, allowed),
		set: func(s string) error {
			var xs []T
			for _, f := range strings.Split(s, ",") {
				f = strings.TrimSpace(f)
				if f == "" {
					continue
				}
				x, err := parse(f)
				if err != nil {
					return err
				}
				xs = append(xs, x)
			}
			if err := checkAll(xs); err != nil {
				return err
			}
			*v = xs
			return nil
		},
		get: func() string {
			fs := make([]string, len(*v))
			for i, x := range *v {
				fs[i] = format(x)
			}
			return strings.Join(fs, ",")
		},
		check: func() error { return checkAll(*v) },
	}
}

func intsParam(v *[]int, name, usage string, lo, hi, maxLen int) Param {
	return listParam(v, name, usage, fmt.Sprintf("integers from %d to %d", lo, hi), maxLen,
		func(s string) (int, error) {
			n, err := strconv.Atoi(s)
			if err != nil {
				return 0, fmt.Errorf("%q is not an integer", s)
			}
			return n, nil
		},
		func(n int) error {
			if n < lo || n > hi {
				return fmt.Errorf("%d is out of range", n)
			}
			return nil
		},
		strconv.Itoa)
}

func durationsParam(v *[]time.Duration, name, usage string, lo, hi time.Duration, maxLen int) Param {
	return listParam(v, name, usage, fmt.Sprintf("durations from %s to %s", lo, hi), maxLen,
		parseDuration,
		func(d time.Duration) error {
			if d < lo || d > hi {
				return fmt.Errorf("%s is out of range", d)
			}
			return nil
		},
		time.Duration.String)
}

func sizesParam(v *[]int, name, usage string, lo, hi, maxLen int) Param {
	return listParam(v, name, usage, fmt.Sprintf("sizes from %s to %s", FormatSize(lo), FormatSize(hi)), maxLen,
		ParseSize,
		func(n int) error {
			if n < lo || n > hi {
				return fmt.Errorf("%s is out of range", FormatSize(n))
			}
			return nil
		},
		FormatSize)
}

func namesParam(v *[]string, name, usage string, allowed []string) Param {
	p := listParam(v, name, usage, strings.Join(allowed, ", "), len(allowed),
		func(s string) (string, error) { return s, nil },
		func(s string) error {
			if !slices.Contains(allowed, s) {
				return fmt.Errorf("%q is not one of them", s)
			}
			return nil
		},
		func(s string) string { return s })
	p.control = Control{Kind: ControlChoices, Choices: slices.Clone(allowed)}
	return p
}

var sizeUnits = []struct {
	suffix string
	mult   int
}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}}

// ParseSize parses a byte size such as 512, 64KiB or 8MiB (K, M and G are
// powers of 1024 with or without "iB").
func ParseSize(s string) (int, error) {
	num, mult := s, 1
	for _, u := range sizeUnits {
		if strings.HasSuffix(strings.ToUpper(s), strings.ToUpper(u.suffix)) {
			num, mult = strings.TrimSpace(s[:len(s)-len(u.suffix)]), u.mult
			break
		}
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a size (write it like 512, 64KiB or 8MiB)", s)
	}
	return n * mult, nil
}

// FormatSize writes n bytes in the largest unit that divides it.
func FormatSize(n int) string {
	for _, u := range []struct {
		suffix string
		mult   int
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.mult && n%u.mult == 0 {
			return strconv.Itoa(n/u.mult) + u.suffix
		}
	}
	return strconv.Itoa(n) + "B"
}
