package cloud

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	proxy "github.com/hawebapp/terraform-provider-hawebapp/test/recorder"
)

// These tests put a recorder between the Cloud and the emulator and answer
// some calls as real AWS does for a while after a create, which moto never
// does: the new child is not found yet.

// recordedCloud is a Cloud whose calls pass through a recorder.
func recordedCloud(t *testing.T) (*Cloud, *proxy.Recorder) {
	t.Helper()
	return recordedCloudTo(t, endpoint)
}

// recordedCloudTo is recordedCloud with the recorder in front of target
// (such as a strict layer in front of the emulator).
func recordedCloudTo(t *testing.T, target string) (*Cloud, *proxy.Recorder) {
	t.Helper()
	rec, err := proxy.Start(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rec.Stop)
	endpoints := map[string]string{}
	for _, s := range Services {
		endpoints[s] = rec.URL
	}
	return New(testConfig(t, nil), endpoints), rec
}

// recordedConfig is an AWS configuration whose every call passes through a
// new recorder in front of the test's moto, for tests that count calls or
// answer some of them themselves.
func recordedConfig(t *testing.T) (aws.Config, *proxy.Recorder) {
	t.Helper()
	rec, err := proxy.Start(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rec.Stop)
	cfg := env.AWSConfig(rec.URL)
	return cfg, rec
}

