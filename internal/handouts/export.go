package handouts

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// templateName is the nbconvert template of the handouts: the lab
// template without the blocks that load scripts from the network.
const templateName = "boundlab-handout"

//go:embed template
var templates embed.FS

// writeTemplates copies the nbconvert template into dir/templates and
// returns that directory, the one to pass as an extra template base
// directory.
func writeTemplates(dir string) (string, error) {
	base := filepath.Join(dir, "templates")
	err := fs.WalkDir(templates, "template", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("template", path)
		target := filepath.Join(base, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := templates.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		return "", fmt.Errorf("write the nbconvert template: %w", err)
	}
	return base, nil
}

// exportHTML converts the executed notebook to HTML in outDir with
// jupyter nbconvert and the handout template, and returns the page's path.
func exportHTML(ctx context.Context, o *Options, templateDir, executed, outDir, name string) (string, error) {
	cmd := exec.CommandContext(ctx, o.Jupyter.Command, "nbconvert", "--to", "html",
		"--template", templateName,
		"--TemplateExporter.extra_template_basedirs="+templateDir,
		"--output-dir", outDir, "--output", name, executed)
	cmd.Env = o.env()
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("%s: export: %w", name, ctx.Err())
		}
		return "", fmt.Errorf("%s: jupyter nbconvert failed: %w\n%s", name, err, indent(limitLines(out.String()), "    "))
	}
	path := filepath.Join(outDir, name+".html")
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("%s: jupyter nbconvert wrote no %s:\n%s", name, path, indent(limitLines(out.String()), "    "))
	}
	return path, nil
}
