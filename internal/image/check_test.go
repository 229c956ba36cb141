package image

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dockerfilePath is the project's Dockerfile, from this package's directory.
var dockerfilePath = filepath.Join("..", "..", "Dockerfile")

func readDockerfile(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(dockerfilePath)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDockerfileFollowsTheRules(t *testing.T) {
	problems, err := Check(strings.NewReader(readDockerfile(t)))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("Dockerfile: %s", p)
	}
}

// edit replaces old with new in a Dockerfile; old "" appends new.
type edit struct{ old, new string }

// TestCheckFindsEachBrokenRule breaks one rule at a time in a copy of the
// project's Dockerfile, and checks that Check names that rule; the copies
// that only say the same thing another way must pass.
func TestCheckFindsEachBrokenRule(t *testing.T) {
	const (
		setupLine = "    go run ./cmd/boundlab setup --jupyter=system --kernelspec=prefix && \\\n"
		fixPerms  = `fix-permissions "${BOUNDLAB_ROOT}" "${GOPATH}"`
		hookCopy  = "COPY docker/before-notebook.d/ /usr/local/bin/before-notebook.d/\n"
		digest    = "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	)
	cases := []struct {
		name  string
		edits []edit
		want  Rule // "" for a copy that must pass
	}{
		// The same rules, said another way: these must pass.
		{"base pinned by digest as well", []edit{{"minimal-notebook:2026-10-05", "minimal-notebook:2026-10-05" + digest}}, ""},
		{"flag value as a separate word", []edit{{"--kernelspec=prefix", "--kernelspec prefix"}}, ""},
		{"flags in the other order", []edit{{"--jupyter=system --kernelspec=prefix", "--kernelspec=prefix --jupyter=system"}}, ""},
		{"system Jupyter chosen by ENV only", []edit{{" --jupyter=system", ""}}, ""},

		{"base from Docker Hub", []edit{{"quay.io/jupyter/minimal-notebook:2026-10-05", "jupyter/minimal-notebook:2023-10-20"}}, RuleBase},
		{"base from docker.io", []edit{{"quay.io/jupyter/minimal-notebook:2026-10-05", "docker.io/jupyter/minimal-notebook:2023-10-20"}}, RuleBase},
		{"base at latest", []edit{{"minimal-notebook:2026-10-05", "minimal-notebook:latest"}}, RuleBase},
		{"base without a tag", []edit{{"minimal-notebook:2026-10-05", "minimal-notebook"}}, RuleBase},
		{"base at a moving tag", []edit{{"minimal-notebook:2026-10-05", "minimal-notebook:python-3.13"}}, RuleBase},
		{"another base image", []edit{{"quay.io/jupyter/minimal-notebook:2026-10-05", "quay.io/jupyter/base-notebook:2026-10-05"}}, RuleBase},
		{"final stage not from the base", []edit{{"FROM ${BASE_IMAGE}\n", "FROM ubuntu:24.04\n"}}, RuleBase},

		{"base at latest is not pinned", []edit{{"minimal-notebook:2026-10-05", "minimal-notebook:latest"}}, RulePinned},
		{"Go at a minor version", []edit{{"golang:1.26.8-bookworm", "golang:1.26-bookworm"}}, RulePinned},
		{"Go at latest", []edit{{"golang:1.26.8-bookworm", "golang:latest"}}, RulePinned},
		{"Node without a tag", []edit{{"node:22.23.3-bookworm-slim", "node"}}, RulePinned},

		{"set-up moved to CMD", []edit{{setupLine, ""}, {"", `CMD ["boundlab", "setup", "--jupyter=system", "--kernelspec=prefix"]`}}, RuleBuildTime},
		{"CMD runs boundlab lab", []edit{{"", `CMD ["start.sh", "boundlab", "lab"]`}}, RuleBuildTime},
		{"CMD runs make setup, shell form", []edit{{"", "CMD make setup && start-notebook.py"}}, RuleBuildTime},

		{"kernel spec under $HOME", []edit{{" --kernelspec=prefix", ""}}, RuleKernelSpec},
		{"kernel spec for the user", []edit{{"--kernelspec=prefix", "--kernelspec=user"}}, RuleKernelSpec},
		{"the venv's Jupyter", []edit{{"--jupyter=system", "--jupyter=venv"}}, RuleKernelSpec},
		{"no system Jupyter, neither flag nor ENV", []edit{{" --jupyter=system", ""}, {"BOUNDLAB_JUPYTER=system", "BOUNDLAB_JUPYTER=venv"}}, RuleKernelSpec},

		{"BOUNDLAB_JUPYTER not set", []edit{{"    BOUNDLAB_JUPYTER=system \\\n", ""}}, RuleSystemJupyter},
		{"BOUNDLAB_KERNELSPEC not set", []edit{{"    BOUNDLAB_KERNELSPEC=prefix \\\n", ""}}, RuleSystemJupyter},
		{"BOUNDLAB_KERNELSPEC=user", []edit{{"BOUNDLAB_KERNELSPEC=prefix", "BOUNDLAB_KERNELSPEC=user"}}, RuleSystemJupyter},

		{"GOPATH under $HOME", []edit{{"GOPATH=/opt/go \\", "GOPATH=${HOME}/go \\"}}, RuleOutsideHome},
		{"GOMODCACHE under /home", []edit{{"GOMODCACHE=/opt/go/pkg/mod", "GOMODCACHE=/home/jovyan/go/pkg/mod"}}, RuleOutsideHome},
		{"GOCACHE left to Go's default", []edit{{"    GOCACHE=/opt/go/cache \\\n", ""}}, RuleOutsideHome},
		{"GOCACHE relative", []edit{{"GOCACHE=/opt/go/cache", "GOCACHE=go-cache"}}, RuleOutsideHome},
		{"BOUNDLAB_ROOT under /home", []edit{{"BOUNDLAB_ROOT=/opt/boundlab", "BOUNDLAB_ROOT=/home/jovyan/boundlab"}}, RuleOutsideHome},
		{"project copied into $HOME", []edit{{"WORKDIR ${BOUNDLAB_ROOT}", "WORKDIR ${HOME}/boundlab"}}, RuleOutsideHome},
		{"project copied beside BOUNDLAB_ROOT", []edit{{"--chown=${NB_UID}:${NB_GID} . .", "--chown=${NB_UID}:${NB_GID} . /srv/boundlab"}}, RuleOutsideHome},
		{"project not copied", []edit{{"COPY --chown=${NB_UID}:${NB_GID} . .\n", ""}}, RuleOutsideHome},

		{"no fix-permissions", []edit{{" && \\\n    " + fixPerms, ""}}, RuleWritableCache},
		{"fix-permissions misses GOCACHE", []edit{{fixPerms, `fix-permissions "${BOUNDLAB_ROOT}"`}}, RuleWritableCache},
		{"set-up as root", []edit{{"USER ${NB_UID}\nWORKDIR", "USER root\nWORKDIR"}}, RuleWritableCache},

		{"ends as root", []edit{{"", "USER root"}}, RuleUser},
		{"ends as the user's name", []edit{{"", "USER jovyan"}}, RuleUser},

		{"no EXPOSE", []edit{{"EXPOSE 8888\n", ""}}, RuleExpose},
		{"another port", []edit{{"EXPOSE 8888", "EXPOSE 8889"}}, RuleExpose},

		{"no start hook", []edit{{hookCopy, ""}}, RuleHook},
		{"ENTRYPOINT replaced", []edit{{"", `ENTRYPOINT ["start-notebook.py"]`}}, RuleHook},
	}
	original := readDockerfile(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			df := original
			for _, e := range c.edits {
				if e.old == "" {
					df += e.new + "\n"
					continue
				}
				if !strings.Contains(df, e.old) {
					t.Fatalf("the Dockerfile has no %q to edit", e.old)
				}
				df = strings.Replace(df, e.old, e.new, 1)
			}
			problems, err := Check(strings.NewReader(df))
			if err != nil {
				t.Fatal(err)
			}
			if c.want == "" {
				for _, p := range problems {
					t.Errorf("unexpected: %s", p)
				}
				return
			}
			for _, p := range problems {
				if p.Rule == c.want {
					t.Logf("found: %s", p)
					return
				}
			}
			t.Errorf("no %s problem; Check found %q", c.want, problems)
		})
	}
}

func TestCheckRejectsAnEmptyFile(t *testing.T) {
	if _, err := Check(strings.NewReader("# only a comment\n")); err == nil {
		t.Fatal("Check of a file with no instructions: no error")
	}
}

func TestCheckWithoutFROM(t *testing.T) {
	problems, err := Check(strings.NewReader("ARG X=1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 1 || problems[0].Rule != RuleBase {
		t.Fatalf("Check of a file without FROM = %q, want one %s problem", problems, RuleBase)
	}
}
