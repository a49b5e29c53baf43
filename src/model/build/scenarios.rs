//! Scenario blocks: timed events (`fail`, `recover`, `traffic` factors) against
//! named components, copies and datacenters, and `expect` lines turned into
//! metrics with bounds and windows.
//!
//! Invariant: scenarios are resolved against the finished model (after
//! placement), so targets may name the implicit `default` datacenter; an
//! event after the scenario's `duration`, or a window starting after it, is
//! reported and left out.

use super::*;

impl Cx {
    pub(super) fn scenario(
        &mut self,
        s: &ast::Scenario,
        model: &Model,
        dc_ids: &HashMap<String, DcId>,
    ) -> Scenario {
        let attrs = self.attrs(
            &s.attributes,
            &schema::names(schema::Block::Scenario),
            "a scenario",
        );
        let duration = self.duration(&attrs, "duration", "5m").map(|d| d.value);
        let mut events = Vec::new();
        for e in &s.events {
            let Some(at) = self.time_value(&e.at, "`at`") else {
                continue;
            };
            if let Some(d) = duration
                && at > d
            {
                self.push(
                    Diagnostic::error(
                        Code::InvalidTime,
                        e.at.span,
                        format!(
                            "event at {} is after the scenario's end at {}",
                            fmt_secs(at),
                            fmt_secs(d)
                        ),
                    )
                    .label("after the end of the run")
                    .help("move the event inside the run, or lengthen `duration`"),
                );
                continue;
            }
            let action = match &e.action {
                ast::Action::Fail(t) => self
                    .target(t, model, dc_ids)
                    .map(|target| ScenarioAction::Fail { target }),
                ast::Action::Recover(t) => self
                    .target(t, model, dc_ids)
                    .map(|target| ScenarioAction::Recover { target }),
                ast::Action::Traffic(v) => match v.kind {
                    ValueKind::Quantity(ast::Quantity {
                        value,
                        unit: Unit::Multiplier,
                    }) => Some(ScenarioAction::Traffic { factor: value }),
                    ref other => {
                        self.push(
                            Diagnostic::error(
                                Code::TypeMismatch,
                                v.span,
                                format!(
                                    "`traffic` expects a multiplier, found {}",
                                    other.describe()
                                ),
                            )
                            .label("not a multiplier")
                            .help("write `at 1m traffic 2x`"),
                        );
                        None
                    }
                },
            };
            if let Some(action) = action {
                events.push(ScenarioEvent {
                    at,
                    action,
                    span: e.span,
                });
            }
        }
        events.sort_by(|a, b| a.at.total_cmp(&b.at));
        let mut expectations = Vec::new();
        for x in &s.expectations {
            if let Some(e) = self.expectation(x, model, dc_ids, duration) {
                expectations.push(e);
            }
        }
        Scenario {
            name: s.name.name.clone(),
            span: s.span,
            duration,
            events,
            expectations,
        }
    }

