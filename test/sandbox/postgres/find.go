package postgres

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
)

// debianBins is where Debian and Ubuntu install PostgreSQL's server binaries
// (one directory per major version, none of them on PATH). A variable so a
// test can point it elsewhere.
var debianBins = "/usr/lib/postgresql/*/bin"

// installHint says what to install when the binaries are nowhere.
const installHint = "install PostgreSQL's server (Debian/Ubuntu: sudo apt-get install postgresql, or run test/tools/prereqs.sh as root), " +
	"or put the directory holding initdb and postgres on PATH"

// Binary finds one of PostgreSQL's server programs (initdb, postgres): on
// PATH first, then in the newest Debian version directory that has it. This
// is the one discovery the tests, the sandbox and the demo use;
// test/tools/prereqs.sh looks in the same places in the same order.
func Binary(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	dirs, _ := filepath.Glob(debianBins)
	sort.Slice(dirs, func(i, j int) bool { return majorVersion(dirs[i]) > majorVersion(dirs[j]) })
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("PostgreSQL's %s is neither on PATH nor in %s: %s", name, debianBins, installHint)
}

// majorVersion reads <n> from /usr/lib/postgresql/<n>/bin (-1 if not a number).
func majorVersion(binDir string) int {
	n, err := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	if err != nil {
		return -1
	}
	return n
}
