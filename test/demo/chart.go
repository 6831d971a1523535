package demo

import (
	"fmt"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/test/plot"
)

// ChartPNG draws the soak as three panels over the same seconds: healthy
// instances per zone, failed requests with the budget the run is judged by
// (its window after the failure and its limit), and latency. The outage is
// shaded on each.
func (r *SoakResult) ChartPNG() ([]byte, error) {
	xmax := r.Duration.Seconds()
	var bands []plot.Band
	down := eventAt(r.Events, "down")
	if up := eventAt(r.Events, "back"); down > 0 {
		if up <= down {
			up = r.Duration
		}
		bands = append(bands, plot.Band{From: down.Seconds(), To: up.Seconds(), Color: plot.Pink, Label: r.Zone + " down"})
	}
	if stop := eventAt(r.Events, "load stops"); stop > 0 {
		bands = append(bands, plot.Band{From: stop.Seconds(), To: xmax, Color: plot.Grey, Label: "load stopped"})
	}
	var marks []float64
	for _, a := range r.Activities {
		if k := a.Kind(); k == "scale-out" || k == "scale-in" {
			marks = append(marks, a.At.Seconds())
		}
	}
	title := "hawebapp soak in the sandbox: capacity, failed requests and latency under ab load"
	return plot.PNG(title, 1200, 1000,
		plot.Panel{Title: "healthy instances, stacked by zone (thin dashes: scale-out and scale-in)", YLabel: "instances",
			XMax: xmax, Series: r.capacitySeries(), Bands: bands, Marks: marks},
		r.failurePanel(xmax, down, bands),
		plot.Panel{Title: "latency per slice (log scale)", YLabel: "ms", XLabel: "seconds into the soak", XMax: xmax, LogY: true,
			Series: r.latencySeries(), Bands: bands})
}

// capacitySeries stacks the zones: each line adds a zone's healthy
// instances to the ones below; desired is all zones'.
func (r *SoakResult) capacitySeries() []plot.Series {
	var out []plot.Series
	for i, z := range r.Zones {
		label := "healthy " + z
		if i > 0 {
			label = "+ healthy " + z
		}
		s := plot.Series{Label: label, Color: plot.Palette[i%len(plot.Palette)], Step: true}
		for _, sm := range r.Samples {
			n := 0
			for _, below := range r.Zones[:i+1] {
				n += sm.Zones[below].Healthy
			}
			s.Points = append(s.Points, plot.Point{X: sm.At.Seconds(), Y: float64(n)})
		}
		out = append(out, s)
	}
	desired := plot.Series{Label: "desired (all zones)", Color: plot.Black, Dashed: true, Step: true}
	for i, sm := range r.Samples {
		desired.Points = append(desired.Points, plot.Point{X: sm.At.Seconds(), Y: float64(total(r.Samples, i))})
	}
	return append(out, desired)
}

// failurePanel plots failed requests per second and, from the failure on,
// the running count the budget limits, with the budget's window shaded and
// its limit drawn: a run passes when the count stays under the line and its
// failures fall inside the shade.
func (r *SoakResult) failurePanel(xmax float64, down time.Duration, bands []plot.Band) plot.Panel {
	perSecond := plot.Series{Label: "failed requests per second", Color: plot.Red, Step: true}
	sinceFailure := plot.Series{Label: "failed since the failure (running count)", Color: plot.Black}
	failed := 0
	for _, s := range r.Slices {
		d := (s.To - s.From).Seconds()
		if d <= 0 {
			continue
		}
		perSecond.Points = append(perSecond.Points, plot.Point{X: s.From.Seconds(), Y: float64(s.Failures) / d})
		if down.Seconds() > 0 && s.To.Seconds() > down.Seconds() {
			failed += s.Failures
			sinceFailure.Points = append(sinceFailure.Points, plot.Point{X: s.To.Seconds(), Y: float64(failed)})
		}
	}
	p := plot.Panel{Title: "failed requests, and the budget the run is judged by", YLabel: "requests", XMax: xmax,
		Series: []plot.Series{perSecond, sinceFailure}, Bands: bands}
	if b := r.Budget; down.Seconds() > 0 && b.Window > 0 {
		p.Bands = append(p.Bands, plot.Band{From: down.Seconds(), To: down.Seconds() + b.Window.Seconds(), Color: plot.Amber,
			Label: fmt.Sprintf("budget window: %s from the failure", b.Window)})
		p.Limits = []plot.Limit{{Y: float64(b.MaxFailed), Color: plot.Orange, Label: fmt.Sprintf("budget: at most %d failed", b.MaxFailed)}}
	}
	return p
}

// latencySeries is p50 and p99 at each slice's middle.
func (r *SoakResult) latencySeries() []plot.Series {
	p50 := plot.Series{Label: "p50 latency", Color: plot.Purple}
	p99 := plot.Series{Label: "p99 latency", Color: plot.Red}
	for _, s := range r.Slices {
		if s.Requests == 0 {
			continue
		}
		mid := ((s.From + s.To) / 2).Seconds()
		p50.Points = append(p50.Points, plot.Point{X: mid, Y: max(s.P50, 1)})
		p99.Points = append(p99.Points, plot.Point{X: mid, Y: max(s.P99, 1)})
	}
	return []plot.Series{p50, p99}
}
