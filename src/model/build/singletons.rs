//! The blocks that are not components: `datacenter` declarations and the
//! one-per-file `traffic`, `slo`, `monitoring` and `assumptions` blocks.
//!
//! Invariant: what a later pass reads is always set: every datacenter ends
//! with a weight (unweighted ones share what is left), and each assumption
//! is the file's value, else the project file's, else the built-in default.
//! `traffic` is the exception by design: it is `None` when no request rate
//! can be worked out, and that case has been reported.

use super::*;

impl Cx {
    pub(super) fn datacenters(&mut self, decls: &[&ast::Declaration]) -> Vec<Datacenter> {
        let mut dcs = Vec::new();
        let mut given_total = 0.0;
        let mut unweighted = 0usize;
        let mut weight_spans = Vec::new();
        for d in decls {
            self.applying(d);
            let attrs = self.attrs(
                d.attributes(),
                &schema::names(schema::Block::Datacenter),
                "a datacenter",
            );
            let region = self
                .string(&attrs, "region", "\"us-east-1\"")
                .map(|s| s.value);
            let weight = self.percent(&attrs, "weight", "60%");
            let zones = match self.integer(&attrs, "zones", 1, "3") {
                Some(z) if z.value > MAX_ZONES as u64 => {
                    self.invalid(
                        z.span.unwrap_or(d.name.span),
                        format!(
                            "`zones` is {}, above the {MAX_ZONES} zones named `a` to `z`",
                            z.value
                        ),
                        "a region has a handful of zones: write 2 to 6",
                    );
                    Setting::default(1)
                }
                Some(z) => Setting {
                    value: z.value as u32,
                    span: z.span,
                },
                None => Setting::default(1),
            };
            match &weight {
                Some(w) => {
                    given_total += w.value;
                    weight_spans.push(w.span.unwrap_or(d.name.span));
                }
                None => unweighted += 1,
            }
            dcs.push(Datacenter {
                name: d.name.name.clone(),
                span: d.span,
                name_span: d.name.span,
                region,
                weight: weight.unwrap_or(Setting::default(f64::NAN)),
                zones,
                implicit: false,
            });
        }
        let any_given = !weight_spans.is_empty();
        let bad = if unweighted == 0 {
            any_given && (given_total - 1.0).abs() > 1e-6
        } else {
            given_total > 1.0 + 1e-6
        };
        if bad {
            let mut diag = Diagnostic::error(
                Code::WeightSum,
                weight_spans[weight_spans.len() - 1],
                format!(
                    "datacenter weights sum to {}%, not 100%",
                    fmt_num(given_total * 100.0)
                ),
            )
            .label("weights end here")
            .help("make the datacenter weights add up to 100%");
            for s in &weight_spans[..weight_spans.len() - 1] {
                diag = diag.related(*s, "weight");
            }
            self.push(diag);
        }
        // Datacenters without a weight share what is left equally.
        let rest = if unweighted > 0 {
            ((1.0 - given_total).max(0.0)) / unweighted as f64
        } else {
            0.0
        };
        for d in &mut dcs {
            if d.weight.value.is_nan() {
                d.weight = Setting::default(if any_given {
                    rest
                } else {
                    1.0 / decls.len() as f64
                });
            }
        }
        dcs
    }

