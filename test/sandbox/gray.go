package sandbox

import (
	"fmt"
	"math/rand/v2"
	"net"
	"sort"
	"strings"
	"time"
)

// A gray failure is a zone that is not down but degraded: its instances
// answer slowly or lose a share of their connections, while their processes
// keep running ("gray failure" in AWS's whitepaper "Advanced Multi-AZ
// Resilience Patterns"). On AWS one is injected with FIS's pre-configured
// SSM documents AWSFIS-Run-Network-Latency and AWSFIS-Run-Network-Packet-Loss
// (FIS User Guide, aws:ssm:send-command). Health checks then pass and fail
// by turns, so targets flap between healthy and unhealthy.
type grayFault struct {
	delay             time.Duration
	slowPct, dropPct  int
	zone, description string
}

// drops applies the fault to one new connection: a share is reset at once
// (the client's connection fails; a slow loss is what the delay models), a
// share is delayed. True when the connection is gone.
func (g *grayFault) drops(c net.Conn) bool {
	if g == nil {
		return false
	}
	if rand.IntN(100) < g.dropPct {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		return true
	}
	if g.delay > 0 && rand.IntN(100) < g.slowPct {
		time.Sleep(g.delay)
	}
	return false
}

// grayZone starts (or, with Recover, ends) a zone's gray failure: the share
// SlowPercent (default all) of its instances' new connections wait MS
// milliseconds, the share DropPercent are reset. Instances launched there
// later get it too.
func (s *Sandbox) grayZone(f Failure) error {
	if f.Zone == "" {
		return fmt.Errorf("a gray failure needs a zone")
	}
	var g *grayFault
	if !f.Recover {
		if f.MS < 0 || f.SlowPercent < 0 || f.SlowPercent > 100 || f.DropPercent < 0 || f.DropPercent > 100 {
			return fmt.Errorf("a gray failure takes ms >= 0 and slow_percent, drop_percent in 0..100")
		}
		if f.MS == 0 && f.DropPercent == 0 {
			return fmt.Errorf("a gray failure needs ms (added latency) or drop_percent (connections reset), or recover")
		}
		slow := f.SlowPercent
		if slow == 0 && f.MS > 0 {
			slow = 100
		}
		var parts []string
		if f.MS > 0 {
			parts = append(parts, fmt.Sprintf("%d%% delayed %d ms", slow, f.MS))
		}
		if f.DropPercent > 0 {
			parts = append(parts, fmt.Sprintf("%d%% reset", f.DropPercent))
		}
		g = &grayFault{zone: f.Zone, delay: time.Duration(f.MS) * time.Millisecond, slowPct: slow, dropPct: f.DropPercent,
			description: "new connections: " + strings.Join(parts, ", ")}
	}
	s.faults.mu.Lock()
	s.faults.init()
	if g == nil && s.faults.gray[f.Zone] == nil {
		s.faults.mu.Unlock()
		return fmt.Errorf("zone %q has no gray failure", f.Zone)
	}
	if g == nil {
		delete(s.faults.gray, f.Zone)
	} else {
		s.faults.gray[f.Zone] = g
	}
	s.faults.mu.Unlock()
	s.mu.Lock()
	var ids []string
	for _, in := range s.instances {
		if in.az == f.Zone {
			in.nic.gray.Store(g)
			ids = append(ids, in.id)
		}
	}
	s.mu.Unlock()
	sort.Strings(ids)
	if g == nil {
		s.record(Event{Kind: EventGrayEnded, Zone: f.Zone, IDs: ids})
		s.logf("zone %s: gray failure ended", f.Zone)
		return nil
	}
	s.record(Event{Kind: EventGrayFailure, Zone: f.Zone, IDs: ids, Reason: g.description + " (as FIS's AWSFIS-Run-Network-Latency / -Packet-Loss)"})
	s.logf("zone %s: gray failure (%s)", f.Zone, g.description)
	return nil
}

// grayFor is the gray failure of a zone, for an instance launched there.
func (s *Sandbox) grayFor(zone string) *grayFault {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	return s.faults.gray[zone]
}