    fn time_value(&mut self, v: &Value, what: &str) -> Option<f64> {
        match v.kind {
            ValueKind::Quantity(ast::Quantity {
                value,
                unit: Unit::Duration,
            }) => Some(value),
            ValueKind::Number { value: 0.0, .. } => Some(0.0),
            ref other => {
                self.push(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        v.span,
                        format!("{what} expects a time, found {}", other.describe()),
                    )
                    .label("not a duration")
                    .help("write a time from the start of the run, such as `1m` or `30s`"),
                );
                None
            }
        }
    }

    /// `us-east/b`: a zone of a datacenter, a target of its own.
    fn zone_target(
        &mut self,
        t: &ast::Target,
        z: &ast::Ident,
        model: &Model,
        dc_ids: &HashMap<String, DcId>,
        counted: bool,
    ) -> Option<TargetRef> {
        let name = &t.name.name;
        let Some(&dc) = dc_ids.get(name) else {
            let d = Diagnostic::error(
                Code::UnknownReference,
                t.name.span,
                format!("no datacenter named `{name}`: a zone is written after its datacenter"),
            )
            .label("not a datacenter");
            let d = match did_you_mean(name, dc_ids.keys().map(String::as_str)) {
                Some(s) => d.help(format!("did you mean `{s}/{}`?", z.name)),
                None => d.help("write `DATACENTER/ZONE`, for example `us-east/b`"),
            };
            self.push(d);
            return None;
        };
        if counted || t.role.is_some() || t.datacenter.is_some() {
            self.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    t.span,
                    "a zone is failed whole: it takes no count, role or `@datacenter`",
                )
                .label("zone target")
                .help(format!("write `fail {name}/{}`", z.name)),
            );
            return None;
        }
        let datacenter = &model.datacenters[dc];
        let zones = datacenter.zones.value;
        // A datacenter without `zones` is one zone: failing it is failing
        // the datacenter, written as such.
        match datacenter.zone_of(&z.name).filter(|_| zones > 1) {
            Some(zone) => Some(TargetRef::Zone { dc, zone }),
            None => {
                let (msg, help) = if zones <= 1 {
                    (
                        format!("`{name}` is one zone: it declares no `zones`"),
                        format!(
                            "declare `zones = 3` on `{name}`, or fail the datacenter: `fail {name}`"
                        ),
                    )
                } else {
                    (
                        format!(
                            "`{name}` has no zone `{}`: its {zones} zones are `a` to `{}`",
                            z.name,
                            Datacenter::zone_letter(zones - 1)
                        ),
                        format!(
                            "write `{name}/a` … `{name}/{}`",
                            Datacenter::zone_letter(zones - 1)
                        ),
                    )
                };
                self.push(
                    Diagnostic::error(Code::UnknownReference, z.span, msg)
                        .label("unknown zone")
                        .help(help),
                );
                None
            }
        }
    }

    fn target(
        &mut self,
        t: &ast::Target,
        model: &Model,
        dc_ids: &HashMap<String, DcId>,
    ) -> Option<TargetRef> {
        let names = Names {
            comp_ids: &model.by_name,
            kinds: &[],
            dc_ids,
            decls: &[],
        };
        let count = match &t.count {
            None => None,
            Some(Value {
                kind:
                    ValueKind::Number {
                        value,
                        integer: true,
                    },
                ..
            }) if *value >= 1.0 => Some(*value as u32),
            Some(v) => {
                self.push(
                    Diagnostic::error(
                        Code::InvalidValue,
                        v.span,
                        "an instance count is a whole number, 1 or more",
                    )
                    .label("not a count")
                    .help("write `2 of web@us-east`"),
                );
                return None;
            }
        };
        let dc = match &t.datacenter {
            None => None,
            Some(d) => match dc_ids.get(&d.name) {
                Some(id) => Some(*id),
                None => {
                    self.unknown_dc(&d.name, d.span, &names);
                    return None;
                }
            },
        };
        let name = &t.name.name;
        if let Some(z) = &t.zone {
            return self.zone_target(t, z, model, dc_ids, count.is_some());
        }
        // A bare name may be a datacenter.
        if t.role.is_none()
            && t.datacenter.is_none()
            && count.is_none()
            && let Some(id) = dc_ids.get(name)
        {
            return Some(TargetRef::Datacenter { dc: *id });
        }
        let Some(comp) = model.component_id(name) else {
            let mut d = Diagnostic::error(
                Code::UnknownReference,
                t.name.span,
                format!("no component or datacenter named `{name}`"),
            )
            .label("unknown target");
            let candidates = model
                .by_name
                .keys()
                .map(String::as_str)
                .chain(dc_ids.keys().map(String::as_str));
            d = match did_you_mean(name, candidates) {
                Some(s) => d.suggest(s),
                None => d.help("name a declared component or datacenter"),
            };
            self.push(d);
            return None;
        };
        let c = model.component(comp);
        // The copy in the named datacenter: global components have one.
        let copy_dc = if c.kind.is_global() {
            None
        } else {
            match dc {
                Some(d) => {
                    if !c.datacenters.value.contains(&d) {
                        self.push(
                            Diagnostic::error(
                                Code::UnknownReference,
                                t.span,
                                format!(
                                    "`{name}` is not placed in `{}`",
                                    model.datacenters[d].name
                                ),
                            )
                            .label("no such copy")
                            .related(c.name_span, format!("`{name}` declared here"))
                            .help("name a datacenter the component is placed in"),
                        );
                        return None;
                    }
                    Some(d)
                }
                None if !model.has_datacenters() => Some(0),
                None => None,
            }
        };
        if let Some(role) = &t.role {
            if role.name != "primary" {
                self.push(
                    Diagnostic::error(
                        Code::UnknownRole,
                        role.span,
                        format!("`{}` is not a failure target role", role.name),
                    )
                    .label("unknown role")
                    .help("fail a database's primary with `DB.primary@DC`"),
                );
                return None;
            }
            if c.kind != Kind::Database {
                self.push(
                    Diagnostic::error(
                        Code::WrongKind,
                        role.span,
                        format!(
                            "`{name}` is a `{}`; only a database has a primary",
                            c.kind.as_str()
                        ),
                    )
                    .label("not a database")
                    .related(c.name_span, format!("`{name}` declared here"))
                    .help(format!("fail the component itself: `fail {name}@DC`")),
                );
                return None;
            }
            return Some(TargetRef::Primary {
                component: comp,
                dc: copy_dc,
            });
        }
        if let Some(n) = count {
            return Some(TargetRef::Instances {
                count: n,
                component: comp,
                dc: copy_dc,
            });
        }
        if dc.is_some() || c.kind.is_global() || !model.has_datacenters() {
            Some(TargetRef::Copy {
                component: comp,
                dc: copy_dc,
            })
        } else {
            Some(TargetRef::Component { component: comp })
        }
    }

    fn expectation(
        &mut self,
        x: &ast::Expectation,
        model: &Model,
        dc_ids: &HashMap<String, DcId>,
        duration: Option<f64>,
    ) -> Option<Expectation> {
        let m = x.metric.name.as_str();
        let metric = match m {
            "p50" => Metric::P50,
            "p90" => Metric::P90,
            "p99" => Metric::P99,
            "p999" => Metric::P999,
            "mean" => Metric::Mean,
            "error_rate" => Metric::ErrorRate,
            "throughput" => Metric::Throughput,
            "utilization" => {
                let Some(t) = &x.argument else {
                    self.push(
                        Diagnostic::error(
                            Code::InvalidValue,
                            x.metric.span,
                            "`utilization` needs a copy to measure",
                        )
                        .label("which copy?")
                        .help("write `utilization(web@us-east)`"),
                    );
                    return None;
                };
                let target = self.target(t, model, dc_ids)?;
                match target {
                    TargetRef::Copy { component, dc } => {
                        Metric::Utilization(Copy { component, dc })
                    }
                    _ => {
                        self.push(
                            Diagnostic::error(
                                Code::InvalidValue,
                                t.span,
                                "`utilization` measures one copy",
                            )
                            .label("not one copy")
                            .help("name the copy as `COMP@DC`"),
                        );
                        return None;
                    }
                }
            }
            _ => {
                let mut d = Diagnostic::error(
                    Code::UnknownMetric,
                    x.metric.span,
                    format!("unknown metric `{m}`"),
                )
                .label("not a metric");
                d = match did_you_mean(m, schema::METRICS.iter().copied()) {
                    Some(s) => d.suggest(s),
                    None => d.help(format!("the metrics are {}", quote_list(schema::METRICS))),
                };
                self.push(d);
                return None;
            }
        };
        let bound = match (metric, &x.value.kind) {
            (
                Metric::P50 | Metric::P90 | Metric::P99 | Metric::P999 | Metric::Mean,
                ValueKind::Quantity(q),
            ) if q.unit == Unit::Duration => q.value,
            (Metric::ErrorRate | Metric::Utilization(_), ValueKind::Quantity(q))
                if q.unit == Unit::Percent =>
            {
                q.value
            }
            (Metric::Throughput, ValueKind::Quantity(q)) if q.unit == Unit::Rate => q.value,
            (_, other) => {
                let expected = match metric {
                    Metric::ErrorRate | Metric::Utilization(_) => "a percentage",
                    Metric::Throughput => "a rate",
                    _ => "a duration",
                };
                self.push(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        x.value.span,
                        format!(
                            "`{m}` is compared with {expected}, found {}",
                            other.describe()
                        ),
                    )
                    .label(format!("expected {expected}"))
                    .help(format!("write `expect {m} < …` with {expected}")),
                );
                return None;
            }
        };
        let during = match &x.during {
            None => None,
            Some((lo, hi)) => {
                let (Some(a), Some(b)) = (
                    self.time_value(lo, "`during`"),
                    self.time_value(hi, "`during`"),
                ) else {
                    return None;
                };
                if a >= b {
                    self.push(
                        Diagnostic::error(
                            Code::InvalidTime,
                            lo.span.to(hi.span),
                            format!(
                                "the window {}..{} is empty or backwards",
                                fmt_secs(a),
                                fmt_secs(b)
                            ),
                        )
                        .label("empty window")
                        .help("write the earlier time first: `during 1m..2m`"),
                    );
                    return None;
                }
                if let Some(d) = duration
                    && a >= d
                {
                    self.push(
                        Diagnostic::error(
                            Code::InvalidTime,
                            lo.span.to(hi.span),
                            format!("the window starts after the run ends at {}", fmt_secs(d)),
                        )
                        .label("outside the run")
                        .help("move the window inside the run, or lengthen `duration`"),
                    );
                    return None;
                }
                Some((a, b))
            }
        };
        Some(Expectation {
            text: expectation_text(x, metric, model),
            metric,
            op: x.op.into(),
            bound,
            during,
            span: x.span,
        })
    }
}

fn expectation_text(x: &ast::Expectation, metric: Metric, model: &Model) -> String {
    let m = match metric {
        Metric::Utilization(c) => format!("utilization({})", model.copy_name(c)),
        _ => x.metric.name.clone(),
    };
    let mut s = format!(
        "{m} {} {}",
        Comparison::from(x.op).as_str(),
        value_text(&x.value)
    );
    if let Some((a, b)) = &x.during {
        s.push_str(&format!(" during {}..{}", value_text(a), value_text(b)));
    }
    s
}

fn value_text(v: &Value) -> String {
    match &v.kind {
        ValueKind::Quantity(q) => match q.unit {
            Unit::Duration => fmt_secs(q.value),
            Unit::Percent => format!("{}%", fmt_num(q.value * 100.0)),
            Unit::Rate => format!("{}/s", fmt_num(q.value)),
            Unit::Multiplier => format!("{}x", fmt_num(q.value)),
            Unit::Size => format!("{}B", fmt_num(q.value)),
        },
        ValueKind::Number { value, .. } => fmt_num(*value),
        other => other.describe(),
    }
}
