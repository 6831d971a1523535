// Package plot draws simple line charts into a PNG with the standard
// library only: panels with a linear or logarithmic y axis, line and step
// series, shaded bands and vertical marks, a legend, and a built-in bitmap
// font. It is enough for the demo's soak chart and has no dependency.
package plot

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"strconv"
)

// Colours for series; any color.RGBA works.
var (
	White  = color.RGBA{255, 255, 255, 255}
	Black  = color.RGBA{30, 30, 30, 255}
	Grey   = color.RGBA{225, 225, 225, 255}
	Dark   = color.RGBA{110, 110, 110, 255}
	Blue   = color.RGBA{31, 119, 180, 255}
	Orange = color.RGBA{230, 120, 20, 255}
	Green  = color.RGBA{44, 160, 44, 255}
	Red    = color.RGBA{214, 39, 40, 255}
	Purple = color.RGBA{148, 103, 189, 255}
	Pink   = color.RGBA{255, 205, 205, 255}
)

// Palette is a sequence of distinct series colours.
var Palette = []color.RGBA{Blue, Orange, Green, Purple, Red}

// Point is one (x, y) value.
type Point struct{ X, Y float64 }

// Series is one line.
type Series struct {
	Label  string
	Color  color.RGBA
	Dashed bool
	// Step draws a staircase (the value holds until the next point), as for
	// counts sampled over time.
	Step   bool
	Points []Point
}

// Band shades the x range [From, To] of a panel.
type Band struct {
	From, To float64
	Color    color.RGBA
	Label    string
}

// Panel is one chart area with its axes.
type Panel struct {
	Rect           image.Rectangle // plotting area; labels go outside it
	Title          string
	XLabel, YLabel string
	XMax           float64 // 0: the largest x of the series
	YMax           float64 // 0: from the series
	LogY           bool    // decades on the y axis (values <= 0 are skipped)
	Series         []Series
	Bands          []Band
	Marks          []float64 // x positions of thin vertical lines
}

// Canvas is an image being drawn.
type Canvas struct{ Img *image.RGBA }

// New returns a white canvas of w x h pixels.
func New(w, h int) *Canvas {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), &image.Uniform{White}, image.Point{}, draw.Src)
	return &Canvas{Img: img}
}

// PNG encodes the canvas.
func (c *Canvas) PNG() ([]byte, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, c.Img); err != nil {
		return nil, fmt.Errorf("encoding the chart: %w", err)
	}
	return buf.Bytes(), nil
}

// Text draws s with its top-left corner at (x, y).
func (c *Canvas) Text(x, y int, s string, scale int, col color.Color) {
	eachPixel(s, scale, func(dx, dy int) { c.Img.Set(x+dx, y+dy, col) })
}

// TextUp draws s reading upwards, with its bottom-left corner at (x, y).
func (c *Canvas) TextUp(x, y int, s string, scale int, col color.Color) {
	eachPixel(s, scale, func(dx, dy int) { c.Img.Set(x+dy, y-dx, col) })
}

// Line draws a line of the given width (1 or more), dashed on request.
func (c *Canvas) Line(x0, y0, x1, y1 int, col color.RGBA, width int, dashed bool) {
	steps := max(abs(x1-x0), abs(y1-y0), 1)
	r := (width - 1) / 2
	for i := 0; i <= steps; i++ {
		if dashed && (i/8)%2 == 1 {
			continue
		}
		x, y := x0+(x1-x0)*i/steps, y0+(y1-y0)*i/steps
		c.Fill(image.Rect(x-r, y-r, x-r+width, y-r+width), col)
	}
}

// Fill paints a rectangle.
func (c *Canvas) Fill(r image.Rectangle, col color.Color) {
	draw.Draw(c.Img, r.Intersect(c.Img.Bounds()), &image.Uniform{col}, image.Point{}, draw.Src)
}

// Legend draws one row per series from (x, y), in columns of width colW.
func (c *Canvas) Legend(x, y, colW, perRow int, ss []Series) {
	for i, s := range ss {
		lx, ly := x+(i%perRow)*colW, y+(i/perRow)*24
		c.Line(lx, ly+6, lx+30, ly+6, s.Color, 3, s.Dashed)
		c.Text(lx+38, ly, s.Label, 2, Black)
	}
}

