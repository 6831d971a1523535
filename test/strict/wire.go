package strict

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
)

// apiError is an AWS error answer.
type apiError struct {
	status  int
	code    string
	message string
}

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// write answers in the call's protocol: EC2's own XML error shape, the
// other query services' ErrorResponse, or the JSON protocols' __type.
func (e *apiError) write(w http.ResponseWriter, c *call) {
	id := requestID()
	var b strings.Builder
	switch {
	case c.json != nil || c.Service == "acm" || c.Service == "secretsmanager":
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(e.status)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": e.code, "message": e.message})
		return
	case c.Service == "ec2":
		b.WriteString(xml.Header + "<Response><Errors><Error><Code>" + esc(e.code) + "</Code><Message>" + esc(e.message) +
			"</Message></Error></Errors><RequestID>" + id + "</RequestID></Response>")
	default:
		b.WriteString(xml.Header + "<ErrorResponse><Error><Type>Sender</Type><Code>" + esc(e.code) + "</Code><Message>" +
			esc(e.message) + "</Message></Error><RequestId>" + id + "</RequestId></ErrorResponse>")
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(e.status)
	_, _ = w.Write([]byte(b.String()))
}

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func requestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func decodeJSON(body []byte) map[string]any {
	m := map[string]any{}
	_ = json.Unmarshal(body, &m)
	return m
}

// forwardTo is a reverse proxy to an endpoint URL.
func forwardTo(u *url.URL) http.Handler { return httputil.NewSingleHostReverseProxy(u) }

// elements returns the text of every <name>...</name> in body (flat
// elements only, which is all the rules read).
func elements(body []byte, name string) []string {
	re := regexp.MustCompile(`<` + name + `>([^<]*)</` + name + `>`)
	var out []string
	for _, m := range re.FindAllSubmatch(body, -1) {
		out = append(out, string(m[1]))
	}
	return out
}

func first(body []byte, name string) string {
	if v := elements(body, name); len(v) > 0 {
		return v[0]
	}
	return ""
}

// blocks returns the byte ranges of every <name>...</name> element
// (not nested in itself), such as each <DBInstance> of a describe answer.
func blocks(body []byte, name string) [][2]int {
	open, closing := []byte("<"+name+">"), []byte("</"+name+">")
	var out [][2]int
	for at := 0; ; {
		i := bytes.Index(body[at:], open)
		if i < 0 {
			return out
		}
		i += at
		j := bytes.Index(body[i:], closing)
		if j < 0 {
			return out
		}
		j += i + len(closing)
		out = append(out, [2]int{i, j})
		at = j
	}
}

// rewriteBlocks replaces each <name> element by f's answer (f returns its
// input unchanged to keep it) and reports whether anything changed.
func rewriteBlocks(body []byte, name string, f func(block []byte) []byte) ([]byte, bool) {
	var out bytes.Buffer
	changed, last := false, 0
	for _, r := range blocks(body, name) {
		out.Write(body[last:r[0]])
		orig := body[r[0]:r[1]]
		repl := f(orig)
		if !bytes.Equal(orig, repl) {
			changed = true
		}
		out.Write(repl)
		last = r[1]
	}
	out.Write(body[last:])
	return out.Bytes(), changed
}
