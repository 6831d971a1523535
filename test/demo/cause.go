package demo

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
)

// causes reads the sandbox's event log for what was not serving between
// from and to (times since start): the failures in effect (a zone without
// power, a killed app, a database failing over), the targets not healthy
// when the window opened, every target health change inside it, and, for a
// target whose zone had lost power, how long the load balancer still sent
// to it. Nothing is assumed: a window the log does not explain says so.
func causes(evs []sandbox.Event, start time.Time, from, to time.Duration) []string {
	since := func(t time.Time) string { return fmt.Sprintf("%.2fs", t.Sub(start).Seconds()) }
	begin, end := start.Add(from), start.Add(to)
	// Failures: begun before the window's end and not over before it began.
	type failure struct {
		key, line string
		at        time.Time
	}
	var failures []failure
	over := func(key string) {
		for i, f := range failures {
			if f.key == key {
				failures = append(failures[:i], failures[i+1:]...)
				return
			}
		}
	}
	var during []string
	downSince := map[string]time.Time{} // zone -> when it lost power
	last := map[string]sandbox.Event{}  // target -> its latest health
	seenTarget := map[string]bool{}
	for _, e := range evs {
		if e.At.After(end) {
			break
		}
		inside := !e.At.Before(begin)
		ids := strings.Join(e.IDs, ", ")
		ended := func(key, line string) {
			if inside {
				during = append(during, line)
			} else {
				over(key)
			}
		}
		switch e.Kind {
		case sandbox.EventZoneDown:
			downSince[e.Zone] = e.At
			failures = append(failures, failure{"zone " + e.Zone, fmt.Sprintf("zone %s lost power at %s (instances %s)", e.Zone, since(e.At), ids), e.At})
		case sandbox.EventZoneUp:
			delete(downSince, e.Zone)
			ended("zone "+e.Zone, fmt.Sprintf("zone %s powered back at %s", e.Zone, since(e.At)))
		case sandbox.EventInstanceKilled, sandbox.EventDatabaseFailover:
			failures = append(failures, failure{ids, fmt.Sprintf("%s: %s at %s", e.Kind, ids, since(e.At)), e.At})
		case sandbox.EventInstanceRecover, sandbox.EventDatabaseBack:
			ended(ids, fmt.Sprintf("%s: %s at %s", e.Kind, ids, since(e.At)))
		case sandbox.EventTarget:
			prev, had := last[e.Target]
			last[e.Target] = e
			if !inside {
				continue
			}
			seenTarget[e.Target] = true
			line := fmt.Sprintf("target %s (%s) %s at %s", e.Target, e.Zone, health(e), since(e.At))
			if d, ok := downSince[e.Zone]; ok && had && prev.State == "healthy" {
				line += fmt.Sprintf(": the load balancer sent it requests for %.2fs after its zone lost power", e.At.Sub(d).Seconds())
			}
			during = append(during, line)
		default:
			if inside {
				during = append(during, fmt.Sprintf("%s: %s at %s %s", e.Kind, ids, since(e.At), e.Reason))
			}
		}
	}
	var out []string
	for _, f := range failures {
		out = append(out, f.line)
	}
	// Targets already out of service when the window opened.
	var before []string
	for id, e := range last {
		// A target that left its group is no longer the load balancer's.
		if !seenTarget[id] && e.State != "healthy" && e.State != "" && e.At.Before(begin) {
			before = append(before, fmt.Sprintf("target %s (%s) %s since %s", id, e.Zone, health(e), since(e.At)))
		}
	}
	sort.Strings(before)
	out = append(append(out, before...), during...)
	if len(out) == 0 {
		return []string{"the sandbox's event log shows no failure and no target out of service then: cause not in the record"}
	}
	return out
}

func health(e sandbox.Event) string {
	switch {
	case e.State == "":
		return "left the target group"
	case e.Reason != "":
		return e.State + " (" + e.Reason + ")"
	}
	return e.State
}
