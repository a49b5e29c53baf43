use super::failure::percent;
use super::stateful_tier::local_sessions;
use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;

declare_rule! {
    /// ## What it flags
    /// A `service` with `session = local` on more than one instance (or
    /// autoscaling) behind sticky load balancers only (`sticky = true`, or
    /// `algorithm = ip-hash`): every user keeps landing on the server that
    /// holds their session.
    ///
    /// ## Why it matters
    /// Sticky sessions make local sessions work until a server goes away.
    /// Losing one of n instances logs out 1/n of the users; every scale-in,
    /// deploy or crash does the same, and adding instances moves users
    /// (ip-hash) or leaves the new ones idle while the old ones stay hot.
    /// Load spreads unevenly because users are not alike. A stateless web
    /// tier with sessions in a shared store has none of these problems.
    ///
    /// ## Example
    /// ```arch
    /// lb front { replicas = 2  sticky = true }
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
    pub struct StickySessions = "sticky-sessions", Warning, "state", "move sessions to a shared store and drop stickiness";
    position 2;
}

impl Rule for StickySessions {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let model = cx.model;
        for s in local_sessions(model) {
            if !s.not_sticky.is_empty() || s.sticky.is_empty() {
                continue;
            }
            let c = &model.components[s.service];
            let (lb, lb_span) = &s.sticky[0];
            // Losing one of n instances logs out 1/n of the users.
            let share = |n: u32| percent(1.0 / f64::from(n.max(1)));
            let lost = if s.range.0 == s.range.1 {
                share(s.range.0)
            } else {
                format!("{} to {}", share(s.range.1), share(s.range.0))
            };
            out.push(
                Diagnostic::new(
                    Self::INFO.name,
                    Self::INFO.severity,
                    c.attr_or_name("session"),
                    format!(
                        "`{}` keeps sessions in local memory on {} behind sticky `{lb}`: losing one instance logs out {lost} of users, and adding or removing instances moves users off their sessions",
                        c.name, s.instances
                    ),
                )
                .label("sessions in one server's memory")
                .related(*lb_span, format!("`{lb}` pins each user to one instance"))
                .help(format!(
                    "move sessions to a shared store (`session = sessions`, a cache) and drop stickiness on `{lb}`"
                ))
                .component(&c.name),
            );
        }
    }
}
