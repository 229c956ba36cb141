// Package image checks boundlab's Dockerfile against the rules that let one
// image serve one person (docker run), a class (as the single-user image of
// a JupyterHub, which mounts the user's volume over $HOME) and a Binder demo
// (which builds the Dockerfile and starts it with its own command).
//
// Check reads the file with BuildKit's own Dockerfile parser
// (github.com/moby/buildkit/frontend/dockerfile/parser) and expands ${VAR}
// with BuildKit's shell lexer, as docker build does, so continuation lines,
// JSON and shell forms, flags, ARG defaults and ENV values are seen as the
// builder sees them. No Docker engine is needed.
package image

import (
	"fmt"
	"io"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// Rule names one rule of Check.
type Rule string

// The rules. Each Problem names the one it breaks.
const (
	// RuleBase: the image is built on BaseRepository at a date tag (a
	// weekly build of the Jupyter Docker Stacks), not latest, and not the
	// Docker Hub jupyter/* images, which stopped being published in
	// October 2023.
	RuleBase Rule = "base"
	// RulePinned: every FROM names a digest, a date tag or a full x.y.z
	// version, never a floating tag (none, latest, 1.26).
	RulePinned Rule = "pinned"
	// RuleBuildTime: boundlab's set-up runs in a RUN of the image's stage,
	// and no CMD or ENTRYPOINT runs boundlab or make (JupyterHub and Binder
	// replace CMD).
	RuleBuildTime Rule = "build-time"
	// RuleKernelSpec: the set-up uses the base image's Jupyter
	// (--jupyter=system, or BOUNDLAB_JUPYTER=system) and installs the gonb
	// kernel spec into its environment prefix (--kernelspec=prefix), not
	// under $HOME.
	RuleKernelSpec Rule = "kernelspec"
	// RuleSystemJupyter: the image sets BOUNDLAB_JUPYTER=system and
	// BOUNDLAB_KERNELSPEC=prefix, so that boundlab lab, doctor and handouts
	// in it use the image's Jupyter and keep the kernel spec in its prefix.
	RuleSystemJupyter Rule = "system-jupyter"
	// RuleOutsideHome: BOUNDLAB_ROOT, GOPATH, GOMODCACHE and GOCACHE are set
	// to absolute paths outside /home, the project is copied to
	// BOUNDLAB_ROOT, and the set-up runs there.
	RuleOutsideHome Rule = "outside-home"
	// RuleWritableCache: the set-up runs as the notebook user (NB_UID), and
	// fix-permissions makes GOCACHE writable by the users group (NB_GID)
	// after it.
	RuleWritableCache Rule = "writable-cache"
	// RuleUser: the image's user is NB_UID, not root.
	RuleUser Rule = "user"
	// RuleExpose: the image exposes JupyterPort.
	RuleExpose Rule = "expose"
	// RuleHook: a start hook is copied into HookDir, and the base image's
	// ENTRYPOINT (tini, start.sh), which runs it, is kept.
	RuleHook Rule = "notebooks-hook"
)

const (
	// BaseRepository is the image the final stage is built on.
	BaseRepository = "quay.io/jupyter/minimal-notebook"
	// JupyterPort is the port Jupyter listens on in the image.
	JupyterPort = "8888"
	// HookDir is where the Docker Stacks' start.sh finds the hooks it runs
	// before Jupyter starts.
	HookDir = "/usr/local/bin/before-notebook.d"
)

// baseEnv is what the Docker Stacks images define and a Dockerfile built on
// them may use (docker-stacks-foundation's Dockerfile).
var baseEnv = map[string]string{
	"NB_USER":   "jovyan",
	"NB_UID":    "1000",
	"NB_GID":    "100",
	"HOME":      "/home/jovyan",
	"CONDA_DIR": "/opt/conda",
	"PATH":      "/opt/conda/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
}

// Problem is a rule the Dockerfile breaks.
type Problem struct {
	Rule Rule
	// Line is the Dockerfile line of the instruction at fault, or 0 when
	// something is missing.
	Line int
	// Detail says what is wrong.
	Detail string
}

// String formats the problem as "line N: rule: detail".
func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("line %d: %s: %s", p.Line, p.Rule, p.Detail)
	}
	return fmt.Sprintf("%s: %s", p.Rule, p.Detail)
}

