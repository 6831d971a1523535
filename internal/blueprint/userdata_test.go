package blueprint

import "testing"

func TestRenderUserData(t *testing.T) {
	vars := map[string]string{VarDBInstance: "shop", VarStack: "shop"}
	got := RenderUserData("#!/bin/bash\necho start\n", vars)
	want := "#!/bin/bash\n# hawebapp: stack variables\nmkdir -p /etc/hawebapp\ncat > /etc/hawebapp/env <<'HAWEBAPP_ENV'\n" +
		"HAWEBAPP_DB_INSTANCE=shop\nHAWEBAPP_STACK=shop\nHAWEBAPP_ENV\nset -a; . /etc/hawebapp/env; set +a\necho start\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if cloudInit := "#cloud-config\npackages: [nginx]\n"; RenderUserData(cloudInit, vars) != cloudInit {
		t.Error("non-shell user data must pass through unchanged")
	}
}

func TestStripUserDataUndoesRender(t *testing.T) {
	for _, script := range []string{"#!/bin/bash\necho start\n", "#!/bin/sh\n", "#cloud-config\nruncmd: []\n", ""} {
		rendered := RenderUserData(script, map[string]string{VarStack: "shop", VarPort: "8080"})
		if got := StripUserData(rendered); got != script {
			t.Errorf("StripUserData(RenderUserData(%q)) = %q", script, got)
		}
	}
}
