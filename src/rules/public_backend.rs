use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::model::Kind;

declare_rule! {
    /// ## What it flags
    /// A `service`, `cache`, `database`, `queue` or `storage` with
    /// `public = true`: reachable from the internet.
    ///
    /// ## Why it matters
    /// Only the edge — load balancers and CDNs — should face the internet.
    /// A public backend skips the load balancer's health checks and limits,
    /// and it exposes its port to every scanner: databases and caches
    /// reachable from the internet are among the most common causes of data
    /// leaks. Backends sit on private addresses, reached through the load
    /// balancer or by the services that call them.
    ///
    /// ## Example
    /// ```arch
    /// database photos { replicas = 1  public = true }
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// database photos { replicas = 1 }
    /// ```
    pub struct PublicBackend = "public-backend", Error, "network", "remove `public = true`; reach backends through the load balancer";
    position 1;
}

impl Rule for PublicBackend {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for (id, c) in cx.model.components.iter().enumerate() {
            let backend = matches!(
                c.kind,
                Kind::Service | Kind::Cache | Kind::Database | Kind::Queue | Kind::Storage
            );
            if !backend || !c.public.value {
                continue;
            }
            let callers: Vec<String> = cx
                .model
                .flows_to(id)
                .map(|(_, f)| format!("`{}`", cx.model.components[f.from].name))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            let reached = match callers.len() {
                0 => String::new(),
                1 => format!(", though only {} calls it", callers[0]),
                _ => format!(
                    ", though only {} call it",
                    super::failure::and_list(&callers)
                ),
            };
            out.push(
                Diagnostic::new(
                    Self::INFO.name,
                    Self::INFO.severity,
                    c.attr_or_name("public"),
                    format!(
                        "{} `{}` is public: it is reachable from the internet{reached}",
                        c.kind.as_str(),
                        c.name
                    ),
                )
                .label("a backend on a public address")
                .related(c.name_span, format!("{} declared here", c.kind.as_str()))
                .help(format!(
                    "remove `public = true` from `{}`; keep it on the private network",
                    c.name
                ))
                .component(&c.name),
            );
        }
    }
}
