package cloud

import (
	"cmp"
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

// Listeners have no AWS name: a listener is this part's when it is on the
// part's load balancer and tagged with the part's key, so a listener whose
// port was changed out of band is still found (and its port is drift).
type listeners struct{ *Cloud }

// findListeners returns the load balancer's listeners and their tags.
func (c listeners) findListeners(ctx context.Context, lbARN string) ([]elbtypes.Listener, map[string]map[string]string, error) {
	var found []elbtypes.Listener
	pages := elb.NewDescribeListenersPaginator(c.elb, &elb.DescribeListenersInput{LoadBalancerArn: aws.String(lbARN)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("reading listeners of %s: %w", lbARN, asNotFound(err, "load balancer", lbARN, errCodeLoadBalancerNotFound))
		}
		found = append(found, page.Listeners...)
	}
	arns := make([]string, len(found))
	for i, l := range found {
		arns[i] = aws.ToString(l.ListenerArn)
	}
	tags, err := findELBTags(ctx, c.elb, arns)
	return found, tags, err
}

// pickListener chooses the part's listener among the load balancer's: the
// one tagged with its key, else (for the ownership check) the one on its port.
func pickListener(p blueprint.Part, port int32, all []elbtypes.Listener, tags map[string]map[string]string) (*elbtypes.Listener, bool) {
	for i, l := range all {
		t := tags[aws.ToString(l.ListenerArn)]
		if t[blueprint.TagPart] == p.Key && t[blueprint.TagStack] == p.Tags[blueprint.TagStack] {
			return &all[i], true
		}
	}
	for i, l := range all {
		if aws.ToInt32(l.Port) == port {
			return &all[i], false
		}
	}
	return nil, false
}

func (c listeners) create(ctx context.Context, p blueprint.Part, refs engine.Refs) (engine.Observation, error) {
	props, err := props[blueprint.ListenerProps](p)
	if err != nil {
		return engine.Observation{}, err
	}
	lb, err := ref(refs, props.LoadBalancerKey)
	if err != nil {
		return engine.Observation{}, err
	}
	all, tags, err := c.findListeners(ctx, lb.ARN)
	if err != nil {
		return engine.Observation{}, err
	}
	if l, ours := pickListener(p, props.Port, all, tags); l != nil {
		if !ours {
			return engine.Observation{}, checkOwned(p, "listener on port "+strconv.Itoa(int(props.Port))+" of load balancer", lb.Name, tags[aws.ToString(l.ListenerArn)])
		}
		return c.update(ctx, p, engine.Observation{ARN: aws.ToString(l.ListenerArn)}, refs)
	}
	actions, err := listenerActions(props, refs)
	if err != nil {
		return engine.Observation{}, err
	}
	in := &elb.CreateListenerInput{
		LoadBalancerArn: aws.String(lb.ARN), Port: aws.Int32(props.Port), Protocol: elbtypes.ProtocolEnum(props.Protocol),
		DefaultActions: actions, Tags: elbTags(p.Tags),
	}
	if props.Protocol == string(elbtypes.ProtocolEnumHttps) {
		in.Certificates = []elbtypes.Certificate{{CertificateArn: aws.String(props.CertificateARN)}}
		in.SslPolicy = aws.String(props.SSLPolicy)
	}
	var out *elb.CreateListenerOutput
	err = whileCertificateUnknown(ctx, "certificate of listener "+p.Name+" to be known", func(ctx context.Context) (err error) {
		out, err = createCall(ctx, c.elb.CreateListener, in)
		return err
	})
	if err != nil {
		return engine.Observation{}, fmt.Errorf("creating listener (%s): %w", p.Name, err)
	}
	return listenerObservation(p, &out.Listeners[0], p.Tags, refs), nil
}

// update rewrites port, protocol, certificate, policy and action in one call.
func (c listeners) update(ctx context.Context, p blueprint.Part, cur engine.Observation, refs engine.Refs) (engine.Observation, error) {
	props, err := props[blueprint.ListenerProps](p)
	if err != nil {
		return engine.Observation{}, err
	}
	if cur.ARN == "" {
		return c.create(ctx, p, refs)
	}
	actions, err := listenerActions(props, refs)
	if err != nil {
		return engine.Observation{}, err
	}
	in := &elb.ModifyListenerInput{
		ListenerArn: aws.String(cur.ARN), Port: aws.Int32(props.Port), Protocol: elbtypes.ProtocolEnum(props.Protocol), DefaultActions: actions,
	}
	if props.Protocol == string(elbtypes.ProtocolEnumHttps) {
		in.Certificates = []elbtypes.Certificate{{CertificateArn: aws.String(props.CertificateARN)}}
		in.SslPolicy = aws.String(props.SSLPolicy)
	}
	var out *elb.ModifyListenerOutput
	err = whileCertificateUnknown(ctx, "certificate of listener "+p.Name+" to be known", func(ctx context.Context) (err error) {
		out, err = c.elb.ModifyListener(ctx, in)
		return err
	})
	if err != nil {
		return engine.Observation{}, fmt.Errorf("updating listener (%s): %w", p.Name, asNotFound(err, "listener", p.Name, errCodeListenerNotFound))
	}
	tags, err := findELBTags(ctx, c.elb, []string{cur.ARN})
	if err != nil {
		return engine.Observation{}, err
	}
	if err := addELBTags(ctx, c.elb, cur.ARN, p.Tags, tags[cur.ARN]); err != nil {
		return engine.Observation{}, fmt.Errorf("updating listener (%s): %w", p.Name, err)
	}
	return listenerObservation(p, &out.Listeners[0], p.Tags, refs), nil
}

func (c listeners) delete(ctx context.Context, p blueprint.Part, cur engine.Observation) error {
	if cur.ARN == "" {
		return nil // never created: a listener is only found through its ARN
	}
	_, err := c.elb.DeleteListener(ctx, &elb.DeleteListenerInput{ListenerArn: aws.String(cur.ARN)})
	if err != nil && !isCode(err, errCodeListenerNotFound) {
		return fmt.Errorf("deleting listener (%s): %w", cmp.Or(cur.Name, p.Name), err)
	}
	return nil
}

// certificatePropagationTimeout bounds the wait for a new certificate to be
// usable by a listener: the listener's create and update timeouts in
// hashicorp/aws (elbv2 listener.go, 5 minutes each).
const certificatePropagationTimeout = 5 * time.Minute

// whileCertificateUnknown retries a listener create or modify while Elastic
// Load Balancing answers CertificateNotFound: a certificate issued or
// imported a moment ago (ACM or IAM) is not yet known to it everywhere.
// hashicorp/aws retries exactly this answer (elbv2 listener.go,
// retryListenerCreate and resourceListenerUpdate); a certificate that
// really does not exist still fails, after certificatePropagationTimeout.
func whileCertificateUnknown(ctx context.Context, what string, fn func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, certificatePropagationTimeout)
	defer cancel()
	return retryWhile(ctx, what, func(err error) bool { return isCode(err, errCodeCertificateNotFound) }, fn)
}

