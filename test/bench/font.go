package bench

import (
	"image"
	"image/color"

	"github.com/hawebapp/terraform-provider-hawebapp/test/plot"
)

// The chart's text uses the shared bitmap font of test/plot.

// textWidth is the width in pixels of s drawn at scale.
func textWidth(s string, scale int) int { return plot.TextWidth(s, scale) }

// drawText draws s with its top-left corner at (x, y).
func drawText(img *image.RGBA, x, y int, s string, scale int, c color.Color) {
	(&plot.Canvas{Img: img}).Text(x, y, s, scale, c)
}

// drawTextUp draws s reading upwards, with its bottom-left corner at (x, y).
func drawTextUp(img *image.RGBA, x, y int, s string, scale int, c color.Color) {
	(&plot.Canvas{Img: img}).TextUp(x, y, s, scale, c)
}
