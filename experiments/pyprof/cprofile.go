package pyprof

import (
	"bufio"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

//go:embed cprofile.py
var runner []byte

// bootstrap is the -c program the interpreter runs: one expression, so that
// it leaves __main__ as Python made it, which loads the runner (its path is
// sys.argv[1]) into a namespace of its own.
const bootstrap = `(lambda p: exec(compile((lambda f: (f.read(), f.close())[0])(open(p, "rb")), p, "exec"), {"__name__": "_boundlab_cprofile", "__file__": p}))(__import__("sys").argv[1])`

// Profiled is a Python program set up to run under cProfile: Command runs
// it as its own command line would, and at its exit writes the profile
// into a directory of its own, which Close removes.
type Profiled struct {
	Program Program
	// Command is the command line to run instead of the program's.
	Command []string
	dir     string
}

// Prepare sets p up to run under cProfile: it writes the runner into a new
// temporary directory, where the profile will be written too.
func Prepare(p Program) (*Profiled, error) {
	dir, err := os.MkdirTemp("", "boundlab-cprofile-")
	if err != nil {
		return nil, fmt.Errorf("cprofile: %w", err)
	}
	path := filepath.Join(dir, "boundlab_cprofile.py")
	if err := os.WriteFile(path, runner, 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("cprofile: %w", err)
	}
	line, at := p.line, p.programAt
	if line == nil {
		// A Program made by hand: its line as it would be written.
		line = slices.Concat(p.Interpreter[1:], p.programWords(), p.Args)
		at = len(line) - len(p.Args)
	}
	cmd := slices.Concat(p.Interpreter, []string{"-c", bootstrap, path, dir, string(p.Mode), p.Target, strconv.Itoa(at)}, line)
	return &Profiled{Program: p, Command: cmd, dir: dir}, nil
}

// programWords are the words that give Python the program.
func (p Program) programWords() []string {
	switch p.Mode {
	case Module:
		return []string{"-m", p.Target}
	case Code:
		return []string{"-c", p.Target}
	}
	return []string{p.Target}
}

// Close removes the profile's directory.
func (r *Profiled) Close() error { return os.RemoveAll(r.dir) }

// MissingError says why a run left no profile.
type MissingError struct{ Reason string }

func (e *MissingError) Error() string { return e.Reason }

// Profile reads the profile the program wrote when it exited. Where it
// wrote none, the error is a *MissingError saying why, as far as the run
// shows it.
func (r *Profiled) Profile() (*Profile, error) {
	f, err := os.Open(filepath.Join(r.dir, "profile.tsv"))
	if errors.Is(err, os.ErrNotExist) {
		if b, err := os.ReadFile(filepath.Join(r.dir, "exit.tsv")); err == nil {
			status := strings.TrimSpace(strings.TrimPrefix(string(b), "os_exit\t"))
			return nil, &MissingError{Reason: fmt.Sprintf("the program left through os._exit(%s), which skips Python's exit handlers, where the profile is written", status)}
		}
		return nil, &MissingError{Reason: "the program did not reach Python's normal exit, where the profile is written (a signal, a crash, an exec, or a failure before it started)"}
	}
	if err != nil {
		return nil, fmt.Errorf("cprofile: %w", err)
	}
	defer f.Close()
	return parseProfile(f)
}

// SaveStats copies the run's pstats file to path: pstats.Stats(path) and
// snakeviz read it.
func (r *Profiled) SaveStats(path string) error {
	b, err := os.ReadFile(filepath.Join(r.dir, "profile.pstats"))
	if err != nil {
		return fmt.Errorf("cprofile: no statistics to save: %w", err)
	}
	return os.WriteFile(path, b, 0o644)
}

// Profile is a cProfile profile of a Python program: wall-clock time by
// function, over every thread of its first process.
type Profile struct {
	// Python is the interpreter's version.
	Python string `json:"python"`
	// Total is the profiled time: the functions' own times summed, over
	// every thread profiled (so more than the wall time where threads ran
	// at once).
	Total time.Duration `json:"total_ns"`
	// Threads is how many threads it profiled; Forks how many times the
	// process forked (the children's functions are not in the profile).
	Threads int `json:"threads"`
	Forks   int `json:"forks"`
	// Profiled is how many functions it saw; Functions holds the top of
	// them by own and by cumulative time.
	Profiled  int        `json:"functions_profiled"`
	Functions []Function `json:"functions"`
}

// Function is one function's line of a profile, as pstats shows it.
type Function struct {
	Name string `json:"name"`
	// File and Line say where it is defined; File is "~" for a function
	// written in C. Short is File from the sys.path entry it is under
	// (multiprocessing/pool.py).
	File  string `json:"file"`
	Short string `json:"short_file,omitempty"`
	Line  int    `json:"line"`
	// Calls counts its calls; Primitive those not made recursively.
	Calls     int `json:"calls"`
	Primitive int `json:"primitive_calls"`
	// Own is the time spent in its own code; Cumulative that and the time
	// of the functions it called.
	Own        time.Duration `json:"own_ns"`
	Cumulative time.Duration `json:"cumulative_ns"`
}

// String names the function: "crunch (script.py:3)", or a built-in's name
// as pstats gives it ("<built-in method time.sleep>").
func (f Function) String() string {
	if f.File == "~" {
		return f.Name
	}
	file := f.Short
	if file == "" {
		file = f.File
	}
	return fmt.Sprintf("%s (%s:%d)", f.Name, file, f.Line)
}

// Share is d over the profile's total time.
func (p *Profile) Share(d time.Duration) float64 {
	if p.Total <= 0 {
		return 0
	}
	return float64(d) / float64(p.Total)
}

// ByOwn returns the n functions with the most own time, most first.
func (p *Profile) ByOwn(n int) []Function {
	return p.top(n, func(f Function) time.Duration { return f.Own })
}

// ByCumulative returns the n functions with the most cumulative time,
// most first.
func (p *Profile) ByCumulative(n int) []Function {
	return p.top(n, func(f Function) time.Duration { return f.Cumulative })
}

func (p *Profile) top(n int, key func(Function) time.Duration) []Function {
	fs := slices.Clone(p.Functions)
	slices.SortStableFunc(fs, func(a, b Function) int {
		if ka, kb := key(a), key(b); ka != kb {
			if ka > kb {
				return -1
			}
			return 1
		}
		return strings.Compare(a.String(), b.String())
	})
	return fs[:min(n, len(fs))]
}

// parseProfile reads the runner's summary: "key<TAB>value" lines, then a
// line per function: f, calls, primitive calls, own and cumulative seconds,
// line, file, name and short file (the last three with \\, \t and \n
// escaped).
func parseProfile(r io.Reader) (*Profile, error) {
	p := &Profile{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	bad := func(line string, err error) error {
		return fmt.Errorf("cprofile: malformed summary line %q: %v", line, err)
	}
	for sc.Scan() {
		line := sc.Text()
		f := strings.Split(line, "\t")
		var err error
		switch f[0] {
		case "python":
			p.Python = field(f, 1)
		case "total":
			p.Total, err = seconds(field(f, 1))
		case "threads":
			p.Threads, err = strconv.Atoi(field(f, 1))
		case "forks":
			p.Forks, err = strconv.Atoi(field(f, 1))
		case "functions":
			p.Profiled, err = strconv.Atoi(field(f, 1))
		case "f":
			if len(f) != 9 {
				return nil, bad(line, errors.New("want 9 fields"))
			}
			fn := Function{File: unescape(f[6]), Name: unescape(f[7]), Short: unescape(f[8])}
			var errs [5]error
			fn.Calls, errs[0] = strconv.Atoi(f[1])
			fn.Primitive, errs[1] = strconv.Atoi(f[2])
			fn.Own, errs[2] = seconds(f[3])
			fn.Cumulative, errs[3] = seconds(f[4])
			fn.Line, errs[4] = strconv.Atoi(f[5])
			err = errors.Join(errs[:]...)
			p.Functions = append(p.Functions, fn)
		}
		if err != nil {
			return nil, bad(line, err)
		}
	}
	return p, sc.Err()
}

func field(f []string, i int) string {
	if i < len(f) {
		return f[i]
	}
	return ""
}

// seconds parses a float number of seconds.
func seconds(s string) (time.Duration, error) {
	x, err := strconv.ParseFloat(s, 64)
	return time.Duration(x * float64(time.Second)), err
}

// unescape undoes the runner's escaping of \\, \t and \n.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