// instr is one parsed instruction, with the variables in effect at it.
type instr struct {
	cmd   string   // lower case: from, run, env, ...
	args  []string // as parsed, unexpanded
	flags []string
	json  bool
	line  int
	env   map[string]string // ARG and ENV values in effect (before it)
	user  string            // USER in effect, expanded
	dir   string            // WORKDIR in effect, expanded
}

// stage is one FROM and what follows it.
type stage struct {
	from   instr
	image  string // the FROM's image, expanded
	name   string // AS name, lower case
	instrs []instr
	env    map[string]string // ARG and ENV values so far
	set    map[string]int    // the line that set each of env
	user   string            // USER so far, expanded
	dir    string            // WORKDIR so far, expanded
}

// Check parses the Dockerfile read from r and returns the rules it breaks,
// in the order of the rules above; none means the image follows them all.
// The error is for a file the parser rejects.
func Check(r io.Reader) ([]Problem, error) {
	res, err := parser.Parse(r)
	if err != nil {
		return nil, fmt.Errorf("parse Dockerfile: %w", err)
	}
	c := &checker{lex: shell.NewLex(res.EscapeToken)}
	c.read(res.AST.Children)
	if len(c.stages) == 0 {
		return []Problem{{Rule: RuleBase, Detail: "no FROM: the Dockerfile builds no image"}}, nil
	}
	c.pinned()
	final := c.stages[len(c.stages)-1]
	c.base(final)
	setup := c.buildTime(final)
	c.kernelSpec(setup)
	c.systemJupyter(final)
	c.outsideHome(final, setup)
	c.writableCache(final, setup)
	c.user(final)
	c.expose(final)
	c.hook(final)
	return c.problems, nil
}

type checker struct {
	lex      *shell.Lex
	stages   []*stage
	problems []Problem
}

func (c *checker) add(rule Rule, line int, format string, args ...any) {
	c.problems = append(c.problems, Problem{Rule: rule, Line: line, Detail: fmt.Sprintf(format, args...)})
}

// expand expands ${VAR} in word with env, as the builder does.
func (c *checker) expand(word string, env map[string]string) string {
	out, _, err := c.lex.ProcessWord(word, envGetter(env))
	if err != nil {
		return word
	}
	return out
}

// words splits a shell command line into words, expanding ${VAR} with env.
// Operators such as && stay words of their own where spaced.
func (c *checker) words(line string, env map[string]string) []string {
	ws, err := c.lex.ProcessWords(line, envGetter(env))
	if err != nil {
		return strings.Fields(line)
	}
	return ws
}

func envGetter(env map[string]string) shell.EnvGetter {
	kv := make([]string, 0, len(env))
	for k, v := range env {
		kv = append(kv, k+"="+v)
	}
	return shell.EnvsFromSlice(kv)
}

// read splits the instructions into stages, tracking ARG, ENV, USER and
// WORKDIR as the builder does.
func (c *checker) read(nodes []*parser.Node) {
	global := map[string]string{}
	var st *stage
	for _, n := range nodes {
		in := instr{cmd: strings.ToLower(n.Value), flags: n.Flags, json: n.Attributes["json"], line: n.StartLine}
		for a := n.Next; a != nil; a = a.Next {
			in.args = append(in.args, a.Value)
		}
		if in.cmd == "from" {
			in.env = global
			st = &stage{from: in, env: map[string]string{}, set: map[string]int{}, dir: "/"}
			if len(in.args) > 0 {
				st.image = c.expand(in.args[0], global)
			}
			if len(in.args) >= 3 && strings.EqualFold(in.args[1], "as") {
				st.name = strings.ToLower(in.args[2])
			}
			if repository(st.image) == BaseRepository {
				maps.Copy(st.env, baseEnv)
				st.user = baseEnv["NB_UID"] // the Docker Stacks images end as NB_UID,
				st.dir = baseEnv["HOME"]    // in $HOME
			}
			c.stages = append(c.stages, st)
			continue
		}
		if st == nil {
			if in.cmd == "arg" {
				for _, a := range in.args {
					k, v, _ := strings.Cut(a, "=")
					global[k] = c.expand(v, global)
				}
			}
			continue
		}
		in.env, in.user, in.dir = maps.Clone(st.env), st.user, st.dir
		switch in.cmd {
		case "arg":
			for _, a := range in.args {
				k, v, ok := strings.Cut(a, "=")
				if !ok {
					if g, found := global[k]; found {
						st.env[k], st.set[k] = g, in.line
					}
					continue
				}
				st.env[k], st.set[k] = c.expand(v, st.env), in.line
			}
		case "env":
			// The parser gives name, value, separator triples.
			for i := 0; i+1 < len(in.args); i += 3 {
				st.env[in.args[i]], st.set[in.args[i]] = c.expand(in.args[i+1], in.env), in.line
			}
		case "user":
			if len(in.args) > 0 {
				st.user = c.expand(in.args[0], st.env)
			}
		case "workdir":
			if len(in.args) > 0 {
				d := c.expand(in.args[0], st.env)
				if !path.IsAbs(d) {
					d = path.Join(st.dir, d)
				}
				st.dir = path.Clean(d)
			}
		}
		st.instrs = append(st.instrs, in)
	}
}

