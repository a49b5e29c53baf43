//! A class's response-time distribution and its p99 (issue 14).
//!
//! A request's path is a tree, as the simulator walks it: at a copy, its
//! own response time (the copy's M/M/c response, or its fixed `latency`
//! without capacity), then every unshared matching flow one after the other
//! (in series: their times add), and at most one of the shared flows (an
//! alternative taken with its share's probability). A call goes to one of
//! the flow's callee copies (an alternative weighted by the copy edge's
//! fraction) after a hop (`hop_latency`, or `cross_dc_latency` across
//! datacenters). A cache or CDN hit ends the path after the copy's own
//! time. Queues, databases and storage end it; a database's own time is
//! the mixture of its shards (by share) and of the role the request goes
//! to. Stations are taken as independent (as in an open Jackson network),
//! so times in series are convolved and alternatives are mixed.
//!
//! Convolution is a product and a mixture a weighted sum of characteristic
//! functions `φ(ω) = E[exp(−iωX)]`, and each station's is closed-form, so
//! the tree is evaluated exactly at the `G/2 + 1` frequencies of a period
//! `T` (bottom-up, once per copy and class, each value freed once its last
//! caller has read it). One inverse transform at the entry then gives the
//! mass in each of `G` bins of width `T/G`, smoothed by a Hann window (no
//! ringing at fixed delays), from which the 0.99 quantile is read. `T`
//! comes from a cheap scalar pass: the longest sum along the tree of each
//! station's 1 − 10⁻⁶ quantile bound, so next to nothing wraps around the
//! period. Mass that never finishes (an overloaded copy) is mass missing
//! from `φ(0)`; the p99 is infinite when more than 1% of the class's
//! requests meet it.

use super::{CopyEstimate, Estimate, Station};
use crate::model::walk::postorder;
use crate::model::{Class, Classes, CrossDc, Kind, Model, ReadFrom, Role};
use petgraph::graph::NodeIndex;
use std::collections::HashMap;
use std::f64::consts::PI;

/// Bins of the grid at most (small designs) and at least (the largest):
/// the grid is as fine as [`WORK`] allows, so a class costs about the same
/// per copy whatever the design's size.
const GRID_MAX: usize = 2048;
const GRID_MIN: usize = 256;
/// Reached copies × bins spent on one class at most (above the minimum).
const WORK: usize = 4_000_000;
/// Tail probability of each station's reach bound.
const REACH_TAIL: f64 = 1e-6;
/// Bins the origin is shifted by, so the window's blur of mass near zero
/// does not wrap round to the end of the period.
const MARGIN_BINS: usize = 12;

/// The grid for a class reaching `copies` copies: a power of two in
/// [`GRID_MIN`], [`GRID_MAX`].
fn grid_for(copies: usize) -> usize {
    let mut g = GRID_MAX;
    while g > GRID_MIN && g * copies.max(1) > WORK {
        g /= 2;
    }
    g
}

/// The time distribution of one piece of a path.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Atom {
    /// Exactly this many seconds.
    Fixed(f64),
    /// An M/M/c response: no wait with probability `1 − erlang`, else an
    /// exponential wait of rate `theta`; then an exponential service of
    /// rate `mu`.
    Station { erlang: f64, theta: f64, mu: f64 },
    /// Never finishes (an overloaded copy).
    Never,
}

impl Atom {
    /// The response time of an M/M/c station of `servers` servers of rate
    /// `mu` at `lambda` arrivals per second.
    pub fn mmc(lambda: f64, mu: f64, servers: u64) -> Atom {
        let q = super::queueing::MMc {
            lambda,
            mu,
            servers,
        };
        match q.solved() {
            Some(s) => Atom::Station {
                erlang: s.erlang,
                theta: s.theta,
                mu: s.mu,
            },
            None => Atom::Never,
        }
    }

    /// P(time ≤ t).
    fn cdf(self, t: f64) -> f64 {
        match self {
            Atom::Fixed(d) => f64::from(u8::from(t >= d)),
            Atom::Never => 0.0,
            Atom::Station { erlang, theta, mu } => {
                super::queueing::Solved { erlang, theta, mu }.cdf(t)
            }
        }
    }

    /// A time the atom exceeds with probability at most about `tail`.
    fn reach(self, tail: f64) -> f64 {
        match self {
            Atom::Fixed(d) => d.max(0.0),
            Atom::Never => 0.0,
            Atom::Station { erlang, theta, mu } => {
                let wait = if erlang > tail {
                    (erlang / tail).ln() / theta
                } else {
                    0.0
                };
                wait + (1.0 / tail).ln() / mu
            }
        }
    }
}

