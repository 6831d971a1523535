package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

// Each instance has its own metadata service (its 169.254.169.254, on a
// loopback port its processes find in AWS_EC2_METADATA_SERVICE_ENDPOINT),
// which serves IMDSv2 as EC2 does:
//   - PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds
//     (1-21600) returns a session token; a PUT carrying X-Forwarded-For is
//     refused (403), as AWS refuses tokens to requests through a proxy;
//   - a GET without a token is 401 when the launch template requires tokens
//     (HttpTokens=required), and so is one with an unknown or expired token;
//   - the response's IP TTL is the launch template's
//     HttpPutResponseHopLimit (set on the socket, as EC2 sets the token
//     response's). On loopback no hop is crossed, so a container on the
//     instance (the hop the limit is about) is not modelled;
//   - HttpEndpoint=disabled: every request is refused.
//
// It serves the instance's identity (instance-id, placement, ami-id,
// instance-type, local-ipv4, the identity document), its user data, and
// its role's credentials (iam/security-credentials/<role>), which carry the
// sandbox's instance access key (dbview.go). The same server is the
// instance's init: the stand-ins (systemctl, useradd, dnf, yum) post their
// arguments to /_init/<command>.
type metadata struct {
	disabled, tokensRequired bool
	hopLimit                 int
	profile                  string // instance profile name or ARN
	imageID, instanceType    string
}

func metadataFrom(d *ec2types.ResponseLaunchTemplateData) metadata {
	m := metadata{hopLimit: 1} // EC2's defaults without metadata options
	if d == nil {
		return m
	}
	m.imageID, m.instanceType = aws.ToString(d.ImageId), string(d.InstanceType)
	if p := d.IamInstanceProfile; p != nil {
		m.profile = aws.ToString(p.Arn)
		if m.profile == "" {
			m.profile = aws.ToString(p.Name)
		}
	}
	if o := d.MetadataOptions; o != nil {
		m.disabled = o.HttpEndpoint == ec2types.LaunchTemplateInstanceMetadataEndpointStateDisabled
		m.tokensRequired = o.HttpTokens == ec2types.LaunchTemplateHttpTokensStateRequired
		if o.HttpPutResponseHopLimit != nil && *o.HttpPutResponseHopLimit > 0 {
			m.hopLimit = int(*o.HttpPutResponseHopLimit)
		}
	}
	return m
}

type imdsState struct {
	mu     sync.Mutex
	tokens map[string]time.Time
	role   string
}

// hopListener sets every accepted connection's IP TTL to the hop limit.
type hopListener struct {
	net.Listener
	ttl int
}

func (l hopListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		if raw, rerr := tc.SyscallConn(); rerr == nil {
			_ = raw.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_TTL, l.ttl) })
		}
	}
	return c, err
}

func (g *guest) serveMetadata() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	st := &imdsState{tokens: map[string]time.Time{}, role: g.roleName()}
	g.mdURL = "http://" + ln.Addr().String()
	g.md = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { g.serveIMDS(st, w, r) }), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = g.md.Serve(hopListener{ln, g.meta.hopLimit}) }()
	return nil
}

// roleName is the role of the instance's profile, "" without one.
func (g *guest) roleName() string {
	if g.meta.profile == "" {
		return ""
	}
	name := g.meta.profile[strings.LastIndex(g.meta.profile, "/")+1:]
	cfg := env.AWSConfig(g.s.moto.URL)
	cfg.Region = g.s.opts.Region
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := iam.NewFromConfig(cfg).GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: &name})
	if err != nil || out.InstanceProfile == nil || len(out.InstanceProfile.Roles) == 0 {
		return "" // a profile without a role gives no credentials
	}
	return aws.ToString(out.InstanceProfile.Roles[0].RoleName)
}

func (g *guest) serveIMDS(st *imdsState, w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_init/") && r.Method == http.MethodPost {
		_ = r.ParseForm()
		out, code := g.initCommand(strings.TrimPrefix(r.URL.Path, "/_init/"), r.PostForm["arg"])
		fmt.Fprintf(w, "%d\n%s.", code, out)
		return
	}
	if g.meta.disabled {
		http.Error(w, "Forbidden", http.StatusForbidden)
		return
	}
	if r.URL.Path == "/latest/api/token" {
		g.serveToken(st, w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	tok := r.Header.Get("X-aws-ec2-metadata-token")
	st.mu.Lock()
	exp, known := st.tokens[tok]
	st.mu.Unlock()
	if (tok == "" && g.meta.tokensRequired) || (tok != "" && (!known || time.Now().After(exp))) {
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	body, ok := g.metadataValue(st, r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte(body))
}

func (g *guest) serveToken(st *imdsState, w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPut {
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	if r.Header.Get("X-Forwarded-For") != "" {
		http.Error(w, "Forbidden", http.StatusForbidden)
		return
	}
	ttl, err := strconv.Atoi(r.Header.Get("X-aws-ec2-metadata-token-ttl-seconds"))
	if err != nil || ttl < 1 || ttl > 21600 {
		http.Error(w, "Bad Request", http.StatusBadRequest)
		return
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	tok := hex.EncodeToString(b)
	st.mu.Lock()
	st.tokens[tok] = time.Now().Add(time.Duration(ttl) * time.Second)
	st.mu.Unlock()
	w.Header().Set("X-aws-ec2-metadata-token-ttl-seconds", strconv.Itoa(ttl))
	_, _ = w.Write([]byte(tok))
}

// metadataValue answers a metadata path.
func (g *guest) metadataValue(st *imdsState, path string) (string, bool) {
	in := g.in
	region := g.s.opts.Region
	creds := func() string {
		now := time.Now().UTC()
		b, _ := json.Marshal(map[string]string{"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": instanceAccessKey,
			"SecretAccessKey": "sandbox-instance-secret", "Token": "sandbox-instance-session",
			"LastUpdated": now.Format(time.RFC3339), "Expiration": now.Add(6 * time.Hour).Format(time.RFC3339)})
		return string(b)
	}
	values := map[string]string{
		"/latest/meta-data/instance-id":                 in.id,
		"/latest/meta-data/placement/availability-zone": in.az,
		"/latest/meta-data/placement/region":            region,
		"/latest/meta-data/ami-id":                      g.meta.imageID,
		"/latest/meta-data/instance-type":               g.meta.instanceType,
		"/latest/meta-data/local-ipv4":                  "127.0.0.1",
	}
	if g.userData != "" {
		values["/latest/user-data"] = g.userData
	}
	if st.role != "" {
		values["/latest/meta-data/iam/security-credentials/"] = st.role
		values["/latest/meta-data/iam/security-credentials/"+st.role] = creds()
		values["/latest/meta-data/iam/info"] = fmt.Sprintf(`{"Code":"Success","InstanceProfileArn":"%s"}`, g.meta.profile)
	}
	doc, _ := json.Marshal(map[string]string{"instanceId": in.id, "availabilityZone": in.az, "region": region,
		"imageId": g.meta.imageID, "instanceType": g.meta.instanceType, "accountId": "123456789012", "privateIp": "127.0.0.1"})
	values["/latest/dynamic/instance-identity/document"] = string(doc)
	if v, ok := values[path]; ok {
		return v, true
	}
	if path == "/latest/meta-data/" || path == "/latest/meta-data" {
		return "ami-id\ninstance-id\ninstance-type\nlocal-ipv4\nplacement/\niam/\n", true
	}
	return "", false
}
