package provider

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
)

var accountIDPattern = regexp.MustCompile(`^\d{12}$`)

// accountCache keeps the caller's account once STS has answered, so a
// provider instance asks at most once (configure, when a guard is set, or
// the first import or identity upgrade). A failure is not kept: the next
// caller asks again.
type accountCache struct {
	mu sync.Mutex
	id string
}

func (a *accountCache) get(ctx context.Context, ask func(context.Context) (string, error)) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.id != "" {
		return a.id, nil
	}
	id, err := ask(ctx)
	if err == nil {
		a.id = id
	}
	return id, err
}

// checkAccount refuses an account allowed_account_ids leaves out or
// forbidden_account_ids names. It asks STS only when a guard is set: a
// provider without guards makes no call at configure time. hashicorp/aws
// fails its configure the same way ("AWS account ID not allowed"); this
// error also names the attribute and the accounts.
func checkAccount(ctx context.Context, l lookup, s settings) diag.Diagnostics {
	var diags diag.Diagnostics
	if len(s.allowedAccounts) == 0 && len(s.forbiddenAccounts) == 0 {
		return diags
	}
	account, err := l.CallerAccount(ctx)
	if err != nil {
		diags.AddError("Cannot check the AWS account",
			"allowed_account_ids or forbidden_account_ids is set, so the provider must know its account, and STS did not say: "+err.Error())
		return diags
	}
	switch {
	case len(s.allowedAccounts) > 0 && !slices.Contains(s.allowedAccounts, account):
		diags.AddAttributeError(path.Root("allowed_account_ids"), "AWS account not allowed",
			"The credentials are for AWS account "+account+", which allowed_account_ids ("+strings.Join(s.allowedAccounts, ", ")+
				") does not list. Use credentials (profile, assume_role) for an allowed account, or add "+account+" to allowed_account_ids.")
	case slices.Contains(s.forbiddenAccounts, account):
		diags.AddAttributeError(path.Root("forbidden_account_ids"), "AWS account forbidden",
			"The credentials are for AWS account "+account+", which forbidden_account_ids lists. "+
				"Use credentials (profile, assume_role) for another account, or remove "+account+" from forbidden_account_ids.")
	}
	return diags
}
