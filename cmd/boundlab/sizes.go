package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/boundlab/boundlab/internal/handouts"
)

const sizesUsage = `boundlab sizes PAGE.html ...

Breaks each page's bytes down by what they are: the ECharts library, the
styles, the charts' data (their ECharts options), the other scripts, inlined
images, and the text (the notebook's text and code, the outputs, the
markup). Pages above 700 kB are marked. For handouts:

  boundlab sizes handouts/*.html
`

// sizesCmd is `boundlab sizes`.
func sizesCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, sizesUsage)
		return usagef("sizes: name one page or more")
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		fmt.Fprint(stdout, sizesUsage)
		return errHelp
	}
	var names []string
	var parts []handouts.Parts
	for _, a := range args {
		b, err := os.ReadFile(a)
		if err != nil {
			return usagef("sizes: %v", err)
		}
		names = append(names, filepath.Base(a))
		parts = append(parts, handouts.Measure(b))
	}
	return handouts.PrintParts(stdout, names, parts)
}
