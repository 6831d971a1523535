package sandbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
)

// TestNotifications: an ASG notification configuration (moto lacks it)
// delivers launch and terminate events through SNS to a subscribed SQS queue.
func TestNotifications(t *testing.T) {
	ctx := context.Background()
	sb := startSandbox(t, sandbox.Options{})
	s := newStack(t, sb, stackSpec{name: "notify", zones: []string{"us-east-1a"}, perZone: 1, maxPerZone: 2})
	sn, sq := sns.NewFromConfig(s.cfg), sqs.NewFromConfig(s.cfg)
	topic, err := sn.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("asg-events")})
	if err != nil {
		t.Fatal(err)
	}
	queue, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("asg-events")})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: queue.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sn.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(attrs.Attributes["QueueArn"])}); err != nil {
		t.Fatal(err)
	}
	group := s.groups["us-east-1a"]
	if _, err := s.asg.PutNotificationConfiguration(ctx, &autoscaling.PutNotificationConfigurationInput{AutoScalingGroupName: aws.String(group),
		TopicARN: topic.TopicArn, NotificationTypes: []string{"autoscaling:EC2_INSTANCE_LAUNCH", "autoscaling:EC2_INSTANCE_TERMINATE"}}); err != nil {
		t.Fatal(err)
	}
	desc, err := s.asg.DescribeNotificationConfigurations(ctx, &autoscaling.DescribeNotificationConfigurationsInput{AutoScalingGroupNames: []string{group}})
	if err != nil || len(desc.NotificationConfigurations) != 2 {
		t.Fatalf("describe notification configurations: %v %+v", err, desc)
	}

	events := map[string]string{} // event -> instance
	receive := func(want string) func() (bool, string) {
		return func() (bool, string) {
			out, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: queue.QueueUrl, MaxNumberOfMessages: 10})
			if err != nil {
				return false, err.Error()
			}
			for _, m := range out.Messages {
				var envelope struct{ Message string }
				var msg struct{ Event, EC2InstanceId string }
				_ = json.Unmarshal([]byte(aws.ToString(m.Body)), &envelope)
				_ = json.Unmarshal([]byte(envelope.Message), &msg)
				events[msg.Event] = msg.EC2InstanceId
				_, _ = sq.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: queue.QueueUrl, ReceiptHandle: m.ReceiptHandle})
			}
			_, ok := events[want]
			return ok, fmt.Sprint(events)
		}
	}
	env.Until(t, "the test notification", 30*time.Second, receive("autoscaling:TEST_NOTIFICATION"))

	if _, err := s.asg.SetDesiredCapacity(ctx, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String(group), DesiredCapacity: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	env.Until(t, "a launch notification", 30*time.Second, receive("autoscaling:EC2_INSTANCE_LAUNCH"))
	launched := events["autoscaling:EC2_INSTANCE_LAUNCH"]
	if _, err := s.asg.TerminateInstanceInAutoScalingGroup(ctx, &autoscaling.TerminateInstanceInAutoScalingGroupInput{InstanceId: aws.String(launched),
		ShouldDecrementDesiredCapacity: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	env.Until(t, "a terminate notification", 30*time.Second, receive("autoscaling:EC2_INSTANCE_TERMINATE"))
	if got := events["autoscaling:EC2_INSTANCE_TERMINATE"]; got != launched {
		t.Fatalf("terminate notification for %s, want %s", got, launched)
	}
	if _, err := s.asg.DeleteNotificationConfiguration(ctx, &autoscaling.DeleteNotificationConfigurationInput{AutoScalingGroupName: aws.String(group), TopicARN: topic.TopicArn}); err != nil {
		t.Fatal(err)
	}
}
