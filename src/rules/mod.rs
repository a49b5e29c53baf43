//! The design rules (RULES.md): one file per rule, each declaring its
//! documentation, metadata and check with [`declare_rule!`].
//!
//! Architecture invariant: rules read the model and the estimate and never
//! mutate either; the estimate is computed once and shared. Findings are
//! returned, not printed: configuration (severity overrides, `off`),
//! inline suppressions and baselines are applied afterwards by
//! [`check`].

pub mod config;
pub mod suppress;

mod cache_eviction;
mod cache_failure_overload;
mod cache_headroom;
mod cache_memory;
mod cache_ttl;
mod cache_write_heavy;
mod cdn_fallback;
mod cdn_invalidation;
mod cdn_ttl;
mod dc_data_sync;
mod dc_failover_capacity;
mod dns_failover_off;
mod failure;
mod figures;
mod geo_routing;
mod high_utilization;
mod hotspot_key;
mod manual_failover;
mod missing_lb;
mod modulo_sharding;
mod no_monitoring;
mod no_redundancy;
mod overload;
mod public_backend;
mod queue_backlog;
mod queue_consumer_dc;
mod queue_no_consumer;
mod reach;
mod shard_key_missing;
mod single_datacenter;
mod slo_availability;
mod slo_latency;
mod spof;
mod stateful_tier;
mod static_without_cdn;
mod sticky_sessions;
mod timeout_below_tail;
mod unmatched_traffic;
mod unused_component;
mod unused_replicas;
mod write_to_replica;

use crate::diagnostic::{Diagnostic, RuleInfo, sort_diagnostics};
use crate::estimate::Estimate;
use crate::model::Model;

/// Everything a rule may read.
pub struct Context<'a> {
    pub model: &'a Model,
    pub estimate: &'a Estimate,
}

/// A rule's metadata; [`declare_rule!`] implements it, so a rule file
/// only writes [`Rule::check`].
pub trait Info {
    fn info(&self) -> &'static RuleInfo;
}

pub trait Rule: Info + Sync {
    /// Appends this rule's findings, at the rule's default severity. A
    /// rule declared `needs traffic` is not run on a design without a
    /// `traffic` block.
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>);
}

