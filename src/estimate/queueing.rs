//! Closed-form M/M/c queueing, the estimator's model of one copy of a
//! component (LANGUAGE.md §7: a copy of n instances with k workers each is one
//! M/M/(n·k) FIFO queue). Everything here is plain arithmetic on `f64` so the
//! estimator can answer in microseconds what the simulator measures in
//! seconds, and the two MUST agree on the means.
//!
//! Invalid or overloaded stations never produce NaN: they report an infinite
//! wait (and a waiting probability of one), because "this station cannot keep
//! up" is the answer the estimator has to print for them.

/// An M/M/c station: Poisson arrivals `lambda` per second, `servers` identical exponential servers of rate `mu` each.
///
/// The fields are public because the estimator builds one per copy straight
/// from the model (`lambda` = peak rate, `mu` = 1 / mean service time,
/// `servers` = n·k); all the interesting behaviour lives in the methods.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MMc {
    /// Mean arrival rate in requests per second.
    pub lambda: f64,
    /// Service rate of one server, in requests per second.
    pub mu: f64,
    /// Number of identical servers sharing the single FIFO queue.
    pub servers: u64,
}

/// The largest `f64` below one, used to clamp quantile levels so that a
/// caller asking for "the 100th percentile" gets a large finite time instead
/// of infinity (the true answer for an unbounded distribution).
const Q_MAX: f64 = 1.0 - f64::EPSILON / 2.0;

/// Relative width at which quantile bisection stops; comfortably tighter than
/// the 1e-9 relative accuracy the estimator promises.
const QUANTILE_REL_TOL: f64 = 1e-13;

impl MMc {
    /// Reports whether the parameters describe a real station (finite
    /// non-negative arrivals, positive finite service rate, at least one
    /// server), so every other method can treat anything else as a station
    /// that cannot serve instead of computing NaN.
    fn is_valid(&self) -> bool {
        self.lambda.is_finite()
            && self.lambda >= 0.0
            && self.mu.is_finite()
            && self.mu > 0.0
            && self.servers >= 1
    }

    /// The total service rate c·μ, the rate at which a fully busy station
    /// drains its queue.
    fn capacity(&self) -> f64 {
        self.servers as f64 * self.mu
    }

    /// The rate θ = cμ − λ at which a waiting request's wait decays; only
    /// meaningful (positive) for a stable station.
    fn drain_rate(&self) -> f64 {
        self.capacity() - self.lambda
    }

    /// Returns ρ = λ / (cμ), the long-run fraction of time each server is
    /// busy; an invalid station reports infinity so that any "at or under the
    /// target" comparison fails instead of silently passing on NaN.
    pub fn utilization(&self) -> f64 {
        if self.is_valid() {
            self.lambda / self.capacity()
        } else {
            f64::INFINITY
        }
    }

    /// Returns whether the queue has a steady state (ρ < 1 on a valid
    /// station); without one the queue grows without bound and every waiting
    /// figure is infinite.
    pub fn is_stable(&self) -> bool {
        self.is_valid() && self.utilization() < 1.0
    }

    /// Returns the probability that an arrival has to wait (Erlang C), which
    /// is one for an unstable station because then almost every arrival
    /// finds all servers busy.
    pub fn erlang_c(&self) -> f64 {
        if !self.is_stable() {
            1.0
        } else if self.lambda == 0.0 {
            0.0
        } else {
            erlang_c(self.lambda / self.mu, self.servers)
        }
    }

    /// Returns the mean time Wq in seconds a request spends queued before a
    /// server takes it: C / (cμ − λ), infinite when unstable and zero when
    /// nothing arrives.
    pub fn mean_wait(&self) -> f64 {
        if !self.is_stable() {
            f64::INFINITY
        } else if self.lambda == 0.0 {
            0.0
        } else {
            self.erlang_c() / self.drain_rate()
        }
    }

    /// Returns the mean response (sojourn) time W = Wq + 1/μ in seconds,
    /// the figure that adds up along a path in an open Jackson network.
    pub fn mean_response(&self) -> f64 {
        if !self.is_stable() {
            f64::INFINITY
        } else {
            self.mean_wait() + 1.0 / self.mu
        }
    }

    /// Returns the mean number of requests waiting Lq = λ·Wq (Little's law),
    /// zero when nothing arrives and infinite when unstable.
    pub fn mean_queue_length(&self) -> f64 {
        if !self.is_stable() {
            f64::INFINITY
        } else if self.lambda == 0.0 {
            0.0
        } else {
            self.lambda * self.mean_wait()
        }
    }

    /// Solves the station once (Erlang C and the drain rate) for the
    /// distribution methods, or `None` when it has no steady state. Erlang C
    /// costs one step per server, so a quantile search must not recompute it
    /// at every probe.
    pub(crate) fn solved(&self) -> Option<Solved> {
        if !self.is_stable() {
            return None;
        }
        Some(Solved {
            erlang: self.erlang_c(),
            theta: self.drain_rate(),
            mu: self.mu,
        })
    }