var (
	dateTag    = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	versionTag = regexp.MustCompile(`^v?\d+\.\d+\.\d+([-.+_][0-9A-Za-z.-]+)?$`)
)

// splitRef splits an image reference into repository, tag and digest.
func splitRef(ref string) (repo, tag, digest string) {
	repo, digest, _ = strings.Cut(ref, "@")
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo, tag = repo[:i], repo[i+1:]
	}
	return repo, tag, digest
}

func repository(ref string) string {
	repo, _, _ := splitRef(ref)
	return repo
}

// pinned: every FROM names a digest, a date tag or a full version.
func (c *checker) pinned() {
	var names []string
	for _, st := range c.stages {
		switch _, tag, digest := splitRef(st.image); {
		case st.image == "scratch" || slices.Contains(names, strings.ToLower(st.image)):
		case st.image == "":
			c.add(RulePinned, st.from.line, "FROM names no image")
		case digest != "":
		case tag == "" || tag == "latest":
			c.add(RulePinned, st.from.line, "%s is not pinned: name a date tag, a full version or a digest", st.image)
		case !dateTag.MatchString(tag) && !versionTag.MatchString(tag):
			c.add(RulePinned, st.from.line, "%s: the tag %q can move; name a date tag, a full x.y.z version or a digest", st.image, tag)
		}
		if st.name != "" {
			names = append(names, st.name)
		}
	}
}

// base: the image is BaseRepository at a date tag.
func (c *checker) base(st *stage) {
	repo, tag, _ := splitRef(st.image)
	switch {
	case strings.HasPrefix(strings.TrimPrefix(strings.TrimPrefix(repo, "index.docker.io/"), "docker.io/"), "jupyter/"):
		c.add(RuleBase, st.from.line, "%s is on Docker Hub, where the jupyter/* images stopped being published in October 2023; use %s", st.image, BaseRepository)
	case repo != BaseRepository:
		c.add(RuleBase, st.from.line, "the image is built on %s, not %s", st.image, BaseRepository)
	case !dateTag.MatchString(tag):
		c.add(RuleBase, st.from.line, "%s: pin a weekly build by its date tag (YYYY-MM-DD), not %q", st.image, tag)
	}
}

// setupRun is the RUN of boundlab's set-up and its words.
type setupRun struct {
	in    instr
	words []string // the words after "setup", to the end of that command
}

// isSetup reports whether words[i:] starts a run of boundlab's set-up:
// boundlab setup, go run ./cmd/boundlab setup, or make setup.
func isSetup(words []string, i int) bool {
	if i+1 >= len(words) || words[i+1] != "setup" {
		return false
	}
	w := words[i]
	return path.Base(w) == "boundlab" || w == "make"
}

// commandEnd is the index just after the command starting at i.
func commandEnd(words []string, i int) int {
	for ; i < len(words); i++ {
		switch w := words[i]; {
		case w == "&&" || w == "||" || w == ";" || w == "|":
			return i
		case strings.HasSuffix(w, ";"):
			return i + 1
		}
	}
	return i
}

// runWords returns a RUN's command as words.
func (c *checker) runWords(in instr) []string {
	if in.json {
		return in.args
	}
	return c.words(strings.Join(in.args, " "), in.env)
}

