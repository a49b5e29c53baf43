//! Key placement over database shards (LANGUAGE.md §9).
//!
//! Keys of a distribution are named `"1"`, `"2"`, … by rank and hashed with
//! XXH64 (seed 0) of their UTF-8 bytes. The top [`EXACT_RANKS`] ranks, the
//! `hot_keys` and the `dedicated` keys are placed one by one; the rest of the
//! distribution's mass is spread over the hashed shards in proportion to the
//! share of a random key each one would receive.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;

use xxhash_rust::xxh64::xxh64;

/// Ranks placed key by key; the mass of the ranks above is spread in proportion.
pub const EXACT_RANKS: u64 = 100_000;
/// Virtual nodes per shard on the `consistent` ring.
pub const VNODES_PER_SHARD: u32 = 100;
/// How many of the heaviest keys a [`ShardLoad`] lists.
pub const HEAVIEST_LISTED: usize = 5;
/// Zipf partial sums are exact below this rank and Euler–Maclaurin from it on.
const EM_START: u64 = 1_000;

// The vocabulary (how keys map to shards, their distribution, a
// database's layout) belongs to the model; this module computes with it.
pub use crate::model::{KeyDist, ShardSpec, Sharding};

/// The load of one shard.
#[derive(Clone, Debug, PartialEq)]
pub struct ShardLoad {
    /// 0-based; dedicated shards are numbered after the K hashed ones.
    pub index: usize,
    /// The key a dedicated shard holds; `None` for a hashed shard.
    pub dedicated_key: Option<String>,
    /// Fraction of the database's requests.
    pub share: f64,
    /// Up to 5 heaviest keys on the shard with their share, heaviest first
    /// (ties by name).
    pub heaviest: Vec<(String, f64)>,
}

/// Every shard's load: the K hashed shards, then the dedicated ones.
#[derive(Clone, Debug, PartialEq)]
pub struct Placement {
    /// Indexed by shard index.
    pub shards: Vec<ShardLoad>,
}

impl Placement {
    /// The hashed (not dedicated) shards.
    pub fn hashed(&self) -> impl Iterator<Item = &ShardLoad> {
        self.shards.iter().filter(|s| s.dedicated_key.is_none())
    }

    /// The hashed shard with the largest share (lowest index on ties).
    pub fn hottest_hashed(&self) -> Option<&ShardLoad> {
        self.hashed()
            .fold(None, |best: Option<&ShardLoad>, s| match best {
                Some(b) if b.share >= s.share => Some(b),
                _ => Some(s),
            })
    }
}

/// Places the keys of `spec` on its shards (§9).
pub fn place(spec: &ShardSpec) -> Placement {
    let router = Router::new(spec);
    let k = router.shards();
    let n = router.key_count;
    let m = n.min(EXACT_RANKS);

    // Dedicated shards, first occurrence of a name wins.
    let mut dedicated: HashMap<&str, usize> = HashMap::new();
    let mut dedicated_names: Vec<&str> = Vec::new();
    for d in &spec.dedicated {
        if !dedicated.contains_key(d.as_str()) {
            dedicated.insert(d.as_str(), k + dedicated_names.len());
            dedicated_names.push(d.as_str());
        }
    }
    let total_shards = k + dedicated_names.len();

    // Hot keys (duplicates add up); ordered so sums are deterministic.
    let mut hot: BTreeMap<&str, f64> = BTreeMap::new();
    for (name, share) in &spec.hot_keys {
        *hot.entry(name.as_str()).or_insert(0.0) += *share;
    }
    let hot_sum: f64 = hot.values().sum();
    let rest = (1.0 - hot_sum).max(0.0);
    let dist = Dist::new(spec.keys, n);

    let mut shares = vec![0.0_f64; total_shards];
    let mut tops: Vec<Vec<(String, f64)>> = vec![Vec::new(); total_shards];
    let mut offer = |shard: usize, name: &str, share: f64| {
        shares[shard] += share;
        if share > 0.0 || shard >= k {
            offer_heavy(&mut tops[shard], name, share);
        }
    };

    // The top ranks, one by one.
    let mut name = String::new();
    for r in 1..=m {
        name.clear();
        let _ = write!(name, "{r}");
        let mut share = rest * dist.prob(r);
        if let Some(h) = hot.get(name.as_str()) {
            share += *h;
        }
        let shard = match dedicated.get(name.as_str()) {
            Some(&d) => d,
            None => router.shard_of_rank_name(r, &name),
        };
        offer(shard, &name, share);
    }

    // Named keys not among the top ranks: hot keys, dedicated keys. A name
    // that is a rank above the top ones takes its mass out of the tail.
    let mut tail_taken = vec![0.0_f64; k];
    let named: BTreeSet<&str> = hot
        .keys()
        .copied()
        .chain(dedicated_names.iter().copied())
        .collect();
    for key in named {
        let rank = parse_rank(key, n);
        if rank.is_some_and(|r| r <= m) {
            continue;
        }
        let dist_part = rank.map_or(0.0, |r| rest * dist.prob(r));
        let share = hot.get(key).copied().unwrap_or(0.0) + dist_part;
        let home = router.shard_of_key(key);
        tail_taken[home] += dist_part;
        let shard = dedicated.get(key).copied().unwrap_or(home);
        offer(shard, key, share);
    }

    // The ranks above the top ones, in proportion.
    if n > m {
        let tail = rest * dist.tail_prob(m);
        for (i, w) in router.tail_weights(m, spec.keys).into_iter().enumerate() {
            shares[i] += (tail * w - tail_taken[i]).max(0.0);
        }
    }

    let shards = shares
        .into_iter()
        .zip(tops)
        .enumerate()
        .map(|(index, (share, heaviest))| ShardLoad {
            index,
            dedicated_key: index.checked_sub(k).map(|d| dedicated_names[d].to_string()),
            share,
            heaviest,
        })
        .collect();
    Placement { shards }
}

