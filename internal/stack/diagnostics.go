package stack

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

// Diagnostics say what happened, what to do, and the original error last.

func applyError(op, stack string, err error, rolledBack bool) diag.Diagnostic {
	what := "The stack " + stack + " could not be " + op + "d. "
	if errors.Is(err, engine.ErrNotOwned) {
		what += "A child with one of the stack's names already exists and does not carry the tag hawebapp:stack=" + stack +
			": choose another stack name, or tag the child if it really belongs to this stack. "
	}
	var nt *engine.NotTakenError
	if errors.As(err, &nt) {
		what += "AWS accepted the calls but did not keep every setting: the children named below report another value than the one asked for " +
			"(as found, then \"want\" what was asked). The region or the service may not support the setting: change or remove it in the configuration. "
	}
	var rb *engine.RollbackError
	switch {
	case rolledBack && errors.As(err, &rb):
		what += rollbackSummary(stack, rb.Report)
		err = rb.Err
	case !rolledBack:
		what += "The children keep their current state, and the state records the previous configuration, so the next plan shows what is still to do. "
	}
	return diag.NewErrorDiagnostic("Stack "+op+" failed", what+"\n\nOriginal Error: "+err.Error())
}

// rollbackSummary says exactly what a failed create made, deleted again and
// left, and what to do about what is left.
func rollbackSummary(stack string, r engine.RollbackReport) string {
	var b strings.Builder
	if len(r.Created) == 0 {
		b.WriteString("This apply created no child, so there was nothing to roll back. ")
	} else {
		fmt.Fprintf(&b, "This apply created %d children and deleted %d of them again", len(r.Created), len(r.RolledBack))
		if len(r.RolledBack) > 0 {
			b.WriteString(": " + children(r.RolledBack))
		}
		b.WriteString(". ")
	}
	if len(r.Left) == 0 && len(r.Created) > 0 && r.LookErr == nil {
		b.WriteString("Nothing this apply created is left. ")
	}
	if len(r.Left) > 0 {
		fmt.Fprintf(&b, "Left in AWS, tagged hawebapp:stack=%s: ", stack)
		protected, kept := "", ""
		for i, l := range r.Left {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(l.String() + ", ")
			switch {
			case l.Protected:
				b.WriteString("its deletion protection is on")
				protected = l.Name
			case l.Kept:
				b.WriteString("kept because it had become available: a failed create never deletes a database " +
					"that took this long to make (a multi-AZ one takes 15 to 30 minutes)")
				kept = l.Name
			case l.Err != nil:
				b.WriteString("its delete failed: " + l.Err.Error())
			default:
				b.WriteString("AWS refuses to delete it while " + strings.Join(l.NeededBy, " and ") + " exists")
			}
		}
		b.WriteString(". The next terraform apply adopts them by that tag instead of creating them again. ")
		if kept != "" {
			b.WriteString("Fix the cause above and apply again: the stack is completed around database " + kept +
				". To remove what is left instead, run terraform apply (it adopts them), then terraform destroy. ")
		}
		if protected != "" {
			b.WriteString("To remove them instead, set database.deletion_protection = false and run terraform apply " +
				"(it adopts the database and turns its protection off), then terraform destroy; or run " +
				"`aws rds modify-db-instance --db-instance-identifier " + protected + " --no-deletion-protection --apply-immediately` " +
				"and delete the database, then the children listed with it. ")
		}
	}
	if len(r.Kept) > 0 {
		b.WriteString("Children found from an earlier, interrupted apply were kept and are adopted by the next apply: " + children(r.Kept) + ". ")
	}
	if r.LookErr != nil {
		b.WriteString("The rollback could not look for children that interrupted creates made without reporting them (" + r.LookErr.Error() +
			"); any such child carries the tag hawebapp:stack=" + stack + " and the next terraform apply adopts it. ")
	}
	return b.String()
}

func children(cs []engine.Child) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = c.String()
	}
	return strings.Join(s, ", ")
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