/// The operations the path tree needs, on two kinds of values: the reach
/// bound (a number) and the characteristic function on the grid.
trait Algebra {
    type V: Clone;
    /// Zero seconds, surely.
    fn one(&self) -> Self::V;
    /// The empty mixture, to which weighted alternatives are added.
    fn zero(&self) -> Self::V;
    fn atom(&self, a: Atom) -> Self::V;
    /// `acc` followed by `x` (independent, so convolved).
    fn series(&self, acc: &mut Self::V, x: &Self::V);
    /// Adds the alternative `x` with probability `w` to `acc`.
    fn mix(&self, acc: &mut Self::V, x: &Self::V, w: f64);
    /// The slowest of independent parts, each a mixture of atoms (a
    /// scatter-gather read waiting for every shard, §13).
    fn slowest(&self, parts: &[Vec<(f64, Atom)>]) -> Self::V;
}

/// The reach bound: series add, alternatives take the longest.
struct Reach;

impl Algebra for Reach {
    type V = f64;
    fn one(&self) -> f64 {
        0.0
    }
    fn zero(&self) -> f64 {
        0.0
    }
    fn atom(&self, a: Atom) -> f64 {
        a.reach(REACH_TAIL)
    }
    fn series(&self, acc: &mut f64, x: &f64) {
        *acc += *x;
    }
    fn mix(&self, acc: &mut f64, x: &f64, w: f64) {
        if w > 0.0 {
            *acc = acc.max(*x);
        }
    }
    fn slowest(&self, parts: &[Vec<(f64, Atom)>]) -> f64 {
        parts
            .iter()
            .flatten()
            .filter(|(w, _)| *w > 0.0)
            .map(|(_, a)| a.reach(REACH_TAIL))
            .fold(0.0, f64::max)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct C64 {
    re: f64,
    im: f64,
}

impl C64 {
    fn mul(self, o: C64) -> C64 {
        C64 {
            re: self.re * o.re - self.im * o.im,
            im: self.re * o.im + self.im * o.re,
        }
    }
    fn scale(self, w: f64) -> C64 {
        C64 {
            re: self.re * w,
            im: self.im * w,
        }
    }
    /// `r / (r + i·w)`.
    fn pole(r: f64, w: f64) -> C64 {
        let d = r * r + w * w;
        C64 {
            re: r * r / d,
            im: -r * w / d,
        }
    }
}

/// The characteristic function at `ω_k = 2πk/T`, k = 0..=G/2.
struct Spectrum {
    omega: Vec<f64>,
}

impl Spectrum {
    fn new(period: f64, grid: usize) -> Spectrum {
        Spectrum {
            omega: (0..=grid / 2)
                .map(|k| 2.0 * PI * k as f64 / period)
                .collect(),
        }
    }
}

impl Algebra for Spectrum {
    type V = Vec<C64>;
    fn one(&self) -> Vec<C64> {
        vec![C64 { re: 1.0, im: 0.0 }; self.omega.len()]
    }
    fn zero(&self) -> Vec<C64> {
        vec![C64::default(); self.omega.len()]
    }
    fn atom(&self, a: Atom) -> Vec<C64> {
        match a {
            Atom::Never => self.zero(),
            Atom::Fixed(d) => {
                // exp(−iω_k d) = z^k: one sine and cosine, then products.
                let step = self.omega.get(1).copied().unwrap_or(0.0) * d;
                let z = C64 {
                    re: step.cos(),
                    im: -step.sin(),
                };
                let mut v = Vec::with_capacity(self.omega.len());
                let mut cur = C64 { re: 1.0, im: 0.0 };
                for k in 0..self.omega.len() {
                    // Re-anchor now and then so rounding cannot build up.
                    if k % 64 == 0 && k > 0 {
                        let a = self.omega[k] * d;
                        cur = C64 {
                            re: a.cos(),
                            im: -a.sin(),
                        };
                    }
                    v.push(cur);
                    cur = cur.mul(z);
                }
                v
            }
            Atom::Station { erlang, theta, mu } => self
                .omega
                .iter()
                .map(|&w| {
                    let service = C64::pole(mu, w);
                    let waited = service.mul(C64::pole(theta, w));
                    C64 {
                        re: (1.0 - erlang) * service.re + erlang * waited.re,
                        im: (1.0 - erlang) * service.im + erlang * waited.im,
                    }
                })
                .collect(),
        }
    }
    fn series(&self, acc: &mut Vec<C64>, x: &Vec<C64>) {
        for (a, b) in acc.iter_mut().zip(x) {
            *a = a.mul(*b);
        }
    }
    fn mix(&self, acc: &mut Vec<C64>, x: &Vec<C64>, w: f64) {
        if w == 0.0 {
            return;
        }
        for (a, b) in acc.iter_mut().zip(x) {
            let s = b.scale(w);
            a.re += s.re;
            a.im += s.im;
        }
    }
    /// The maximum has no closed-form transform: its CDF, Π over parts of
    /// the part's mixed CDF, is taken on the period's `G` bins (mass at
    /// each bin's middle) and transformed directly, `G × (G/2 + 1)` terms
    /// from one table of the `2G` roots of unity.
    fn slowest(&self, parts: &[Vec<(f64, Atom)>]) -> Vec<C64> {
        let half = self.omega.len() - 1;
        if half == 0 {
            // The degenerate grid of the no-time check: only φ(0) counts.
            let never = parts.iter().all(|p| {
                p.iter()
                    .all(|(w, a)| *w <= 0.0 || !matches!(a, Atom::Never))
            });
            let finite = if never { 1.0 } else { 0.0 };
            return vec![C64 {
                re: finite,
                im: 0.0,
            }];
        }
        let grid = 2 * half;
        let period = 2.0 * PI / self.omega[1];
        let h = period / grid as f64;
        let all_ended = |t: f64| -> f64 {
            parts
                .iter()
                .map(|mix| mix.iter().map(|(w, a)| w * a.cdf(t)).sum::<f64>())
                .product()
        };
        let roots: Vec<C64> = (0..2 * grid)
            .map(|m| {
                let a = PI * m as f64 / grid as f64;
                C64 {
                    re: a.cos(),
                    im: -a.sin(),
                }
            })
            .collect();
        let mut out = self.zero();
        let mut before = 0.0;
        for j in 0..grid {
            let after = all_ended((j + 1) as f64 * h);
            let p = (after - before).max(0.0);
            before = after;
            if p == 0.0 {
                continue;
            }
            // e^{−iω_k t_j} with t_j = (j + ½)h: the root k(2j + 1) mod 2G.
            let step = 2 * j + 1;
            let mut idx = 0usize;
            for slot in out.iter_mut() {
                let z = roots[idx];
                slot.re += p * z.re;
                slot.im += p * z.im;
                idx = (idx + step) % (2 * grid);
            }
        }
        out
    }
}

/// The p99 (the `q`-quantile) of a distribution given by its
/// characteristic function on the grid of `period` and `grid` bins, whose
/// origin was shifted by `shift` seconds.
fn quantile_of(phi: &[C64], period: f64, grid: usize, shift: f64, q: f64) -> f64 {
    let finite = phi[0].re;
    if finite < q - 1e-9 {
        return f64::INFINITY;
    }
    let half = grid / 2;
    let h = period / grid as f64;
    // φ_k · E_k (the bin's average) · Hann window, for k = 1..half−1.
    let coef: Vec<C64> = (1..half)
        .map(|k| {
            let t = 2.0 * PI * k as f64 / grid as f64;
            // (e^{it} − 1) / (it) = (sin t + i(1 − cos t)) / t
            let e = C64 {
                re: t.sin() / t,
                im: (1.0 - t.cos()) / t,
            };
            let w = 0.5 * (1.0 + (PI * k as f64 / half as f64).cos());
            phi[k].mul(e).scale(w)
        })
        .collect();
    let (cos, sin): (Vec<f64>, Vec<f64>) = (0..grid)
        .map(|m| {
            let a = 2.0 * PI * m as f64 / grid as f64;
            (a.cos(), a.sin())
        })
        .unzip();
    let target = q;
    let mut cdf = 0.0;
    for j in 0..grid {
        let mut s = 0.0;
        let mut idx = 0usize;
        for c in &coef {
            idx += j;
            if idx >= grid {
                idx -= grid;
            }
            // Re(c · e^{2πi kj/G}) with k = 1, 2, …: idx = k·j mod G.
            s += c.re * cos[idx] - c.im * sin[idx];
        }
        let p = (finite + 2.0 * s) / grid as f64;
        if cdf + p >= target && p > 0.0 {
            let frac = ((target - cdf) / p).clamp(0.0, 1.0);
            return ((j as f64 + frac) * h - shift).max(0.0);
        }
        cdf += p;
    }
    // Rounding kept the sum a hair under the level: the end of the grid.
    (period - shift).max(0.0)
}

/// What the walk needs of a database copy: which station a request of a
/// class along a flow goes to.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum DbRole {
    ReadPrimary,
    ReadReplica,
    ReadAny,
    Write,
}

/// One flow leaving a copy, with the classes it carries.
struct Call {
    classes: Classes,
    role: Option<Role>,
    share: Option<f64>,
    /// Calls made in turn per request (`x10`, §13): the call's time is the
    /// sum of this many independent draws.
    count: u32,
    /// A scatter-gather read (`all-shards`): it waits for every shard.
    all_shards: bool,
    /// Where its callees are in [`Shared::targets`].
    targets: std::ops::Range<usize>,
}

/// One callee copy of a call.
struct Target {
    node: usize,
    /// Of the call's requests, the part that goes to this copy.
    fraction: f64,
    hop: f64,
}

/// What every class's walk reads and none changes, built once per
/// estimate ([`Shared::new`]): each copy's own time, each database shard's
/// stations, and each copy's calls for all classes (a walk keeps those of
/// its class). Building the calls once rather than per class, and solving
/// each shard's Erlang C once rather than per class, role and pass, took
/// about a third of the p99's time off at 100,000 components.
pub struct Shared {
    /// Each copy's own time: its M/M/c response, or its fixed `latency`
    /// without capacity.
    own: Vec<Atom>,
    /// Per shard of `CopyEstimate::shards`, copy after copy: the
    /// primary's station and the replica's; copy `v`'s first is at
    /// `shard_start[v]`.
    shards: Vec<(Atom, Option<Atom>)>,
    shard_start: Vec<usize>,
    /// Every copy's calls, in flow order, copy after copy: copy `v`'s are
    /// `calls[call_start[v]..call_start[v + 1]]`. Flat, so that the table
    /// costs no allocation per copy and next to nothing beside the walk.
    calls: Vec<Call>,
    call_start: Vec<usize>,
    targets: Vec<Target>,
}

impl Shared {
    pub fn new(model: &Model, est: &Estimate) -> Shared {
        let station = |e: &CopyEstimate, s: &Station| {
            if s.servers == 0 {
                return Atom::Fixed(s.response_s);
            }
            Atom::mmc(s.peak_rps, 1.0 / e.service_time_s, s.servers)
        };
        let n = model.graph.node_count();
        let mut shared = Shared {
            own: own_atoms(est),
            shards: Vec::new(),
            shard_start: Vec::with_capacity(n),
            calls: Vec::new(),
            call_start: Vec::with_capacity(n + 1),
            targets: Vec::new(),
        };
        for e in &est.copies {
            shared.shard_start.push(shared.shards.len());
            shared.shards.extend(e.shards.iter().map(|sh| {
                (
                    station(e, &sh.primary),
                    sh.replica.as_ref().map(|r| station(e, r)),
                )
            }));
        }
        for v in 0..n {
            shared.call_start.push(shared.calls.len());
            Walk::calls_of(model, v, &mut shared.calls, &mut shared.targets);
        }
        shared.call_start.push(shared.calls.len());
        shared
    }
}

struct Walk<'a> {
    model: &'a Model,
    est: &'a Estimate,
    shared: &'a Shared,
    class: Class,
    /// Copies in postorder: callees before callers.
    order: Vec<usize>,
    /// How many times each copy's value is read (by callers and as an
    /// entry), so it can be dropped after its last reader.
    uses: Vec<u32>,
    entries: Vec<(usize, f64)>,
}

