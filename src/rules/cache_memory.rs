use super::figures::{bytes, count, pct};
use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::estimate::shards::{KeyDist, ShardSpec, keys_for_mass, top_mass};
use crate::model::Kind;
use std::collections::HashMap;

declare_rule! {
    /// ## What it flags
    /// (needs `traffic`) A `cache` with a `memory` whose copy cannot hold
    /// the keys its declared `hit_ratio` needs. The keys needed are the
    /// fewest most popular keys whose requests add up to the hit ratio,
    /// from the key distribution (`keys`, `key_count`, `hot_keys`) of the
    /// database the cache's flows lead to; each takes `item_size`. A copy
    /// holds `memory` × instances × (1 − `overprovision`).
    ///
    /// When a cache's flows lead to several databases, it needs the keys for
    /// its hit ratio on each, added up. The rule is silent for a cache with
    /// no database directly behind it (a session store) and for one without
    /// `memory`. Every copy of a cache has the same instances and memory,
    /// so the finding is reported once per cache.
    ///
    /// ## Why it matters
    /// A hit ratio is a promise about memory: 80% of reads are answered only
    /// if the keys that draw 80% of the reads are all in the cache. With a
    /// skewed (zipf) distribution that is a small fraction of the keys; with
    /// a uniform one it is 80% of them. If they do not fit, the cache evicts
    /// entries it needs again, the real hit ratio falls short, and the
    /// database behind it receives more traffic than it was sized for.
    ///
    /// ## Example
    /// ```arch
    /// cache hot { memory = 1GB  hit_ratio = 80%  item_size = 1KB }
    /// database users { keys = uniform  key_count = 10M }
    /// web -> hot -> users [read]
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// cache hot { replicas = 2  memory = 8GB  hit_ratio = 80%  item_size = 1KB  overprovision = 25% }
    /// ```
    pub struct CacheMemory = "cache-memory", Warning, "cache", "give the cache enough `memory` for its hit ratio, or lower `hit_ratio`"; needs traffic;
    position 3;
}

impl Rule for CacheMemory {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let m = cx.model;
        let mut behind: Vec<Vec<usize>> = vec![Vec::new(); m.components.len()];
        for f in &m.flows {
            if m.components[f.from].kind == Kind::Cache
                && m.components[f.to].kind == Kind::Database
                && !behind[f.from].contains(&f.to)
            {
                behind[f.from].push(f.to);
            }
        }
        let mut memo: HashMap<MemoKey, f64> = HashMap::new();
        for (id, c) in m.components.iter().enumerate() {
            let Some(cache) = c.cache() else { continue };
            let Some(memory) = &cache.memory else {
                continue;
            };
            if behind[id].is_empty() {
                continue;
            }
            let hit = cache.hit_ratio.value;
            let item = cache.item_size.value;
            let instances = c.min_instances().max(1);
            let headroom = cache.overprovision.value;
            let held = memory.value * f64::from(instances) * (1.0 - headroom);
            let specs: Vec<ShardSpec> = behind[id]
                .iter()
                .filter_map(|db| m.components[*db].database().map(|d| d.shard_spec()))
                .collect();
            let keys: f64 = specs
                .iter()
                .map(|s| {
                    // Many caches front databases of one key distribution;
                    // the search over it is done once per distribution.
                    *memo
                        .entry(memo_key(s, hit))
                        .or_insert_with(|| keys_needed(s, hit))
                })
                .sum();
            let needed = keys * item;
            if needed <= held {
                continue;
            }
            let names: Vec<String> = behind[id]
                .iter()
                .map(|db| format!("`{}`", m.components[*db].name))
                .collect();
            let fits_text = if let [spec] = specs.as_slice() {
                format!(
                    ", or lower `hit_ratio` to the {} that fits",
                    pct(mass_of_top(spec, (held / item).floor()))
                )
            } else {
                String::new()
            };
            let per_instance = needed / (f64::from(instances) * (1.0 - headroom).max(1e-9));
            let mut d = Diagnostic::new(
                Self::INFO.name,
                Self::INFO.severity,
                c.attr_or_name("memory"),
                format!(
                    "cache `{}` needs the {} most popular keys of {} to reach its {} hit ratio, {} at {} each, but a copy holds {} ({} × {instances} × (1 − {}))",
                    c.name,
                    count(keys),
                    names.join(" and "),
                    pct(hit),
                    bytes(needed),
                    bytes(item),
                    bytes(held),
                    bytes(memory.value),
                    pct(headroom),
                ),
            )
            .label(format!("{} per copy after headroom", bytes(held)))
            .help(format!(
                "give `{}` at least {} of `memory` per instance{fits_text}",
                c.name,
                bytes(per_instance)
            ))
            .component(&c.name);
            if let Some(span) = c.attr_span("hit_ratio") {
                d = d.related(span, "the hit ratio to reach");
            }
            if let [db] = behind[id].as_slice() {
                let dbc = &m.components[*db];
                let span = dbc
                    .attr_span("key_count")
                    .or_else(|| dbc.attr_span("keys"))
                    .unwrap_or(dbc.name_span);
                d = d.related(span, format!("the keys of `{}`", dbc.name));
            }
            out.push(d);
        }
    }
}

