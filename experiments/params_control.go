package experiments

// ControlKind says what kind of value a parameter holds, for a control
// panel to pick its widget.
type ControlKind int

const (
	// ControlText is any other value: a list, a path. A text field.
	ControlText ControlKind = iota
	// ControlCount is one integer from Min to Max.
	ControlCount
	// ControlDuration is one duration from Min to Max nanoseconds.
	ControlDuration
	// ControlSize is one byte size from Min to Max bytes.
	ControlSize
	// ControlChoice is one of Choices.
	ControlChoice
	// ControlChoices is a comma-separated list of some of Choices.
	ControlChoices
)

// Control describes how a control panel shows a parameter: its kind, the
// bounds of a single number (in the unit of its kind), or the choices.
// Whatever a control offers, Param.Set still judges the value.
type Control struct {
	Kind     ControlKind
	Min, Max int64
	Choices  []string
}

// Control describes how a control panel shows p.
func (p Param) Control() Control { return p.control }
