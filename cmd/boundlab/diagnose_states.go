package main

import (
	"fmt"
	"strings"

	"github.com/boundlab/boundlab/experiments/measure"
)

// stateRow is one row of the states strip: a state and how to read it from
// a sample.
type stateRow struct {
	label string
	of    func(measure.ThreadStates) float64
}

// stateRows are the states strip's rows, in top's terms.
var stateRows = []stateRow{
	{"running (R)", func(s measure.ThreadStates) float64 { return s.Running }},
	{"queued for a CPU (R)", func(s measure.ThreadStates) float64 { return s.Runnable }},
	{"sleeping (S)", func(s measure.ThreadStates) float64 { return s.Sleeping }},
	{"in I/O (D)", func(s measure.ThreadStates) float64 { return s.IO }},
}

// otherRow is shown only when some sample has threads stopped or traced.
var otherRow = stateRow{"stopped, traced (T)", func(s measure.ThreadStates) float64 { return s.Other }}

// statesStrip draws where the tree's threads spent each sample, a row per
// state and a column per sample (the columns line up with the utilisation
// sparkline's), perRow samples a block of rows: · none, then ▁ … █ up to
// the most threads the tree had at once. Then, where blocked threads
// waited.
func statesStrip(u measure.CPUSeries, perRow int) string {
	if len(u.Samples) == 0 || u.MaxThreads == 0 {
		return ""
	}
	rows := stateRows
	for _, s := range u.Samples {
		if s.Threads.Other >= 0.05 {
			rows = append(rows[:len(rows):len(rows)], otherRow)
			break
		}
	}
	width := 0
	for _, r := range rows {
		width = max(width, len([]rune(r.label)))
	}
	scale := float64(u.MaxThreads)
	threads := "1 thread"
	if u.MaxThreads != 1 {
		threads = fmt.Sprintf("%d threads (the most it had at once)", u.MaxThreads)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Threads by state over time, as top counts them: · none, ▁ … █ up to %s\n", threads)
	for i := 0; i < len(u.Samples); i += perRow {
		chunk := u.Samples[i:min(i+perRow, len(u.Samples))]
		var start float64
		if i > 0 {
			start = u.Samples[i-1].At.Seconds()
		}
		for j, r := range rows {
			label := strings.Repeat(" ", 10)
			if j == 0 {
				label = fmt.Sprintf("  %6.1f s", start)
			}
			var line strings.Builder
			var sum float64
			for _, s := range chunk {
				v := r.of(s.Threads)
				sum += v
				line.WriteRune(stateBlock(v, scale))
			}
			fmt.Fprintf(&b, "%s  %-*s  %s  mean %.2f\n", label, width, r.label, line.String(), sum/float64(len(chunk)))
		}
	}
	if w := u.WaitSummary(3); w != "" {
		fmt.Fprintf(&b, "Where blocked threads waited: %s\n", w)
	}
	return b.String()
}

// stateBlock is the block for v threads out of scale: · for none (less
// than a fiftieth of a thread), else ▁ … █.
func stateBlock(v, scale float64) rune {
	if v < 0.02 || scale <= 0 {
		return '·'
	}
	level := int(v / scale * float64(len(sparkBlocks)))
	return sparkBlocks[min(max(level, 0), len(sparkBlocks)-1)]
}