// listenerActions is the default action: forward to the target group, or
// redirect HTTP to HTTPS permanently.
func listenerActions(props blueprint.ListenerProps, refs engine.Refs) ([]elbtypes.Action, error) {
	if props.Action == blueprint.ActionRedirectHTTPS {
		return []elbtypes.Action{{Type: elbtypes.ActionTypeEnumRedirect, RedirectConfig: &elbtypes.RedirectActionConfig{
			Protocol: aws.String("HTTPS"), Port: aws.String(strconv.Itoa(int(props.RedirectPort))),
			Host: aws.String("#{host}"), Path: aws.String("/#{path}"), Query: aws.String("#{query}"),
			StatusCode: elbtypes.RedirectActionStatusCodeEnumHttp301,
		}}}, nil
	}
	tg, err := ref(refs, props.TargetGroupKey)
	if err != nil {
		return nil, err
	}
	return []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(tg.ARN)}}, nil
}

// forwardTarget is the target group a forward action sends to.
func forwardTarget(a elbtypes.Action) string {
	if a.TargetGroupArn != nil {
		return aws.ToString(a.TargetGroupArn)
	}
	if a.ForwardConfig != nil && len(a.ForwardConfig.TargetGroups) == 1 {
		return aws.ToString(a.ForwardConfig.TargetGroups[0].TargetGroupArn)
	}
	return ""
}