// answer writes an AWS error: EC2's shape or the other query APIs' shape.
func answer(w http.ResponseWriter, status int, service, code, message string) {
	body := fmt.Sprintf(`<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>test</RequestId></ErrorResponse>`, code, message)
	if service == "ec2" {
		body = fmt.Sprintf(`<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>test</RequestID></Response>`, code, message)
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// formHas reports whether the call's form body holds s, leaving the body intact.
func formHas(r *http.Request, s string) bool {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	return strings.Contains(string(body), s)
}

func partOf(t *testing.T, bp blueprint.Blueprint, key string) blueprint.Part {
	t.Helper()
	p, ok := bp.Part(key)
	if !ok {
		t.Fatalf("blueprint has no part %s", key)
	}
	return p
}

// securityGroupUnderTest is the set-up the security-group consistency tests
// share: the load balancer's security group of a stack in its own network
// (second: the network's second octet), a client that calls moto directly
// (plain) and one whose calls go through a recorder the test can fault.
func securityGroupUnderTest(t *testing.T, name string, second byte) (cfg aws.Config, plain, c *Cloud, rec *proxy.Recorder, bp blueprint.Blueprint, p blueprint.Part) {
	t.Helper()
	cfg = testConfig(t, nil)
	plain = New(cfg, nil)
	c, rec = recordedCloud(t)
	bp = blueprint.Build(fullSpec(name, env.Network(t, cfg)))
	return cfg, plain, c, rec, bp, partOf(t, bp, blueprint.KeyALBSecurityGroup)
}

// plainBlueprint starts the tests that inject faults: the emulator's
// configuration, a Cloud on it without faults (to set up and clean up), and
// the blueprint of a full stack in a new network.
func plainBlueprint(t *testing.T, name string) (aws.Config, *Cloud, blueprint.Blueprint) {
	t.Helper()
	cfg, n := testNetwork(t)
	return cfg, New(cfg, nil), blueprint.Build(fullSpec(name, n))
}

// createCleaned creates p through c (the faults its recorder injects) and
// has plain (none) delete it when the test ends.
func createCleaned(t *testing.T, c, plain *Cloud, p blueprint.Part) engine.Observation {
	t.Helper()
	o, err := c.Create(t.Context(), p, nil)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { _ = plain.Delete(context.Background(), p, o) })
	return o
}

// TestSecurityGroupCreateOutlastsEventualConsistency: right after
// CreateSecurityGroup the group is not found by Describe and refused by
// Authorize for a while; the create still completes the group's rules.
func TestSecurityGroupCreateOutlastsEventualConsistency(t *testing.T) {
	_, plain, c, rec, bp, p := securityGroupUnderTest(t, "visible", 10)
	var created atomic.Bool
	var describes, authorizes atomic.Int32
	rec.Before = func(call proxy.Call, w http.ResponseWriter, r *http.Request) bool {
		switch {
		case call.Action == "CreateSecurityGroup":
			created.Store(true)
		case !created.Load():
		case call.Action == "DescribeSecurityGroups" && formHas(r, "GroupId.1=") && describes.Add(1) <= 3:
			answer(w, http.StatusBadRequest, "ec2", errCodeInvalidGroupNotFound, "The security group does not exist")
			return true
		case strings.HasPrefix(call.Action, "AuthorizeSecurityGroup") && authorizes.Add(1) <= 2:
			answer(w, http.StatusBadRequest, "ec2", errCodeInvalidGroupNotFound, "The security group does not exist")
			return true
		}
		return false
	}
	o := createCleaned(t, c, plain, p)
	if describes.Load() <= 3 || authorizes.Load() <= 2 {
		t.Fatalf("the faults were not all met: %d describes, %d authorizes (%s)", describes.Load(), authorizes.Load(), rec.Summary())
	}
	obs, err := plain.Observe(t.Context(), blueprint.Blueprint{Stack: bp.Stack, Parts: []blueprint.Part{p}})
	if err != nil {
		t.Fatal(err)
	}
	if got := obs[p.Key]; got.ID != o.ID || !got.UpToDate() {
		t.Errorf("group %s as observed: %q, drift %q; want %s with its rules", p.Key, got.ID, got.Drift, o.ID)
	}
}

// TestCreateReturnsChildItCouldNotRead: the child is created but never
// becomes readable before the deadline. Create fails, and still returns the
// child from the create call's answer, so the engine can delete or adopt it.
func TestCreateReturnsChildItCouldNotRead(t *testing.T) {
	cfg, plain, bp := plainBlueprint(t, "unread")
	ec2c, elbc := ec2.NewFromConfig(cfg), elb.NewFromConfig(cfg)
	for _, tc := range []struct {
		key, create, describe, service, code string
		exists                               func(o engine.Observation) (map[string]string, error)
	}{
		{blueprint.KeyALBSecurityGroup, "CreateSecurityGroup", "DescribeSecurityGroups", "ec2", errCodeInvalidGroupNotFound,
			func(o engine.Observation) (map[string]string, error) {
				out, err := ec2c.DescribeSecurityGroups(t.Context(), &ec2.DescribeSecurityGroupsInput{GroupIds: []string{o.ID}})
				if err != nil || len(out.SecurityGroups) != 1 {
					return nil, fmt.Errorf("describing %s: %v", o.ID, err)
				}
				return fromEC2Tags(out.SecurityGroups[0].Tags), nil
			}},
		{blueprint.KeyTargetGroup, "CreateTargetGroup", "DescribeTargetGroups", "elasticloadbalancing", errCodeTargetGroupNotFound,
			func(o engine.Observation) (map[string]string, error) {
				tags, err := findELBTags(t.Context(), elbc, []string{o.ARN})
				return tags[o.ARN], err
			}},
	} {
		t.Run(tc.key, func(t *testing.T) {
			c, rec := recordedCloud(t)
			p := partOf(t, bp, tc.key)
			var created atomic.Bool
			rec.Before = func(call proxy.Call, w http.ResponseWriter, _ *http.Request) bool {
				if call.Action == tc.create {
					created.Store(true)
				}
				if created.Load() && call.Action == tc.describe {
					answer(w, http.StatusBadRequest, tc.service, tc.code, "not found")
					return true
				}
				return false
			}
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
			defer cancel()
			o, err := c.Create(ctx, p, nil)
			if err == nil {
				t.Fatal("create succeeded though the child could never be read")
			}
			t.Logf("create failed as it should: %v", err)
			if o.Kind != p.Kind || o.Key != p.Key || o.Name != p.Name || o.ID == "" && o.ARN == "" {
				t.Fatalf("observation %+v does not identify the created %s", o, p.Key)
			}
			t.Cleanup(func() {
				if err := plain.Delete(context.Background(), p, o); err != nil {
					t.Errorf("deleting %s: %v", p.Key, err)
				}
			})
			tags, err := tc.exists(o)
			if err != nil {
				t.Fatalf("the returned child is not in AWS: %v", err)
			}
			if tags[blueprint.TagStack] != bp.Stack || tags[blueprint.TagPart] != p.Key {
				t.Errorf("child tags %v, want the stack's ownership tags", tags)
			}
		})
	}
}

// TestInstanceRoleOutlastsIAMPropagation: IAM does not know the new role
// when it is added to the new instance profile; the create retries.
func TestInstanceRoleOutlastsIAMPropagation(t *testing.T) {
	cfg, plain, bp := plainBlueprint(t, "propagate")
	c, rec := recordedCloud(t)
	p := partOf(t, bp, blueprint.KeyInstanceRole)
	var adds atomic.Int32
	rec.Before = func(call proxy.Call, w http.ResponseWriter, _ *http.Request) bool {
		if call.Action == "AddRoleToInstanceProfile" && adds.Add(1) <= 2 {
			answer(w, http.StatusNotFound, "iam", errCodeNoSuchEntity, "The role with name "+p.Name+" cannot be found.")
			return true
		}
		return false
	}
	createCleaned(t, c, plain, p)
	prof, err := iam.NewFromConfig(cfg).GetInstanceProfile(t.Context(), &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(p.Name)})
	if err != nil {
		t.Fatal(err)
	}
	if len(prof.InstanceProfile.Roles) != 1 || aws.ToString(prof.InstanceProfile.Roles[0].RoleName) != p.Name {
		t.Errorf("instance profile holds %d roles, want the role %s", len(prof.InstanceProfile.Roles), p.Name)
	}
}