impl<'a> Walk<'a> {
    fn new(model: &'a Model, est: &'a Estimate, shared: &'a Shared, class: Class) -> Walk<'a> {
        let n = model.graph.node_count();
        let mut walk = Walk {
            model,
            est,
            shared,
            class,
            order: Vec::new(),
            uses: vec![0u32; n],
            entries: model
                .entry_copies()
                .into_iter()
                .map(|(n, w)| (n.index(), w))
                .collect(),
        };
        walk.order = postorder(n, |v, out| {
            for c in walk.calls(v) {
                out.extend(walk.targets(c).iter().map(|t| t.node));
            }
        });
        for v in 0..n {
            for c in walk.calls(v) {
                for t in walk.targets(c) {
                    walk.uses[t.node] += 1;
                }
            }
        }
        for &(v, _) in &walk.entries {
            walk.uses[v] += 1;
        }
        walk
    }

    fn reached(&self, node: usize) -> bool {
        self.est.flows.sync[node][self.class.index()] > 0.0
    }

    /// The calls a copy the class reaches makes for it (none for the
    /// others).
    fn calls(&self, node: usize) -> impl Iterator<Item = &'a Call> + use<'a> {
        let class = self.class;
        let calls: &'a [Call] = if self.reached(node) {
            &self.shared.calls[self.shared.call_start[node]..self.shared.call_start[node + 1]]
        } else {
            &[]
        };
        calls.iter().filter(move |c| c.classes.contains(class))
    }

