// Package plot is the test kit's one chart drawer: the demo's soak chart,
// the HA suites' reports and the benchmark's scale chart are all a column
// of panels drawn with gonum.org/v1/plot into a PNG. It adds only what
// those charts share (stepped and dashed series, shaded windows, vertical
// marks, horizontal limits, log axes) so that each caller describes its
// data, not pixels.
package plot

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"math"

	gonum "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Colours for series; any color.Color works.
var (
	Black  = color.RGBA{30, 30, 30, 255}
	Grey   = color.RGBA{225, 225, 225, 255}
	Dark   = color.RGBA{110, 110, 110, 255}
	Blue   = color.RGBA{31, 119, 180, 255}
	Orange = color.RGBA{230, 120, 20, 255}
	Green  = color.RGBA{44, 160, 44, 255}
	Red    = color.RGBA{214, 39, 40, 255}
	Purple = color.RGBA{148, 103, 189, 255}
	Pink   = color.RGBA{255, 205, 205, 255}
	Amber  = color.RGBA{255, 236, 179, 255}
)

// Palette is a sequence of distinct series colours.
var Palette = []color.RGBA{Blue, Orange, Green, Purple, Red}

// Point is one (x, y) value.
type Point struct{ X, Y float64 }

// Series is one line.
type Series struct {
	Label  string
	Color  color.Color
	Dashed bool
	// Step draws a staircase (the value holds until the next point), as for
	// counts sampled over time.
	Step bool
	// Dots marks each point, as for measurements too sparse for a line alone.
	Dots   bool
	Points []Point
}

// Band shades the x range [From, To] of a panel, e.g. an outage or the
// window a failure budget allows.
type Band struct {
	From, To float64
	Color    color.Color
	Label    string
}

// Limit is a horizontal line, e.g. a budget's most failed requests.
type Limit struct {
	Y     float64
	Color color.Color
	Label string
}

// Panel is one chart in the column.
type Panel struct {
	Title          string
	XLabel, YLabel string
	XMax           float64 // 0: from the data
	LogX, LogY     bool    // points with a coordinate <= 0 are left out of a log axis
	Series         []Series
	Bands          []Band
	Limits         []Limit
	Marks          []float64 // x positions of thin dashed vertical lines
	LegendLeft     bool      // the legend in the top-left corner (default: top-right)
}

// PNG draws the panels one above the other on a w x h pixel image, under
// title.
func PNG(title string, w, h int, panels ...Panel) ([]byte, error) {
	if len(panels) == 0 {
		return nil, fmt.Errorf("a chart needs at least one panel")
	}
	const dpi = 96
	img := vgimg.NewWith(vgimg.UseWH(vg.Length(w)*vg.Inch/dpi, vg.Length(h)*vg.Inch/dpi), vgimg.UseDPI(dpi))
	dc := draw.New(img)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())

	head := vg.Points(28)
	sty := gonum.DefaultFont
	sty.Size = vg.Points(14)
	font := draw.TextStyle{Color: Black, Font: sty, XAlign: draw.XCenter, Handler: gonum.DefaultTextHandler}
	dc.FillText(font, vg.Point{X: dc.Center().X, Y: dc.Max.Y - head/2 - sty.Size/2}, title)
	body := draw.Crop(dc, 0, 0, 0, -head)

	plots := make([][]*gonum.Plot, len(panels))
	for i, p := range panels {
		pl, err := p.plot()
		if err != nil {
			return nil, fmt.Errorf("panel %q: %w", p.Title, err)
		}
		plots[i] = []*gonum.Plot{pl}
	}
	tiles := draw.Tiles{Rows: len(panels), Cols: 1, PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(8), PadRight: vg.Points(12), PadY: vg.Points(14)}
	for i, row := range gonum.Align(plots, tiles, body) {
		plots[i][0].Draw(row[0])
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("encoding the chart: %w", err)
	}
	return buf.Bytes(), nil
}