/// Inserts `(name, share)` into a list kept heaviest first, names ascending
/// on ties, at most [`HEAVIEST_LISTED`] long.
fn offer_heavy(top: &mut Vec<(String, f64)>, name: &str, share: f64) {
    let before = |e: &(String, f64)| {
        share
            .total_cmp(&e.1)
            .then_with(|| e.0.as_str().cmp(name))
            .is_lt()
    };
    let pos = top.partition_point(before);
    if pos < HEAVIEST_LISTED {
        top.insert(pos, (name.to_string(), share));
        top.truncate(HEAVIEST_LISTED);
    }
}

/// The rank a key name stands for: canonical decimal (no sign, no leading
/// zero) in `1..=key_count`.
fn parse_rank(name: &str, key_count: u64) -> Option<u64> {
    let b = name.as_bytes();
    if b.is_empty() || b[0] == b'0' || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    name.parse::<u64>().ok().filter(|&r| r <= key_count)
}

/// Normalised probabilities of the ranks of a distribution.
struct Dist {
    keys: KeyDist,
    n: u64,
    /// Σ weights over `1..=n`.
    norm: f64,
}

impl Dist {
    fn new(keys: KeyDist, n: u64) -> Dist {
        let norm = match keys {
            KeyDist::Uniform => n as f64,
            KeyDist::Zipf(s) => zipf_norm(s, n),
        };
        Dist { keys, n, norm }
    }

    fn prob(&self, r: u64) -> f64 {
        match self.keys {
            KeyDist::Uniform => 1.0 / self.norm,
            KeyDist::Zipf(s) => zipf_weight(s, r) / self.norm,
        }
    }

    /// Probability of the ranks above `m`.
    fn tail_prob(&self, m: u64) -> f64 {
        if m >= self.n {
            return 0.0;
        }
        match self.keys {
            KeyDist::Uniform => (self.n - m) as f64 / self.norm,
            KeyDist::Zipf(s) => zipf_range_sum(s, m + 1, self.n) / self.norm,
        }
    }
}

/// `r^-s`, exactly `1/r` when `s == 1`.
fn zipf_weight(s: f64, r: u64) -> f64 {
    if s == 1.0 {
        1.0 / r as f64
    } else {
        (r as f64).powf(-s)
    }
}

/// The Zipf normaliser `Σ_{r=1}^{key_count} r^-s`: the first
/// [`EXACT_RANKS`] terms summed exactly, the rest by Euler–Maclaurin.
pub fn zipf_norm(s: f64, key_count: u64) -> f64 {
    let n = key_count.max(1);
    let m = n.min(EXACT_RANKS);
    let head: f64 = (1..=m).rev().map(|r| zipf_weight(s, r)).sum();
    head + zipf_range_sum(s, m + 1, n)
}

/// `Σ_{r=a}^{b} r^-s`: exact below [`EM_START`], Euler–Maclaurin from there.
fn zipf_range_sum(s: f64, a: u64, b: u64) -> f64 {
    if a > b || a == 0 {
        return 0.0;
    }
    let em_from = a.max(EM_START);
    let exact_to = b.min(em_from - 1);
    let mut sum = 0.0;
    if a <= exact_to {
        sum += (a..=exact_to).rev().map(|r| zipf_weight(s, r)).sum::<f64>();
    }
    if em_from <= b {
        sum += euler_maclaurin(s, em_from, b);
    }
    sum
}

/// Euler–Maclaurin for `Σ_{r=a}^{b} r^-s` with three correction terms; the
/// remainder is below `s^5 a^(-s-5) / 30240`, negligible for `a ≥ 1000`.
fn euler_maclaurin(s: f64, a: u64, b: u64) -> f64 {
    let (af, bf) = (a as f64, b as f64);
    // ∫_a^b x^-s dx = a^(1-s) · L · (e^t − 1)/t with L = ln(b/a), t = (1−s)L;
    // exact for s = 1 and free of cancellation near it.
    let l = ((b - a) as f64 / af).ln_1p();
    let t = (1.0 - s) * l;
    let g = if t == 0.0 { 1.0 } else { t.exp_m1() / t };
    let integral = af.powf(1.0 - s) * l * g;
    let f = |x: f64| x.powf(-s);
    let c1 = -s;
    let c3 = c1 * (s + 1.0) * (s + 2.0);
    let c5 = c3 * (s + 3.0) * (s + 4.0);
    let d = |c: f64, p: f64| c * (bf.powf(-s - p) - af.powf(-s - p));
    integral + (f(af) + f(bf)) / 2.0 + d(c1, 1.0) / 12.0 - d(c3, 3.0) / 720.0
        + d(c5, 5.0) / 30_240.0
}

