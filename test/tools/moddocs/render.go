package main

import (
	"fmt"
	"strings"
)

// Render writes the tables, in the order a reader looks them up.
func Render(m *Module) string {
	var b strings.Builder
	row := func(cells ...string) {
		for i := range cells {
			cells[i] = strings.ReplaceAll(cells[i], "|", `\|`)
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	b.WriteString("## Requirements\n\n")
	row("Name", "Version")
	row("------", "---------")
	row("terraform", m.RequiredVersion)
	for _, p := range m.Providers {
		row(p.Source, p.Version)
	}
	b.WriteString("\n## Resources\n\n")
	row("Name", "Created")
	row("------", "---------")
	for _, r := range m.Resources {
		created := "always"
		if r.Repeat != "" {
			created = code(oneLine(r.Repeat))
		}
		row(code(r.Address), created)
	}
	b.WriteString("\n## Inputs\n\n")
	row("Name", "Description", "Type", "Default")
	row("------", "-------------", "------", "---------")
	for _, v := range m.Variables {
		def := "required"
		if v.Default != "" {
			def = code(oneLine(v.Default))
		}
		row(code(v.Name), oneLine(v.Description), code(v.Type), def)
	}
	b.WriteString("\n## Outputs\n\n")
	row("Name", "Description")
	row("------", "-------------")
	for _, o := range m.Outputs {
		row(code(o.Name), oneLine(o.Description))
	}
	return b.String()
}

// oneLine folds an expression or text written over several lines.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func code(s string) string {
	if strings.Contains(s, "`") {
		return fmt.Sprintf("`` %s ``", s)
	}
	return "`" + s + "`"
}