    fn targets(&self, call: &Call) -> &'a [Target] {
        &self.shared.targets[call.targets.clone()]
    }

    /// A copy's own time (not a database), from [`own_atoms`].
    fn own(&self, node: usize) -> Atom {
        self.shared.own[node]
    }

    fn db_role(&self, node: usize, role: Option<Role>) -> DbRole {
        if self.class == Class::Write {
            return DbRole::Write;
        }
        let comp = &self.model.components[self.model.graph[NodeIndex::new(node)].component];
        let has_replicas = comp.replicas.value > 0;
        let read_from = comp
            .database()
            .map_or(ReadFrom::Replicas, |d| d.read_from.value);
        match (role, read_from) {
            (Some(Role::Primary), _) => DbRole::ReadPrimary,
            (Some(Role::Replicas), _) if has_replicas => DbRole::ReadReplica,
            (None, ReadFrom::Replicas) if has_replicas => DbRole::ReadReplica,
            (None, ReadFrom::Any) if has_replicas => DbRole::ReadAny,
            _ => DbRole::ReadPrimary,
        }
    }

    /// A database copy's time for one role: shards mixed by share.
    fn db_value<A: Algebra>(&self, alg: &A, node: usize, role: DbRole) -> A::V {
        let e = &self.est.copies[node];
        let comp = &self.model.components[self.model.graph[NodeIndex::new(node)].component];
        let sync_extra = match comp.database() {
            Some(db)
                if db.cross_dc.value == CrossDc::Sync
                    && self.model.copies_of(e.copy.component).count() > 1 =>
            {
                self.model.assumptions.cross_dc_latency.value
            }
            _ => 0.0,
        };
        let mut acc = alg.zero();
        for (i, sh) in e.shards.iter().enumerate() {
            for (w, station) in self.shard_stations(node, i, role) {
                let mut v = alg.atom(station);
                if role == DbRole::Write && sync_extra > 0.0 {
                    alg.series(&mut v, &alg.atom(Atom::Fixed(sync_extra)));
                }
                alg.mix(&mut acc, &v, sh.share * w);
            }
        }
        let total: f64 = e.shards.iter().map(|s| s.share).sum();
        if e.shards.is_empty() {
            return alg.atom(self.own(node));
        }
        if total > 0.0 && (total - 1.0).abs() > 1e-12 {
            // Shares that do not quite sum to one: renormalise.
            let mut v = alg.zero();
            alg.mix(&mut v, &acc, 1.0 / total);
            return v;
        }
        acc
    }

    /// A scatter-gather read's time at a database copy: the slowest of its
    /// shards' responses (each shard's station by the read's role, as in
    /// [`Walk::db_value`]), stations independent as everywhere here.
    fn scatter_value<A: Algebra>(&self, alg: &A, node: usize, role: Option<Role>) -> A::V {
        let e = &self.est.copies[node];
        if e.shards.is_empty() {
            return alg.atom(self.own(node));
        }
        let role = self.db_role(node, role);
        let parts: Vec<Vec<(f64, Atom)>> = (0..e.shards.len())
            .map(|i| self.shard_stations(node, i, role))
            .collect();
        alg.slowest(&parts)
    }

    /// The stations of one shard a request of `role` goes to, with their
    /// probabilities: the primary for writes and primary reads, the
    /// replica for replica reads, both for `any` (1/(r+1) and r/(r+1)); a
    /// shard without replicas answers everything at its primary.
    fn shard_stations(&self, node: usize, shard: usize, role: DbRole) -> Vec<(f64, Atom)> {
        let (primary, replica) = self.shared.shards[self.shared.shard_start[node] + shard];
        let r = f64::from(
            self.model.components[comp_id(self.model, node)]
                .replicas
                .value,
        );
        match (role, replica) {
            (DbRole::ReadReplica, Some(rep)) => vec![(1.0, rep)],
            (DbRole::ReadAny, Some(rep)) => vec![(1.0 / (r + 1.0), primary), (r / (r + 1.0), rep)],
            _ => vec![(1.0, primary)],
        }
    }

    /// The calls a copy makes, pushed onto `out` (their callees onto
    /// `targets`): per flow, its classes, role and share, and its callee
    /// copies with fraction and hop.
    fn calls_of(model: &Model, node: usize, out: &mut Vec<Call>, targets: &mut Vec<Target>) {
        let n = NodeIndex::new(node);
        let comp = &model.components[model.graph[n].component];
        if matches!(comp.kind, Kind::Queue | Kind::Database | Kind::Storage) {
            return;
        }
        for (fid, flow) in model.flows_from(comp_id(model, node)) {
            if flow.classes.is_empty() {
                continue;
            }
            let start = targets.len();
            targets.extend(model.call_edges(n, fid).map(|(_, t, e)| Target {
                node: t.index(),
                fraction: e.fraction,
                hop: if e.cross_dc {
                    model.assumptions.cross_dc_latency.value
                } else {
                    model.assumptions.hop_latency.value
                },
            }));
            let these = &mut targets[start..];
            if these.is_empty() {
                continue;
            }
            let total: f64 = these.iter().map(|x| x.fraction).sum();
            if total > 0.0 {
                for x in these {
                    x.fraction /= total;
                }
            }
            out.push(Call {
                classes: flow.classes,
                role: flow.role,
                share: flow.share,
                count: flow.calls.max(1),
                all_shards: flow.all_shards,
                targets: start..targets.len(),
            });
        }
    }

    fn is_db(&self, node: usize) -> bool {
        self.model.components[comp_id(self.model, node)].kind == Kind::Database
    }

    /// The class's distribution at its entry, in the algebra `alg`.
    fn entry<A: Algebra>(&self, alg: &A) -> A::V {
        let model = self.model;
        let n = model.graph.node_count();
        let mut uses = self.uses.clone();
        let mut memo: Vec<Option<A::V>> = vec![None; n];
        let mut db_memo: HashMap<(usize, DbRole), A::V> = HashMap::new();
        // The hop delays, one value per distinct latency.
        let mut hops: Vec<(f64, A::V)> = Vec::new();
        for &v in &self.order {
            if !self.reached(v) || self.is_db(v) {
                continue;
            }
            // `None` stands for "zero seconds" and saves building it.
            let mut rest: Option<A::V> = None;
            let mut shared: Option<A::V> = None;
            let mut shared_total = 0.0;
            for call in self.calls(v) {
                let mut m: Option<A::V> = None;
                let targets = self.targets(call);
                for t in targets {
                    let mut x = if call.all_shards && self.is_db(t.node) {
                        uses[t.node] = uses[t.node].saturating_sub(1);
                        self.scatter_value(alg, t.node, call.role)
                    } else {
                        self.take(alg, &mut memo, &mut db_memo, &mut uses, t.node, call.role)
                    };
                    if t.hop > 0.0 {
                        let i = match hops.iter().position(|h| h.0 == t.hop) {
                            Some(i) => i,
                            None => {
                                hops.push((t.hop, alg.atom(Atom::Fixed(t.hop))));
                                hops.len() - 1
                            }
                        };
                        alg.series(&mut x, &hops[i].1);
                    }
                    if targets.len() == 1 {
                        m = Some(x);
                    } else {
                        alg.mix(m.get_or_insert_with(|| alg.zero()), &x, t.fraction);
                    }
                }
                let Some(mut m) = m else { continue };
                if call.count > 1 {
                    let one = m.clone();
                    for _ in 1..call.count {
                        alg.series(&mut m, &one);
                    }
                }
                match call.share {
                    Some(s) => {
                        alg.mix(shared.get_or_insert_with(|| alg.zero()), &m, s);
                        shared_total += s;
                    }
                    None => match &mut rest {
                        Some(r) => alg.series(r, &m),
                        None => rest = Some(m),
                    },
                }
            }
            if let Some(mut sh) = shared {
                alg.mix(&mut sh, &alg.one(), (1.0 - shared_total).max(0.0));
                match &mut rest {
                    Some(r) => alg.series(r, &sh),
                    None => rest = Some(sh),
                }
            }
            let comp = &model.components[comp_id(model, v)];
            let hit = match (comp.kind, self.class) {
                (Kind::Cache, Class::Read | Class::Static) => {
                    comp.cache().map_or(0.0, |c| c.hit_ratio.value)
                }
                (Kind::Cdn, Class::Static) => comp.cdn().map_or(0.0, |c| c.hit_ratio.value),
                _ => 0.0,
            };
            if hit > 0.0
                && let Some(r) = &rest
            {
                let mut after = alg.zero();
                alg.mix(&mut after, &alg.one(), hit);
                alg.mix(&mut after, r, 1.0 - hit);
                rest = Some(after);
            }
            let mut value = alg.atom(self.own(v));
            if let Some(r) = &rest {
                alg.series(&mut value, r);
            }
            memo[v] = Some(value);
        }
        let total: f64 = self.entries.iter().map(|e| e.1).sum();
        let mut acc = alg.zero();
        for &(v, w) in &self.entries {
            if !self.reached(v) {
                continue;
            }
            let w = if total > 0.0 {
                w / total
            } else {
                1.0 / self.entries.len() as f64
            };
            let x = self.take(alg, &mut memo, &mut db_memo, &mut uses, v, None);
            alg.mix(&mut acc, &x, w);
        }
        acc
    }

    /// The value of callee `t` reached along a flow of `role`; the copy's
    /// value is moved out at its last reader rather than copied.
    fn take<A: Algebra>(
        &self,
        alg: &A,
        memo: &mut [Option<A::V>],
        db_memo: &mut HashMap<(usize, DbRole), A::V>,
        uses: &mut [u32],
        t: usize,
        role: Option<Role>,
    ) -> A::V {
        uses[t] = uses[t].saturating_sub(1);
        let last = uses[t] == 0;
        if self.is_db(t) {
            let r = self.db_role(t, role);
            if !last {
                return db_memo
                    .entry((t, r))
                    .or_insert_with(|| self.db_value(alg, t, r))
                    .clone();
            }
            // The last reader takes the value rather than a copy.
            let v = db_memo
                .remove(&(t, r))
                .unwrap_or_else(|| self.db_value(alg, t, r));
            for r in [
                DbRole::ReadPrimary,
                DbRole::ReadReplica,
                DbRole::ReadAny,
                DbRole::Write,
            ] {
                db_memo.remove(&(t, r));
            }
            return v;
        }
        if last {
            memo[t].take()
        } else {
            memo[t].clone()
        }
        .unwrap_or_else(|| alg.one())
    }
}