/// Which of the K hashed shards a key lands on.
#[derive(Clone, Debug)]
pub struct Router {
    k: u32,
    key_count: u64,
    kind: RouterKind,
}

#[derive(Clone, Debug)]
enum RouterKind {
    Hash,
    /// Ring points ascending, and the shard owning each.
    Consistent {
        points: Vec<u64>,
        owners: Vec<u32>,
    },
    Range,
}

impl Router {
    /// Builds the router of `spec` (the ring, for `consistent`).
    pub fn new(spec: &ShardSpec) -> Router {
        let k = spec.shards.max(1);
        let kind = match spec.sharding {
            Sharding::Hash => RouterKind::Hash,
            Sharding::Range => RouterKind::Range,
            Sharding::Consistent => {
                let mut ring: Vec<(u64, u32)> = Vec::with_capacity((k * VNODES_PER_SHARD) as usize);
                let mut name = String::new();
                for i in 0..k {
                    for j in 0..VNODES_PER_SHARD {
                        name.clear();
                        let _ = write!(name, "shard-{i}-{j}");
                        ring.push((xxh64(name.as_bytes(), 0), i));
                    }
                }
                ring.sort_unstable();
                let (points, owners) = ring.into_iter().unzip();
                RouterKind::Consistent { points, owners }
            }
        };
        Router {
            k,
            key_count: spec.key_count.max(1),
            kind,
        }
    }

    /// K, the number of hashed shards.
    pub fn shards(&self) -> usize {
        self.k as usize
    }

    /// The shard of the key of rank `rank` (named by its decimal).
    pub fn shard_of_rank(&self, rank: u64) -> usize {
        match self.kind {
            RouterKind::Range => self.range_shard(rank),
            _ => self.shard_of_hash(xxh64(rank.to_string().as_bytes(), 0)),
        }
    }

    /// The shard of a key by name; for `range`, a name that is not a rank
    /// of the distribution ranks before `"1"`.
    pub fn shard_of_key(&self, key: &str) -> usize {
        match self.kind {
            RouterKind::Range => parse_rank(key, self.key_count).map_or(0, |r| self.range_shard(r)),
            _ => self.shard_of_hash(xxh64(key.as_bytes(), 0)),
        }
    }

    /// [`Router::shard_of_rank`] when the decimal name is at hand.
    fn shard_of_rank_name(&self, rank: u64, name: &str) -> usize {
        match self.kind {
            RouterKind::Range => self.range_shard(rank),
            _ => self.shard_of_hash(xxh64(name.as_bytes(), 0)),
        }
    }

    fn shard_of_hash(&self, h: u64) -> usize {
        match &self.kind {
            RouterKind::Consistent { points, owners } => {
                let i = points.partition_point(|&p| p < h);
                owners.get(i).or(owners.first()).map_or(0, |&o| o as usize)
            }
            _ => (h % u64::from(self.k)) as usize,
        }
    }

    /// Rank `r` (1-based) goes to `⌊(r−1)·K/N⌋`; rank 0 (before `"1"`) to 0.
    fn range_shard(&self, rank: u64) -> usize {
        if rank == 0 {
            return 0;
        }
        let r = u128::from(rank.min(self.key_count) - 1);
        (r * u128::from(self.k) / u128::from(self.key_count)) as usize
    }

    /// The fraction of the mass of the ranks above `m` that each hashed
    /// shard receives — the chance that a random key drawn from there lands
    /// on it: `1/K` for hash, its arcs' length for consistent, the mass of
    /// its overlap with those ranks for range.
    fn tail_weights(&self, m: u64, keys: KeyDist) -> Vec<f64> {
        let k = self.shards();
        match &self.kind {
            RouterKind::Hash => vec![1.0 / k as f64; k],
            RouterKind::Consistent { points, owners } => {
                let mut arcs = vec![0_u128; k];
                let len = points.len();
                for i in 0..len {
                    let prev = points[(i + len - 1) % len];
                    let arc = if len == 1 {
                        1_u128 << 64
                    } else {
                        u128::from(points[i].wrapping_sub(prev))
                    };
                    arcs[owners[i] as usize] += arc;
                }
                let total: u128 = arcs.iter().sum();
                if total == 0 {
                    return vec![1.0 / k as f64; k];
                }
                arcs.into_iter().map(|a| a as f64 / total as f64).collect()
            }
            RouterKind::Range => {
                let n = u128::from(self.key_count);
                let kk = u128::from(self.k);
                let above = u128::from(m) + 1;
                let masses: Vec<f64> = (0..kk)
                    .map(|i| {
                        let lo = ((i * n).div_ceil(kk) + 1).max(above);
                        let hi = ((i + 1) * n).div_ceil(kk).min(n);
                        if hi < lo {
                            return 0.0;
                        }
                        // Both bounds are at most key_count, a u64.
                        let (lo, hi) = (lo as u64, hi as u64);
                        match keys {
                            KeyDist::Uniform => (hi - lo + 1) as f64,
                            KeyDist::Zipf(s) => zipf_range_sum(s, lo, hi),
                        }
                    })
                    .collect();
                let total: f64 = masses.iter().sum();
                if total.is_nan() || total <= 0.0 {
                    return vec![0.0; k];
                }
                masses.into_iter().map(|w| w / total).collect()
            }
        }
    }
}

