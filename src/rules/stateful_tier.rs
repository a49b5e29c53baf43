use super::failure::percent;
use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Span};
use crate::model::{ComponentId, Kind, Model, Session};

declare_rule! {
    /// ## What it flags
    /// A `service` with `session = local` that runs more than one instance
    /// (or autoscales) while whatever is in front of it — a load balancer
    /// that is not sticky, or a `dns` or client calling it straight — spreads
    /// a user's requests over the instances.
    ///
    /// ## Why it matters
    /// Session state in a server's memory exists only on the server that
    /// created it. Round-robin or least-connections balancing sends the
    /// user's next request to any instance, and with n instances it lands on
    /// another one (n − 1)/n of the time: the user is logged out, their cart
    /// is empty. Keep the web tier stateless: move sessions to a shared
    /// store (`session = sessions`, a cache or database), and any instance
    /// can serve any request.
    ///
    /// ## Example
    /// ```arch
    /// lb front { replicas = 2 }
    /// service web { replicas = 3  session = local }
    /// front -> web
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// cache sessions { replicas = 2  ttl = 30m  eviction = lru }
    /// service web { replicas = 3  session = sessions }
    /// front -> web
    /// web -> sessions
    /// ```
    pub struct StatefulTier = "stateful-tier", Error, "state", "move sessions to a shared store: `session = NAME` of a cache or database";
    position 1;
}

/// A service holding sessions in local memory on several instances, and
/// what sits in front of it.
pub(super) struct LocalSessions {
    pub service: ComponentId,
    /// "2 instances", "2 to 10 instances".
    pub instances: String,
    /// The fewest and most instances (autoscale range, or replicas twice).
    pub range: (u32, u32),
    /// Callers that do not keep a user on one instance: (name, span).
    pub not_sticky: Vec<(String, Span)>,
    /// Sticky load balancers in front: (name, span).
    pub sticky: Vec<(String, Span)>,
}

pub(super) fn local_sessions(model: &Model) -> Vec<LocalSessions> {
    let mut out = Vec::new();
    for (id, c) in model.components.iter().enumerate() {
        let Some(s) = c.service() else { continue };
        if s.session.value != Session::Local {
            continue;
        }
        if c.max_instances() <= 1 && c.autoscale.is_none() {
            continue;
        }
        let range = (c.min_instances(), c.max_instances());
        let instances = if range.0 == range.1 {
            format!("{} instances", range.0)
        } else {
            format!("{} to {} instances", range.0, range.1)
        };
        let mut callers: Vec<ComponentId> = model.flows_to(id).map(|(_, f)| f.from).collect();
        callers.sort_unstable();
        callers.dedup();
        let mut entry = LocalSessions {
            service: id,
            instances,
            range,
            not_sticky: Vec::new(),
            sticky: Vec::new(),
        };
        for caller in callers {
            let cc = &model.components[caller];
            match cc.lb() {
                Some(lb) if lb.is_sticky() => {
                    let why = if lb.sticky.value {
                        "sticky"
                    } else {
                        "algorithm"
                    };
                    entry.sticky.push((cc.name.clone(), cc.attr_or_name(why)));
                }
                Some(_) => entry
                    .not_sticky
                    .push((cc.name.clone(), cc.attr_or_name("sticky"))),
                None => entry.not_sticky.push((cc.name.clone(), cc.name_span)),
            }
        }
        out.push(entry);
    }
    out
}

/// The chance that a user's next request lands on another of n instances.
pub(super) fn elsewhere(range: (u32, u32)) -> String {
    let p = |n: u32| percent(1.0 - 1.0 / f64::from(n.max(1)));
    if range.0 == range.1 {
        p(range.0)
    } else {
        format!("{} to {}", p(range.0), p(range.1))
    }
}

impl Rule for StatefulTier {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let model = cx.model;
        for s in local_sessions(model) {
            // Behind sticky load balancers only: `sticky-sessions`.
            if s.not_sticky.is_empty() && !s.sticky.is_empty() {
                continue;
            }
            let c = &model.components[s.service];
            let front = match s.not_sticky.first() {
                Some((name, _)) => {
                    let is_lb = model
                        .component_id(name)
                        .is_some_and(|i| model.components[i].kind == Kind::Lb);
                    if is_lb {
                        format!("behind `{name}`, which is not sticky")
                    } else {
                        format!("called straight from `{name}`")
                    }
                }
                None => "with nothing in front to keep a user on one instance".to_string(),
            };
            let mut d = Diagnostic::new(
                Self::INFO.name,
                Self::INFO.severity,
                c.attr_or_name("session"),
                format!(
                    "`{}` keeps sessions in local memory on {} {front}: a user's next request lands on another instance, without their session, {} of the time",
                    c.name,
                    s.instances,
                    elsewhere(s.range)
                ),
            )
            .label("sessions in one server's memory")
            .help(format!(
                "move sessions to a shared store: add `cache sessions {{ … }}` and set `session = sessions` on `{}`",
                c.name
            ))
            .component(&c.name);
            if let Some((name, span)) = s.not_sticky.first() {
                d = d.related(*span, format!("`{name}` spreads a user's requests"));
            }
            out.push(d);
        }
    }
}
