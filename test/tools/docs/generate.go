// Package docs holds the go:generate directives that regenerate the
// provider's documentation (run `make generate` or `go generate ./...`).
//
// tfplugindocs renders docs/ from the provider schema, the snippets under
// examples/provider and examples/resources, and the templates under
// examples/templates (not templates/ at the top level, and not under docs/,
// which must hold only the registry's layout).
package docs

// Format the Terraform examples.
//go:generate terraform fmt -recursive ../../../examples/

// Generate the documentation.
//go:generate go tool tfplugindocs generate --provider-dir ../../.. --provider-name hawebapp --rendered-provider-name hawebapp --examples-dir examples --website-source-dir examples/templates --rendered-website-dir docs

// The modules' README tables (requirements, resources, inputs, outputs)
// from their .tf files.
//go:generate go run ../moddocs ../../../modules/network ../../../modules/web-app ../../../modules/load-runner
