package bench

import (
	"image/color"

	"github.com/hawebapp/terraform-provider-hawebapp/test/plot"
)

// Chart draws the scale series as a PNG: wall time and API calls of apply
// and of a no-change plan against the number of stacks, both on log-log
// axes (dashed: the plan).
func Chart(r *Results) ([]byte, error) {
	var times, calls []plot.Series
	for _, c := range []struct {
		config, name string
		db           bool
		col          color.Color
	}{{Hawebapp, "hawebapp", true, plot.Blue}, {Hawebapp, "hawebapp no db", false, plot.Green}, {Handwritten, "hand-written no db", false, plot.Orange}} {
		for _, step := range []string{StepApply, StepPlan} {
			t := plot.Series{Label: c.name + " " + step, Color: c.col, Dashed: step == StepPlan, Dots: true}
			k := t
			for _, m := range r.Scale {
				if m.Config == c.config && m.Database == c.db && m.Step == step && m.Stacks > 0 {
					t.Points = append(t.Points, plot.Point{X: float64(m.Stacks), Y: m.Seconds})
					k.Points = append(k.Points, plot.Point{X: float64(m.Stacks), Y: float64(max(m.Calls, 1))})
				}
			}
			times, calls = append(times, t), append(calls, k)
		}
	}
	const x = "stacks in one configuration"
	return plot.PNG("hawebapp vs hand-written hashicorp/aws: cost as stacks grow (moto, log-log)", 1100, 900,
		plot.Panel{Title: "wall time", YLabel: "seconds", XLabel: x, LogX: true, LogY: true, Series: times, LegendLeft: true},
		plot.Panel{Title: "AWS API calls", YLabel: "calls", XLabel: x, LogX: true, LogY: true, Series: calls, LegendLeft: true})
}
