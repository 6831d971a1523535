package stack_test

import (
	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

type engineObservation = engine.Observation

func refsFor(all map[string]engine.Observation, p blueprint.Part) engine.Refs {
	refs := engine.Refs{}
	for _, d := range p.DependsOn {
		refs[d] = all[d]
	}
	return refs
}
