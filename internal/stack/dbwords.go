package stack

import (
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// RDS CreateDBInstance refuses a MasterUsername or DBName that is "a
// reserved word for the chosen database engine" (RDS API reference,
// CreateDBInstance, MasterUsername and DBName constraints), and the names
// it keeps for its own accounts: rdsadmin on every engine, rdsrepladmin on
// MySQL and MariaDB (RDS User Guide, "Master user account privileges").
// The schema already holds the lengths and characters (letter first,
// letters, digits and underscores, 16 / 63); these are the words.

// rdsAccounts are RDS's own account names.
var rdsAccounts = words("rdsadmin rdsrepladmin")

// postgresReserved are PostgreSQL's reserved key words, including those
// that can be a function or type name (PostgreSQL documentation, appendix
// "SQL Key Words", PostgreSQL column "reserved").
var postgresReserved = words(`all analyse analyze and any array as asc asymmetric authorization binary both case cast check
collate collation column concurrently constraint create cross current_catalog current_date current_role current_schema
current_time current_timestamp current_user default deferrable desc distinct do else end except false fetch for foreign
freeze from full grant group having ilike in initially inner intersect into is isnull join lateral leading left like limit
localtime localtimestamp natural not notnull null offset on only or order outer overlaps placing primary references
returning right select session_user similar some symmetric system_user table tablesample then to trailing true union
unique user using variadic verbose when where window with`)

// mysqlReserved are MySQL 8.0's reserved words (MySQL Reference Manual,
// "Keywords and Reserved Words", those marked (R)); MariaDB reserves
// nearly the same set.
var mysqlReserved = words(`accessible add all alter analyze and as asc asensitive before between bigint binary blob both by
call cascade case change char character check collate column condition constraint continue convert create cross cube
cume_dist current_date current_time current_timestamp current_user cursor database databases day_hour day_microsecond
day_minute day_second dec decimal declare default delayed delete dense_rank desc describe deterministic distinct
distinctrow div double drop dual each else elseif empty enclosed escaped except exists exit explain false fetch
first_value float float4 float8 for force foreign from fulltext function generated get grant group grouping groups having
high_priority hour_microsecond hour_minute hour_second if ignore in index infile inner inout insensitive insert int int1
int2 int3 int4 int8 integer intersect interval into io_after_gtids io_before_gtids is iterate join json_table key keys
kill lag last_value lateral lead leading leave left like limit linear lines load localtime localtimestamp lock long
longblob longtext loop low_priority master_bind master_ssl_verify_server_cert match maxvalue mediumblob mediumint
mediumtext middleint minute_microsecond minute_second mod modifies natural not no_write_to_binlog nth_value ntile null
numeric of on optimize optimizer_costs option optionally or order out outer outfile over partition percent_rank
precision primary procedure purge range rank read reads read_write real recursive references regexp release rename
repeat replace require resignal restrict return revoke right rlike row rows row_number schema schemas
second_microsecond select sensitive separator set show signal smallint spatial specific sql sqlexception sqlstate
sqlwarning sql_big_result sql_calc_found_rows sql_small_result ssl starting stored straight_join system table
terminated then tinyblob tinyint tinytext to trailing trigger true undo union unique unlock unsigned update usage use
using utc_date utc_time utc_timestamp values varbinary varchar varcharacter varying virtual when where while window
with write xor year_month zerofill`)

func words(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// reservedDBWord says why RDS would refuse name on engine, or "".
func reservedDBWord(engine, name string) string {
	w := strings.ToLower(name)
	switch {
	case rdsAccounts[w]:
		return "RDS keeps it for its own account"
	case engine == "postgres" && postgresReserved[w]:
		return "it is a reserved word of PostgreSQL"
	case (engine == "mysql" || engine == "mariadb") && mysqlReserved[w]:
		return "it is a reserved word of " + map[string]string{"mysql": "MySQL", "mariadb": "MariaDB"}[engine]
	}
	return ""
}

// validateDBWords refuses a user name or database name RDS would refuse.
func validateDBWords(d *databaseModel, resp *resource.ValidateConfigResponse) {
	if d.Engine.IsUnknown() {
		return
	}
	engine := d.Engine.ValueString()
	if d.Engine.IsNull() {
		engine = defaultEngine
	}
	for attr, v := range map[string]types.String{"username": d.Username, "db_name": d.DBName} {
		if !knownString(v) {
			continue
		}
		if why := reservedDBWord(engine, v.ValueString()); why != "" {
			resp.Diagnostics.AddAttributeError(path.Root("database").AtName(attr), "Name RDS would refuse",
				fmt.Sprintf("database.%s %q cannot be used: %s, and RDS CreateDBInstance refuses it. Choose another name, such as %q.", attr, v.ValueString(), why, "app"))
		}
	}
}
