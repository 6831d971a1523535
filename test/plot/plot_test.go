package plot

import "testing"

func TestNiceStep(t *testing.T) {
	for _, c := range []struct {
		span float64
		n    int
		want float64
	}{{10, 5, 2}, {9, 5, 2}, {120, 8, 20}, {1000, 5, 200}, {0.7, 5, 0.2}, {0, 5, 1}} {
		if got := NiceStep(c.span, c.n); got != c.want {
			t.Errorf("NiceStep(%v, %d) = %v, want %v", c.span, c.n, got, c.want)
		}
	}
}

func TestDrawAndTextWidth(t *testing.T) {
	if got := TextWidth("ab", 2); got != 24 {
		t.Errorf("TextWidth = %d, want 24", got)
	}
	c := New(200, 100)
	c.Draw(Panel{Rect: c.Img.Bounds().Inset(20), LogY: true, Series: []Series{{Color: Red, Points: []Point{{0, 0}, {1, 10}, {2, 100}}}}})
	if c.Img.RGBAAt(20, 80) != Black { // the x axis
		t.Errorf("no axis drawn at (20, 80): %v", c.Img.RGBAAt(20, 80))
	}
	if _, err := c.PNG(); err != nil {
		t.Fatal(err)
	}
}
