package soak

import (
	"reflect"
	"strings"
	"testing"
)

func TestABOutputParsing(t *testing.T) {
	text := "Concurrency Level:      16\nComplete requests:      4210\nFailed requests:        3\n" +
		"   (Connect: 0, Receive: 2, Length: 0, Exceptions: 1)\nNon-2xx responses:      12\n"
	var r ABReport
	parseABOutput(text, &r)
	if want := (ABReport{Complete: 4210, Failed: 3, Receive: 2, Exceptions: 1, Non2xx: 12}); !reflect.DeepEqual(r, want) {
		t.Errorf("parseABOutput = %+v, want %+v", r, want)
	}
	gp := "starttime\tseconds\tctime\tdtime\tttime\twait\n" +
		"Thu Jan  1 00:00:00 2026\t1767225600\t0\t4\t4\t4\n" +
		"Thu Jan  1 00:00:00 2026\t1767225600\t1\t11\t12\t11\n"
	lat, err := parseGnuplot(strings.NewReader(gp))
	if err != nil || !reflect.DeepEqual(lat, []float64{4, 12}) {
		t.Errorf("parseGnuplot = %v, %v; want [4 12]", lat, err)
	}
	if _, err := parseGnuplot(strings.NewReader("a\tb\n1\t2\n")); err == nil {
		t.Error("a file without ttime parsed")
	}
	args := strings.Join(abArgs("http://127.0.0.1:9/fruits", "lb:80", "g.tsv", Options{Concurrency: 4, MaxRequests: 10, ABTimeoutSeconds: 3600, KeepAlive: true}), " ")
	for _, want := range []string{"-r ", "-l ", "-s 3600 ", "-c 4 ", "-n 10 ", "-g g.tsv ", "-H Host: lb:80 ", "-k "} {
		if !strings.Contains(args+" ", want) {
			t.Errorf("ab args %q lack %q", args, want)
		}
	}
	if !strings.HasSuffix(args, " http://127.0.0.1:9/fruits") {
		t.Errorf("ab args %q do not end with the URL", args)
	}
}
