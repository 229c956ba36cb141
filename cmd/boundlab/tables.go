package main

import (
	"fmt"
	"io"

	"github.com/boundlab/boundlab/experiments"
)

// printTables writes a result's tables of figures (its Tables) as aligned
// text, each followed by a blank line. It is the summary's part for the
// results whose figures come as tables (semaphore, diagnosis, sleeping, …):
// the summary calls it where it prints a result's figures.
func printTables(w io.Writer, res experiments.Result) {
	for _, t := range res.Tables() {
		fmt.Fprintln(w, t.Text())
	}
}