/// Declares a rule: its doc comment becomes both the Rust documentation
/// and the text `archc explain` prints.
///
/// ```ignore
/// declare_rule! {
///     /// ## What it flags
///     /// …
///     pub struct CacheTtl = "cache-ttl", Warning, "cache", "give the cache a `ttl`";
/// }
/// ```
///
/// A rule whose every finding is computed from traffic figures ends the
/// declaration with `needs traffic;` and is skipped on a design without a
/// `traffic` block, instead of checking for it itself.
#[macro_export]
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        pub struct $name:ident = $id:literal, $sev:ident, $cat:literal, $fix:literal;
    ) => {
        $crate::declare_rule! { @ $(#[doc = $doc])* $name, $id, $sev, $cat, $fix, false }
    };
    (
        $(#[doc = $doc:literal])*
        pub struct $name:ident = $id:literal, $sev:ident, $cat:literal, $fix:literal; needs traffic;
    ) => {
        $crate::declare_rule! { @ $(#[doc = $doc])* $name, $id, $sev, $cat, $fix, true }
    };
    (@ $(#[doc = $doc:literal])* $name:ident, $id:literal, $sev:ident, $cat:literal, $fix:literal, $traffic:literal) => {
        $(#[doc = $doc])*
        pub struct $name;

        impl $name {
            pub const INFO: $crate::diagnostic::RuleInfo = $crate::diagnostic::RuleInfo {
                name: $id,
                severity: $crate::diagnostic::Severity::$sev,
                category: $cat,
                summary: $fix,
                doc: concat!($($doc, "\n"),*),
                needs_traffic: $traffic,
            };
        }

        impl $crate::rules::Info for $name {
            fn info(&self) -> &'static $crate::diagnostic::RuleInfo {
                &Self::INFO
            }
        }
    };
}

/// Every rule, in catalogue order (RULES.md).
pub static RULES: &[&dyn Rule] = &[
    // Redundancy.
    &spof::Spof,
    &no_redundancy::NoRedundancy,
    &single_datacenter::SingleDatacenter,
    &manual_failover::ManualFailover,
    &cache_failure_overload::CacheFailureOverload,
    // State.
    &stateful_tier::StatefulTier,
    &sticky_sessions::StickySessions,
    // Data tier.
    &write_to_replica::WriteToReplica,
    &unused_replicas::UnusedReplicas,
    &shard_key_missing::ShardKeyMissing,
    &modulo_sharding::ModuloSharding,
    &hotspot_key::HotspotKey,
    &dc_data_sync::DcDataSync,
    // Cache.
    &cache_ttl::CacheTtl,
    &cache_eviction::CacheEviction,
    &cache_memory::CacheMemory,
    &cache_headroom::CacheHeadroom,
    &cache_write_heavy::CacheWriteHeavy,
    // CDN.
    &cdn_ttl::CdnTtl,
    &cdn_fallback::CdnFallback,
    &cdn_invalidation::CdnInvalidation,
    &static_without_cdn::StaticWithoutCdn,
    // Network and exposure.
    &public_backend::PublicBackend,
    &missing_lb::MissingLb,
    &geo_routing::GeoRouting,
    &dns_failover_off::DnsFailoverOff,
    &unmatched_traffic::UnmatchedTraffic,
    // Capacity and objectives.
    &overload::Overload,
    &high_utilization::HighUtilization,
    &dc_failover_capacity::DcFailoverCapacity,
    &queue_no_consumer::QueueNoConsumer,
    &queue_backlog::QueueBacklog,
    &queue_consumer_dc::QueueConsumerDc,
    &slo_latency::SloLatency,
    &slo_availability::SloAvailability,
    &timeout_below_tail::TimeoutBelowTail,
    // Operations.
    &no_monitoring::NoMonitoring,
    &unused_component::UnusedComponent,
];

/// Compile-diagnostic names, for SARIF's rule index and `archc explain`:
/// generated from [`crate::codes::Code`].
pub static COMPILE_ERRORS: &[RuleInfo] = crate::codes::INFOS;

pub fn lookup(name: &str) -> Option<&'static dyn Rule> {
    RULES.iter().copied().find(|r| r.info().name == name)
}

/// Metadata of every lint rule followed by every compile-error name.
pub fn all_infos() -> Vec<RuleInfo> {
    RULES
        .iter()
        .map(|r| *r.info())
        .chain(COMPILE_ERRORS.iter().copied())
        .collect()
}

/// Runs every rule, applies severities from `config` and the inline
/// suppressions in the model's comments (as of `today`, `YYYY-MM-DD`), and
/// returns the findings in output order.
pub fn check(
    model: &Model,
    estimate: &Estimate,
    config: &config::Config,
    today: &str,
) -> Vec<Diagnostic> {
    let cx = Context { model, estimate };
    let mut out = Vec::new();
    for rule in RULES {
        let info = rule.info();
        let severity = match config.severity(info.name) {
            config::Level::Off => continue,
            config::Level::Default => info.severity,
            config::Level::Set(s) => s,
        };
        if info.needs_traffic && !estimate.has_traffic {
            continue;
        }
        let mut found = Vec::new();
        rule.check(&cx, &mut found);
        for mut d in found {
            // A rule may raise its own finding (hotspot-key's capacity
            // case); a configured severity still wins.
            if let config::Level::Set(s) = config.severity(info.name) {
                d.severity = s;
            } else if d.severity == info.severity {
                d.severity = severity;
            }
            out.push(d);
        }
    }
    let mut out = suppress::apply(model, out, today);
    sort_diagnostics(&mut out);
    out
}