    /// Returns [`MMc::mean_wait`], [`MMc::mean_response`] and
    /// [`MMc::response_quantile`] at `q`, the same figures bit for bit, from
    /// one Erlang C instead of three (it costs a step per server, and the
    /// estimate asks for all three of every station).
    pub fn wait_response_quantile(&self, q: f64) -> (f64, f64, f64) {
        let Some(s) = self.solved() else {
            return (self.mean_wait(), self.mean_response(), f64::INFINITY);
        };
        let wait = if self.lambda == 0.0 {
            0.0
        } else {
            s.erlang / s.theta
        };
        (
            wait,
            wait + 1.0 / self.mu,
            s.response_quantile(clamp_level(q)),
        )
    }

    /// Returns P(wait ≤ t): the wait is zero with probability 1 − C and
    /// otherwise exponential with rate cμ − λ. An unstable station never
    /// finishes waiting, so its CDF is zero everywhere.
    pub fn wait_cdf(&self, t: f64) -> f64 {
        match self.solved() {
            Some(s) if t >= 0.0 => 1.0 - s.erlang * (-s.theta * t).exp(),
            _ => 0.0,
        }
    }

    /// Returns the `q`-quantile of the waiting time in seconds. Levels at or
    /// below 1 − C are answered with zero because that much probability mass
    /// sits on "no wait at all"; `q` is clamped into [0, 1) (NaN counts as 0)
    /// and an unstable station answers infinity.
    pub fn wait_quantile(&self, q: f64) -> f64 {
        self.solved()
            .map_or(f64::INFINITY, |s| s.wait_quantile(clamp_level(q)))
    }

    /// Returns P(response > t), the survival function of wait + service; an
    /// unstable station's response never ends, so its survival is one.
    pub fn response_survival(&self, t: f64) -> f64 {
        self.solved().map_or(1.0, |s| s.survival(t))
    }

    /// Returns P(response ≤ t), the response-time CDF; zero everywhere for an
    /// unstable station.
    pub fn response_cdf(&self, t: f64) -> f64 {
        self.solved().map_or(0.0, |s| s.cdf(t))
    }

    /// Returns the `q`-quantile of the response time (wait + service) in
    /// seconds, e.g. `q = 0.99` for the p99 the estimator prints, to a
    /// relative accuracy far better than 1e-9. `q` is clamped into [0, 1)
    /// (NaN counts as 0); an unstable station answers infinity.
    pub fn response_quantile(&self, q: f64) -> f64 {
        self.solved()
            .map_or(f64::INFINITY, |s| s.response_quantile(clamp_level(q)))
    }
}

/// One response-time law: an M/M/c station's (wait + service), or a fixed
/// latency (a station without a capacity limit, §7).
#[derive(Clone, Copy, Debug)]
pub struct Response(Law);

#[derive(Clone, Copy, Debug)]
enum Law {
    Station(Solved),
    Fixed(f64),
    /// No steady state: the response never ends.
    Unbounded,
}

impl Response {
    pub fn station(q: &MMc) -> Response {
        Response(q.solved().map_or(Law::Unbounded, Law::Station))
    }

    pub fn fixed(latency: f64) -> Response {
        Response(Law::Fixed(latency))
    }

    fn cdf(&self, t: f64) -> f64 {
        match self.0 {
            Law::Station(s) => s.cdf(t),
            Law::Fixed(l) => f64::from(u8::from(t >= l)),
            Law::Unbounded => 0.0,
        }
    }

    /// A time by which all but 1e-12 of the responses have ended.
    fn horizon(&self) -> f64 {
        match self.0 {
            Law::Station(s) => s.response_quantile(1.0 - 1e-12),
            Law::Fixed(l) => l,
            Law::Unbounded => f64::INFINITY,
        }
    }
}

