package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/boundlab/boundlab/experiments"
)

func list(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tLECTURE\tWHAT IT SHOWS")
	for _, q := range experiments.Questions() {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", q.Name(), q.Lecture(), q.Summary())
	}
	return tw.Flush()
}
