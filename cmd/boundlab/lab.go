package main

import (
	"context"
	"fmt"
	"io"

	"github.com/boundlab/boundlab/internal/setup"
)

const labUsage = `boundlab lab [JUPYTER ARGS]: check the set-up, then open Jupyter on notebooks/ —
JupyterLab where it is installed, else the classic Notebook — with the
project's bin/ and Go on PATH. Arguments go to Jupyter as they are:

  boundlab lab --port 9999 --no-browser
  boundlab lab --ip 0.0.0.0 --port 8888 --no-browser

Ctrl-C stops Jupyter and its kernels (a second Ctrl-C kills them at once).
`

// labCmd is `boundlab lab`.
func labCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	for _, a := range args {
		if a == "-h" || a == "--help" || a == "-help" {
			fmt.Fprint(stdout, labUsage)
			return errHelp
		}
	}
	p, err := project()
	if err != nil {
		return err
	}
	return showOutput(setup.Lab(ctx, p, setup.LabOptions{Args: args, Stdout: stdout, Stderr: stderr}), stderr)
}