/// The mean and the `q`-quantile of the slowest of several independent
/// responses, one per part, each part a mixture of laws `(weight, law)`
/// whose weights sum to 1: what a scatter-gather read waits for (one part
/// per shard, LANGUAGE.md §13). The mean is ∫ (1 − Π Fᵢ(t)) dt, by Simpson's
/// rule over 4,096 steps up to the time every part has ended but for 1e-12;
/// the quantile solves Π Fᵢ(t) = q by bisection. Responses of one
/// scatter-gather read at different shards are positively associated (they
/// arrive together), so the independent maximum is an upper bound on the
/// true mean, and close to it while waits are short beside service times.
pub fn slowest_of(parts: &[Vec<(f64, Response)>], q: f64) -> (f64, f64) {
    let horizon = parts
        .iter()
        .flatten()
        .filter(|(w, _)| *w > 0.0)
        .map(|(_, r)| r.horizon())
        .fold(0.0_f64, f64::max);
    if !horizon.is_finite() {
        return (f64::INFINITY, f64::INFINITY);
    }
    if horizon <= 0.0 {
        return (0.0, 0.0);
    }
    let all_ended = |t: f64| -> f64 {
        parts
            .iter()
            .map(|mix| mix.iter().map(|(w, r)| w * r.cdf(t)).sum::<f64>())
            .product()
    };
    // Fixed latencies are steps: with only those the slowest is exact.
    if parts
        .iter()
        .flatten()
        .all(|(w, r)| *w <= 0.0 || matches!(r.0, Law::Fixed(_)))
    {
        return (horizon, horizon);
    }
    const STEPS: usize = 4096;
    let h = horizon / STEPS as f64;
    let mut area = 0.0;
    for i in 0..=STEPS {
        let weight = if i == 0 || i == STEPS {
            1.0
        } else if i % 2 == 1 {
            4.0
        } else {
            2.0
        };
        area += weight * (1.0 - all_ended(i as f64 * h));
    }
    let mean = area * h / 3.0;
    let q = clamp_level(q);
    let (mut lo, mut hi) = (0.0, horizon);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if all_ended(mid) < q {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (mean, hi)
}

/// A stable station reduced to the three numbers its wait and response
/// distributions depend on: the waiting probability C, the wait's decay rate
/// θ = cμ − λ, and the service rate μ (all finite, θ and μ positive).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Solved {
    pub(crate) erlang: f64,
    pub(crate) theta: f64,
    pub(crate) mu: f64,
}

impl Solved {
    /// Returns the wait quantile for a level already clamped into [0, 1).
    fn wait_quantile(&self, q: f64) -> f64 {
        let c = self.erlang;
        if q <= 1.0 - c || c == 0.0 {
            return 0.0;
        }
        // Solve C·exp(−θt) = 1 − q; ln_1p keeps 1 − q accurate for small q.
        ((c.ln() - (-q).ln_1p()) / self.theta).max(0.0)
    }

    /// Returns the time the wait exceeds with probability `tail`; taking the
    /// tail rather than the level keeps tiny tails (levels within rounding of
    /// one) exact.
    fn wait_quantile_from_tail(&self, tail: f64) -> f64 {
        let c = self.erlang;
        if tail >= c || c == 0.0 {
            return 0.0;
        }
        ((c / tail).ln() / self.theta).max(0.0)
    }

    /// Returns P(response > t).
    ///
    /// With probability 1 − C the response is just the service time
    /// (exponential, rate μ); otherwise it is the sum of two independent
    /// exponentials with rates θ and μ, whose survival is written in a form
    /// that is exact when θ == μ (the Erlang-2 case) and free of cancellation
    /// and overflow near it (see `hypoexponential_survival`).
    fn survival(&self, t: f64) -> f64 {
        if t.is_nan() || t <= 0.0 {
            return 1.0;
        }
        let service = (-self.mu * t).exp();
        if self.erlang == 0.0 {
            return service;
        }
        let both = hypoexponential_survival(self.theta, self.mu, t);
        ((1.0 - self.erlang) * service + self.erlang * both).clamp(0.0, 1.0)
    }

    /// Returns P(response ≤ t), with the service-only part taken through
    /// `expm1` so that small times keep their precision.
    pub(crate) fn cdf(&self, t: f64) -> f64 {
        if t.is_nan() || t <= 0.0 {
            return 0.0;
        }
        let service_cdf = -(-self.mu * t).exp_m1();
        if self.erlang == 0.0 {
            return service_cdf;
        }
        let both_cdf = 1.0 - hypoexponential_survival(self.theta, self.mu, t);
        ((1.0 - self.erlang) * service_cdf + self.erlang * both_cdf).clamp(0.0, 1.0)
    }

    /// Returns the response quantile for a level already clamped into [0, 1).
    ///
    /// There is no closed-form inverse for the mixture, so the CDF is
    /// bisected inside a bracket that is correct by construction: the
    /// response is at least the service time and at least the wait, and by
    /// the union bound it is at most the sum of their (1 + q)/2 quantiles.
    fn response_quantile(&self, q: f64) -> f64 {
        if q == 0.0 {
            return 0.0;
        }
        let service_quantile = |level: f64| -(-level).ln_1p() / self.mu;
        if self.erlang == 0.0 {
            return service_quantile(q);
        }
        // The upper end uses the tail (1 − q) / 2 directly rather than the
        // level (1 + q) / 2, which rounds to exactly 1 (an infinite bracket)
        // for q near one.
        let half_tail = 0.5 * (1.0 - q);
        let mut lo = service_quantile(q).max(self.wait_quantile(q));
        let mut hi = -half_tail.ln() / self.mu + self.wait_quantile_from_tail(half_tail);
        // Above the median the survival side is the precise one (1 − q is
        // exact there); below it the CDF side is.
        let upper = q > 0.5;
        let tail = 1.0 - q;
        let reached = |t: f64| {
            if upper {
                self.survival(t) <= tail
            } else {
                self.cdf(t) >= q
            }
        };
        // The bracket is exact in theory; widen defensively in case rounding
        // put the root a hair outside it.
        let mut guard = 0;
        while !reached(hi) && guard < 64 {
            hi *= 2.0;
            guard += 1;
        }
        guard = 0;
        while reached(lo) && lo > 0.0 && guard < 64 {
            lo *= 0.5;
            guard += 1;
        }
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if hi - lo <= QUANTILE_REL_TOL * hi || mid <= lo || mid >= hi {
                break;
            }
            if reached(mid) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        0.5 * (lo + hi)
    }
}

