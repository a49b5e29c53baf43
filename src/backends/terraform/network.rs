//! `network.tf`: per datacenter a VPC, subnets, gateways and the region's
//! provider alias.

use super::*;

/// The most availability zones an AWS region has (us-east-1's six); the
/// subnet plan (`cidrsubnet` indices 0.. public, 10.. private) leaves room
/// for ten.
const AWS_MAX_ZONES: u32 = 6;

impl Builder<'_> {
    pub(super) fn datacenter(&mut self, d: &DcView) {
        if d.zones > AWS_MAX_ZONES {
            self.errors.push(BuildError::Unsupported {
                component: format!("datacenter `{}`", d.name),
                message: format!(
                    "has {} zones; an AWS region has at most {AWS_MAX_ZONES} availability zones (write `zones = 3` for most regions)",
                    d.zones
                ),
            });
        }
        let (snake, label, alias, region_var) = if d.implicit {
            (
                String::new(),
                String::new(),
                "main".to_string(),
                "region".to_string(),
            )
        } else {
            (
                d.snake.clone(),
                d.label.clone(),
                d.snake.clone(),
                format!("region_{}", d.snake),
            )
        };
        self.variable(Variable {
            rank: (9, 0),
            name: region_var.clone(),
            description: if d.implicit {
                "AWS region to deploy to (the design declares no datacenter)".to_string()
            } else {
                format!("AWS region of datacenter {}", d.name)
            },
            kind: "string",
            default_literal: None,
            default_string: d.region.clone(),
            sensitive: false,
        });
        let aws = if d.implicit {
            self.view.system_label.clone()
        } else {
            resource_name(&[&self.view.system_label, &d.label], 60)
        };
        // The log bucket is named after the network, beside the components.
        self.taken.fixed(&format!("{alias}_logs"));
        self.tf.dcs.push(TfDc {
            dc_name: d.name.clone(),
            within: if d.implicit {
                String::new()
            } else {
                format!(" in {}", d.name)
            },
            implicit: d.implicit,
            snake,
            label,
            net: alias.clone(),
            name: aws,
            alias,
            region_var,
            cidr: format!("10.{}.0.0/16", d.index),
            subnets: d.zones.max(2),
            first: d.index == 0,
            archs: Vec::new(),
            rds: false,
            cache: false,
            alarms: false,
            rds_kms: false,
            cert_var: if d.implicit {
                "certificate_arn".to_string()
            } else {
                format!("certificate_arn_{}", d.snake)
            },
            albs: false,
            logs_prefix: format!(
                "{}-",
                resource_name(&[&self.view.system_label, &d.label, "logs"], 36)
            ),
            weight: d.weight,
        });
    }
}
