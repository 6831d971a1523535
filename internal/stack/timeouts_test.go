package stack

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
)

// TestDefaultTimeoutsCoverTheDatabase holds the defaults to what an RDS
// database needs, as hashicorp/aws gives aws_db_instance
// (internal/service/rds/instance.go: create 40, update 80, delete 60
// minutes), and checks that the docs say what each covers and its default.
func TestDefaultTimeoutsCoverTheDatabase(t *testing.T) {
	needs := map[string]struct{ got, need time.Duration }{
		"create": {defaultCreateTimeout, 40 * time.Minute},
		"update": {defaultUpdateTimeout, 80 * time.Minute},
		"delete": {defaultDeleteTimeout, 60 * time.Minute},
	}
	var resp resource.SchemaResponse
	(&stackResource{}).Schema(context.Background(), resource.SchemaRequest{}, &resp)
	attrs := resp.Schema.Attributes["timeouts"].(schema.SingleNestedAttribute).Attributes
	for name, n := range needs {
		if n.got < n.need {
			t.Errorf("default %s timeout %s, shorter than the %s a database needs", name, n.got, n.need)
		}
		desc := attrs[name].GetDescription()
		if !strings.Contains(desc, fmt.Sprintf("Defaults to `%dm`", int(n.got.Minutes()))) {
			t.Errorf("%s timeout's description %q does not give its default", name, desc)
		}
		if !strings.Contains(desc, "the whole "+name) {
			t.Errorf("%s timeout's description %q does not say what it covers", name, desc)
		}
	}
}