/// Clamps a quantile level into [0, Q_MAX] so that out-of-range requests get
/// the nearest meaningful answer rather than NaN or infinity.
fn clamp_level(q: f64) -> f64 {
    if q.is_nan() || q <= 0.0 {
        0.0
    } else {
        q.min(Q_MAX)
    }
}

/// Returns P(X + Y > t) for independent exponentials X, Y with rates `a` and
/// `b` (both positive).
///
/// The textbook form (a·e^{−bt} − b·e^{−at}) / (a − b) divides by zero when
/// the rates coincide and cancels badly near it. Writing r = min(a, b),
/// s = max(a, b) and g(x) = (1 − e^{−x}) / x (with g(0) = 1) gives the
/// equivalent e^{−rt}·(1 + r·t·g((s − r)·t)), which is the Erlang-2 survival
/// (1 + rt)e^{−rt} when the rates coincide, never overflows (the argument of
/// g is non-negative) and loses no precision near equality thanks to `expm1`.
fn hypoexponential_survival(a: f64, b: f64, t: f64) -> f64 {
    let r = a.min(b);
    let s = a.max(b);
    let x = (s - r) * t;
    let g = if x == 0.0 { 1.0 } else { -(-x).exp_m1() / x };
    (-r * t).exp() * (1.0 + r * t * g)
}

/// Erlang B blocking probability by the standard stable recursion B(0)=1, B(k)= a B(k-1) / (k + a B(k-1)), a = lambda/mu (offered load in Erlangs).
///
/// The recursion only ever adds and divides positive numbers, so it neither
/// overflows (unlike a^c / c!) nor cancels, and its rounding errors do not
/// grow; it costs one step per server but stops as soon as B underflows to
/// zero, where it would stay. A NaN load is answered pessimistically with 1
/// (everything blocked), as is an infinite one; a non-positive load blocks
/// nothing; zero servers block everything.
pub fn erlang_b(offered: f64, servers: u64) -> f64 {
    if servers == 0 || offered.is_nan() || offered == f64::INFINITY {
        return 1.0;
    }
    if offered <= 0.0 {
        return 0.0;
    }
    let mut b = 1.0_f64;
    for k in 1..=servers {
        let ab = offered * b;
        b = ab / (k as f64 + ab);
        if b == 0.0 {
            break;
        }
    }
    b
}

/// Erlang C from offered load a and c servers, computed in a form that never overflows for c up to at least 100,000 (e.g. from Erlang B: C = B / (1 - rho (1 - B)), or a log-space sum) and stays accurate.
///
/// This uses the Erlang B route, rearranged to C = c·B / ((c − a) + a·B) so
/// that 1 − ρ is formed as (c − a) / c without cancellation; every term is
/// positive, so the result is as accurate as B itself. A load at or above
/// the server count (no steady state), a NaN or infinite load, and zero
/// servers all give 1: every arrival waits.
pub fn erlang_c(offered: f64, servers: u64) -> f64 {
    if servers == 0 || offered.is_nan() {
        return 1.0;
    }
    if offered <= 0.0 {
        return 0.0;
    }
    let c = servers as f64;
    if offered >= c {
        return 1.0;
    }
    let b = erlang_b(offered, servers);
    let value = c * b / ((c - offered) + offered * b);
    value.clamp(0.0, 1.0)
}

