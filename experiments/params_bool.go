package experiments

import (
	"fmt"
	"strconv"
)

// boolParam binds a yes-or-no parameter: true or false (also 1 and 0, t
// and f), as a flag, a cell override or a handout -p value.
func boolParam(v *bool, name, usage string) Param {
	return Param{
		Name: name, Usage: usage, Allowed: "true or false", boolean: true,
		set: func(s string) error {
			b, err := strconv.ParseBool(s)
			if err != nil {
				return fmt.Errorf("%q is not true or false", s)
			}
			*v = b
			return nil
		},
		get:     func() string { return strconv.FormatBool(*v) },
		check:   func() error { return nil },
		control: Control{Kind: ControlChoice, Choices: []string{"true", "false"}},
	}
}
