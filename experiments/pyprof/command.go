package pyprof

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// Mode is how a command line gives Python its program.
type Mode string

// The modes: a script's path, -m and a module's name, -c and code.
const (
	Script Mode = "script"
	Module Mode = "module"
	Code   Mode = "code"
)

// Program is a Python program as a command line runs it.
type Program struct {
	// Interpreter is the interpreter and its options before the program:
	// ["python3", "-u"]; for a script run through its #! line, the line's
	// interpreter and argument.
	Interpreter []string
	Mode        Mode
	// Target is the script's path (as the process will see it in
	// sys.argv[0]), the module's name or the code.
	Target string
	Args   []string
	// line is the command line after the interpreter as given, and
	// programAt where the program's arguments start in it.
	line      []string
	programAt int
}

// ErrNotPython is a command that is not a Python interpreter, nor a script
// whose #! line names one.
var ErrNotPython = errors.New("not a Python program")

// UnsupportedError is a Python command that cannot be run under the
// profiler unchanged: the interactive interpreter, a program read from
// standard input, a compiled or zipped program, a script that is not there.
type UnsupportedError struct{ Reason string }

func (e *UnsupportedError) Error() string { return e.Reason }

func unsupported(format string, args ...any) error {
	return &UnsupportedError{Reason: fmt.Sprintf(format, args...)}
}

// pythonName matches the names Python interpreters go by: python,
// python3, python3.11, python3.13t, pypy3.
var pythonName = regexp.MustCompile(`^(python|pypy)([0-9]+(\.[0-9]+)*)?t?$`)

// IsInterpreter reports whether path names a Python interpreter, by its
// base name.
func IsInterpreter(path string) bool { return pythonName.MatchString(filepath.Base(path)) }

// ParseCommand reads a command line the way the kernel and Python would:
// an interpreter (python3 [options] script.py | -m module | -c code
// [args]), or a script whose #! line names one (then the script is found
// on PATH as exec would find it). It returns ErrNotPython for any other
// command, and an *UnsupportedError for a Python command that runs no
// program it can profile.
func ParseCommand(argv []string) (Program, error) {
	if len(argv) == 0 {
		return Program{}, ErrNotPython
	}
	if IsInterpreter(argv[0]) {
		return withLine(argv[0], argv[1:])
	}
	path := argv[0]
	if !strings.Contains(path, "/") {
		found, err := exec.LookPath(path)
		if err != nil {
			return Program{}, ErrNotPython
		}
		path = found
	}
	interp := Shebang(path)
	if len(interp) == 0 || !IsInterpreter(interp[0]) {
		return Program{}, ErrNotPython
	}
	// The kernel runs: interpreter [argument] script args.
	return withLine(interp[0], slices.Concat(interp[1:], []string{path}, argv[1:]))
}

// withLine parses the interpreter's command line after the interpreter.
func withLine(interp string, line []string) (Program, error) {
	p, err := parseOptions(line)
	p.Interpreter = append([]string{interp}, p.Interpreter...)
	p.line, p.programAt = line, len(line)-len(p.Args)
	return p, err
}

// Shebang returns the interpreter a script's #! line names, with the line's
// argument if it has one (the kernel passes the rest of the line as one
// argument); "#!/usr/bin/env NAME" is NAME found on PATH. Nil where the
// file has no such line, or env is given options.
func Shebang(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	// The kernel reads at most 256 bytes of it.
	line, err := bufio.NewReaderSize(f, 256).ReadSlice('\n')
	if err != nil && len(line) == 0 || !strings.HasPrefix(string(line), "#!") {
		return nil
	}
	rest := strings.TrimSpace(strings.TrimPrefix(string(line), "#!"))
	interp, arg := rest, ""
	if i := strings.IndexAny(rest, " \t"); i >= 0 {
		interp, arg = rest[:i], strings.TrimSpace(rest[i+1:])
	}
	if interp == "" {
		return nil
	}
	if filepath.Base(interp) == "env" {
		if arg == "" || strings.HasPrefix(arg, "-") || strings.ContainsAny(arg, "= \t") {
			return nil
		}
		found, err := exec.LookPath(arg)
		if err != nil {
			return nil
		}
		return []string{found}
	}
	if arg == "" {
		return []string{interp}
	}
	return []string{interp, arg}
}

// Python's command-line options: those that take a value, and those that
// take none.
const (
	valueOptions = "WX"
	flagOptions  = "bBdEIOPqsSuvR"
)

// parseOptions reads Python's arguments after the interpreter: options,
// then the program. The options it returns are the interpreter's, to be
// given before the profiler's own program.
func parseOptions(args []string) (Program, error) {
	var p Program
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			if i+1 == len(args) {
				return p, unsupported("it reads its program from standard input")
			}
			return script(p, args[i+1], args[i+2:])
		case a == "-":
			return p, unsupported("it reads its program from standard input")
		case strings.HasPrefix(a, "--"):
			name, _, hasValue := strings.Cut(a, "=")
			if name != "--check-hash-based-pycs" {
				return p, unsupported("python %s runs no program", a)
			}
			p.Interpreter = append(p.Interpreter, a)
			if !hasValue && i+1 < len(args) {
				i++
				p.Interpreter = append(p.Interpreter, args[i])
			}
		case strings.HasPrefix(a, "-"):
			flags := "-"
			for j := 1; j < len(a); j++ {
				c := a[j]
				switch {
				case c == 'c' || c == 'm':
					if flags != "-" {
						p.Interpreter = append(p.Interpreter, flags)
					}
					value, rest := a[j+1:], args[i+1:]
					if value == "" {
						if len(rest) == 0 {
							return p, unsupported("python -%c needs an argument", c)
						}
						value, rest = rest[0], rest[1:]
					}
					p.Target, p.Args = value, append([]string(nil), rest...)
					p.Mode = Code
					if c == 'm' {
						p.Mode = Module
					}
					return p, nil
				case strings.IndexByte(valueOptions, c) >= 0:
					p.Interpreter = append(p.Interpreter, a)
					if j+1 == len(a) && i+1 < len(args) {
						i++
						p.Interpreter = append(p.Interpreter, args[i])
					}
					flags = ""
				case c == 'i':
					return p, unsupported("python -i ends in the interactive interpreter")
				case c == 'x':
					return p, unsupported("python -x skips the script's first line")
				case strings.IndexByte(flagOptions, c) >= 0:
					flags += string(c)
					continue
				default:
					return p, unsupported("python %s runs no program", a)
				}
				break
			}
			if flags != "-" && flags != "" {
				p.Interpreter = append(p.Interpreter, flags)
			}
		default:
			return script(p, a, args[i+1:])
		}
	}
	return p, unsupported("it names no program: Python starts its interactive interpreter, or reads the program from standard input")
}

// script completes p with a script to run, if it is one the profiler can
// run as Python would: a source file.
func script(p Program, path string, args []string) (Program, error) {
	p.Mode, p.Target, p.Args = Script, path, append([]string(nil), args...)
	info, err := os.Stat(path)
	switch {
	case err != nil:
		return p, unsupported("%v", err)
	case info.IsDir():
		return p, unsupported("%s is a directory (Python runs its __main__.py)", path)
	case strings.HasSuffix(path, ".pyc"):
		return p, unsupported("%s is compiled bytecode", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return p, unsupported("%v", err)
	}
	defer f.Close()
	var magic [4]byte
	if n, _ := f.Read(magic[:]); n == 4 && string(magic[:]) == "PK\x03\x04" {
		return p, unsupported("%s is a zip archive (Python runs its __main__.py)", path)
	}
	return p, nil
}
