package bench

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

var (
	white   = color.RGBA{255, 255, 255, 255}
	black   = color.RGBA{30, 30, 30, 255}
	grey    = color.RGBA{225, 225, 225, 255}
	darkish = color.RGBA{110, 110, 110, 255}
	blue    = color.RGBA{31, 119, 180, 255}
	orange  = color.RGBA{230, 120, 20, 255}
	green   = color.RGBA{44, 160, 44, 255}
)

// series is one line of the chart.
type series struct {
	label  string
	c      color.RGBA
	dashed bool
	pts    [][2]float64 // stacks, value
}

// Chart draws the scale series as a PNG: wall time and API calls of
// apply and of a no-change plan against the number of stacks, both on
// log-log axes.
func Chart(r *Results) ([]byte, error) {
	const w, h = 1100, 610
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), &image.Uniform{white}, image.Point{}, draw.Src)
	title := "hawebapp vs hand-written hashicorp/aws: cost as stacks grow (moto, log-log)"
	drawText(img, (w-textWidth(title, 2))/2, 14, title, 2, black)

	var times, calls []series
	for _, c := range []struct {
		config, name string
		db           bool
		col          color.RGBA
	}{{Hawebapp, "hawebapp", true, blue}, {Hawebapp, "hawebapp no db", false, green}, {Handwritten, "hand-written no db", false, orange}} {
		for _, step := range []string{StepApply, StepPlan} {
			t := series{label: c.name + " " + step, c: c.col, dashed: step == StepPlan}
			k := t
			for _, m := range r.Scale {
				if m.Config == c.config && m.Database == c.db && m.Step == step && m.Stacks > 0 {
					t.pts = append(t.pts, [2]float64{float64(m.Stacks), m.Seconds})
					k.pts = append(k.pts, [2]float64{float64(m.Stacks), float64(max(m.Calls, 1))})
				}
			}
			times, calls = append(times, t), append(calls, k)
		}
	}
	panel(img, image.Rect(90, 60, 520, 420), "wall time (s)", times)
	panel(img, image.Rect(640, 60, 1070, 420), "AWS API calls", calls)

	// Legend: one row per configuration, apply then plan.
	for i, s := range times {
		x, y := 220+(i%2)*380, 510+(i/2)*30
		line(img, x, y, x+40, y, s.c, s.dashed)
		drawText(img, x+52, y-7, s.label, 2, black)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encoding the chart: %w", err)
	}
	return buf.Bytes(), nil
}

// panel draws axes with decade grid lines and the series in rect.
func panel(img *image.RGBA, rect image.Rectangle, ylabel string, ss []series) {
	xmax := 1.0
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for _, s := range ss {
		for _, p := range s.pts {
			xmax = max(xmax, p[0])
			ymin, ymax = min(ymin, p[1]), max(ymax, p[1])
		}
	}
	if math.IsInf(ymin, 0) {
		ymin, ymax = 1, 10
	}
	lx0, lx1 := 0.0, math.Log10(xmax)*1.04+0.02
	ly0, ly1 := math.Floor(math.Log10(ymin)), math.Ceil(math.Log10(ymax))
	if ly1 == ly0 {
		ly1++
	}
	px := func(x float64) int {
		return rect.Min.X + int((math.Log10(x)-lx0)/(lx1-lx0)*float64(rect.Dx()))
	}
	py := func(y float64) int {
		return rect.Max.Y - int((math.Log10(y)-ly0)/(ly1-ly0)*float64(rect.Dy()))
	}
	for d := ly0; d <= ly1; d++ {
		v := math.Pow(10, d)
		y := py(v)
		line(img, rect.Min.X, y, rect.Max.X, y, grey, false)
		lbl := strconv.FormatFloat(v, 'f', -1, 64)
		drawText(img, rect.Min.X-8-textWidth(lbl, 2), y-7, lbl, 2, darkish)
	}
	ticks := map[int]bool{}
	for _, s := range ss {
		for _, p := range s.pts {
			ticks[int(p[0])] = true
		}
	}
	for n := range ticks {
		x := px(float64(n))
		line(img, x, rect.Min.Y, x, rect.Max.Y, grey, false)
		lbl := strconv.Itoa(n)
		drawText(img, x-textWidth(lbl, 2)/2, rect.Max.Y+10, lbl, 2, darkish)
	}
	line(img, rect.Min.X, rect.Max.Y, rect.Max.X, rect.Max.Y, black, false)
	line(img, rect.Min.X, rect.Min.Y, rect.Min.X, rect.Max.Y, black, false)
	xl := "stacks in one configuration"
	drawText(img, rect.Min.X+(rect.Dx()-textWidth(xl, 2))/2, rect.Max.Y+34, xl, 2, black)
	drawTextUp(img, rect.Min.X-80, rect.Min.Y+(rect.Dy()+textWidth(ylabel, 2))/2, ylabel, 2, black)

	for _, s := range ss {
		for i, p := range s.pts {
			x, y := px(p[0]), py(p[1])
			dot(img, x, y, 4, s.c)
			if i > 0 {
				q := s.pts[i-1]
				line(img, px(q[0]), py(q[1]), x, y, s.c, s.dashed)
			}
		}
	}
}

// line draws a 3-pixel-wide line, dashed on request.
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA, dashed bool) {
	steps := max(abs(x1-x0), abs(y1-y0), 1)
	for i := 0; i <= steps; i++ {
		if dashed && (i/8)%2 == 1 {
			continue
		}
		x := x0 + (x1-x0)*i/steps
		y := y0 + (y1-y0)*i/steps
		if c == grey {
			img.Set(x, y, c)
			continue
		}
		dot(img, x, y, 1, c)
	}
}

// dot fills a square of half-width r around (x, y).
func dot(img *image.RGBA, x, y, r int, c color.RGBA) {
	for dy := -r; dy <= r; dy++ {
		for dx := -r; dx <= r; dx++ {
			img.Set(x+dx, y+dy, c)
		}
	}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
