package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// usageError is bad usage: exit status 2, one line.
type usageError struct{ error }

// usagef is a usageError with a formatted message.
func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// argsError is what command (diagnose, handouts) returns for err, the
// error of parsing its arguments: for --help, its usage text on stdout and
// errHelp; a usage error as it is; any other error as a usage error that
// points to --help.
func argsError(err error, command, usage string, stdout io.Writer) error {
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		return errHelp
	}
	var ue usageError
	if errors.As(err, &ue) {
		return err
	}
	return usageError{fmt.Errorf("%s: %w (try 'boundlab %s --help')", command, err, command)}
}
