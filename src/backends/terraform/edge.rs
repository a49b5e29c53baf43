//! `edge.tf`: CloudFront for cdn components, Route 53 for dns ones.

use super::*;

#[derive(Clone, Debug, Serialize)]
pub struct Cdn {
    pub id: String,
    pub component: String,
    pub name: String,
    pub default_ttl: u64,
    pub max_ttl: u64,
    pub comment: String,
    pub origins: Vec<CdnOrigin>,
    /// The origin id requests go to: one origin, or the failover group.
    pub target: String,
    pub group: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct CdnOrigin {
    pub origin_id: String,
    /// An S3 bucket id, or an ALB id.
    pub bucket: Option<String>,
    pub alb: Option<String>,
    /// Whether CloudFront reaches the balancer over HTTPS (it is
    /// internet-facing) rather than HTTP (internal).
    pub https: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct Dns {
    pub id: String,
    pub component: String,
    pub routing: &'static str,
    pub failover: bool,
    pub comment: String,
    pub records: Vec<DnsRecord>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DnsRecord {
    pub id: String,
    /// The health check this record uses (created with the datacenter's
    /// record).
    pub check: String,
    pub creates_check: bool,
    pub dc: usize,
    pub set_identifier: String,
    pub alb: String,
    /// `geolocation` (continent or default), `geoproximity`, `latency`,
    /// `weighted` or none.
    pub policy: Option<&'static str>,
    pub continent: Option<&'static str>,
    pub default_location: bool,
    pub weight: u32,
    pub health_check: bool,
    pub interval: u32,
}

/// The AWS continent code of a region, for geolocation routing.
pub(super) fn continent(region: &str) -> Option<&'static str> {
    let prefix = region.split('-').next()?;
    Some(match prefix {
        "us" | "ca" | "mx" => "NA",
        "sa" => "SA",
        "eu" => "EU",
        "af" => "AF",
        "ap" => {
            if region.starts_with("ap-southeast-2") || region.starts_with("ap-southeast-4") {
                "OC"
            } else {
                "AS"
            }
        }
        "me" | "il" => "AS",
        _ => return None,
    })
}

impl Builder<'_> {
    pub(super) fn cdn(&mut self, c: &ComponentView) {
        let Some(cdn) = c.cdn.clone() else { return };
        let mut origins = Vec::new();
        for k in &c.calls {
            let callee = self.view.components[k.to].clone();
            for copy in &callee.copies {
                let Some(dc) = copy.dc else { continue };
                let origin_id = resource_name(&[&callee.label, &self.dc(dc).label], 60);
                match callee.kind {
                    "storage" => {
                        if let Some(b) = self.buckets.get(&(callee.index, dc)) {
                            origins.push(CdnOrigin {
                                origin_id,
                                bucket: Some(b.clone()),
                                alb: None,
                                https: true,
                            });
                        }
                    }
                    "lb" | "service" => {
                        if let Some(alb) = self.albs.get(&(callee.index, dc)) {
                            let internal = self.tf.albs.iter().any(|a| &a.id == alb && a.internal);
                            origins.push(CdnOrigin {
                                origin_id,
                                bucket: None,
                                alb: Some(alb.clone()),
                                https: !internal,
                            });
                        }
                    }
                    _ => {}
                }
            }
            if !origins.is_empty() {
                break;
            }
        }
        if origins.is_empty() {
            self.note(format!(
                "cdn `{}`: no storage or load balancer to use as its origin; not mapped",
                c.name
            ));
            return;
        }
        let id = self.base(c.index, None);
        for o in &origins {
            if let Some(bucket) = &o.bucket
                && let Some(b) = self.tf.buckets.iter_mut().find(|b| &b.id == bucket)
            {
                b.cdns.push(id.clone());
            }
        }
        let ttl = cdn.ttl_s.map_or(86_400, |t| t.round() as u64);
        let group = origins.len() >= 2;
        let target = if group {
            format!("{}-group", c.label)
        } else {
            origins[0].origin_id.clone()
        };
        self.tf.cdns.push(Cdn {
            id: id.clone(),
            component: c.name.clone(),
            name: resource_name(&[&self.view.system_label, &c.label], 64),
            default_ttl: ttl,
            max_ttl: ttl.max(31_536_000),
            comment: format!(
                "cdn `{}`: ttl {ttl} s, hit ratio {} expected; invalidation = {}",
                c.name,
                view::percent(cdn.hit_ratio),
                cdn.invalidation
            ),
            origins,
            target,
            group,
        });
        let endpoint = Endpoint {
            sg: None,
            env: vec![expr(
                format!("{}_URL", c.env),
                format!("format(\"https://%s\", aws_cloudfront_distribution.{id}.domain_name)"),
            )],
            iam: Vec::new(),
        };
        self.endpoints[c.index] = vec![Some(endpoint); self.view.datacenters.len()];
    }

    pub(super) fn dns(&mut self, c: &ComponentView) {
        let Some(dns) = c.dns.clone() else { return };
        // The dns forwards to its successor's copies: their balancers.
        let mut records = Vec::new();
        let target = c.calls.first().map(|k| self.view.components[k.to].clone());
        let Some(target) = target else {
            self.note(format!("dns `{}`: forwards to nothing; not mapped", c.name));
            return;
        };
        let albs: Vec<(usize, String)> = target
            .copies
            .iter()
            .filter_map(|cp| cp.dc)
            .filter_map(|dc| self.albs.get(&(target.index, dc)).map(|a| (dc, a.clone())))
            .collect();
        if albs.is_empty() {
            self.note(format!(
                "dns `{}`: `{}` has no load balancer to point at; not mapped",
                c.name, target.name
            ));
            return;
        }
        let multi = albs.len() > 1;
        let regions: Vec<Option<String>> = albs
            .iter()
            .map(|(dc, _)| self.view.datacenters[*dc].region.clone())
            .collect();
        let continents: Vec<Option<&'static str>> = regions
            .iter()
            .map(|r| r.as_deref().and_then(continent))
            .collect();
        let distinct = {
            let mut seen = std::collections::BTreeSet::new();
            continents.iter().all(|c| c.is_some_and(|c| seen.insert(c)))
        };
        let (policy, comment): (Option<&'static str>, String) = if !multi {
            (None, "one datacenter: a plain alias record".to_string())
        } else {
            match dns.routing {
                "geo" if distinct => (
                    Some("geolocation"),
                    "routing = geo: each datacenter answers its continent; the heaviest answers the rest".to_string(),
                ),
                "geo" => (
                    Some("geoproximity"),
                    "routing = geo: two datacenters share a continent, so geoproximity picks the nearest region".to_string(),
                ),
                "latency" => (
                    Some("latency"),
                    "routing = latency: the region with the lowest latency answers".to_string(),
                ),
                "weighted" => (
                    Some("weighted"),
                    "routing = weighted: datacenter weights".to_string(),
                ),
                _ => (
                    Some("weighted"),
                    "routing = simple with several datacenters: weighted by datacenter weight".to_string(),
                ),
            }
        };
        // The heaviest datacenter answers where no other rule applies.
        let heaviest = albs
            .iter()
            .map(|(dc, _)| *dc)
            .max_by(|a, b| {
                self.view.datacenters[*a]
                    .weight
                    .total_cmp(&self.view.datacenters[*b].weight)
                    .then(b.cmp(a))
            })
            .unwrap_or(0);
        let failover = dns.failover && multi;
        // Three failed checks must fit in the ttl the design allows.
        let interval = if dns.ttl_s >= 90.0 { 30 } else { 10 };
        for (k, (dc, alb)) in albs.iter().enumerate() {
            let id = self.base(c.index, Some(*dc));
            records.push(DnsRecord {
                id: id.clone(),
                check: id.clone(),
                creates_check: failover,
                dc: *dc,
                set_identifier: self.view.datacenters[*dc].name.clone(),
                alb: alb.clone(),
                policy,
                continent: if policy == Some("geolocation") {
                    continents[k]
                } else {
                    None
                },
                default_location: false,
                weight: (self.view.datacenters[*dc].weight * 100.0).round() as u32,
                health_check: failover,
                interval,
            });
            if policy == Some("geolocation") && *dc == heaviest {
                let default_id = format!("{}_elsewhere", self.base(c.index, None));
                records.push(DnsRecord {
                    id: default_id,
                    check: id,
                    creates_check: false,
                    dc: *dc,
                    set_identifier: format!("{}-elsewhere", self.view.datacenters[*dc].name),
                    alb: alb.clone(),
                    policy,
                    continent: None,
                    default_location: true,
                    weight: 0,
                    health_check: failover,
                    interval,
                });
            }
        }
        let id = self.base(c.index, None);
        self.variable(Variable {
            rank: (9, 0),
            name: "domain_name".into(),
            description: format!(
                "DNS name dns `{}` answers for (e.g. www.example.com)",
                c.name
            ),
            kind: "string",
            default_literal: None,
            default_string: None,
            sensitive: false,
        });
        self.variable(Variable {
            rank: (9, 0),
            name: "route53_zone_id".into(),
            description: "Route 53 hosted zone holding domain_name".into(),
            kind: "string",
            default_literal: None,
            default_string: None,
            sensitive: false,
        });
        let ttl_note = if failover {
            format!(
                "; failover: health checks every {interval} s, 3 failures (the design's ttl is {})",
                crate::figures::duration(dns.ttl_s, crate::figures::Style::Written)
            )
        } else if dns.failover {
            String::new()
        } else {
            "; failover = false: no health checks, a failed datacenter keeps its share".to_string()
        };
        self.tf.dns.push(Dns {
            id,
            component: c.name.clone(),
            routing: dns.routing,
            failover,
            comment: format!("dns `{}`: {comment}{ttl_note}", c.name),
            records,
        });
    }
}