// Draw draws the panel: bands, grid, axes with tick labels, marks, series.
func (c *Canvas) Draw(p Panel) {
	r := p.Rect
	xmax, ymin, ymax := p.XMax, math.Inf(1), math.Inf(-1)
	for _, s := range p.Series {
		for _, pt := range s.Points {
			if p.LogY && pt.Y <= 0 {
				continue
			}
			if p.XMax == 0 {
				xmax = max(xmax, pt.X)
			}
			ymin, ymax = min(ymin, pt.Y), max(ymax, pt.Y)
		}
	}
	if xmax <= 0 {
		xmax = 1
	}
	if math.IsInf(ymin, 0) {
		ymin, ymax = 1, 10
	}
	if p.YMax > 0 {
		ymax = p.YMax
	}
	var ticks []float64
	var py func(float64) int
	if p.LogY {
		lo, hi := math.Floor(math.Log10(ymin)), math.Ceil(math.Log10(ymax))
		if hi == lo {
			hi++
		}
		for d := lo; d <= hi; d++ {
			ticks = append(ticks, math.Pow(10, d))
		}
		py = func(y float64) int {
			return r.Max.Y - int((math.Log10(y)-lo)/(hi-lo)*float64(r.Dy()))
		}
	} else {
		step := NiceStep(ymax, 5)
		top := math.Ceil(ymax/step) * step
		if top == 0 {
			top = step
		}
		for v := 0.0; v <= top+step/2; v += step {
			ticks = append(ticks, v)
		}
		py = func(y float64) int { return r.Max.Y - int(y/top*float64(r.Dy())) }
	}
	px := func(x float64) int { return r.Min.X + int(x/xmax*float64(r.Dx())) }

	for _, b := range p.Bands {
		c.Fill(image.Rect(px(b.From), r.Min.Y, px(min(b.To, xmax)), r.Max.Y), b.Color)
		if b.Label != "" {
			c.Text(px(b.From)+4, r.Min.Y+4, b.Label, 1, Dark)
		}
	}
	for _, v := range ticks {
		y := py(v)
		c.Line(r.Min.X, y, r.Max.X, y, Grey, 1, false)
		lbl := strconv.FormatFloat(v, 'f', -1, 64)
		c.Text(r.Min.X-8-TextWidth(lbl, 2), y-7, lbl, 2, Dark)
	}
	xstep := NiceStep(xmax, 8)
	for v := 0.0; v <= xmax; v += xstep {
		x := px(v)
		c.Line(x, r.Min.Y, x, r.Max.Y, Grey, 1, false)
		lbl := strconv.FormatFloat(v, 'f', -1, 64)
		c.Text(x-TextWidth(lbl, 2)/2, r.Max.Y+8, lbl, 2, Dark)
	}
	for _, m := range p.Marks {
		c.Line(px(m), r.Min.Y, px(m), r.Max.Y, Dark, 1, true)
	}
	c.Line(r.Min.X, r.Max.Y, r.Max.X, r.Max.Y, Black, 1, false)
	c.Line(r.Min.X, r.Min.Y, r.Min.X, r.Max.Y, Black, 1, false)
	c.Text(r.Min.X, r.Min.Y-22, p.Title, 2, Black)
	if p.XLabel != "" {
		c.Text(r.Min.X+(r.Dx()-TextWidth(p.XLabel, 2))/2, r.Max.Y+30, p.XLabel, 2, Black)
	}
	if p.YLabel != "" {
		c.TextUp(r.Min.X-70, r.Min.Y+(r.Dy()+TextWidth(p.YLabel, 2))/2, p.YLabel, 2, Black)
	}

	for _, s := range p.Series {
		var prev *Point
		for i := range s.Points {
			pt := s.Points[i]
			if p.LogY && pt.Y <= 0 {
				prev = nil
				continue
			}
			pt.Y = min(pt.Y, ymax)
			if prev != nil {
				if s.Step {
					c.Line(px(prev.X), py(prev.Y), px(pt.X), py(prev.Y), s.Color, 3, s.Dashed)
					c.Line(px(pt.X), py(prev.Y), px(pt.X), py(pt.Y), s.Color, 3, s.Dashed)
				} else {
					c.Line(px(prev.X), py(prev.Y), px(pt.X), py(pt.Y), s.Color, 3, s.Dashed)
				}
			}
			prev = &pt
		}
	}
}

// NiceStep is a tick step of 1, 2 or 5 times a power of ten that divides
// [0, span] into at most n intervals.
func NiceStep(span float64, n int) float64 {
	if span <= 0 || n <= 0 {
		return 1
	}
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			return m * mag
		}
	}
	return 10 * mag
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
