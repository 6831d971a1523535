package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"

	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
	"github.com/hawebapp/terraform-provider-hawebapp/test/soak"
)

// SoakResult is everything the soak measured.
type SoakResult struct {
	URL         string
	Concurrency int
	Rate        int // requests a second under load; 0: as fast as ab went
	Zones       []string
	Zone        string // the zone taken down
	Duration    time.Duration
	Slices      []SliceStat
	Samples     []Sample
	Events      []Event
	Activities  []Activity
	// Load and Cool are the soak library's record of the two phases.
	Load, Cool *soak.Result
	Settings   soak.Settings // the stack's, read before the run
	Budget     soak.Budget   // computed from Settings before the run
	DownAt     time.Time     // when the zone went down: the sandbox's record of when every instance had lost power
	// Detected is how long the load balancer kept sending to the lost
	// zone's targets after DownAt, from the sandbox's event log
	// (DetectedOK false: the log has no such change).
	Detected       time.Duration
	ReactionLag    time.Duration // of Detected, the sandbox acting on the deciding check
	DetectedOK     bool
	InFlightAtDown int // requests sent before DownAt and not ended by then
	Spurious       int // targets that went unhealthy while their zone had power
	// EventLog is the sandbox's record of the run (written to events.json).
	EventLog []sandbox.Event
	Windows  []CausedWindow
	Verdict  error  // nil: within the budget
	Chart    string // path of the PNG, once written
}

// Stalled is how long the load completed no request at all.
func (r *SoakResult) Stalled() time.Duration {
	var d time.Duration
	for _, s := range r.Slices {
		if s.Phase == "load" && s.Requests == 0 {
			d += s.To - s.From
		}
	}
	return d
}

// Totals are the requests sent and failed (in flight at the end
// included) over both phases, with the failures by reason.
func (r *SoakResult) Totals() (sent, failed int, reasons map[string]int) {
	reasons = map[string]int{}
	for _, p := range []*soak.Result{r.Load, r.Cool} {
		if p == nil {
			continue
		}
		sent, failed = sent+p.Sent, failed+p.Failed
		for k, v := range p.Reasons {
			reasons[k] += v
		}
	}
	return sent, failed, reasons
}