/// Draws shards for the simulator with the shares of [`place`].
///
/// Inverse CDF over the shards' masses: since only the shard is returned,
/// this is the same law as drawing a key and routing it, at `O(log shards)`.
#[derive(Clone, Debug)]
pub struct ShardSampler {
    cumulative: Vec<f64>,
    last_positive: usize,
}

impl ShardSampler {
    /// Builds the sampler of `spec`.
    pub fn new(spec: &ShardSpec) -> Self {
        Self::from_placement(&place(spec))
    }

    /// Builds a sampler from an already computed placement.
    pub fn from_placement(placement: &Placement) -> Self {
        let mut acc = 0.0;
        let mut last_positive = 0;
        let cumulative = placement
            .shards
            .iter()
            .enumerate()
            .map(|(i, s)| {
                if s.share > 0.0 {
                    acc += s.share;
                    last_positive = i;
                }
                acc
            })
            .collect();
        ShardSampler {
            cumulative,
            last_positive,
        }
    }

    /// The shard index (dedicated ones included) for `u` uniform in `[0, 1)`.
    pub fn sample(&self, u: f64) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        if total.is_nan() || total <= 0.0 {
            return 0;
        }
        let target = u.clamp(0.0, 1.0) * total;
        let i = self.cumulative.partition_point(|&c| c <= target);
        if i >= self.cumulative.len() {
            self.last_positive
        } else {
            i
        }
    }
}

/// Placements computed once per distinct spec.
#[derive(Default, Debug)]
pub struct PlacementCache {
    map: HashMap<CacheKey, Arc<Placement>>,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct CacheKey {
    shards: u32,
    sharding: Sharding,
    keys: Option<u64>,
    key_count: u64,
    hot_keys: Vec<(String, u64)>,
    dedicated: Vec<String>,
}

impl PlacementCache {
    /// The placement of `spec`, computed on first request.
    pub fn get(&mut self, spec: &ShardSpec) -> Arc<Placement> {
        let key = CacheKey {
            shards: spec.shards,
            sharding: spec.sharding,
            keys: match spec.keys {
                KeyDist::Uniform => None,
                KeyDist::Zipf(s) => Some(s.to_bits()),
            },
            key_count: spec.key_count,
            hot_keys: spec
                .hot_keys
                .iter()
                .map(|(k, v)| (k.clone(), v.to_bits()))
                .collect(),
            dedicated: spec.dedicated.clone(),
        };
        Arc::clone(self.map.entry(key).or_insert_with(|| Arc::new(place(spec))))
    }