/// A key distribution and a mass, compared bit for bit.
type MemoKey = (Option<u64>, u64, Vec<u64>, u64);

fn memo_key(spec: &ShardSpec, mass: f64) -> MemoKey {
    (
        match spec.keys {
            KeyDist::Uniform => None,
            KeyDist::Zipf(s) => Some(s.to_bits()),
        },
        spec.key_count,
        spec.hot_keys.iter().map(|(_, v)| v.to_bits()).collect(),
        mass.to_bits(),
    )
}

/// The hot keys, heaviest first, and the share left to the distribution.
fn hot_and_rest(spec: &ShardSpec) -> (Vec<f64>, f64) {
    let mut hot: Vec<f64> = spec.hot_keys.iter().map(|(_, s)| *s).collect();
    hot.sort_by(|a, b| b.total_cmp(a));
    let rest = (1.0 - hot.iter().sum::<f64>()).max(0.0);
    (hot, rest)
}

/// The fewest keys whose requests add up to `mass`: the heaviest `j` hot
/// keys plus the most popular ranks, for the best `j` (any set of keys is
/// at most as heavy as that mix of the same size).
pub fn keys_needed(spec: &ShardSpec, mass: f64) -> f64 {
    let (hot, rest) = hot_and_rest(spec);
    let mut best = f64::INFINITY;
    let mut covered = 0.0;
    for j in 0..=hot.len() {
        if j > 0 {
            covered += hot[j - 1];
        }
        let n = if covered >= mass - 1e-12 {
            j as f64
        } else if rest > 0.0 {
            let need = (mass - covered) / rest;
            if need > 1.0 + 1e-12 {
                continue;
            }
            j as f64 + keys_for_mass(spec.keys, spec.key_count, need) as f64
        } else {
            continue;
        };
        best = best.min(n);
    }
    if best.is_finite() {
        best
    } else {
        (spec.key_count.max(1) + hot.len() as u64) as f64
    }
}

/// The share of requests the `n` most popular keys draw.
fn mass_of_top(spec: &ShardSpec, n: f64) -> f64 {
    let (hot, rest) = hot_and_rest(spec);
    let mut best: f64 = 0.0;
    let mut covered = 0.0;
    for j in 0..=hot.len() {
        if j > 0 {
            covered += hot[j - 1];
        }
        if j as f64 > n {
            break;
        }
        let ranks = (n - j as f64).max(0.0) as u64;
        best = best.max(covered + rest * top_mass(spec.keys, spec.key_count, ranks));
    }
    best.min(1.0)
}
