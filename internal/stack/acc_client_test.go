package stack_test

import (
	"context"
	"fmt"
	"os"

	"github.com/hawebapp/terraform-provider-hawebapp/test/tfcli"
)

// providerHostEnv is terraform-plugin-testing's variable for the registry
// host under which it offers the in-process provider to the CLI.
const providerHostEnv = "TF_ACC_PROVIDER_HOST"

// useClient prepares the acceptance tests for the CLI in
// TF_ACC_TERRAFORM_PATH (terraform-plugin-testing runs it; unset, it runs
// terraform from PATH). The testing framework offers the provider under
// the Terraform registry's host, which OpenTofu does not complete
// "hawebapp" to: the host is asked from the client itself (tfcli.DefaultHost),
// so the same tests run under Terraform and OpenTofu. A client that was
// asked for and is missing is an error, never a silent fall-back.
func useClient(ctx context.Context) error {
	bin := os.Getenv(tfcli.AccBinaryEnv)
	if bin == "" {
		return nil
	}
	if fi, err := os.Stat(bin); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		return fmt.Errorf("%s=%s is not an executable: build the client with test/tools/client.sh tofu|terraform [version] "+
			"and set %s to the path it prints", tfcli.AccBinaryEnv, bin, tfcli.AccBinaryEnv)
	}
	if os.Getenv(providerHostEnv) != "" {
		return nil
	}
	host, err := tfcli.DefaultHost(ctx, bin)
	if err != nil {
		return err
	}
	return os.Setenv(providerHostEnv, host)
}
