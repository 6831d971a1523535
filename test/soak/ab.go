package soak

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// InstallAB says how to get ab where it is missing.
const InstallAB = "ab (ApacheBench) is not on PATH: install it with `sudo apt-get install apache2-utils` (Debian, Ubuntu), " +
	"`sudo dnf install httpd-tools` (Fedora, RHEL, Amazon Linux), `apk add apache2-utils` (Alpine); macOS ships it as /usr/sbin/ab " +
	"(or run test/tools/prereqs.sh as root)"

// FindAB returns ab's path, or an error that says how to install it.
func FindAB() (string, error) {
	p, err := exec.LookPath("ab")
	if err != nil {
		return "", errors.New(InstallAB)
	}
	return p, nil
}

// ABReport is ab's own account of a phase. It has totals only: ab counts
// non-2xx answers and socket errors but does not say which request met
// them, and a request still waiting when ab stops appears in none of them.
type ABReport struct {
	Complete    int // requests ab finished (any status, including receive errors)
	Failed      int // ab's "Failed requests": Connect + Receive + Length + Exceptions
	Connect     int
	Receive     int
	Length      int
	Exceptions  int
	Non2xx      int
	WriteErrors int
	// Latency is ab's total time per finished request (its -g file's ttime),
	// from the start of connecting: with a rate set, it includes the time the
	// pacer held the request.
	Latency Latency
	// Exit is how ab ended when it did not end by the library's interrupt
	// ("" when it did): ab exits on its own after -n requests, and aborts
	// (without a report) when its whole poll set stays silent for -s seconds
	// or after ten connect failures.
	Exit string
	// Args is ab's command line.
	Args []string
}

// abArgs is ab's command line for one continuous phase: -r goes on after
// receive errors, -l accepts a varying body length, -q drops progress
// lines, -s is ab's give-up time for a poll set with no event at all (set
// beyond any phase, so an outage never makes ab quit and lose its report),
// -n is how many requests ab may send (the phase ends by interrupt, not by
// count), -g writes each finished request's times.
func abArgs(target, host, gnuplot string, o Options) []string {
	args := []string{"-r", "-l", "-q", "-s", strconv.Itoa(o.ABTimeoutSeconds), "-c", strconv.Itoa(o.Concurrency),
		"-n", strconv.Itoa(o.MaxRequests), "-g", gnuplot, "-H", "Host: " + host}
	if o.KeepAlive {
		args = append(args, "-k")
	}
	for _, h := range o.Headers {
		args = append(args, "-H", h)
	}
	return append(args, target)
}

var abCounts = regexp.MustCompile(`\(Connect: (\d+), Receive: (\d+), Length: (\d+), Exceptions: (\d+)\)`)

// parseABOutput reads ab's report into r.
func parseABOutput(text string, r *ABReport) {
	r.Complete, r.Failed = abField(text, "Complete requests"), abField(text, "Failed requests")
	r.Non2xx, r.WriteErrors = abField(text, "Non-2xx responses"), abField(text, "Write errors")
	if m := abCounts.FindStringSubmatch(text); m != nil {
		r.Connect, _ = strconv.Atoi(m[1])
		r.Receive, _ = strconv.Atoi(m[2])
		r.Length, _ = strconv.Atoi(m[3])
		r.Exceptions, _ = strconv.Atoi(m[4])
	}
}

// abField reads one "Name: number" line of ab's report (0 when absent).
func abField(text, name string) int {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `:\s+(\d+)`).FindStringSubmatch(text)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// parseGnuplot reads ab's -g file (starttime, seconds, ctime, dtime, ttime,
// wait; tab-separated, one header line; rows sorted by ttime, start times
// to the second only) and returns ttime, each request's total ms.
func parseGnuplot(r io.Reader) ([]float64, error) {
	sc := bufio.NewScanner(r)
	var out []float64
	col := -1
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if col < 0 {
			for i, h := range f {
				if strings.TrimSpace(h) == "ttime" {
					col = i
				}
			}
			if col < 0 {
				return nil, errors.New("ab's gnuplot file has no ttime column")
			}
			continue
		}
		if len(f) <= col {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(f[col]), 64)
		if err != nil {
			return out, fmt.Errorf("ab's gnuplot file: %q: %w", sc.Text(), err)
		}
		out = append(out, v)
	}
	return out, sc.Err()
}

// readGnuplot parses the -g file at path; a missing file is no latency
// (ab writes it only when it reports).
func readGnuplot(path string) ([]float64, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("opening ab's gnuplot file: %w", err)
	}
	defer f.Close()
	return parseGnuplot(f)
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