/// Smallest server count c in [min, max] whose utilization lambda/(c mu) <= target; returns (count, satisfied) with satisfied=false and count=max when none does.
///
/// This is the estimator's autoscale rule (LANGUAGE.md §7). The answer is
/// computed directly as ⌈λ / (μ·target)⌉ and then nudged by the exact
/// utilization test, so it costs O(1) even for huge ranges and agrees with
/// the `<=` comparison to the last bit. No traffic is satisfied by any count
/// (including zero) when the target is non-negative; invalid inputs (NaN,
/// negative λ, non-positive or non-finite μ) and an empty range (min > max)
/// are never satisfied.
pub fn servers_for_target(lambda: f64, mu: f64, target: f64, min: u64, max: u64) -> (u64, bool) {
    let fails = (max, false);
    if min > max || lambda.is_nan() || lambda < 0.0 || target.is_nan() {
        return fails;
    }
    if lambda == 0.0 {
        return if target >= 0.0 { (min, true) } else { fails };
    }
    if !(mu.is_finite() && mu > 0.0 && lambda.is_finite() && target > 0.0) {
        return fails;
    }
    let meets = |count: u64| count > 0 && lambda / (count as f64 * mu) <= target;
    let ideal = (lambda / (mu * target)).ceil();
    if !ideal.is_finite() || ideal > max as f64 + 1.0 {
        return if meets(max) { (max, true) } else { fails };
    }
    // `ideal` is finite, non-negative and at most max + 1 here, so the
    // conversion is exact up to float rounding, which the loops absorb.
    let mut count = (ideal as u64).clamp(min, max);
    let mut steps = 0;
    while count > min && meets(count - 1) && steps < 8 {
        count -= 1;
        steps += 1;
    }
    steps = 0;
    while !meets(count) && count < max && steps < 8 {
        count += 1;
        steps += 1;
    }
    if meets(count) { (count, true) } else { fails }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slowest_of_identical_mm1_is_the_harmonic_number() {
        // The slowest of K independent exponentials of rate θ has mean
        // H_K / θ, and P(max ≤ t) = (1 − e^(−θt))^K.
        let q = MMc {
            lambda: 100.0,
            mu: 200.0,
            servers: 1,
        };
        let parts = vec![vec![(1.0, Response::station(&q))]; 4];
        let (mean, p99) = slowest_of(&parts, 0.99);
        let harmonic = 1.0 + 1.0 / 2.0 + 1.0 / 3.0 + 1.0 / 4.0;
        assert!((mean - harmonic / 100.0).abs() < 1e-9, "{mean}");
        let want = -(1.0 - 0.99_f64.powf(0.25)).ln() / 100.0;
        assert!((p99 - want).abs() < 1e-9, "{p99} {want}");
    }

    fn rel(a: f64, b: f64) -> f64 {
        ((a - b) / b).abs()
    }

    fn assert_rel(got: f64, want: f64, tol: f64, what: &str) {
        if want == 0.0 {
            assert_eq!(got, 0.0, "{what}: both should underflow to zero");
            return;
        }
        assert!(
            rel(got, want) <= tol,
            "{what}: got {got}, want {want}, rel err {}",
            rel(got, want)
        );
    }

    fn station(lambda: f64, mu: f64, servers: u64) -> MMc {
        MMc {
            lambda,
            mu,
            servers,
        }
    }

    /// Erlang C by the textbook formula, summed in log space with
    /// ln Γ(k + 1) taken as a running (Kahan-compensated) sum of logs, and
    /// every term scaled by the largest one so nothing overflows. Shares no
    /// code with the Erlang B recursion under test.
    fn erlang_c_log_space(a: f64, c: u64) -> f64 {
        // ln(t_k / t_c) for t_k = a^k / k!, k = c-1 down to 0:
        // ln Γ(c+1) − ln Γ(k+1) − (c − k) ln a = Σ_{i=k+1}^{c} (ln i − ln a).
        let ln_a = a.ln();
        let cf = c as f64;
        // The last term of the denominator, t_c·c/(c−a), relative to t_c.
        let ln_last = (cf / (cf - a)).ln();
        let mut logs = vec![ln_last];
        let mut log_ratio = 0.0_f64;
        let mut comp = 0.0_f64;
        for i in (1..=c).rev() {
            let term = ((i as f64).ln() - ln_a) - comp;
            let next = log_ratio + term;
            comp = (next - log_ratio) - term;
            log_ratio = next;
            // log_ratio is now ln(t_{i-1} / t_c).
            logs.push(log_ratio);
        }
        let peak = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let total: f64 = logs.iter().map(|l| (l - peak).exp()).sum();
        (ln_last - peak - total.ln()).exp()
    }

    /// The response-time density, written independently of the module's
    /// survival form: a mixture of an exponential (no wait) and the
    /// hypoexponential density θμ/(μ − θ)(e^{−θt} − e^{−μt}), with the
    /// Erlang-2 density μ²te^{−μt} when the rates coincide.
    fn response_density(s: &MMc, erlang: f64, t: f64) -> f64 {
        let mu = s.mu;
        let theta = s.servers as f64 * mu - s.lambda;
        let direct = (1.0 - erlang) * mu * (-mu * t).exp();
        let both = if theta == mu {
            mu * mu * t * (-mu * t).exp()
        } else {
            theta * mu / (mu - theta) * ((-theta * t).exp() - (-mu * t).exp())
        };
        direct + erlang * both
    }

    /// Composite Simpson integration of the density over [0, t].
    fn integrate_density(s: &MMc, erlang: f64, t: f64, n: usize) -> f64 {
        let h = t / n as f64;
        let mut acc = response_density(s, erlang, 0.0) + response_density(s, erlang, t);
        for i in 1..n {
            let w = if i % 2 == 1 { 4.0 } else { 2.0 };
            acc += w * response_density(s, erlang, i as f64 * h);
        }
        acc * h / 3.0
    }

    #[test]
    fn textbook_means() {
        // Published M/M/c examples (Wq, W) to four significant figures.
        let cases = [
            (2.0, 1.0, 3, 0.4444, 1.444),
            (0.35, 0.1, 4, 14.76, 24.76),
            (1000.0, 100.0, 12, 0.002247, 0.01225),
        ];
        for (lambda, mu, c, wq, w) in cases {
            let s = station(lambda, mu, c);
            assert_rel(s.mean_wait(), wq, 1e-3, "Wq");
            assert_rel(s.mean_response(), w, 1e-3, "W");
            assert_rel(s.mean_queue_length(), lambda * wq, 1e-3, "Lq");
        }
        // (2, 1, 3) is small enough to know exactly: C = 4/9.
        assert_rel(station(2.0, 1.0, 3).erlang_c(), 4.0 / 9.0, 1e-14, "C");
    }

    #[test]
    fn mm1_matches_exponential_sojourn() {
        for rho in [0.5, 0.9] {
            let mu = 10.0;
            let lambda = rho * mu;
            let s = station(lambda, mu, 1);
            assert_rel(s.erlang_c(), rho, 1e-14, "C = rho");
            assert_rel(s.mean_wait(), rho / (mu - lambda), 1e-12, "Wq");
            assert_rel(s.mean_response(), 1.0 / (mu - lambda), 1e-12, "W");
            let p99 = -(0.01_f64).ln() / (mu - lambda);
            assert_rel(s.response_quantile(0.99), p99, 1e-9, "p99");
            for q in [0.1_f64, 0.5, 0.9, 0.999] {
                let want = -(1.0 - q).ln() / (mu - lambda);
                assert_rel(s.response_quantile(q), want, 1e-9, "quantile");
            }
        }
    }

    #[test]
    fn wait_response_quantile_is_the_three_figures() {
        for (lambda, mu, servers) in [
            (0.0, 10.0, 1),
            (7.0, 10.0, 1),
            (30.0, 4.0, 9),
            (999.0, 1.0, 1000),
            (12.0, 4.0, 3),
            (50.0, 4.0, 3),
            (5.0, 1.0, 0),
        ] {
            let q = MMc {
                lambda,
                mu,
                servers,
            };
            let (w, r, p) = q.wait_response_quantile(0.99);
            let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
            assert!(same(w, q.mean_wait()), "{lambda} {mu} {servers}");
            assert!(same(r, q.mean_response()), "{lambda} {mu} {servers}");
            assert!(
                same(p, q.response_quantile(0.99)),
                "{lambda} {mu} {servers}"
            );
        }
    }

    #[test]
    fn erlang_b_small_exact_values() {
        // B(a, 1) = a / (1 + a); B(2, 2) = 2 / (1 + 2 + 2).
        assert_rel(erlang_b(1.0, 1), 0.5, 1e-15, "B(1,1)");
        assert_rel(erlang_b(2.0, 2), 0.4, 1e-15, "B(2,2)");
        assert_eq!(erlang_b(5.0, 0), 1.0);
        assert_eq!(erlang_b(0.0, 3), 0.0);
        assert_eq!(erlang_b(f64::NAN, 3), 1.0);
        assert_eq!(erlang_c(3.0, 3), 1.0);
        assert_eq!(erlang_c(0.0, 3), 0.0);
        // Far more servers than load: B underflows and the loop stops early.
        assert_eq!(erlang_b(1.0, u64::MAX), 0.0);
    }

    #[test]
    fn erlang_c_large_c_matches_log_space_sum() {
        for c in [1_000_u64, 10_000] {
            // At c = 10,000 and rho = 0.5 both sides underflow to exactly 0.
            for rho in [0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.999] {
                let a = rho * c as f64;
                let got = erlang_c(a, c);
                let want = erlang_c_log_space(a, c);
                assert_rel(got, want, 1e-9, &format!("C(c={c}, rho={rho})"));
            }
        }
    }

    #[test]
    fn erlang_c_hundred_thousand_servers_is_finite_and_accurate() {
        let c = 100_000_u64;
        for rho in [0.99, 0.999] {
            let a = rho * c as f64;
            let got = erlang_c(a, c);
            assert!(got.is_finite() && (0.0..=1.0).contains(&got));
            assert_rel(got, erlang_c_log_space(a, c), 1e-9, "C(1e5)");
        }
    }

    #[test]
    fn response_quantile_inverts_cdf() {
        let stations = [
            station(2.0, 1.0, 3),
            station(0.35, 0.1, 4),
            station(1000.0, 100.0, 12),
            station(950.0, 1.0, 1000),
            station(1.0, 1.0, 2), // theta == mu exactly
            station(9.0, 10.0, 1),
        ];
        for s in stations {
            for q in [0.01, 0.3, 0.5, 0.9, 0.99, 0.999] {
                let t = s.response_quantile(q);
                assert!(t.is_finite() && t > 0.0);
                let f = s.response_cdf(t);
                assert!((f - q).abs() <= 1e-12, "{s:?} q={q}: CDF(t)={f}");
                assert!((1.0 - s.response_survival(t) - q).abs() <= 1e-12);
            }
        }
    }

    #[test]
    fn response_quantile_matches_numerical_integration() {
        let stations = [
            station(2.0, 1.0, 3),
            station(0.35, 0.1, 4),
            station(1000.0, 100.0, 12),
            station(1.0, 1.0, 2),    // theta == mu: Erlang-2 branch
            station(1.5, 1.0, 2),    // theta < mu
            station(38.0, 1.0, 40),  // theta > mu, heavy load
            station(10.0, 2.0, 100), // almost never waits
        ];
        for s in stations {
            let erlang = s.erlang_c();
            for q in [0.5, 0.9, 0.99] {
                let t = s.response_quantile(q);
                let integrated = integrate_density(&s, erlang, t, 200_000);
                // Convert the CDF mismatch into the implied relative error of
                // the quantile itself: dt / t = dF / (f(t) t).
                let implied = (integrated - q).abs() / (response_density(&s, erlang, t) * t);
                assert!(
                    implied <= 1e-9,
                    "{s:?} q={q}: integral {integrated}, implied rel err {implied}"
                );
            }
        }
    }

    #[test]
    fn coinciding_rates_are_continuous() {
        // theta = 2 mu - lambda; at lambda = mu it equals mu exactly.
        let exact = station(1.0, 1.0, 2).response_quantile(0.99);
        for eps in [1e-12, 1e-9, 1e-6] {
            for sign in [-1.0, 1.0] {
                let near = station(1.0 + sign * eps, 1.0, 2).response_quantile(0.99);
                assert!(rel(near, exact) <= 10.0 * eps + 1e-12, "eps={eps}");
            }
        }
        // Erlang-2 check: (1 + t) e^{-t} at the exact p99 with C = 1/3.
        let s = station(1.0, 1.0, 2);
        let c = s.erlang_c();
        assert_rel(c, 1.0 / 3.0, 1e-14, "C");
        let surv = (1.0 - c) * (-exact).exp() + c * (1.0 + exact) * (-exact).exp();
        assert_rel(surv, 0.01, 1e-9, "Erlang-2 survival");
    }

    #[test]
    fn mean_of_response_distribution_is_w() {
        // ∫ S(t) dt = E[T]; Simpson over a range that holds all but e^-60.
        for s in [
            station(2.0, 1.0, 3),
            station(1.0, 1.0, 2),
            station(38.0, 1.0, 40),
        ] {
            let end = s.response_quantile(Q_MAX) * 2.0;
            let n = 200_000;
            let h = end / n as f64;
            let mut acc = s.response_survival(0.0) + s.response_survival(end);
            for i in 1..n {
                let w = if i % 2 == 1 { 4.0 } else { 2.0 };
                acc += w * s.response_survival(i as f64 * h);
            }
            assert_rel(acc * h / 3.0, s.mean_response(), 1e-9, "E[T]");
        }
    }

    #[test]
    fn wait_quantile_closed_form() {
        let s = station(2.0, 1.0, 3);
        let c = 4.0 / 9.0;
        // Below 1 - C the wait is zero.
        assert_eq!(s.wait_quantile(0.5), 0.0);
        let want = (c / 0.01_f64).ln() / 1.0;
        assert_rel(s.wait_quantile(0.99), want, 1e-12, "wait p99");
        assert!((s.wait_cdf(want) - 0.99).abs() <= 1e-12);
    }

    #[test]
    fn edge_cases_never_nan() {
        let idle = station(0.0, 4.0, 3);
        assert!(idle.is_stable());
        assert_eq!(idle.utilization(), 0.0);
        assert_eq!(idle.erlang_c(), 0.0);
        assert_eq!(idle.mean_wait(), 0.0);
        assert_eq!(idle.mean_queue_length(), 0.0);
        assert_eq!(idle.mean_response(), 0.25);
        assert_rel(
            idle.response_quantile(0.99),
            -(0.01_f64).ln() / 4.0,
            1e-12,
            "idle p99",
        );
        assert_eq!(idle.wait_quantile(0.99), 0.0);

        for bad in [
            station(3.0, 1.0, 3),
            station(5.0, 1.0, 3),
            station(1.0, 0.0, 3),
            station(1.0, 1.0, 0),
            station(f64::NAN, 1.0, 3),
            station(1.0, f64::NAN, 3),
            station(-1.0, 1.0, 3),
            station(f64::INFINITY, 1.0, 3),
        ] {
            assert!(!bad.is_stable(), "{bad:?}");
            assert_eq!(bad.erlang_c(), 1.0);
            assert_eq!(bad.mean_wait(), f64::INFINITY);
            assert_eq!(bad.mean_response(), f64::INFINITY);
            assert_eq!(bad.mean_queue_length(), f64::INFINITY);
            assert_eq!(bad.response_quantile(0.99), f64::INFINITY);
            assert_eq!(bad.wait_quantile(0.99), f64::INFINITY);
            assert!(!bad.utilization().is_nan());
        }

        let s = station(2.0, 1.0, 3);
        assert_eq!(s.response_quantile(-1.0), 0.0);
        assert_eq!(s.response_quantile(f64::NAN), 0.0);
        let top = s.response_quantile(2.0);
        assert!(top.is_finite() && top > s.response_quantile(0.999_999));
        assert_eq!(top, s.response_quantile(1.0));
    }

    #[test]
    fn servers_for_target_examples() {
        // 1000/s at 100/s per server, 70% target: ceil(1000 / 70) = 15.
        assert_eq!(servers_for_target(1000.0, 100.0, 0.7, 1, 50), (15, true));
        // Exactly on the boundary counts as satisfied: 1000/(10*100) = 1.0.
        assert_eq!(servers_for_target(1000.0, 100.0, 1.0, 1, 50), (10, true));
        // 0.5 is exact: 800/(16*100) = 0.5.
        assert_eq!(servers_for_target(800.0, 100.0, 0.5, 1, 50), (16, true));
        // The minimum wins when load is light.
        assert_eq!(servers_for_target(10.0, 100.0, 0.7, 3, 50), (3, true));
        // Not enough room: clamp to max, unsatisfied.
        assert_eq!(servers_for_target(1000.0, 100.0, 0.7, 1, 10), (10, false));
        assert_eq!(servers_for_target(1e30, 1.0, 0.7, 1, 10), (10, false));
        // No traffic scales to the minimum, even zero.
        assert_eq!(servers_for_target(0.0, 100.0, 0.7, 0, 10), (0, true));
        // Garbage in is never "satisfied".
        assert_eq!(servers_for_target(f64::NAN, 100.0, 0.7, 1, 10), (10, false));
        assert_eq!(servers_for_target(10.0, 0.0, 0.7, 1, 10), (10, false));
        assert_eq!(servers_for_target(10.0, 100.0, 0.7, 5, 2), (2, false));
        // Agreement with a brute-force scan over many inputs.
        for lambda in [1.0, 7.0, 99.0, 350.0, 1234.5] {
            for target in [0.3, 0.5, 0.7, 0.85, 1.0] {
                let mu = 13.0;
                let scan = (1..=200_u64).find(|&c| lambda / (c as f64 * mu) <= target);
                let got = servers_for_target(lambda, mu, target, 1, 200);
                match scan {
                    Some(c) => assert_eq!(got, (c, true)),
                    None => assert_eq!(got, (200, false)),
                }
            }
        }
    }

    #[test]
    fn property_no_nan_and_wait_monotone_in_lambda() {
        for &mu in &[0.1, 1.0, 37.0, 5000.0] {
            for &c in &[1_u64, 2, 3, 7, 16, 64, 500, 4096] {
                let mut previous = 0.0;
                let mut previous_p99 = 0.0;
                for step in 0..=60 {
                    let rho = step as f64 / 60.0 * 0.999;
                    let s = station(rho * c as f64 * mu, mu, c);
                    let values = [
                        s.utilization(),
                        s.erlang_c(),
                        s.mean_wait(),
                        s.mean_response(),
                        s.mean_queue_length(),
                        s.wait_quantile(0.99),
                        s.response_quantile(0.5),
                        s.response_quantile(0.99),
                    ];
                    for v in values {
                        assert!(!v.is_nan() && v >= 0.0, "{s:?}: {values:?}");
                    }
                    assert!((0.0..=1.0).contains(&s.erlang_c()));
                    let wq = s.mean_wait();
                    assert!(wq >= previous, "Wq fell at {s:?}: {wq} < {previous}");
                    previous = wq;
                    let p99 = s.response_quantile(0.99);
                    assert!(p99 >= previous_p99 * (1.0 - 1e-12), "p99 fell at {s:?}");
                    previous_p99 = p99;
                    assert!(s.response_quantile(0.9) <= p99);
                    assert!(s.mean_response() >= 1.0 / mu * (1.0 - 1e-15));
                }
            }
        }
    }
}