// plot turns the panel into a gonum plot: bands first (behind), then the
// limits and marks, then the series.
func (p Panel) plot() (*gonum.Plot, error) {
	pl := gonum.New()
	pl.Title.Text, pl.X.Label.Text, pl.Y.Label.Text = p.Title, p.XLabel, p.YLabel
	pl.Legend.Top, pl.Legend.Left = true, p.LegendLeft
	pl.Add(plotter.NewGrid())
	if p.LogX {
		pl.X.Scale, pl.X.Tick.Marker = gonum.LogScale{}, gonum.LogTicks{Prec: -1}
	}
	if p.LogY {
		pl.Y.Scale, pl.Y.Tick.Marker = gonum.LogScale{}, gonum.LogTicks{Prec: -1}
	}
	xmin, xmax, ymin, ymax := p.extent()
	pl.X.Min, pl.X.Max, pl.Y.Min, pl.Y.Max = xmin, xmax, ymin, ymax

	for _, b := range p.Bands {
		poly, err := plotter.NewPolygon(plotter.XYs{{X: b.From, Y: ymin}, {X: min(b.To, xmax), Y: ymin}, {X: min(b.To, xmax), Y: ymax}, {X: b.From, Y: ymax}})
		if err != nil {
			return nil, err
		}
		poly.Color, poly.LineStyle.Width = b.Color, 0
		pl.Add(poly)
		if b.Label != "" {
			pl.Legend.Add(b.Label, poly)
		}
	}
	for _, m := range p.Marks {
		l, err := plotter.NewLine(plotter.XYs{{X: m, Y: ymin}, {X: m, Y: ymax}})
		if err != nil {
			return nil, err
		}
		l.Color, l.Dashes, l.Width = Dark, []vg.Length{vg.Points(2), vg.Points(3)}, vg.Points(0.5)
		pl.Add(l)
	}
	for _, lim := range p.Limits {
		l, err := plotter.NewLine(plotter.XYs{{X: xmin, Y: lim.Y}, {X: xmax, Y: lim.Y}})
		if err != nil {
			return nil, err
		}
		l.Color, l.Width, l.Dashes = lim.Color, vg.Points(1.5), []vg.Length{vg.Points(6), vg.Points(3)}
		pl.Add(l)
		pl.Legend.Add(lim.Label, l)
	}
	for _, s := range p.Series {
		xys := p.kept(s.Points)
		if len(xys) == 0 {
			continue
		}
		l, pts, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, err
		}
		l.Color, l.Width = s.Color, vg.Points(1.8)
		if s.Dashed {
			l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		if s.Step {
			l.StepStyle = plotter.PostStep
		}
		pl.Add(l)
		if s.Dots {
			pts.Color, pts.Shape, pts.Radius = s.Color, draw.CircleGlyph{}, vg.Points(2.5)
			pl.Add(pts)
			pl.Legend.Add(s.Label, l, pts)
		} else {
			pl.Legend.Add(s.Label, l)
		}
	}
	return pl, nil
}

// kept is the points a log axis can show.
func (p Panel) kept(pts []Point) plotter.XYs {
	xys := make(plotter.XYs, 0, len(pts))
	for _, pt := range pts {
		if (p.LogX && pt.X <= 0) || (p.LogY && pt.Y <= 0) {
			continue
		}
		xys = append(xys, plotter.XY{X: pt.X, Y: pt.Y})
	}
	return xys
}

// extent is the axes' range: the data's, the limits' and the bands', from
// 0 on a linear axis and from the decade below on a log one, with a little
// room above so a line on the top edge stays visible.
func (p Panel) extent() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax, ymin, ymax = math.Inf(1), p.XMax, math.Inf(1), math.Inf(-1)
	for _, s := range p.Series {
		for _, pt := range p.kept(s.Points) {
			xmin, ymin, ymax = min(xmin, pt.X), min(ymin, pt.Y), max(ymax, pt.Y)
			if p.XMax == 0 {
				xmax = max(xmax, pt.X)
			}
		}
	}
	for _, l := range p.Limits {
		ymin, ymax = min(ymin, l.Y), max(ymax, l.Y)
	}
	if p.XMax == 0 {
		for _, b := range p.Bands {
			xmax = max(xmax, b.To)
		}
	}
	switch {
	case p.LogX && math.IsInf(xmin, 1):
		xmin, xmax = 1, max(xmax, 10)
	case p.LogX:
		xmin = math.Pow(10, math.Floor(math.Log10(xmin)))
	default:
		xmin = 0
	}
	if xmax <= xmin {
		xmax = xmin + 1
	}
	switch {
	case math.IsInf(ymin, 1) && p.LogY:
		ymin, ymax = 1, 10
	case math.IsInf(ymin, 1):
		ymin, ymax = 0, 1
	case p.LogY:
		ymin, ymax = math.Pow(10, math.Floor(math.Log10(ymin))), math.Pow(10, math.Ceil(math.Log10(ymax*1.05)))
	default:
		ymin, ymax = min(ymin, 0), max(ymax*1.08, 1)
	}
	return xmin, xmax, ymin, ymax
}

// PixelsOf is how many pixels of img have exactly colour c: how a test
// sees that a chart drew what it was asked to.
func PixelsOf(img image.Image, c color.Color) int {
	want, n := color.RGBAModel.Convert(c), 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if color.RGBAModel.Convert(img.At(x, y)) == want {
				n++
			}
		}
	}
	return n
}