// TestInstanceRolePolicyAttachmentsOutlastConcurrentModification: IAM
// refuses overlapping changes to a role with ConcurrentModification; creating
// the role, attaching on create and detaching on update retry.
func TestInstanceRolePolicyAttachmentsOutlastConcurrentModification(t *testing.T) {
	cfg, plain, bp := plainBlueprint(t, "concurrent")
	iamc := iam.NewFromConfig(cfg)
	c, rec := recordedCloud(t)
	p := partOf(t, bp, blueprint.KeyInstanceRole)
	pol, err := iamc.CreatePolicy(t.Context(), &iam.CreatePolicyInput{PolicyName: aws.String(p.Name + "-extra"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:DescribeTags","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(pol.Policy.Arn)
	t.Cleanup(func() {
		_, _ = iamc.DeletePolicy(context.Background(), &iam.DeletePolicyInput{PolicyArn: aws.String(arn)})
	})
	props := p.Props.(blueprint.InstanceRoleProps)
	props.ManagedPolicyARNs = []string{arn}
	p.Props = props
	var creates, attaches, detaches atomic.Int32
	rec.Before = func(call proxy.Call, w http.ResponseWriter, _ *http.Request) bool {
		if (call.Action == "CreateRole" && creates.Add(1) <= 2) ||
			(call.Action == "AttachRolePolicy" && attaches.Add(1) <= 2) || (call.Action == "DetachRolePolicy" && detaches.Add(1) <= 2) {
			answer(w, http.StatusConflict, "iam", errCodeConcurrentModification, "Cannot perform the operation on the same role concurrently.")
			return true
		}
		return false
	}
	attached := func() []string {
		t.Helper()
		arns, err := instanceRoles{plain}.findAttachedPolicyARNs(t.Context(), p.Name)
		if err != nil {
			t.Fatal(err)
		}
		return arns
	}
	o := createCleaned(t, c, plain, p)
	if got := attached(); len(got) != 1 || got[0] != arn {
		t.Fatalf("after create the role has policies %q, want %s", got, arn)
	}
	props.ManagedPolicyARNs = nil
	p.Props = props
	if o, err = c.Update(t.Context(), p, o, nil); err != nil {
		t.Fatalf("update: %v", err)
	}
	if got := attached(); len(got) != 0 {
		t.Errorf("after update the role has policies %q, want none", got)
	}
	if creates.Load() <= 2 || attaches.Load() <= 2 || detaches.Load() <= 2 {
		t.Errorf("the faults were not all met: %d creates, %d attaches, %d detaches (%s)", creates.Load(), attaches.Load(), detaches.Load(), rec.Summary())
	}
}

// TestHTTPSListenerOutlastsCertificatePropagation: Elastic Load Balancing
// does not know a new certificate for a while (CertificateNotFound).
func TestHTTPSListenerOutlastsCertificatePropagation(t *testing.T) {
	cfg := testConfig(t, nil)
	plain := New(cfg, nil)
	c, rec := recordedCloud(t)
	spec := fullSpec("certified", env.Network(t, cfg))
	spec.Listener.CertificateARN = env.ServerCertificate(t, cfg, "certified")
	bp := blueprint.Build(spec)
	refs := engine.Refs{}
	var made []blueprint.Part
	t.Cleanup(func() {
		for i := len(made) - 1; i >= 0; i-- {
			_ = plain.Delete(context.Background(), made[i], refs[made[i].Key])
		}
	})
	for _, key := range []string{blueprint.KeyALBSecurityGroup, blueprint.KeyLoadBalancer, blueprint.KeyTargetGroup} {
		p := partOf(t, bp, key)
		o, err := plain.Create(t.Context(), p, refs)
		if err != nil {
			t.Fatal(err)
		}
		refs[key], made = o, append(made, p)
	}
	var creates atomic.Int32
	rec.Before = func(call proxy.Call, w http.ResponseWriter, _ *http.Request) bool {
		if call.Action == "CreateListener" && creates.Add(1) <= 2 {
			answer(w, http.StatusBadRequest, "elasticloadbalancing", errCodeCertificateNotFound, "Certificate '"+spec.Listener.CertificateARN+"' not found")
			return true
		}
		return false
	}
	p := partOf(t, bp, blueprint.KeyHTTPSListener)
	o, err := c.Create(t.Context(), p, refs)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	refs[p.Key], made = o, append(made, p)
	out, err := elb.NewFromConfig(cfg).DescribeListeners(t.Context(), &elb.DescribeListenersInput{ListenerArns: []string{o.ARN}})
	if err != nil || len(out.Listeners) != 1 || out.Listeners[0].Protocol != "HTTPS" {
		t.Fatalf("HTTPS listener %s not found: %v", o.ARN, err)
	}
}

// TestSecurityGroupUpdateOutlastsEventualConsistency: an apply killed just
// after it made a group leaves it for the next apply, whose observation
// finds it by its tags while DescribeSecurityGroups by ID and Authorize may
// still answer InvalidGroup.NotFound. The update waits, as a create does,
// instead of failing the apply.
func TestSecurityGroupUpdateOutlastsEventualConsistency(t *testing.T) {
	_, plain, c, rec, _, p := securityGroupUnderTest(t, "adopted", 11)
	o, err := plain.Create(t.Context(), p, nil)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { _ = plain.Delete(context.Background(), p, o) })
	var describes atomic.Int32
	rec.Before = func(call proxy.Call, w http.ResponseWriter, r *http.Request) bool {
		if call.Action == "DescribeSecurityGroups" && formHas(r, "GroupId.1=") && describes.Add(1) <= 3 {
			answer(w, http.StatusBadRequest, "ec2", errCodeInvalidGroupNotFound, "The security group does not exist")
			return true
		}
		return false
	}
	if _, err := c.Update(t.Context(), p, o, nil); err != nil {
		t.Fatalf("update of a group not yet visible by ID: %v", err)
	}
	if describes.Load() <= 3 {
		t.Fatalf("the faults were not all met: %d describes (%s)", describes.Load(), rec.Summary())
	}
}