// buildTime: the set-up runs in a RUN; no CMD or ENTRYPOINT runs it.
func (c *checker) buildTime(st *stage) *setupRun {
	var found *setupRun
	for _, in := range st.instrs {
		switch in.cmd {
		case "run":
			ws := c.runWords(in)
			for i := range ws {
				if isSetup(ws, i) && found == nil {
					found = &setupRun{in: in, words: ws[i+2 : commandEnd(ws, i)]}
				}
			}
		case "cmd", "entrypoint":
			ws := in.args
			if !in.json {
				ws = c.words(strings.Join(in.args, " "), in.env)
			}
			for _, w := range ws {
				if b := path.Base(w); b == "boundlab" || b == "make" {
					c.add(RuleBuildTime, in.line, "%s runs %s at start; JupyterHub and Binder replace the command, so set the image up in a RUN", strings.ToUpper(in.cmd), b)
					break
				}
			}
		}
	}
	if found == nil {
		c.add(RuleBuildTime, 0, "no RUN runs boundlab setup: the image must be set up at build time")
	}
	return found
}

// flagValue returns the value of --name=value or --name value in words.
func flagValue(words []string, name string) (string, bool) {
	for i, w := range words {
		if v, ok := strings.CutPrefix(w, "--"+name+"="); ok {
			return v, true
		}
		if w == "--"+name && i+1 < len(words) {
			return words[i+1], true
		}
	}
	return "", false
}

// kernelSpec: the set-up uses the system Jupyter and its prefix.
func (c *checker) kernelSpec(s *setupRun) {
	if s == nil {
		return
	}
	jupyter, ok := flagValue(s.words, "jupyter")
	if !ok {
		jupyter = s.in.env["BOUNDLAB_JUPYTER"]
	}
	if jupyter != "system" {
		c.add(RuleKernelSpec, s.in.line, "the set-up does not use the base image's Jupyter: pass --jupyter=system (or set BOUNDLAB_JUPYTER=system before it)")
	}
	if v, _ := flagValue(s.words, "kernelspec"); v != "prefix" {
		c.add(RuleKernelSpec, s.in.line, "the set-up does not install the kernel spec into the Jupyter environment's prefix: pass --kernelspec=prefix (a spec under $HOME is hidden by JupyterHub's volume)")
	}
}

// systemJupyter: the image sets BOUNDLAB_JUPYTER=system and
// BOUNDLAB_KERNELSPEC=prefix.
func (c *checker) systemJupyter(st *stage) {
	if st.env["BOUNDLAB_JUPYTER"] != "system" {
		c.add(RuleSystemJupyter, st.set["BOUNDLAB_JUPYTER"], "the image does not set BOUNDLAB_JUPYTER=system: boundlab lab, doctor and handouts in it would look for a venv the image does not have")
	}
	if st.env["BOUNDLAB_KERNELSPEC"] != "prefix" {
		c.add(RuleSystemJupyter, st.set["BOUNDLAB_KERNELSPEC"], "the image does not set BOUNDLAB_KERNELSPEC=prefix: boundlab lab and handouts in it would install a second kernel spec under $HOME, on the user's volume, where it goes stale with the image")
	}
}

// underHome reports whether dir is /home or below it.
func underHome(dir string) bool {
	d := path.Clean(dir)
	return d == "/home" || strings.HasPrefix(d, "/home/")
}

// outsideHome: the project and Go's directories are outside /home.
func (c *checker) outsideHome(st *stage, s *setupRun) {
	for _, name := range []string{"BOUNDLAB_ROOT", "GOPATH", "GOMODCACHE", "GOCACHE"} {
		v, ok := st.env[name]
		switch {
		case (!ok || v == "") && name == "BOUNDLAB_ROOT":
			c.add(RuleOutsideHome, 0, "BOUNDLAB_ROOT is not set: the notebooks copied into $HOME would not find the project")
		case !ok || v == "":
			c.add(RuleOutsideHome, 0, "%s is not set: Go's default is under $HOME, which JupyterHub covers with the user's volume", name)
		case !path.IsAbs(v):
			c.add(RuleOutsideHome, st.set[name], "%s=%s is not an absolute path", name, v)
		case underHome(v):
			c.add(RuleOutsideHome, st.set[name], "%s=%s is under /home, which JupyterHub covers with the user's volume", name, v)
		}
	}
	root := st.env["BOUNDLAB_ROOT"]
	copied := false
	for _, in := range st.instrs {
		if in.cmd != "copy" && in.cmd != "add" || len(in.args) < 2 || hasFlagPrefix(in.flags, "--from") {
			continue
		}
		if !slices.ContainsFunc(in.args[:len(in.args)-1], func(a string) bool { return path.Clean(a) == "." }) {
			continue
		}
		dest := c.expand(in.args[len(in.args)-1], in.env)
		if !path.IsAbs(dest) {
			dest = path.Join(in.dir, dest)
		}
		copied = true
		switch dest = path.Clean(dest); {
		case underHome(dest):
			c.add(RuleOutsideHome, in.line, "the project is copied to %s, under /home", dest)
		case root != "" && dest != path.Clean(root):
			c.add(RuleOutsideHome, in.line, "the project is copied to %s, not to BOUNDLAB_ROOT (%s)", dest, root)
		}
	}
	if !copied {
		c.add(RuleOutsideHome, 0, "the project (the build context, .) is not copied into the image")
	}
	if s != nil && root != "" && path.Clean(s.in.dir) != path.Clean(root) {
		c.add(RuleOutsideHome, s.in.line, "the set-up runs in %s, not in BOUNDLAB_ROOT (%s)", s.in.dir, root)
	}
}