// Report reads the scaling activities of the soak, writes the chart and
// the report into OutDir and prints the report.
func (s *Soak) Report(ctx context.Context, r *Run) error {
	res := &s.Result
	for z, g := range s.groups {
		out, err := s.asg.DescribeScalingActivities(ctx, &autoscaling.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String(g)})
		if err != nil {
			return fmt.Errorf("scaling activities of %s: %w", g, err)
		}
		for _, a := range out.Activities {
			at := aws.ToTime(a.StartTime).Sub(s.start.Truncate(time.Second))
			if at < 0 {
				continue
			}
			res.Activities = append(res.Activities, Activity{At: at, Zone: z, Description: aws.ToString(a.Description), Cause: aws.ToString(a.Cause)})
		}
	}
	sort.SliceStable(res.Activities, func(i, j int) bool { return res.Activities[i].At < res.Activities[j].At })

	dir := s.Opts.OutDir
	if dir == "" {
		d, err := os.MkdirTemp("", "hawebapp-demo-report-")
		if err != nil {
			return err
		}
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	png, err := res.ChartPNG()
	if err != nil {
		return err
	}
	res.Chart = filepath.Join(dir, "soak.png")
	if err := os.WriteFile(res.Chart, png, 0o644); err != nil {
		return err
	}
	if evs, err := json.MarshalIndent(res.EventLog, "", "  "); err == nil {
		if err := os.WriteFile(filepath.Join(dir, "events.json"), evs, 0o644); err != nil {
			return err
		}
	}
	var b strings.Builder
	res.WriteReport(&b)
	if err := os.WriteFile(filepath.Join(dir, "report.txt"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	fmt.Fprint(r.Out, b.String())
	return res.Verdict
}

// WriteReport writes the report as indented text.
func (r *SoakResult) WriteReport(w io.Writer) {
	var loadReqs int
	var loadTime time.Duration
	for _, s := range r.Slices {
		if s.Phase == "load" {
			loadReqs += s.Requests
			loadTime += s.To - s.From
		}
	}
	rps := 0.0
	if loadTime > 0 {
		rps = float64(loadReqs) / loadTime.Seconds()
	}
	sent, failed, reasons := r.Totals()
	pct := 0.0
	if sent > 0 {
		pct = 100 * float64(failed) / float64(sent)
	}
	down, up := eventAt(r.Events, "down"), eventAt(r.Events, "back")
	fmt.Fprintf(w, "    soak        %s of ab -c %d at %d req/s (paced) on %s; %s down from %s to %s\n",
		r.Duration.Round(time.Second), r.Concurrency, r.Rate, r.URL, r.Zone, down.Round(time.Second), up.Round(time.Second))
	fmt.Fprintf(w, "    requests    %d sent (%.0f/s under load), %d failed (%.2f%%)", sent, rps, failed, pct)
	if failed > 0 {
		fmt.Fprintf(w, ": %s", soak.FormatReasons(reasons))
	}
	if stalled := r.Stalled(); stalled > 0 {
		fmt.Fprintf(w, "; no request sent for %s under load", stalled.Round(time.Second))
	}
	fmt.Fprintln(w)
	if r.Load != nil {
		l := r.Load.Latency
		fmt.Fprintf(w, "    latency     p50 %.0f ms, p95 %.0f ms, p99 %.0f ms, max %.0f ms (%d answered under load)\n", l.P50, l.P95, l.P99, l.Max, l.N)
		if ab := r.Load.AB; ab != nil {
			fmt.Fprintf(w, "    ab's count  %d complete, %d failed (connect %d, receive %d, length %d, exceptions %d), %d non-2xx\n",
				ab.Complete, ab.Failed, ab.Connect, ab.Receive, ab.Length, ab.Exceptions, ab.Non2xx)
		}
	}
	var vb strings.Builder
	r.writeVerdict(&vb)
	fmt.Fprint(w, vb.String())
	peakD, peakH := Peak(r.Samples)
	first, last := total(r.Samples, 0), total(r.Samples, len(r.Samples)-1)
	fmt.Fprintf(w, "    capacity    desired %d at the start, peak %d (%d healthy), %d at the end\n", first, peakD, peakH, last)

	fmt.Fprintf(w, "    instances per zone (healthy/desired), a row per change:\n        %6s", "t")
	for _, z := range r.Zones {
		fmt.Fprintf(w, " %10s", z)
	}
	fmt.Fprintln(w)
	for _, row := range Timeline(r.Samples, r.Zones, r.Events, r.Activities) {
		fmt.Fprintf(w, "        %5.0fs", row.At.Seconds())
		for _, z := range r.Zones {
			c := row.Zones[z]
			fmt.Fprintf(w, " %10s", fmt.Sprintf("%d/%d", c.Healthy, c.Desired))
		}
		if len(row.Notes) > 0 {
			fmt.Fprintf(w, "   %s", strings.Join(row.Notes, ", "))
		}
		fmt.Fprintln(w)
	}

	fmt.Fprintf(w, "    scaling activities: %d (%s)\n", len(r.Activities), strings.Join(ActivityCounts(r.Activities), ", "))
	const maxListed = 30
	for i, a := range r.Activities {
		if i == maxListed {
			fmt.Fprintf(w, "        ... %d more\n", len(r.Activities)-maxListed)
			break
		}
		fmt.Fprintf(w, "        %+5.0fs %-11s %-18s %s\n", a.At.Seconds(), a.Zone, a.Kind(), a.Description)
	}
	if r.Chart != "" {
		fmt.Fprintf(w, "    chart       %s\n", r.Chart)
	}
}

// total is the desired capacity of all zones at sample i (0 without samples).
func total(samples []Sample, i int) int {
	if i < 0 || i >= len(samples) {
		return 0
	}
	n := 0
	for _, c := range samples[i].Zones {
		n += c.Desired
	}
	return n
}

// eventAt is when the first event containing what happened (0 if none).
func eventAt(events []Event, what string) time.Duration {
	for _, e := range events {
		if strings.Contains(e.What, what) {
			return e.At
		}
	}
	return 0
}
