package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// notificationConfig is one PutNotificationConfiguration (moto answers 500).
type notificationConfig struct {
	topic string
	types map[string]bool
}

func (s *Sandbox) putNotificationConfiguration(w http.ResponseWriter, p url.Values) bool {
	ctx := context.Background()
	asg, topic, types := p.Get("AutoScalingGroupName"), p.Get("TopicARN"), members(p, "NotificationTypes", "")
	if asg == "" || topic == "" || len(types) == 0 {
		replyError(w, http.StatusBadRequest, "ValidationError", "AutoScalingGroupName, TopicARN and NotificationTypes are required")
		return true
	}
	out, err := s.aws.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{asg}})
	if err != nil || len(out.AutoScalingGroups) == 0 {
		replyError(w, http.StatusBadRequest, "ValidationError", "AutoScalingGroup name not found - "+asg)
		return true
	}
	if _, err := s.aws.sns.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(topic)}); err != nil {
		replyError(w, http.StatusBadRequest, "ValidationError", "Invalid SNS topic "+topic)
		return true
	}
	cfg := notificationConfig{topic: topic, types: map[string]bool{}}
	for _, t := range types {
		cfg.types[t] = true
	}
	s.mu.Lock()
	if s.notifications[asg] == nil {
		s.notifications[asg] = map[string]notificationConfig{}
	}
	s.notifications[asg][topic] = cfg
	s.mu.Unlock()
	// AWS confirms a new configuration with a test message.
	s.publish(ctx, topic, asg, "autoscaling:TEST_NOTIFICATION", "", "")
	reply(w, nsASG, "PutNotificationConfiguration", nil)
	return true
}

func (s *Sandbox) describeNotificationConfigurations(w http.ResponseWriter, p url.Values) bool {
	names := members(p, "AutoScalingGroupNames", "")
	type row struct{ asg, topic, typ string }
	var rows []row
	s.mu.Lock()
	for asg, cfgs := range s.notifications {
		wanted := len(names) == 0
		for _, n := range names {
			wanted = wanted || n == asg
		}
		if !wanted {
			continue
		}
		for _, c := range cfgs {
			for t := range c.types {
				rows = append(rows, row{asg, c.topic, t})
			}
		}
	}
	s.mu.Unlock()
	sort.Slice(rows, func(i, j int) bool {
		return rows[i].asg+rows[i].topic+rows[i].typ < rows[j].asg+rows[j].topic+rows[j].typ
	})
	reply(w, nsASG, "DescribeNotificationConfigurations", func(x *xw) {
		x.open("NotificationConfigurations")
		for _, r := range rows {
			x.open("member")
			x.elem("AutoScalingGroupName", r.asg)
			x.elem("TopicARN", r.topic)
			x.elem("NotificationType", r.typ)
			x.close("member")
		}
		x.close("NotificationConfigurations")
	})
	return true
}

func (s *Sandbox) deleteNotificationConfiguration(w http.ResponseWriter, p url.Values) bool {
	asg, topic := p.Get("AutoScalingGroupName"), p.Get("TopicARN")
	s.mu.Lock()
	_, ok := s.notifications[asg][topic]
	delete(s.notifications[asg], topic)
	s.mu.Unlock()
	if !ok {
		replyError(w, http.StatusBadRequest, "ValidationError", fmt.Sprintf("No notification configuration for group %s and topic %s", asg, topic))
		return true
	}
	reply(w, nsASG, "DeleteNotificationConfiguration", nil)
	return true
}

// notify publishes an Auto Scaling event to every topic configured for it.
func (s *Sandbox) notify(ctx context.Context, asg, event, instanceID, az string) {
	s.mu.Lock()
	var topics []string
	for _, c := range s.notifications[asg] {
		if c.types[event] {
			topics = append(topics, c.topic)
		}
	}
	s.mu.Unlock()
	for _, t := range topics {
		s.publish(ctx, t, asg, event, instanceID, az)
	}
}

// publish sends a message shaped like Auto Scaling's own.
func (s *Sandbox) publish(ctx context.Context, topic, asg, event, instanceID, az string) {
	now := time.Now().UTC().Format(time.RFC3339)
	msg := map[string]any{"Service": "AWS Auto Scaling", "Time": now, "RequestId": requestID(), "Event": event,
		"AccountId": "123456789012", "AutoScalingGroupName": asg,
		"AutoScalingGroupARN": fmt.Sprintf("arn:aws:autoscaling:%s:123456789012:autoScalingGroup:%s:autoScalingGroupName/%s", s.opts.Region, requestID(), asg)}
	subject := fmt.Sprintf("Auto Scaling: test notification for group %q", asg)
	switch event {
	case "autoscaling:EC2_INSTANCE_LAUNCH", "autoscaling:EC2_INSTANCE_TERMINATE":
		verb, desc := "launch", "Launching a new EC2 instance: "
		if event == "autoscaling:EC2_INSTANCE_TERMINATE" {
			verb, desc = "termination", "Terminating EC2 instance: "
		}
		subject = fmt.Sprintf("Auto Scaling: %s for group %q", verb, asg)
		msg["ActivityId"], msg["Description"], msg["EC2InstanceId"] = requestID(), desc+instanceID, instanceID
		msg["StatusCode"], msg["Progress"], msg["StartTime"], msg["EndTime"] = "InProgress", 50, now, now
		msg["Details"] = map[string]string{"Availability Zone": az}
	}
	b, _ := json.Marshal(msg)
	if _, err := s.aws.sns.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topic), Subject: aws.String(subject), Message: aws.String(string(b))}); err != nil {
		s.logf("notify %s: %v", topic, err)
	}
}
