package stack

import (
	"errors"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

// Diagnostics say what happened, what to do, and the original error last.

func applyError(op, stack string, err error, rolledBack bool) diag.Diagnostic {
	what := "The stack " + stack + " could not be " + op + "d. "
	switch {
	case errors.Is(err, engine.ErrNotOwned):
		what += "A child with one of the stack's names already exists and does not carry the tag hawebapp:stack=" + stack +
			": choose another stack name, or tag the child if it really belongs to this stack. "
	case rolledBack:
		what += "Every child this apply created has been deleted again; children adopted from an earlier, interrupted apply " +
			"were kept and carry the tag hawebapp:stack=" + stack + ", so the next apply adopts them. "
	default:
		what += "The children keep their current state, and the state records the previous configuration, so the next plan shows what is still to do. "
	}
	return diag.NewErrorDiagnostic("Stack "+op+" failed", what+"\n\nOriginal Error: "+err.Error())
}

func observeError(stack string, err error) diag.Diagnostic {
	return diag.NewErrorDiagnostic("Reading stack failed",
		"The children of stack "+stack+" could not be read from AWS. Check the credentials' read permissions and try again.\n\nOriginal Error: "+err.Error())
}

func destroyError(stack string, err error) diag.Diagnostic {
	if errors.Is(err, engine.ErrDeletionProtected) {
		return diag.NewErrorDiagnostic("Stack is protected from deletion",
			"The database of stack "+stack+" has deletion protection on, so nothing was deleted. "+
				"Set database.deletion_protection = false, run terraform apply, then destroy again.\n\nOriginal Error: "+err.Error())
	}
	return diag.NewErrorDiagnostic("Stack delete failed",
		"Some children of stack "+stack+" could not be deleted; the ones deleted so far stay deleted. Run destroy again to continue.\n\nOriginal Error: "+err.Error())
}

func lookupError(err error) diag.Diagnostic {
	return diag.NewErrorDiagnostic("Reading the network failed",
		"The subnets or the VPC of the stack could not be read from AWS. Check that they exist in the provider's region.\n\nOriginal Error: "+err.Error())
}
