use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::model::Invalidation;

declare_rule! {
    /// ## What it flags
    /// A `cdn` with `invalidation = none` (the default).
    ///
    /// ## Why it matters
    /// Assets change: a new release ships new JavaScript, a user replaces a
    /// photo. Without a way to invalidate, the edges keep serving the old
    /// file until its TTL runs out — a day of broken pages when the new HTML
    /// expects the new script. Content-hashed file names (`versioning`)
    /// make every change a new URL; an invalidation `api` purges on demand.
    ///
    /// ## Example
    /// ```arch
    /// cdn assets { ttl = 1d }
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// cdn assets { ttl = 1d  invalidation = versioning }
    /// ```
    pub struct CdnInvalidation = "cdn-invalidation", Info, "cdn", "plan invalidation: `invalidation = versioning` or `api`";
    position 3;
}

impl Rule for CdnInvalidation {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for c in &cx.model.components {
            let Some(cdn) = c.cdn() else { continue };
            if cdn.invalidation.value != Invalidation::None {
                continue;
            }
            let ttl = cdn
                .ttl
                .as_ref()
                .map(|t| {
                    format!(
                        " for up to its `ttl` of {}",
                        super::figures::target_secs(t.value)
                    )
                })
                .unwrap_or_default();
            out.push(
                Diagnostic::new(
                    Self::INFO.name,
                    Self::INFO.severity,
                    c.attr_or_name("invalidation"),
                    format!(
                        "cdn `{}` has no invalidation: a changed asset stays stale at the edges{ttl}",
                        c.name
                    ),
                )
                .label(if cdn.invalidation.is_default() {
                    "no `invalidation` given: `none` by default"
                } else {
                    "no invalidation"
                })
                .help(format!(
                    "set `invalidation = versioning` (content-hashed file names) or `api` on `{}`",
                    c.name
                ))
                .component(&c.name),
            );
        }
    }
}