    pub(super) fn traffic(&mut self, s: &ast::Singleton) -> Option<Traffic> {
        let attrs = self.attrs(
            &s.body.attributes,
            &schema::names(schema::Block::Traffic),
            "`traffic`",
        );
        let users = self.number(&attrs, "users", "10M");
        let per_user = self.rate(&attrs, "per_user", "40/day");
        let rate = self.rate(&attrs, "rate", "1000/s");
        let peak = self
            .multiplier(&attrs, "peak", "3x")
            .unwrap_or(Setting::default(1.0));
        if peak.value < 1.0 {
            self.invalid(
                peak.span.unwrap_or(s.keyword),
                "`peak` is below 1x".into(),
                "peak is the peak rate over the average rate: 1x or more",
            );
        }
        let reads = self
            .percent(&attrs, "reads", "90%")
            .unwrap_or(Setting::default(1.0));
        let static_share = self
            .percent(&attrs, "static", "50%")
            .unwrap_or(Setting::default(0.0));
        let payload = self.size(&attrs, "payload", "20KB");
        let write_size = self
            .size(&attrs, "write_size", "1KB")
            .unwrap_or(Setting::default(1000.0));
        let retention = self.duration(&attrs, "retention", "5y");
        // A rate attribute that is present but malformed was reported
        // already; do not also call it missing.
        let malformed = ["users", "per_user", "rate"]
            .iter()
            .any(|n| attrs.get(n).is_some())
            && users.is_none() as u8 + per_user.is_none() as u8 + rate.is_none() as u8
                > ["users", "per_user", "rate"]
                    .iter()
                    .filter(|n| attrs.get(n).is_none())
                    .count() as u8;
        if malformed {
            return None;
        }
        let total = match (&users, &per_user, &rate) {
            (_, _, Some(r)) if users.is_some() || per_user.is_some() => {
                let other = attrs
                    .get("users")
                    .or(attrs.get("per_user"))
                    .map_or(s.keyword, |a| a.name.span);
                self.push(
                    Diagnostic::error(
                        Code::InvalidValue,
                        r.span.unwrap_or(s.keyword),
                        "`rate` together with `users`/`per_user`",
                    )
                    .label("rate here")
                    .related(other, "users given here")
                    .help("give either `rate`, or `users` with `per_user`"),
                );
                return None;
            }
            (_, _, Some(r)) => r.value,
            (Some(u), Some(p), None) => u.value * p.value,
            (Some(_), None, None) | (None, Some(_), None) => {
                let (have, missing) = if users.is_some() {
                    ("users", "per_user")
                } else {
                    ("per_user", "users")
                };
                let at = attrs.get(have).map_or(s.keyword, |a| a.name.span);
                self.push(
                    Diagnostic::error(
                        Code::MissingAttribute,
                        at,
                        format!("`traffic` has `{have}` but no `{missing}`"),
                    )
                    .label(format!("`{have}` without `{missing}`"))
                    .help(format!(
                        "add `{missing}`, or give the whole system's `rate` instead"
                    )),
                );
                return None;
            }
            (None, None, None) => {
                if attrs.map.is_empty() || !s.body.attributes.is_empty() {
                    self.push(
                        Diagnostic::error(
                            Code::MissingAttribute,
                            s.keyword,
                            "`traffic` gives no request rate",
                        )
                        .label("no `rate` or `users`")
                        .help("add `rate = 1000/s`, or `users = 1M` with `per_user = 20/day`"),
                    );
                }
                return None;
            }
        };
        Some(Traffic {
            rate: total,
            users: users.map(|u| u.value),
            per_user: per_user.map(|p| p.value),
            peak,
            reads,
            static_share,
            payload,
            write_size,
            retention,
            span: s.keyword,
        })
    }

    pub(super) fn slo(&mut self, s: &ast::Singleton) -> Slo {
        let attrs = self.attrs(
            &s.body.attributes,
            &schema::names(schema::Block::Slo),
            "`slo`",
        );
        Slo {
            latency_p99: self.duration(&attrs, "latency_p99", "250ms"),
            latency_mean: self.duration(&attrs, "latency_mean", "100ms"),
            availability: self.percent(&attrs, "availability", "99.95%"),
            error_rate: self.percent(&attrs, "error_rate", "0.1%"),
            span: Some(s.keyword),
        }
    }

    pub(super) fn monitoring(&mut self, s: &ast::Singleton) -> Monitoring {
        let attrs = self.attrs(
            &s.body.attributes,
            &schema::names(schema::Block::Monitoring),
            "`monitoring`",
        );
        Monitoring {
            logs: self.word(&attrs, "logs", "loki").map(|s| s.value),
            metrics: self.word(&attrs, "metrics", "prometheus").map(|s| s.value),
            tracing: self.word(&attrs, "tracing", "jaeger").map(|s| s.value),
            alerts: self.boolean(&attrs, "alerts").is_some_and(|b| b.value),
            span: s.keyword,
        }
    }

    pub(super) fn assumptions(
        &mut self,
        s: Option<&ast::Singleton>,
        options: &BuildOptions,
    ) -> Assumptions {
        let mut out = Assumptions::default();
        // Project-file defaults first; the design's own block overrides them.
        for (name, value) in &options.assumptions {
            let v = Setting::default(*value);
            match name.as_str() {
                "target_utilization" => out.target_utilization = v,
                "instance_availability" => out.instance_availability = v,
                "hop_latency" => out.hop_latency = v,
                "cross_dc_latency" => out.cross_dc_latency = v,
                "hotspot_factor" => out.hotspot_factor = v,
                _ => {}
            }
        }
        let Some(s) = s else { return out };
        let attrs = self.attrs(
            &s.body.attributes,
            &schema::names(schema::Block::Assumptions),
            "`assumptions`",
        );
        if let Some(v) = self.percent(&attrs, "target_utilization", "70%") {
            if v.value <= 0.0 {
                self.invalid(
                    v.span.unwrap_or(s.keyword),
                    "`target_utilization` is 0%".into(),
                    "give a target above 0%, such as 70%",
                );
            } else {
                out.target_utilization = v;
            }
        }
        if let Some(v) = self.percent(&attrs, "instance_availability", "99.9%") {
            out.instance_availability = v;
        }
        if let Some(v) = self.duration(&attrs, "hop_latency", "0.5ms") {
            out.hop_latency = v;
        }
        if let Some(v) = self.duration(&attrs, "cross_dc_latency", "60ms") {
            out.cross_dc_latency = v;
        }
        if let Some(v) = self.multiplier(&attrs, "hotspot_factor", "2x") {
            out.hotspot_factor = v;
        }
        out
    }
}
