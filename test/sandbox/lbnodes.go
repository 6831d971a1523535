package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// An Application Load Balancer has a node in each zone it is enabled in,
// and its DNS name answers the nodes' addresses; a zonal shift takes the
// zone's node out of the answers ("Zonal shift for your Application Load
// Balancer", Elastic Load Balancing User Guide; ARC developer guide), and
// nothing else does: a node whose zone lost power stays in them, so the
// clients that resolve to it fail however healthy the other zones are.
//
// In the sandbox a node is a forwarder (the instances' nic) on its zone's
// loopback address (127.0.0.10 + the zone's index) and the listener's port,
// into the HAProxy frontend that serves every zone (cross-zone load
// balancing, an ALB's default). It loses power with its zone. A client
// resolves the DNS name with Client.Resolve (GET /_sandbox/resolve), whose
// answers rotate, as DNS round robin does, and connects to the first.
// LoadBalancerState.URL, the frontend itself, stays the view from inside.
type lbNodes struct {
	mu      sync.Mutex
	zoneIPs map[string]string             // zone -> loopback address, fixed on first sight
	nodes   map[string]map[string]*lbNode // LB ARN -> zone + port ->
	zones   map[string][]string           // LB ARN -> enabled zones, sorted
	turn    map[string]int                // DNS name -> answers served (the rotation)
}

type lbNode struct {
	zone string
	addr string // ip:port
	nic  *nic
}

// syncLBNodes keeps one node per enabled zone and listener of every load
// balancer, after syncHAProxy has given each listener its port.
func (s *Sandbox) syncLBNodes(obs *observed) {
	s.mu.Lock()
	ports := map[string][]int{}
	for arn, lb := range s.lbs {
		for _, p := range lb.ports {
			ports[arn] = append(ports[arn], p)
		}
	}
	down := maps.Clone(s.zonesDown)
	s.mu.Unlock()
	n := &s.lbNodes
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.nodes == nil {
		n.zoneIPs, n.nodes, n.zones, n.turn = map[string]string{}, map[string]map[string]*lbNode{}, map[string][]string{}, map[string]int{}
	}
	present := map[string]bool{}
	for _, l := range obs.lbs {
		arn := aws.ToString(l.LoadBalancerArn)
		present[arn] = true
		var zones []string
		for _, z := range l.AvailabilityZones {
			zones = append(zones, aws.ToString(z.ZoneName))
		}
		sort.Strings(zones)
		n.zones[arn] = zones
		if n.nodes[arn] == nil {
			n.nodes[arn] = map[string]*lbNode{}
		}
		want := map[string]bool{}
		for _, z := range zones {
			if n.zoneIPs[z] == "" {
				n.zoneIPs[z] = fmt.Sprintf("127.0.0.%d", 10+len(n.zoneIPs))
			}
			for _, p := range ports[arn] {
				key := z + ":" + strconv.Itoa(p)
				want[key] = true
				if n.nodes[arn][key] != nil {
					continue
				}
				addr := net.JoinHostPort(n.zoneIPs[z], strconv.Itoa(p))
				nc, err := listenNIC(addr, p)
				if err != nil {
					s.logf("load balancer node %s in %s: %v", addr, z, err)
					continue
				}
				if down[z] {
					nc.setPower(false)
				}
				n.nodes[arn][key] = &lbNode{zone: z, addr: addr, nic: nc}
			}
		}
		for key, node := range n.nodes[arn] {
			if !want[key] {
				node.nic.close()
				delete(n.nodes[arn], key)
			}
		}
	}
	for arn, nodes := range n.nodes {
		if !present[arn] {
			for _, node := range nodes {
				node.nic.close()
			}
			delete(n.nodes, arn)
			delete(n.zones, arn)
		}
	}
}

// listenNIC is a nic on addr forwarding to 127.0.0.1:port.
func listenNIC(addr string, port int) (*nic, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	on := make(chan struct{})
	close(on)
	n := &nic{ln: ln, port: port, appPort: port, conns: map[net.Conn]struct{}{}, on: on}
	go n.serve()
	return n, nil
}

