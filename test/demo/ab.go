package demo

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// abSlice is one ApacheBench run of the soak.
type abSlice struct {
	Start, End time.Time
	Complete   int       // requests ab completed
	Failed     int       // connect, receive, length and exception failures
	Non2xx     int       // responses other than 2xx
	Latencies  []float64 // total time per request, ms
	Err        error     // ab could not run or reported nothing
}

// Failures is what the soak counts as failed: errors and non-2xx answers.
func (s abSlice) Failures() int { return s.Failed + s.Non2xx }

// abArgs are ab's arguments for one round: n requests (0: as many as it
// can) with c connections, for at most seconds.
func abArgs(url, gnuplot string, c, n, seconds int) []string {
	// -r: go on after socket errors (counted as failures); -l: the body's
	// length varies; -s: give up on a silent pollset after 10 s. -t sets -n
	// to 50000, so -n comes after it.
	if n <= 0 {
		n = 2000000
	}
	return []string{"-r", "-l", "-q", "-s", "10", "-c", strconv.Itoa(min(c, n)), "-g", gnuplot,
		"-t", strconv.Itoa(max(seconds, 1)), "-n", strconv.Itoa(n), url}
}

// add merges a round into the slice it belongs to.
func (s *abSlice) add(r abSlice) {
	if s.Start.IsZero() {
		s.Start = r.Start
	}
	s.End = r.End
	s.Complete += r.Complete
	s.Failed += r.Failed
	s.Non2xx += r.Non2xx
	s.Latencies = append(s.Latencies, r.Latencies...)
	if r.Err != nil {
		s.Err = r.Err
	}
}

// runAB runs one slice in its own process group; on ctx's cancellation ab
// gets SIGINT (it then prints what it has) and SIGKILL after 5 s.
func runAB(ctx context.Context, dir, url string, c, n, seconds int) abSlice {
	s := abSlice{Start: time.Now()}
	gp := filepath.Join(dir, "ab.tsv")
	_ = os.Remove(gp)
	cmd := exec.CommandContext(ctx, "ab", abArgs(url, gp, c, n, seconds)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	s.End = time.Now()
	text := out.String()
	s.Complete, s.Failed, s.Non2xx = abField(text, "Complete requests"), abField(text, "Failed requests"), abField(text, "Non-2xx responses")
	if f, ferr := os.Open(gp); ferr == nil {
		s.Latencies, ferr = parseGnuplot(f)
		f.Close()
		if ferr != nil && err == nil {
			err = ferr
		}
	}
	if err != nil || !strings.Contains(text, "Complete requests") {
		s.Err = fmt.Errorf("ab: %v: %s", err, lastLine(text))
	}
	return s
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
// wait; tab-separated, one header line) and returns ttime, the total time
// of each request in ms.
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

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
