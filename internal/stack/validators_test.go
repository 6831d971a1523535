package stack

import (
	"strings"
	"testing"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

func TestCheckMatcher(t *testing.T) {
	cases := map[string]struct {
		matcher, wantErr string
	}{
		"Single":        {"200", ""},
		"Range":         {"200-399", ""},
		"List":          {"200,302,400-499", ""},
		"Below200":      {"100-299", "outside 200-499"},
		"Above499":      {"200-500", "outside 200-499"},
		"ServerError":   {"503", "outside 200-499"},
		"Downwards":     {"399-200", "goes downwards"},
		"DownwardsList": {"200,302-301", "goes downwards"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			env.WantErr(t, checkMatcher(tc.matcher), tc.wantErr)
		})
	}
}

func TestTagProblems(t *testing.T) {
	many := map[string]string{}
	for i := range maxTagsPerResource - ownershipTags {
		many[strings.Repeat("k", i+1)] = "v"
	}
	tooMany := map[string]string{"one-more": "v"}
	for k, v := range many {
		tooMany[k] = v
	}
	cases := map[string]struct {
		tags    map[string]string
		wantErr string
	}{
		"None":          {nil, ""},
		"Fine":          {map[string]string{"team": "web", "Env": "prod"}, ""},
		"AtTheLimit":    {many, ""},
		"OverTheLimit":  {tooMany, "a child would carry up to 51 tags"},
		"AWSPrefix":     {map[string]string{"aws:owner": "me"}, "AWS reserves"},
		"AWSPrefixCase": {map[string]string{"AWS:owner": "me"}, "AWS reserves"},
		"LongKey":       {map[string]string{strings.Repeat("k", 129): "v"}, "129 characters"},
		"LongValue":     {map[string]string{"k": strings.Repeat("v", 257)}, "257 characters"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := strings.Join(tagProblems(tc.tags), "; ")
			switch {
			case tc.wantErr == "" && got != "":
				t.Errorf("unexpected problems: %s", got)
			case tc.wantErr != "" && !strings.Contains(got, tc.wantErr):
				t.Errorf("problems %q, want one containing %q", got, tc.wantErr)
			}
		})
	}
}

func TestMinStorageCeiling(t *testing.T) {
	for alloc, want := range map[int64]int64{20: 22, 21: 24, 100: 110, 1000: 1100, 65536: 72090} {
		if got := minStorageCeiling(alloc); got != want {
			t.Errorf("minStorageCeiling(%d) = %d, want %d", alloc, got, want)
		}
	}
}

// TestReservedDBWord: the names RDS refuses per engine, whatever the case,
// and ordinary names it takes.
func TestReservedDBWord(t *testing.T) {
	for _, tc := range []struct {
		engine, name string
		refused      bool
	}{
		{"postgres", "user", true}, {"postgres", "USER", true}, {"postgres", "rdsadmin", true}, {"postgres", "app", false},
		{"postgres", "postgres", false}, {"postgres", "admin", false}, {"mysql", "select", true}, {"mysql", "user", false},
		{"mysql", "admin", false}, {"mariadb", "rdsrepladmin", true}, {"mariadb", "key", true},
	} {
		if got := reservedDBWord(tc.engine, tc.name) != ""; got != tc.refused {
			t.Errorf("%s %q: refused %t, want %t", tc.engine, tc.name, got, tc.refused)
		}
	}
}