// powerLBNodes switches the power of the zone's load balancer nodes.
func (s *Sandbox) powerLBNodes(zone string, on bool) {
	n := &s.lbNodes
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, nodes := range n.nodes {
		for _, node := range nodes {
			if node.zone == zone {
				node.nic.setPower(on)
			}
		}
	}
}

func (s *Sandbox) closeLBNodes() {
	n := &s.lbNodes
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, nodes := range n.nodes {
		for _, node := range nodes {
			node.nic.close()
		}
	}
	n.nodes = nil
}

// LBNode is one node of a load balancer, in State.
type LBNode struct {
	Zone    string `json:"zone"`
	Address string `json:"address"` // ip:port
	// InDNS: the DNS name answers it (its zone is not shifted away).
	InDNS bool `json:"in_dns"`
	// Powered: its zone has power; a node without answers nothing.
	Powered bool `json:"powered"`
}

// withNodes runs f on the node table, locked, with the zones a zonal shift
// moves arn's traffic away from (DNS leaves their nodes out).
func (s *Sandbox) withNodes(arn string, f func(n *lbNodes, shifted []string)) {
	shifted := s.shiftedZones()[arn]
	s.lbNodes.mu.Lock()
	defer s.lbNodes.mu.Unlock()
	f(&s.lbNodes, shifted)
}

func (s *Sandbox) lbNodeStates(arn string) []LBNode {
	var out []LBNode
	s.withNodes(arn, func(n *lbNodes, shifted []string) {
		for _, node := range n.nodes[arn] {
			out = append(out, LBNode{Zone: node.zone, Address: node.addr, InDNS: !slices.Contains(shifted, node.zone), Powered: !node.nic.blackhole.Load()})
		}
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Address < out[j].Address })
	return out
}

// Resolve answers a DNS query for a load balancer's name: the addresses of
// its nodes in the zones no zonal shift moves traffic away from, each
// answer rotated one further than the last (as DNS round robin), so
// clients that take the first spread over the nodes. Powered-off nodes
// stay in. A name the sandbox does not serve answers nothing.
func (s *Sandbox) Resolve(name string) []string {
	s.mu.Lock()
	arn := ""
	for a, lb := range s.lbs {
		if lb.dns == name {
			arn = a
		}
	}
	s.mu.Unlock()
	if arn == "" {
		return nil
	}
	var ips []string
	s.withNodes(arn, func(n *lbNodes, shifted []string) {
		for _, z := range n.zones[arn] {
			if ip := n.zoneIPs[z]; ip != "" && !slices.Contains(shifted, z) && !slices.Contains(ips, ip) {
				ips = append(ips, ip)
			}
		}
		if len(ips) == 0 {
			return
		}
		k := n.turn[name] % len(ips)
		n.turn[name]++
		ips = append(ips[k:], ips[:k]...)
	})
	if len(ips) == 0 {
		return nil
	}
	return ips
}

func (s *Sandbox) serveResolve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string][]string{"addresses": s.Resolve(r.URL.Query().Get("name"))})
}

// Resolve asks the sandbox's DNS for a load balancer name's addresses,
// rotated as each query rotates them; none for a name it does not serve.
func (c *Client) Resolve(ctx context.Context, name string) ([]string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.Endpoint+"/_sandbox/resolve?name="+url.QueryEscape(name), nil)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("resolving %s in the sandbox: %w", name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("sandbox resolve %s: %s: %s", name, resp.Status, b)
	}
	var out struct{ Addresses []string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("decoding the sandbox's answer for %s: %w", name, err)
	}
	return out.Addresses, nil
}

// DialContext connects the way a client of the load balancer does: a host
// the sandbox's DNS serves is resolved on every connection and the first
// answer dialled; any other host is dialled as given. With it as an
// http.Transport's DialContext, http://<dns name>:<port>/ reaches the
// load balancer through its zones' nodes.
func (c *Client) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	if net.ParseIP(host) == nil {
		ips, err := c.Resolve(ctx, host)
		if err != nil {
			return nil, err
		}
		if len(ips) > 0 {
			addr = net.JoinHostPort(ips[0], port)
		}
	}
	return d.DialContext(ctx, network, addr)
}