func hasFlagPrefix(flags []string, name string) bool {
	return slices.ContainsFunc(flags, func(f string) bool { return f == name || strings.HasPrefix(f, name+"=") })
}

// isNotebookUser reports whether user (expanded) is the notebook user.
func isNotebookUser(user string, env map[string]string) bool {
	u, _, _ := strings.Cut(user, ":")
	return u != "" && (u == env["NB_UID"] || u == env["NB_USER"])
}

// writableCache: the set-up runs as NB_UID, and fix-permissions covers
// GOCACHE after it.
func (c *checker) writableCache(st *stage, s *setupRun) {
	if s == nil {
		return
	}
	if !isNotebookUser(s.in.user, s.in.env) {
		c.add(RuleWritableCache, s.in.line, "the set-up runs as %q, not as the notebook user NB_UID: the caches it fills would not be the user's", s.in.user)
	}
	cache := st.env["GOCACHE"]
	if cache == "" {
		return
	}
	for _, in := range st.instrs {
		if in.cmd != "run" || in.line < s.in.line {
			continue
		}
		ws := c.runWords(in)
		for i, w := range ws {
			if path.Base(w) != "fix-permissions" {
				continue
			}
			for _, d := range ws[i+1 : commandEnd(ws, i)] {
				if d = path.Clean(d); cache == d || strings.HasPrefix(cache, d+"/") {
					return
				}
			}
		}
	}
	c.add(RuleWritableCache, 0, "no fix-permissions on GOCACHE (%s) after the set-up: a notebook user with another UID in the users group could not write the build cache", cache)
}

// user: the image's user is NB_UID.
func (c *checker) user(st *stage) {
	line := 0
	for _, in := range st.instrs {
		if in.cmd == "user" {
			line = in.line
		}
	}
	u, _, _ := strings.Cut(st.user, ":")
	switch {
	case u == "":
		c.add(RuleUser, line, "the image sets no USER: end with USER ${NB_UID}, the notebook user's numeric UID")
	case u != st.env["NB_UID"]:
		c.add(RuleUser, line, "the image runs as %q, not as the notebook user's numeric NB_UID (%s), which Binder and Kubernetes' runAsNonRoot check", st.user, st.env["NB_UID"])
	}
}

// expose: the image exposes JupyterPort.
func (c *checker) expose(st *stage) {
	for _, in := range st.instrs {
		if in.cmd != "expose" {
			continue
		}
		for _, a := range in.args {
			if p := c.expand(a, in.env); p == JupyterPort || p == JupyterPort+"/tcp" {
				return
			}
		}
	}
	c.add(RuleExpose, 0, "no EXPOSE %s", JupyterPort)
}

// hook: a hook is copied into HookDir, and the ENTRYPOINT is kept.
func (c *checker) hook(st *stage) {
	copied := false
	for _, in := range st.instrs {
		switch in.cmd {
		case "entrypoint":
			c.add(RuleHook, in.line, "ENTRYPOINT replaces the base image's (tini, start.sh), which runs the start hooks")
		case "copy", "add":
			if len(in.args) < 2 {
				continue
			}
			dest := path.Clean(c.expand(in.args[len(in.args)-1], in.env))
			if dest == HookDir || path.Dir(dest) == HookDir {
				copied = true
			}
		}
	}
	if !copied {
		c.add(RuleHook, 0, "no start hook is copied into %s: nothing would copy the notebooks into $HOME", HookDir)
	}
}