func listenerDrift(l *elbtypes.Listener, props blueprint.ListenerProps, refs engine.Refs) []string {
	var drift []string
	if port := aws.ToInt32(l.Port); port != props.Port {
		drift = append(drift, fmt.Sprintf("port %d, want %d", port, props.Port))
	}
	if string(l.Protocol) != props.Protocol {
		drift = append(drift, fmt.Sprintf("protocol %s, want %s", l.Protocol, props.Protocol))
	}
	if props.Protocol == string(elbtypes.ProtocolEnumHttps) {
		if len(l.Certificates) != 1 || aws.ToString(l.Certificates[0].CertificateArn) != props.CertificateARN {
			drift = append(drift, "certificate differs, want "+props.CertificateARN)
		}
		if v := aws.ToString(l.SslPolicy); v != props.SSLPolicy {
			drift = append(drift, fmt.Sprintf("SSL policy %q, want %q", v, props.SSLPolicy))
		}
	}
	if len(l.DefaultActions) != 1 {
		return append(drift, fmt.Sprintf("%d default actions, want 1", len(l.DefaultActions)))
	}
	a := l.DefaultActions[0]
	switch props.Action {
	case blueprint.ActionRedirectHTTPS:
		r := a.RedirectConfig
		if a.Type != elbtypes.ActionTypeEnumRedirect || r == nil {
			return append(drift, fmt.Sprintf("action %s, want redirect to HTTPS", a.Type))
		}
		if aws.ToString(r.Protocol) != "HTTPS" || aws.ToString(r.Port) != strconv.Itoa(int(props.RedirectPort)) || r.StatusCode != elbtypes.RedirectActionStatusCodeEnumHttp301 {
			drift = append(drift, fmt.Sprintf("redirect to %s port %s (%s), want HTTPS port %d (HTTP_301)", aws.ToString(r.Protocol), aws.ToString(r.Port), r.StatusCode, props.RedirectPort))
		}
	default:
		if a.Type != elbtypes.ActionTypeEnumForward {
			return append(drift, fmt.Sprintf("action %s, want forward", a.Type))
		}
		tg, ok := refs[props.TargetGroupKey]
		switch have := forwardTarget(a); {
		case !ok:
			drift = append(drift, "target group "+props.TargetGroupKey+" missing")
		case have != tg.ARN:
			drift = append(drift, fmt.Sprintf("forwards to %s, want %s", arnSuffix(have), arnSuffix(tg.ARN)))
		}
	}
	return drift
}

// listenerObservation names the listener after the part (it has no AWS name).
func listenerObservation(p blueprint.Part, l *elbtypes.Listener, tags map[string]string, refs engine.Refs) engine.Observation {
	arn := aws.ToString(l.ListenerArn)
	o := newObservation(p, p.Name, arn, arn, tags)
	if props, ok := p.Props.(blueprint.ListenerProps); ok {
		o.Drift = append(listenerDrift(l, props, refs), tagDrift(p.Tags, tags)...)
	}
	o.Props = listenerProps(l, refs)
	return o
}

// listenerProps reads the listener back: the certificate and SSL policy of
// an HTTPS listener only, an action other than forward and redirect to
// HTTPS by its AWS type.
func listenerProps(l *elbtypes.Listener, refs engine.Refs) blueprint.ListenerProps {
	found := blueprint.ListenerProps{
		LoadBalancerKey: refKeyByARN(refs, blueprint.KindLoadBalancer, aws.ToString(l.LoadBalancerArn)),
		Port:            aws.ToInt32(l.Port), Protocol: string(l.Protocol),
	}
	if l.Protocol == elbtypes.ProtocolEnumHttps { // an HTTP listener may still report a policy
		found.SSLPolicy = aws.ToString(l.SslPolicy)
		for _, c := range l.Certificates {
			if c.IsDefault == nil || *c.IsDefault {
				found.CertificateARN = aws.ToString(c.CertificateArn)
				break
			}
		}
	}
	if len(l.DefaultActions) > 0 {
		found.Action = listenerAction(l.DefaultActions[0])
		switch found.Action {
		case blueprint.ActionForward:
			found.TargetGroupKey = refKeyByARN(refs, blueprint.KindTargetGroup, forwardTarget(l.DefaultActions[0]))
		case blueprint.ActionRedirectHTTPS:
			found.RedirectPort = atoi32(aws.ToString(l.DefaultActions[0].RedirectConfig.Port))
		}
	}
	return found
}

// listenerAction names a default action as the blueprint does.
func listenerAction(a elbtypes.Action) string {
	switch {
	case a.Type == elbtypes.ActionTypeEnumForward:
		return blueprint.ActionForward
	case a.Type == elbtypes.ActionTypeEnumRedirect && a.RedirectConfig != nil && aws.ToString(a.RedirectConfig.Protocol) == "HTTPS":
		return blueprint.ActionRedirectHTTPS
	}
	return string(a.Type)
}
