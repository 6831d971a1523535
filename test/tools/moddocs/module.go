package main

import (
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Module is what the README's tables show of a module.
type Module struct {
	RequiredVersion string
	Providers       []Provider
	Resources       []Resource
	Variables       []Variable
	Outputs         []Output
}

// Provider is a required_providers entry.
type Provider struct{ Name, Source, Version string }

// Resource is a managed resource block; Repeat is its count or for_each
// expression ("" when it has neither).
type Resource struct{ Address, Repeat string }

// Variable is an input; Default is its source text, "" when required.
type Variable struct{ Name, Type, Default, Description string }

// Output is an output value.
type Output struct{ Name, Description string }

// Load reads every .tf file of dir (not of its subfolders) in name order.
func Load(dir string) (*Module, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	m := &Module{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		file, diags := hclsyntax.ParseConfig(src, f, hcl.InitialPos)
		if diags.HasErrors() {
			return nil, diags
		}
		for _, b := range file.Body.(*hclsyntax.Body).Blocks {
			m.add(b, src)
		}
	}
	return m, nil
}

func (m *Module) add(b *hclsyntax.Block, src []byte) {
	text := func(name string) string { return attrText(b.Body, name, src) }
	switch b.Type {
	case "terraform":
		m.RequiredVersion = literal(b.Body, "required_version", src)
		for _, inner := range b.Body.Blocks {
			if inner.Type != "required_providers" {
				continue
			}
			for name, a := range inner.Body.Attributes {
				p := Provider{Name: name}
				if v, diags := a.Expr.Value(nil); !diags.HasErrors() && v.Type().IsObjectType() {
					for key, val := range v.AsValueMap() {
						switch {
						case val.Type() != cty.String:
						case key == "source":
							p.Source = val.AsString()
						case key == "version":
							p.Version = val.AsString()
						}
					}
				}
				m.Providers = append(m.Providers, p)
			}
			sort.Slice(m.Providers, func(i, j int) bool { return m.Providers[i].Name < m.Providers[j].Name })
		}
	case "resource":
		r := Resource{Address: strings.Join(b.Labels, ".")}
		if c := text("count"); c != "" {
			r.Repeat = "count = " + c
		} else if f := text("for_each"); f != "" {
			r.Repeat = "for_each = " + f
		}
		m.Resources = append(m.Resources, r)
	case "variable":
		m.Variables = append(m.Variables, Variable{Name: b.Labels[0], Type: shortType(text("type")),
			Default: text("default"), Description: literal(b.Body, "description", src)})
	case "output":
		m.Outputs = append(m.Outputs, Output{Name: b.Labels[0], Description: literal(b.Body, "description", src)})
	}
}

// attrText is the source text of an attribute's expression, "" if absent.
func attrText(body *hclsyntax.Body, name string, src []byte) string {
	a, ok := body.Attributes[name]
	if !ok {
		return ""
	}
	return exprText(a.Expr, src)
}

func exprText(e hclsyntax.Expression, src []byte) string {
	r := e.Range()
	return string(r.SliceBytes(src))
}

// literal is the value of a constant string expression (a quoted string
// or a heredoc), and the source text of any other expression.
func literal(body *hclsyntax.Body, name string, src []byte) string {
	a, ok := body.Attributes[name]
	if !ok {
		return ""
	}
	if v, diags := a.Expr.Value(nil); !diags.HasErrors() && v.Type() == cty.String && v.IsKnown() && !v.IsNull() {
		return strings.TrimSpace(v.AsString())
	}
	return exprText(a.Expr, src)
}

// shortType keeps a type on one line: an object type is "object", its
// attributes being in the description.
func shortType(t string) string {
	switch {
	case t == "":
		return "any"
	case strings.HasPrefix(t, "object("):
		return "object"
	case strings.Contains(t, "object("):
		return strings.SplitN(t, "(", 2)[0] + "(object)"
	}
	return t
}
