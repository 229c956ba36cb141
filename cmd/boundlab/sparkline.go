package main

import (
	"fmt"
	"strings"

	"github.com/boundlab/boundlab/experiments/measure"
)

// sparkBlocks are the sparkline's eight levels, from nearly idle to every
// core busy.
var sparkBlocks = []rune("▁▂▃▄▅▆▇█")

// sparkline draws a utilisation series as text: one block per sample, its
// height the sample's cores over the machine's, perRow samples a row, each
// row labelled with its start time and its mean.
func sparkline(u measure.CPUSeries, perRow int) string {
	if len(u.Samples) == 0 {
		return "  (no samples: the command ended within the first interval)\n"
	}
	scale := float64(max(u.Cores, 1))
	width := min(perRow, len(u.Samples))
	var b strings.Builder
	fmt.Fprintf(&b, "CPU utilisation over time, a block per sample: ▁ idle … █ all %d cores busy\n", u.Cores)
	for i := 0; i < len(u.Samples); i += perRow {
		row := u.Samples[i:min(i+perRow, len(u.Samples))]
		var start float64
		if i > 0 {
			start = u.Samples[i-1].At.Seconds()
		}
		var sum float64
		var line strings.Builder
		for _, s := range row {
			sum += s.Cores
			level := int(s.Cores / scale * float64(len(sparkBlocks)))
			line.WriteRune(sparkBlocks[min(max(level, 0), len(sparkBlocks)-1)])
		}
		fmt.Fprintf(&b, "  %6.1f s  %-*s  mean %.2f cores\n", start, width, line.String(), sum/float64(len(row)))
	}
	return b.String()
}