fn comp_id(model: &Model, node: usize) -> usize {
    model.graph[NodeIndex::new(node)].component
}

/// Every copy's own time: its M/M/c response, or its fixed `latency`
/// without capacity. The same for every class and both passes, so computed
/// once per estimate (an Erlang C per copy).
fn own_atoms(est: &Estimate) -> Vec<Atom> {
    est.copies
        .iter()
        .map(|e| {
            if e.capacity_rps.is_none() {
                return Atom::Fixed(e.response_s);
            }
            let servers = u64::from(e.workers) * u64::from(e.instances.max(1));
            Atom::mmc(e.peak_rps, 1.0 / e.service_time_s, servers)
        })
        .collect()
}

/// The `q`-quantile of a class's response time, in seconds (infinite when
/// more than `1 − q` of its requests meet an overloaded copy). `shared` is
/// [`Shared::new`] of the same model and estimate.
pub fn class_quantile(model: &Model, est: &Estimate, shared: &Shared, class: Class, q: f64) -> f64 {
    let walk = Walk::new(model, est, shared, class);
    let reach = walk.entry(&Reach);
    if !(reach.is_finite() && reach > 0.0) {
        // Nothing takes time (or nothing reachable): only the mass that
        // never finishes matters.
        let phi = walk.entry(&Spectrum::new(1.0, 2));
        return if phi[0].re < q - 1e-9 {
            f64::INFINITY
        } else {
            0.0
        };
    }
    let copies = (0..model.graph.node_count())
        .filter(|v| walk.reached(*v))
        .count();
    let grid = grid_for(copies);
    let h = reach / (grid - 2 * MARGIN_BINS) as f64;
    let period = h * grid as f64;
    let shift = h * MARGIN_BINS as f64;
    let spectrum = Spectrum::new(period, grid);
    let mut phi = walk.entry(&spectrum);
    // Shift the origin by the margin.
    let delay = spectrum.atom(Atom::Fixed(shift));
    spectrum.series(&mut phi, &delay);
    quantile_of(&phi, period, grid, shift, q)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quantile_of_atoms(parts: &[(f64, Vec<Atom>)], q: f64) -> f64 {
        let at_max = quantile_on(parts, q, GRID_MAX);
        let at_min = quantile_on(parts, q, GRID_MIN);
        // The coarsest grid stays within 1% of the finest.
        assert!(
            at_min == at_max || (at_min - at_max).abs() <= 0.01 * at_max,
            "{at_min} on {GRID_MIN} bins, {at_max} on {GRID_MAX}"
        );
        at_max
    }

    #[test]
    fn the_grid_shrinks_with_the_design() {
        assert_eq!(grid_for(1), GRID_MAX);
        assert_eq!(grid_for(1_000_000), GRID_MIN);
        assert_eq!(grid_for(4_000), 512);
    }

    fn quantile_on(parts: &[(f64, Vec<Atom>)], q: f64, grid: usize) -> f64 {
        // A mixture of series of atoms, through the same machinery.
        let reach = parts
            .iter()
            .map(|(_, s)| s.iter().map(|a| a.reach(REACH_TAIL)).sum::<f64>())
            .fold(0.0, f64::max);
        let h = reach / (grid - 2 * MARGIN_BINS) as f64;
        let period = h * grid as f64;
        let shift = h * MARGIN_BINS as f64;
        let sp = Spectrum::new(period, grid);
        let mut acc = sp.zero();
        for (w, series) in parts {
            let mut v = sp.one();
            for a in series {
                sp.series(&mut v, &sp.atom(*a));
            }
            sp.mix(&mut acc, &v, *w);
        }
        sp.series(&mut acc, &sp.atom(Atom::Fixed(shift)));
        quantile_of(&acc, period, grid, shift, q)
    }

    fn rel(a: f64, b: f64) -> f64 {
        (a - b).abs() / b
    }

    fn bisect(f: impl Fn(f64) -> f64, q: f64, mut hi: f64) -> f64 {
        let mut lo = 0.0;
        while f(hi) < q {
            hi *= 2.0;
        }
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if f(mid) < q {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    }

    #[test]
    fn one_mm1_is_exponential() {
        let (lambda, mu) = (7.0, 10.0);
        let p = quantile_of_atoms(&[(1.0, vec![Atom::mmc(lambda, mu, 1)])], 0.99);
        let truth = -(0.01_f64).ln() / (mu - lambda);
        assert!(rel(p, truth) < 0.005, "{p} vs {truth}");
    }

    #[test]
    fn mmc_matches_the_exact_quantile() {
        let q = crate::estimate::queueing::MMc {
            lambda: 30.0,
            mu: 4.0,
            servers: 9,
        };
        let p = quantile_of_atoms(&[(1.0, vec![Atom::mmc(30.0, 4.0, 9)])], 0.99);
        let truth = q.response_quantile(0.99);
        assert!(rel(p, truth) < 0.005, "{p} vs {truth}");
    }

    #[test]
    fn jackson_tandem_is_hypoexponential() {
        // Two M/M/1 in series at λ: sojourns are independent exponentials
        // of rates a = μ1 − λ and b = μ2 − λ.
        let lambda = 5.0;
        let (a, b) = (8.0 - lambda, 20.0 - lambda);
        let p = quantile_of_atoms(
            &[(
                1.0,
                vec![Atom::mmc(lambda, 8.0, 1), Atom::mmc(lambda, 20.0, 1)],
            )],
            0.99,
        );
        let cdf = |t: f64| 1.0 - (b * (-a * t).exp() - a * (-b * t).exp()) / (b - a);
        let truth = bisect(cdf, 0.99, 1.0);
        assert!(rel(p, truth) < 0.005, "{p} vs {truth}");
    }

    #[test]
    fn half_and_half_mixture_of_exponentials() {
        let (a, b) = (100.0, 10.0);
        let p = quantile_of_atoms(
            &[
                (0.5, vec![Atom::mmc(0.0, a, 1)]),
                (0.5, vec![Atom::mmc(0.0, b, 1)]),
            ],
            0.99,
        );
        let cdf = |t: f64| 1.0 - 0.5 * (-a * t).exp() - 0.5 * (-b * t).exp();
        let truth = bisect(cdf, 0.99, 1.0);
        assert!(rel(p, truth) < 0.005, "{p} vs {truth}");
    }

    #[test]
    fn fixed_delays_add() {
        // 10 ms fixed, then an exponential of mean 5 ms.
        let p = quantile_of_atoms(
            &[(1.0, vec![Atom::Fixed(0.010), Atom::mmc(0.0, 200.0, 1)])],
            0.99,
        );
        let truth = 0.010 + (100.0_f64).ln() / 200.0;
        assert!(rel(p, truth) < 0.005, "{p} vs {truth}");
    }

    #[test]
    fn a_fixed_delay_alone_is_its_own_quantile() {
        let p = quantile_of_atoms(&[(1.0, vec![Atom::Fixed(0.05)])], 0.99);
        assert!(rel(p, 0.05) < 0.01, "{p}");
    }

    #[test]
    fn overload_reached_by_more_than_one_percent_is_unbounded() {
        let p = quantile_of_atoms(
            &[(0.98, vec![Atom::Fixed(0.01)]), (0.02, vec![Atom::Never])],
            0.99,
        );
        assert!(p.is_infinite());
        let p = quantile_of_atoms(
            &[
                (0.995, vec![Atom::mmc(0.0, 100.0, 1)]),
                (0.005, vec![Atom::Never]),
            ],
            0.99,
        );
        assert!(p.is_finite());
    }
}
