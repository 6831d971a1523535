package sandbox

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/hawebapp/terraform-provider-hawebapp/test/motoserver"
	"github.com/hawebapp/terraform-provider-hawebapp/test/zonalshift"
)

// handler answers one intercepted AWS query-protocol call. It returns false
// when the call should still go on to moto (a handler that only observes).
type handler func(w http.ResponseWriter, params url.Values) bool

// ServeHTTP is the endpoint: the admin API under /_sandbox/, interceptions,
// and pass-through to moto for everything else, bodies intact.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_sandbox/") {
		s.serveAdmin(w, r)
		return
	}
	if zonalshift.IsZonalShiftCall(r) {
		s.zonalShifts.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	service, action := serviceOf(r), actionOf(r, body)
	if h := s.interceptor(service, action); h != nil {
		params, _ := url.ParseQuery(string(body))
		for k, v := range r.URL.Query() {
			params[k] = v
		}
		if h(w, params) {
			return
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	if s.hidesLaunches(service, action) {
		s.serveWithoutRefused(w, r)
		return
	}
	if service == "rds" && action == "DescribeDBInstances" && fromInstance(r) {
		s.serveInstanceDBView(w, r)
		return
	}
	s.rp.ServeHTTP(w, r)
}

// interceptor picks the sandbox's own answer for the calls moto gets wrong.
func (s *Sandbox) interceptor(service, action string) handler {
	switch service + "." + action {
	case "elasticloadbalancing.DescribeTargetHealth":
		return s.describeTargetHealth
	case "autoscaling.StartInstanceRefresh":
		return s.startInstanceRefresh
	case "autoscaling.DescribeInstanceRefreshes":
		return s.describeInstanceRefreshes
	case "autoscaling.CancelInstanceRefresh":
		return s.cancelInstanceRefresh
	case "autoscaling.PutNotificationConfiguration":
		return s.putNotificationConfiguration
	case "autoscaling.DescribeNotificationConfigurations":
		return s.describeNotificationConfigurations
	case "autoscaling.DeleteNotificationConfiguration":
		return s.deleteNotificationConfiguration
	case "autoscaling.DescribeScalingActivities":
		return s.describeScalingActivities
	case "rds.CreateDBInstance":
		return s.observeCreateDBInstance
	}
	return nil
}

// serviceOf reads the signing name from the SigV4 credential scope
// (Credential=AKID/date/region/SERVICE/aws4_request).
func serviceOf(r *http.Request) string {
	if scope := motoserver.CredentialScope(r); len(scope) >= 4 {
		return scope[3]
	}
	return ""
}

// actionOf finds the operation: X-Amz-Target for the JSON protocols, the
// Action parameter (form body or query string) for the query protocols.
func actionOf(r *http.Request, body []byte) string {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		return t[strings.LastIndex(t, ".")+1:]
	}
	if a := r.URL.Query().Get("Action"); a != "" {
		return a
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if v, err := url.ParseQuery(string(body)); err == nil {
			return v.Get("Action")
		}
	}
	return ""
}

// Query-protocol namespaces of the services the sandbox answers for.
const (
	nsELB = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"
	nsASG = "http://autoscaling.amazonaws.com/doc/2011-01-01/"
)

// xw writes a query-protocol XML answer.
type xw struct{ b strings.Builder }

func (x *xw) open(name string)  { x.b.WriteString("<" + name + ">") }
func (x *xw) close(name string) { x.b.WriteString("</" + name + ">") }
func (x *xw) elem(name, value string) {
	x.open(name)
	_ = xml.EscapeText(&x.b, []byte(value))
	x.close(name)
}

// optional writes name only when value is set, as AWS omits empty fields.
func (x *xw) optional(name, value string) {
	if value != "" {
		x.elem(name, value)
	}
}

func requestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// reply wraps a result body in <ActionResponse><ActionResult> as the query
// protocol does; result "" means an action without a result element.
func reply(w http.ResponseWriter, ns, action string, result func(x *xw)) {
	var x xw
	x.b.WriteString(xml.Header)
	x.b.WriteString(fmt.Sprintf("<%sResponse xmlns=%q>", action, ns))
	if result != nil {
		x.open(action + "Result")
		result(&x)
		x.close(action + "Result")
	}
	x.open("ResponseMetadata")
	x.elem("RequestId", requestID())
	x.close("ResponseMetadata")
	x.close(action + "Response")
	w.Header().Set("Content-Type", "text/xml")
	_, _ = io.WriteString(w, x.b.String())
}

// replyError is a query-protocol error (400 Sender unless code says otherwise).
func replyError(w http.ResponseWriter, status int, code, message string) {
	var x xw
	x.b.WriteString(xml.Header)
	x.open("ErrorResponse")
	x.open("Error")
	x.elem("Type", "Sender")
	x.elem("Code", code)
	x.elem("Message", message)
	x.close("Error")
	x.elem("RequestId", requestID())
	x.close("ErrorResponse")
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, x.b.String())
}

// members reads a query-protocol list such as Targets.member.1.Id.
func members(p url.Values, prefix, field string) []string {
	var out []string
	for i := 1; ; i++ {
		key := fmt.Sprintf("%s.member.%d", prefix, i)
		if field != "" {
			key += "." + field
		}
		v, ok := p[key]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}
