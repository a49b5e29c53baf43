use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::model::Kind;

declare_rule! {
    /// ## What it flags
    /// A component nothing sends requests to: no flow reaches it and it
    /// consumes no queue. A `client` is where traffic starts and is never
    /// flagged. In a design without clients the components no flow reaches
    /// are its entry points (LANGUAGE.md §6), so there only a component
    /// with no flows at all — none in, none out, no queue — is flagged:
    /// it is taken as an entry point and given an equal part of the
    /// traffic, which is rarely what its author meant.
    ///
    /// ## Why it matters
    /// A component declared and never wired in is usually a flow someone
    /// forgot (`browsers -> assets` for a `cdn`): every figure archc gives
    /// for it is zero, the rules that would judge it see no traffic, and
    /// the deployment files still pay for it. If it is wired elsewhere,
    /// the design does not say so.
    ///
    /// ## Example
    /// ```arch
    /// client browsers
    /// cdn assets { ttl = 1d  hit_ratio = 90% }
    /// service web
    /// browsers -> web
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// client browsers
    /// cdn assets { ttl = 1d  hit_ratio = 90% }
    /// service web
    /// browsers -> assets [static]
    /// browsers -> web
    /// ```
    pub struct UnusedComponent = "unused-component", Warning, "network", "add the flow that reaches the component, or remove it";
    position 6;
}

impl Rule for UnusedComponent {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let m = cx.model;
        let has_clients = m.components.iter().any(|c| c.kind == Kind::Client);
        for (id, comp) in m.components.iter().enumerate() {
            if comp.kind == Kind::Client || m.flows_to(id).next().is_some() {
                continue;
            }
            if comp.service().is_some_and(|s| s.consumes.is_some()) {
                continue;
            }
            let calls_out = m.flows_from(id).next().is_some();
            let message = if has_clients {
                format!(
                    "no flow reaches `{}`: it receives no traffic, and every figure for it is zero",
                    comp.name
                )
            } else if !calls_out && m.components.len() > 1 {
                format!(
                    "`{}` has no flows: with no `client` it is taken as an entry point and gets an equal part of the traffic",
                    comp.name
                )
            } else {
                continue;
            };
            let help = match m.components.iter().find(|c| c.kind == Kind::Client) {
                Some(client) => format!(
                    "add the flow that reaches it (`{} -> {}`), or remove `{}`",
                    client.name, comp.name, comp.name
                ),
                None => format!("connect `{}` with a flow, or remove it", comp.name),
            };
            out.push(
                Diagnostic::new(
                    Self::INFO.name,
                    Self::INFO.severity,
                    comp.name_span,
                    message,
                )
                .label("nothing calls this")
                .help(help)
                .component(&comp.name),
            );
        }
    }
}
