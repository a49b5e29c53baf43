//! `monitoring.tf`: CloudWatch alarms with the design's thresholds.

use super::*;
use crate::figures;

#[derive(Clone, Debug, Serialize)]
pub struct Alarm {
    pub id: String,
    pub dc: usize,
    pub name: String,
    pub comment: String,
    pub namespace: &'static str,
    pub metric: &'static str,
    pub statistic: Option<&'static str>,
    pub extended_statistic: Option<&'static str>,
    pub comparison: &'static str,
    pub threshold: String,
    pub period: u32,
    pub evaluation_periods: u32,
    /// (dimension name, Terraform expression)
    pub dimensions: Vec<Dimension>,
    /// `for_each` over shard keys, for sharded databases.
    pub for_each: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Dimension {
    pub name: &'static str,
    pub expr: String,
}

impl Builder<'_> {
    pub(super) fn alarms(&mut self) {
        if !self.tf.alerts {
            return;
        }
        let view = self.view;
        let slo = view.slo.clone();
        let albs = self.tf.albs.clone();
        for a in &albs {
            let id = format!("{}_5xx", a.id);
            let peak = self.peak_at_alb(a);
            let (threshold, comment) = match (slo.error_rate, peak) {
                (Some(e), Some(p)) if view.has_traffic => {
                    let per_minute = (e * p * 60.0).max(1.0);
                    (
                        format!("{per_minute:.0}"),
                        format!(
                            "slo error_rate {} of {} at peak, per minute",
                            view::percent(e),
                            view::rate(p)
                        ),
                    )
                }
                _ => (
                    "0".to_string(),
                    "any server error (no error_rate slo)".to_string(),
                ),
            };
            self.tf.alarms.push(Alarm {
                id,
                dc: a.dc,
                name: format!("{}-5xx", a.name),
                comment,
                namespace: "AWS/ApplicationELB",
                metric: "HTTPCode_Target_5XX_Count",
                statistic: Some("Sum"),
                extended_statistic: None,
                comparison: "GreaterThanThreshold",
                threshold,
                period: 60,
                evaluation_periods: 5,
                dimensions: vec![Dimension {
                    name: "LoadBalancer",
                    expr: format!("aws_lb.{}.arn_suffix", a.id),
                }],
                for_each: None,
            });
            if let Some(p99) = slo.latency_p99_s {
                let id = format!("{}_p99", a.id);
                self.tf.alarms.push(Alarm {
                    id,
                    dc: a.dc,
                    name: format!("{}-p99", a.name),
                    comment: format!(
                        "slo latency_p99 = {}",
                        figures::duration(p99, figures::Style::Written)
                    ),
                    namespace: "AWS/ApplicationELB",
                    metric: "TargetResponseTime",
                    statistic: None,
                    extended_statistic: Some("p99"),
                    comparison: "GreaterThanThreshold",
                    threshold: format!("{p99}"),
                    period: 60,
                    evaluation_periods: 5,
                    dimensions: vec![Dimension {
                        name: "LoadBalancer",
                        expr: format!("aws_lb.{}.arn_suffix", a.id),
                    }],
                    for_each: None,
                });
            }
        }
        for s in self.tf.services.clone() {
            if !s.autoscale {
                continue;
            }
            let id = format!("{}_at_max", s.id);
            self.tf.alarms.push(Alarm {
                id,
                dc: s.dc,
                name: format!("{}-at-max", s.name),
                comment: format!(
                    "autoscale max {} reached: the design's headroom is used up",
                    s.max
                ),
                namespace: "AWS/AutoScaling",
                metric: "GroupInServiceInstances",
                statistic: Some("Minimum"),
                extended_statistic: None,
                comparison: "GreaterThanOrEqualToThreshold",
                threshold: s.max.to_string(),
                period: 300,
                evaluation_periods: 2,
                dimensions: vec![Dimension {
                    name: "AutoScalingGroupName",
                    expr: format!("aws_autoscaling_group.{}.name", s.id),
                }],
                for_each: None,
            });
        }
        let target = (view.target_utilization * 100.0).round();
        for d in self.tf.databases.clone() {
            let id = format!("{}_cpu", d.id);
            self.tf.alarms.push(Alarm {
                id,
                dc: d.dc,
                name: format!("{}-cpu", d.identifier),
                comment: format!(
                    "above the design's {} target utilisation",
                    view::percent(view.target_utilization)
                ),
                namespace: "AWS/RDS",
                metric: "CPUUtilization",
                statistic: Some("Average"),
                extended_statistic: None,
                comparison: "GreaterThanThreshold",
                threshold: format!("{target:.0}"),
                period: 300,
                evaluation_periods: 3,
                dimensions: vec![Dimension {
                    name: "DBInstanceIdentifier",
                    expr: if d.sharded {
                        format!("aws_db_instance.{}[each.key].identifier", d.id)
                    } else {
                        format!("aws_db_instance.{}.identifier", d.id)
                    },
                }],
                for_each: d.sharded.then(|| format!("aws_db_instance.{}", d.id)),
            });
        }
        for q in self.tf.queues.clone() {
            let id = format!("{}_backlog", q.id);
            let (metric, threshold, comment) = match q.max_backlog {
                Some(m) => (
                    "ApproximateNumberOfMessagesVisible",
                    format!("{:.0}", (m as f64 * 0.8).round()),
                    format!("80% of max_backlog {m}"),
                ),
                None => (
                    "ApproximateAgeOfOldestMessage",
                    "900".to_string(),
                    "no max_backlog: a message waiting over 15 minutes".to_string(),
                ),
            };
            self.tf.alarms.push(Alarm {
                id,
                dc: q.dc,
                name: format!("{}-backlog", q.name),
                comment,
                namespace: "AWS/SQS",
                metric,
                statistic: Some("Maximum"),
                extended_statistic: None,
                comparison: "GreaterThanThreshold",
                threshold,
                period: 300,
                evaluation_periods: 2,
                dimensions: vec![Dimension {
                    name: "QueueName",
                    expr: format!("aws_sqs_queue.{}.name", q.id),
                }],
                for_each: None,
            });
        }
        self.variable(Variable {
            rank: (9, 0),
            name: "alarm_email".into(),
            description: "address the CloudWatch alarms are mailed to (empty: none)".into(),
            kind: "string",
            default_literal: None,
            default_string: Some(String::new()),
            sensitive: false,
        });
    }

    /// Peak requests per second the balancer's service receives.
    pub(super) fn peak_at_alb(&self, a: &Alb) -> Option<f64> {
        let tg = &a.target_group;
        let svc = self
            .tf
            .services
            .iter()
            .find(|s| s.dc == a.dc && s.target_groups.contains(tg))?;
        let comp = self
            .view
            .components
            .iter()
            .find(|c| c.name == svc.component)?;
        comp.copy_in(a.dc).map(|c| c.peak_rps)
    }
}
