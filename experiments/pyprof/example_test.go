package pyprof_test

import (
	"fmt"

	"github.com/boundlab/boundlab/experiments/pyprof"
)

// ParseCommand reads a command line as Python would: the interpreter's
// options, how the program is given, and the program's arguments.
func ExampleParseCommand() {
	p, err := pyprof.ParseCommand([]string{"python3", "-u", "-X", "dev", "-m", "http.server", "8000"})
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Interpreter, p.Mode, p.Target, p.Args)
	_, err = pyprof.ParseCommand([]string{"sleep", "2"})
	fmt.Println(err)
	// Output:
	// [python3 -u -X dev] module http.server [8000]
	// not a Python program
}
