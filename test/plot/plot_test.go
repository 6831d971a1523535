package plot

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"
)

func decode(t *testing.T, draw func() ([]byte, error)) image.Image {
	t.Helper()
	b, err := draw()
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	return img
}

// What a panel asks for is on the image: its size, the band's shade, the
// series' and the limit's colours; a panel without them has none of them.
func TestPNGDrawsWhatThePanelsAsk(t *testing.T) {
	band := color.RGBA{250, 200, 10, 255}
	limit := color.RGBA{10, 200, 250, 255}
	series := color.RGBA{200, 10, 250, 255}
	full := decode(t, func() ([]byte, error) {
		return PNG("title", 800, 600,
			Panel{Title: "linear", Bands: []Band{{From: 2, To: 4, Color: band, Label: "window"}},
				Limits: []Limit{{Y: 5, Color: limit, Label: "limit"}},
				Series: []Series{{Label: "s", Color: series, Step: true, Points: []Point{{0, 1}, {3, 7}, {6, 2}}}}},
			Panel{Title: "log", LogX: true, LogY: true, Series: []Series{{Label: "d", Color: Red, Dots: true, Points: []Point{{0, 0}, {1, 10}, {10, 1000}}}}},
		)
	})
	if sz := full.Bounds().Size(); sz.X != 800 || sz.Y != 600 {
		t.Errorf("size %v, want 800x600", sz)
	}
	for name, c := range map[string]color.Color{"band": band, "limit": limit, "series": series, "log series": Red} {
		if n := PixelsOf(full, c); n < 20 {
			t.Errorf("%s: %d pixels of its colour, want a visible shape", name, n)
		}
	}
	empty := decode(t, func() ([]byte, error) { return PNG("empty", 400, 300, Panel{Title: "nothing"}) })
	for name, c := range map[string]color.Color{"band": band, "limit": limit, "series": series} {
		if n := PixelsOf(empty, c); n != 0 {
			t.Errorf("%s drawn on an empty panel: %d pixels", name, n)
		}
	}
	if _, err := PNG("no panels", 100, 100); err == nil {
		t.Error("a chart without panels drew")
	}
}