    /// Distinct placements held.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether nothing has been computed yet.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// Share of the requests that go to the `n` most popular keys of the
/// distribution (hot keys aside).
pub fn top_mass(keys: KeyDist, key_count: u64, n: u64) -> f64 {
    let total = key_count.max(1);
    let norm = match keys {
        KeyDist::Uniform => total as f64,
        KeyDist::Zipf(s) => zipf_range_sum(s, 1, total),
    };
    top_mass_with(keys, total, norm, n)
}

fn top_mass_with(keys: KeyDist, total: u64, norm: f64, n: u64) -> f64 {
    let n = n.min(total);
    if n == 0 {
        return 0.0;
    }
    if n == total {
        return 1.0;
    }
    match keys {
        KeyDist::Uniform => n as f64 / norm,
        KeyDist::Zipf(s) => zipf_range_sum(s, 1, n) / norm,
    }
}

/// The fewest most-popular keys whose [`top_mass`] reaches `mass` (all
/// keys when `mass ≥ 1`, none when `mass ≤ 0`).
pub fn keys_for_mass(keys: KeyDist, key_count: u64, mass: f64) -> u64 {
    let total = key_count.max(1);
    if mass.is_nan() || mass <= 0.0 {
        return 0;
    }
    let norm = match keys {
        KeyDist::Uniform => total as f64,
        KeyDist::Zipf(s) => zipf_range_sum(s, 1, total),
    };
    // Invariant: top_mass(lo) < mass, top_mass(hi) ≥ mass (or hi = total).
    let (mut lo, mut hi) = (0_u64, total);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if top_mass_with(keys, total, norm, mid) >= mass {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

/// Fraction of keys that move when growing from K to K+1 shards: hash
/// `K/(K+1)`, consistent `1/(K+1)`, range (K equal ranges re-cut into K+1)
/// one half.
pub fn moved_fraction(sharding: Sharding, k: u32) -> f64 {
    let k = f64::from(k.max(1));
    match sharding {
        Sharding::Hash => k / (k + 1.0),
        Sharding::Consistent => 1.0 / (k + 1.0),
        Sharding::Range => 0.5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PP: f64 = 0.005;

    /// Reference XXH64 for inputs shorter than 32 bytes, written from the
    /// xxHash specification.
    fn ref_xxh64_short(input: &[u8]) -> u64 {
        const P1: u64 = 0x9E37_79B1_85EB_CA87;
        const P2: u64 = 0xC2B2_AE3D_27D4_EB4F;
        const P3: u64 = 0x1656_67B1_9E37_79F9;
        const P4: u64 = 0x85EB_CA77_C2B2_AE63;
        const P5: u64 = 0x27D4_EB2F_1656_67C5;
        assert!(input.len() < 32);
        let mut h = P5.wrapping_add(input.len() as u64);
        let mut rest = input;
        while rest.len() >= 8 {
            let mut w = [0u8; 8];
            w.copy_from_slice(&rest[..8]);
            let k1 = u64::from_le_bytes(w)
                .wrapping_mul(P2)
                .rotate_left(31)
                .wrapping_mul(P1);
            h = (h ^ k1).rotate_left(27).wrapping_mul(P1).wrapping_add(P4);
            rest = &rest[8..];
        }
        if rest.len() >= 4 {
            let mut w = [0u8; 4];
            w.copy_from_slice(&rest[..4]);
            h ^= u64::from(u32::from_le_bytes(w)).wrapping_mul(P1);
            h = h.rotate_left(23).wrapping_mul(P2).wrapping_add(P3);
            rest = &rest[4..];
        }
        for &b in rest {
            h ^= u64::from(b).wrapping_mul(P5);
            h = h.rotate_left(11).wrapping_mul(P1);
        }
        h ^= h >> 33;
        h = h.wrapping_mul(P2);
        h ^= h >> 29;
        h = h.wrapping_mul(P3);
        h ^ (h >> 32)
    }

    fn spec(k: u32, sharding: Sharding, keys: KeyDist, key_count: u64) -> ShardSpec {
        ShardSpec {
            shards: k,
            sharding,
            keys,
            key_count,
            hot_keys: Vec::new(),
            dedicated: Vec::new(),
        }
    }

    fn shares(p: &Placement) -> Vec<f64> {
        p.shards.iter().map(|s| s.share).collect()
    }

    fn assert_close(got: &[f64], want: &[f64], tol: f64) {
        assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!(
                (g - w).abs() <= tol,
                "shard {i}: {g} vs {w}\n{got:?}\n{want:?}"
            );
        }
    }

    /// Test-side ring: sorted points, first at or after h, wrapping.
    fn test_ring(k: u32) -> Vec<(u64, usize)> {
        let mut ring: Vec<(u64, usize)> = (0..k)
            .flat_map(|i| (0..100).map(move |j| (i, j)))
            .map(|(i, j)| {
                (
                    ref_xxh64_short(format!("shard-{i}-{j}").as_bytes()),
                    i as usize,
                )
            })
            .collect();
        ring.sort();
        ring
    }

    fn ring_lookup(ring: &[(u64, usize)], h: u64) -> usize {
        let i = ring.partition_point(|&(p, _)| p < h);
        ring[i % ring.len()].1
    }

    /// Shares by a direct loop over every key, independent of the module.
    fn brute_shares(k: u32, sharding: Sharding, keys: KeyDist, n: u64) -> Vec<f64> {
        let ring = test_ring(k);
        let mut out = vec![0.0; k as usize];
        let mut total = 0.0;
        for r in 1..=n {
            let w = match keys {
                KeyDist::Uniform => 1.0,
                KeyDist::Zipf(s) => 1.0 / (r as f64).powf(s),
            };
            let name = r.to_string();
            let shard = match sharding {
                Sharding::Hash => (ref_xxh64_short(name.as_bytes()) % u64::from(k)) as usize,
                Sharding::Consistent => ring_lookup(&ring, ref_xxh64_short(name.as_bytes())),
                Sharding::Range => ((r - 1) * u64::from(k) / n) as usize,
            };
            out[shard] += w;
            total += w;
        }
        out.iter().map(|w| w / total).collect()
    }

    #[test]
    fn xxh64_known_values() {
        assert_eq!(xxh64(b"", 0), 0xEF46_DB37_51D8_E999);
        assert_eq!(xxh64(b"a", 0), 0xD24E_C4F1_A98C_6E5B);
        assert_eq!(xxh64(b"abc", 0), 0x44BC_2CF5_AD77_0999);
        for s in [
            "",
            "a",
            "abc",
            "1",
            "99999",
            "shard-7-99",
            "celebrity",
            "0123456789abcdefghijklmnopqrs",
        ] {
            assert_eq!(xxh64(s.as_bytes(), 0), ref_xxh64_short(s.as_bytes()), "{s}");
        }
    }

    #[test]
    fn router_matches_definitions() {
        let ring = test_ring(5);
        let hash = Router::new(&spec(5, Sharding::Hash, KeyDist::Uniform, 1000));
        let cons = Router::new(&spec(5, Sharding::Consistent, KeyDist::Uniform, 1000));
        // Brute-force ring: the smallest point ≥ h, else the smallest point.
        let brute = |h: u64| {
            ring.iter()
                .filter(|&&(p, _)| p >= h)
                .min()
                .or(ring.iter().min())
                .map(|&(_, o)| o)
        };
        for r in 1..=2000_u64 {
            let h = ref_xxh64_short(r.to_string().as_bytes());
            assert_eq!(hash.shard_of_rank(r), (h % 5) as usize);
            assert_eq!(Some(cons.shard_of_rank(r)), brute(h));
            assert_eq!(cons.shard_of_key(&r.to_string()), cons.shard_of_rank(r));
        }
        // Wrap-around: a hash above every point goes to the first point.
        assert_eq!(Some(cons.shard_of_hash(u64::MAX)), brute(u64::MAX));
        let range = Router::new(&spec(4, Sharding::Range, KeyDist::Uniform, 10));
        let got: Vec<usize> = (1..=10).map(|r| range.shard_of_rank(r)).collect();
        assert_eq!(got, [0, 0, 0, 1, 1, 2, 2, 2, 3, 3]);
        assert_eq!(range.shard_of_key("vip"), 0);
        assert_eq!(range.shard_of_key("010"), 0);
        assert_eq!(range.shard_of_key("10"), 3);
    }

    #[test]
    fn small_design_by_hand() {
        // K = 2, 4 uniform keys, a hot key with half the requests on a
        // dedicated shard: each rank key is 1/8 on its hashed shard.
        let mut s = spec(2, Sharding::Hash, KeyDist::Uniform, 4);
        s.hot_keys = vec![("celebrity".into(), 0.5)];
        s.dedicated = vec!["celebrity".into()];
        let p = place(&s);
        let mut want = vec![0.0, 0.0, 0.5];
        for r in ["1", "2", "3", "4"] {
            want[(ref_xxh64_short(r.as_bytes()) % 2) as usize] += 0.125;
        }
        assert_close(&shares(&p), &want, 1e-12);
        assert_eq!(p.shards[2].dedicated_key.as_deref(), Some("celebrity"));
        assert_eq!(p.shards[2].heaviest, vec![("celebrity".to_string(), 0.5)]);
        assert_eq!(p.shards[0].dedicated_key, None);

        // Zipf(1) over 3 keys, K = 1: one shard, heaviest "1", "2", "3".
        let p = place(&spec(1, Sharding::Hash, KeyDist::Zipf(1.0), 3));
        let h = 1.0 + 0.5 + 1.0 / 3.0;
        assert_close(&shares(&p), &[1.0], 1e-12);
        let names: Vec<&str> = p.shards[0]
            .heaviest
            .iter()
            .map(|(n, _)| n.as_str())
            .collect();
        assert_eq!(names, ["1", "2", "3"]);
        assert!((p.shards[0].heaviest[1].1 - 0.5 / h).abs() < 1e-12);
    }

    #[test]
    fn exact_50k_matches_direct_loop() {
        for sharding in [Sharding::Hash, Sharding::Consistent, Sharding::Range] {
            for keys in [KeyDist::Zipf(1.1), KeyDist::Zipf(0.8), KeyDist::Uniform] {
                let p = place(&spec(8, sharding, keys, 50_000));
                let want = brute_shares(8, sharding, keys, 50_000);
                // All keys are exact here, so agreement is to rounding.
                assert_close(&shares(&p), &want, 1e-9);
            }
        }
    }

    #[test]
    fn one_million_zipf_matches_direct_loop() {
        for sharding in [Sharding::Hash, Sharding::Consistent, Sharding::Range] {
            let p = place(&spec(8, sharding, KeyDist::Zipf(1.1), 1_000_000));
            let want = brute_shares(8, sharding, KeyDist::Zipf(1.1), 1_000_000);
            assert_close(&shares(&p), &want, PP);
            assert!((shares(&p).iter().sum::<f64>() - 1.0).abs() < 1e-9);
        }
    }

    #[test]
    fn uniform_spreads_evenly() {
        for n in [50_000, 1_000_000, 1_000_000_000] {
            let p = place(&spec(8, Sharding::Hash, KeyDist::Uniform, n));
            assert_close(&shares(&p), &[0.125; 8], PP);
            let p = place(&spec(8, Sharding::Range, KeyDist::Uniform, n));
            assert_close(&shares(&p), &[0.125; 8], 1e-9);
        }
        // Consistent: uniform keys follow the ring's arcs.
        let ring = test_ring(8);
        let mut arcs = vec![0.0; 8];
        for (i, &(p, o)) in ring.iter().enumerate() {
            let prev = ring[(i + ring.len() - 1) % ring.len()].0;
            arcs[o] += p.wrapping_sub(prev) as f64 / 2f64.powi(64);
        }
        let p = place(&spec(
            8,
            Sharding::Consistent,
            KeyDist::Uniform,
            1_000_000_000,
        ));
        assert_close(&shares(&p), &arcs, 1e-4);
        let p = place(&spec(8, Sharding::Consistent, KeyDist::Uniform, 1_000_000));
        assert_close(&shares(&p), &arcs, PP);
    }

    #[test]
    fn hot_keys_and_dedicated() {
        let n = 50_000;
        let mut s = spec(4, Sharding::Hash, KeyDist::Zipf(1.0), n);
        s.hot_keys = vec![("celebrity".into(), 0.2), ("brand".into(), 0.1)];
        s.dedicated = vec![
            "celebrity".into(),
            "1".into(),
            "celebrity".into(),
            "ghost".into(),
        ];
        let p = place(&s);
        assert_eq!(p.shards.len(), 7);
        let h: f64 = (1..=n).map(|r| 1.0 / r as f64).sum();
        let rest = 0.7;
        let mut want = vec![0.0; 7];
        for r in 2..=n {
            want[(ref_xxh64_short(r.to_string().as_bytes()) % 4) as usize] += rest / (r as f64 * h);
        }
        want[(ref_xxh64_short(b"brand") % 4) as usize] += 0.1;
        want[4] = 0.2;
        want[5] = rest / h;
        want[6] = 0.0;
        assert_close(&shares(&p), &want, 1e-9);
        let keys: Vec<Option<&str>> = p
            .shards
            .iter()
            .map(|s| s.dedicated_key.as_deref())
            .collect();
        assert_eq!(keys[4..], [Some("celebrity"), Some("1"), Some("ghost")]);
        assert_eq!(p.shards[6].heaviest, vec![("ghost".to_string(), 0.0)]);
        let brand = &p.shards[(ref_xxh64_short(b"brand") % 4) as usize];
        assert_eq!(brand.heaviest[0], ("brand".to_string(), 0.1));
        let hottest = p.hottest_hashed().map(|s| s.index);
        assert_eq!(hottest, Some(brand.index));
        for sh in &p.shards {
            assert!(sh.heaviest.len() <= 5);
            for w in sh.heaviest.windows(2) {
                assert!(w[0].1 > w[1].1 || (w[0].1 == w[1].1 && w[0].0 < w[1].0));
            }
        }

        // A hot key that is a rank name adds to that key's own share.
        let mut s = spec(2, Sharding::Hash, KeyDist::Uniform, 4);
        s.hot_keys = vec![("3".into(), 0.6)];
        let p = place(&s);
        let shard3 = (ref_xxh64_short(b"3") % 2) as usize;
        assert_eq!(p.shards[shard3].heaviest[0], ("3".to_string(), 0.6 + 0.1));
    }

    #[test]
    fn dedicated_key_in_the_tail() {
        let n = 1_000_000;
        let mut s = spec(8, Sharding::Hash, KeyDist::Zipf(1.1), n);
        s.dedicated = vec!["500000".into()];
        let p = place(&s);
        let want = 500_000f64.powf(-1.1) / zipf_norm(1.1, n);
        assert!((p.shards[8].share - want).abs() < 1e-15);
        let base = place(&spec(8, Sharding::Hash, KeyDist::Zipf(1.1), n));
        let home = (ref_xxh64_short(b"500000") % 8) as usize;
        assert!((base.shards[home].share - p.shards[home].share - want).abs() < 1e-15);
        assert!((shares(&p).iter().sum::<f64>() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn range_sharding() {
        let p = place(&spec(4, Sharding::Range, KeyDist::Uniform, 10));
        assert_close(&shares(&p), &[0.3, 0.2, 0.3, 0.2], 1e-12);
        let mut s = spec(4, Sharding::Range, KeyDist::Uniform, 10);
        s.hot_keys = vec![("vip".into(), 0.4)];
        let p = place(&s);
        assert_close(&shares(&p), &[0.4 + 0.18, 0.12, 0.18, 0.12], 1e-12);
        // Beyond the exact ranks: shard 0 holds ranks 1..=250000, of which
        // 150000 are in the tail (900000 ranks, 90% of the mass).
        let p = place(&spec(4, Sharding::Range, KeyDist::Uniform, 1_000_000));
        assert_close(&shares(&p), &[0.25; 4], 1e-12);
        let w = Router::new(&spec(4, Sharding::Range, KeyDist::Uniform, 1_000_000))
            .tail_weights(EXACT_RANKS, KeyDist::Uniform);
        assert_close(&w, &[1.0 / 6.0, 5.0 / 18.0, 5.0 / 18.0, 5.0 / 18.0], 1e-12);
        // Zipf over ranges: the first range dominates.
        let p = place(&spec(4, Sharding::Range, KeyDist::Zipf(1.1), 10_000_000));
        assert!(p.shards[0].share > 0.8);
        assert!((shares(&p).iter().sum::<f64>() - 1.0).abs() < 1e-9);
    }

    fn splitmix(state: &mut u64) -> f64 {
        *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    #[test]
    fn sampler_reproduces_shares() {
        let mut s = spec(8, Sharding::Consistent, KeyDist::Zipf(1.1), 1_000_000);
        s.hot_keys = vec![("celebrity".into(), 0.15), ("brand".into(), 0.05)];
        s.dedicated = vec!["celebrity".into()];
        let p = place(&s);
        let sampler = ShardSampler::new(&s);
        let mut counts = vec![0_u32; p.shards.len()];
        let mut state = 42;
        let draws = 200_000;
        for _ in 0..draws {
            counts[sampler.sample(splitmix(&mut state))] += 1;
        }
        let freq: Vec<f64> = counts
            .iter()
            .map(|&c| f64::from(c) / f64::from(draws))
            .collect();
        assert_close(&freq, &shares(&p), PP);
        assert_eq!(sampler.sample(0.0), 0);
        assert_eq!(sampler.sample(1.0 - f64::EPSILON / 2.0), 8);
        assert_eq!(sampler.sample(1.0), 8);
    }

    #[test]
    fn cache_computes_once() {
        let mut cache = PlacementCache::default();
        assert!(cache.is_empty());
        let s = spec(8, Sharding::Hash, KeyDist::Zipf(1.1), 1_000_000);
        let a = cache.get(&s);
        let b = cache.get(&s.clone());
        assert!(Arc::ptr_eq(&a, &b));
        let c = cache.get(&spec(
            8,
            Sharding::Consistent,
            KeyDist::Zipf(1.1),
            1_000_000,
        ));
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!(cache.len(), 2);
        assert_eq!(*a, place(&s));
    }

    #[test]
    fn moved_fractions() {
        assert_eq!((moved_fraction(Sharding::Hash, 8) * 100.0).round(), 89.0);
        assert_eq!(
            (moved_fraction(Sharding::Consistent, 8) * 100.0).round(),
            11.0
        );
        assert_eq!(moved_fraction(Sharding::Range, 8), 0.5);
    }

    #[test]
    fn mass_round_trip() {
        assert_eq!(keys_for_mass(KeyDist::Uniform, 1000, 0.8), 800);
        assert_eq!(top_mass(KeyDist::Uniform, 1000, 250), 0.25);
        let h = 1.0 + 0.5 + 1.0 / 3.0;
        assert!((top_mass(KeyDist::Zipf(1.0), 3, 1) - 1.0 / h).abs() < 1e-15);
        assert_eq!(keys_for_mass(KeyDist::Zipf(1.0), 3, 0.5), 1);
        assert_eq!(keys_for_mass(KeyDist::Zipf(1.0), 3, 0.6), 2);
        assert_eq!(keys_for_mass(KeyDist::Zipf(1.0), 3, 1.0), 3);
        assert_eq!(keys_for_mass(KeyDist::Zipf(1.0), 3, 0.0), 0);
        for keys in [
            KeyDist::Uniform,
            KeyDist::Zipf(0.8),
            KeyDist::Zipf(1.0),
            KeyDist::Zipf(1.1),
            KeyDist::Zipf(2.0),
        ] {
            for n in [10, 50_000, 1_000_000, 50_000_000, 1_000_000_000] {
                for mass in [0.01, 0.5, 0.8, 0.9, 0.99] {
                    let k = keys_for_mass(keys, n, mass);
                    assert!(k >= 1 && k <= n);
                    assert!(top_mass(keys, n, k) >= mass, "{keys:?} {n} {mass}");
                    assert!(top_mass(keys, n, k - 1) < mass, "{keys:?} {n} {mass}");
                }
            }
        }
        // Against a direct sum.
        let n = 200_000_u64;
        let total: f64 = (1..=n).rev().map(|r| (r as f64).powf(-1.1)).sum();
        let head: f64 = (1..=12_345_u64).rev().map(|r| (r as f64).powf(-1.1)).sum();
        assert!((top_mass(KeyDist::Zipf(1.1), n, 12_345) - head / total).abs() < 1e-12);
    }

    #[test]
    fn zipf_normaliser_matches_brute_force() {
        for s in [0.8, 1.0, 1.1, 2.0] {
            let n = 1_000_000_u64;
            // Kahan-summed, smallest terms first.
            let (mut sum, mut c) = (0.0_f64, 0.0_f64);
            for r in (1..=n).rev() {
                let y = 1.0 / (r as f64).powf(s) - c;
                let t = sum + y;
                c = (t - sum) - y;
                sum = t;
            }
            let rel = (zipf_norm(s, n) - sum).abs() / sum;
            assert!(rel < 1e-6, "s = {s}: {rel}");
            assert!(rel < 1e-12, "s = {s}: {rel}");
        }
        // Closed forms at 10^9: H_N = ln N + γ + 1/2N − 1/12N², and
        // Σ r^-2 = π²/6 − 1/N + 1/2N² − ….
        let n = 1_000_000_000_u64;
        let nf = n as f64;
        let harmonic = nf.ln() + 0.577_215_664_901_532_9 + 0.5 / nf - 1.0 / (12.0 * nf * nf);
        assert!((zipf_norm(1.0, n) - harmonic).abs() / harmonic < 1e-12);
        let basel = std::f64::consts::PI.powi(2) / 6.0 - 1.0 / nf + 0.5 / (nf * nf);
        assert!((zipf_norm(2.0, n) - basel).abs() / basel < 1e-12);
        // Continuity around s = 1.
        let near = zipf_norm(1.0 + 1e-9, n);
        assert!((near - zipf_norm(1.0, n)).abs() < 1e-6);
    }

    #[test]
    fn deterministic_and_degenerate() {
        let mut s = spec(8, Sharding::Consistent, KeyDist::Uniform, 1_000_000);
        s.hot_keys = vec![("b".into(), 0.1), ("a".into(), 0.1)];
        assert_eq!(place(&s), place(&s));
        // Equal shares sort by name.
        let p = place(&spec(1, Sharding::Hash, KeyDist::Uniform, 1_000_000));
        let names: Vec<&str> = p.shards[0]
            .heaviest
            .iter()
            .map(|(n, _)| n.as_str())
            .collect();
        assert_eq!(names, ["1", "10", "100", "1000", "10000"]);
        // K = 0 and key_count = 0 read as 1.
        let p = place(&spec(0, Sharding::Consistent, KeyDist::Zipf(1.1), 0));
        assert_close(&shares(&p), &[1.0], 1e-12);
        assert_eq!(
            Router::new(&spec(1, Sharding::Consistent, KeyDist::Uniform, 5))
                .tail_weights(0, KeyDist::Uniform),
            vec![1.0]
        );
    }
}
