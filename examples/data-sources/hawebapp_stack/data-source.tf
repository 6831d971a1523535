# In another root: read the stack by name and wire its load balancer and
# target group into an alarm, as the CloudWatch dimensions AWS uses.
data "hawebapp_stack" "web" {
  name = "fruit-api"
}

resource "aws_cloudwatch_metric_alarm" "target_5xx" {
  alarm_name          = "fruit-api-target-5xx"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HTTPCode_Target_5XX_Count"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 5
  threshold           = 10
  comparison_operator = "GreaterThanThreshold"
  dimensions = {
    LoadBalancer = data.hawebapp_stack.web.load_balancer_arn_suffix
    TargetGroup  = data.hawebapp_stack.web.target_group_arn_suffix
  }
}
