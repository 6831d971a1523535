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

// TestNoRequestIsSentOnceDraining: a request that passed the pacer but
// reaches the recorder after the drain began is held back, not sent, so the
// drain, which waits only for requests recorded as sent, never ends with
// one still on the wire (TestFailureTimeline failed so on a busy machine:
// one request in flight at the end against a healthy server).
func TestNoRequestIsSentOnceDraining(t *testing.T) {
	var r recorder
	id, ok := r.sent("GET", "/")
	if !ok || id != 0 {
		t.Fatalf("first request: id %d, sent %v", id, ok)
	}
	r.stopSending()
	if _, ok := r.sent("GET", "/"); ok {
		t.Fatal("a request was recorded as sent after the phase closed to new requests")
	}
	if p := r.progress(); p.Sent != 1 || p.Waiting != 1 {
		t.Errorf("progress %+v, want the one request sent before the drain, still waiting", p)
	}
	reqs, held := r.freeze()
	if len(reqs) != 1 || held != 1 {
		t.Errorf("after freeze: %d requests, %d held back; want 1 and 1 (every request accounted for)", len(reqs), held)
	}
}
