package blueprint

import (
	"sort"
	"strings"
)

// User-data variables the launch template hands to the instances. Documented
// in the resource docs: scripts read them as environment variables, and the
// same lines are written to /etc/hawebapp/env for services (systemd EnvironmentFile).
const (
	VarStack  = "HAWEBAPP_STACK"
	VarRegion = "HAWEBAPP_REGION"
	VarPort   = "HAWEBAPP_PORT"
	// VarDBInstance is the database's identifier: the endpoint does not
	// exist while the database is created, so the instances look it (and the
	// managed secret's ARN) up with DescribeDBInstances at boot.
	VarDBInstance = "HAWEBAPP_DB_INSTANCE"
	VarDBPort     = "HAWEBAPP_DB_PORT"
	VarDBName     = "HAWEBAPP_DB_NAME"
)

// RenderUserData inserts the variables right after a script's shebang line:
// exported for the script, and saved to /etc/hawebapp/env. User data that is
// not a shell script (cloud-init YAML, MIME) is returned unchanged.
func RenderUserData(script string, vars map[string]string) string {
	if !strings.HasPrefix(script, "#!") || len(vars) == 0 {
		return script
	}
	shebang, rest, _ := strings.Cut(script, "\n")
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(shebang + "\n# hawebapp: stack variables\nmkdir -p /etc/hawebapp\ncat > /etc/hawebapp/env <<'HAWEBAPP_ENV'\n")
	for _, k := range keys {
		b.WriteString(k + "=" + vars[k] + "\n")
	}
	b.WriteString("HAWEBAPP_ENV\nset -a; . /etc/hawebapp/env; set +a\n")
	b.WriteString(rest)
	return b.String()
}

// StripUserData undoes RenderUserData: it returns the user's script as
// written, so an imported stack reads back the configuration it was made from.
func StripUserData(rendered string) string {
	shebang, rest, ok := strings.Cut(rendered, "\n")
	if !ok || !strings.HasPrefix(rest, "# hawebapp: stack variables\n") {
		return rendered
	}
	const end = "HAWEBAPP_ENV\nset -a; . /etc/hawebapp/env; set +a\n"
	i := strings.Index(rest, end)
	if i < 0 {
		return rendered
	}
	return shebang + "\n" + rest[i+len(end):]
}
