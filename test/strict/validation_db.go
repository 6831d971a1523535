package strict

import (
	"regexp"
	"strconv"
	"strings"
)

// reMasterUsername is RDS API reference, CreateDBInstance, MasterUsername:
// "Must be 1 to 16 letters, numbers, or underscores. First character must
// be a letter."
var reMasterUsername = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,15}$`)

// dbReserved are names RDS refuses as MasterUsername or DBName ("Can't be a
// reserved word for the chosen database engine", same page): RDS's own
// accounts on every engine (RDS User Guide, "Master user account
// privileges") and a sample of each engine's reserved words (PostgreSQL
// "SQL Key Words", MySQL "Keywords and Reserved Words"); the provider
// refuses the full lists at plan time.
var dbReserved = map[string][]string{
	"":         {"rdsadmin", "rdsrepladmin"},
	"postgres": {"user", "all", "select", "table", "group", "order", "current_user", "session_user", "default", "primary"},
	"mysql":    {"select", "table", "group", "order", "key", "database", "schema", "primary", "default", "index"},
	"mariadb":  {"select", "table", "group", "order", "key", "database", "schema", "primary", "default", "index"},
}

// dbUserAndName enforces CreateDBInstance's MasterUsername and DBName
// constraints that moto does not: the username's shape, and reserved words
// in either (AWS words the refusal "MasterUsername X cannot be used as it
// is a reserved word used by the engine").
func dbUserAndName(engine, user, dbName string) *apiError {
	if user != "" && !reMasterUsername.MatchString(user) {
		return errorf(400, "InvalidParameterValue", "The parameter MasterUsername is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and underscores; and must be 1 to 16 characters.")
	}
	for param, v := range map[string]string{"MasterUsername": user, "DBName": dbName} {
		w := strings.ToLower(v)
		for _, e := range []string{"", engine} {
			for _, r := range dbReserved[e] {
				if w != "" && w == r {
					return errorf(400, "InvalidParameterValue", "%s %s cannot be used as it is a reserved word used by the engine", param, v)
				}
			}
		}
	}
	return nil
}

// dbMaxStorage enforces CreateDBInstance's MaxAllocatedStorage: a ceiling
// for storage autoscaling must be above the allocated storage. AWS refuses
// an equal one (moto refuses only a lower one) with InvalidParameterCombination
// "Max storage size must be greater than storage size"; leaving the
// parameter out is how autoscaling stays off at create (RDS User Guide,
// "Managing capacity automatically with Amazon RDS storage autoscaling";
// hashicorp/aws rds/instance.go sends it only when set, and suppresses the
// diff when it equals allocated_storage).
func dbMaxStorage(allocated, maxAllocated string) *apiError {
	a, errA := strconv.Atoi(allocated)
	m, errM := strconv.Atoi(maxAllocated)
	if errA != nil || errM != nil || m > a {
		return nil
	}
	return errorf(400, "InvalidParameterCombination", "Max storage size must be greater than storage size")
}
