//! The discrete-event loop.
//!
//! Events are `u128` keys in a binary heap: simulated time (the bits of a
//! non-negative `f64`, which order like the numbers), then the event kind
//! (so simultaneous events apply in a fixed order: scenario changes before
//! completions before arrivals), then an index and a tag. Nothing is
//! allocated per event: requests live in a slab of slots reused through a
//! free list, each with a fixed stack of call frames; waiting lines and free
//! worker lists are `VecDeque`s that stop growing once the run has reached
//! its largest backlog.
//!
//! A request is one token walking its call tree depth first (§6–§7): at a
//! copy it waits in the FIFO queue, is served by a worker for an exponential
//! time of mean k/C, releases the worker, then makes the copy's matching
//! calls in order, each a hop away. Its response time is everything between
//! its arrival at the entry and the return of its last call.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use rand::{RngExt, SeedableRng};
use rand_distr::Exp1;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::measure::{
    Cause, ClassResult, CopyResult, JobsResult, Recorder, RunResult, ShardResult, WindowResult,
    utilization,
};
use super::plan::{After, Exec, NONE, Plan, TargetPlan};
use crate::model::ReadFrom;

// Event kinds, in the order simultaneous events are handled: measurement
// boundaries first, so windows and buckets are half-open [start, end) and
// what happens at a boundary belongs to the next one.
pub(super) const K_BOUNDARY: u32 = 0;
pub(super) const K_TICK: u32 = 1;
pub(super) const K_SCENARIO: u32 = 2;
pub(super) const K_DNS: u32 = 3;
pub(super) const K_PROMOTE: u32 = 4;
pub(super) const K_DETECT: u32 = 5;
pub(super) const K_AUTOSCALE: u32 = 6;
pub(super) const K_DONE: u32 = 7;
pub(super) const K_RESUME: u32 = 8;
pub(super) const K_ARRIVAL: u32 = 9;
pub(super) const K_END: u32 = 15;

/// Indices must fit under the kind in 32 bits.
pub const MAX_INDEX: usize = (1 << 28) - 1;

// Request kinds.
pub(super) const USER: u8 = 0;
pub(super) const JOB: u8 = 1;
pub(super) const APPLY: u8 = 2;
/// One shard's part of a scatter-gather read; its parent is in `aux`.
pub(super) const SCATTER: u8 = 3;

// What a request does when its `K_RESUME` event fires.
const P_ARRIVE: u8 = 0;
const P_DELAY: u8 = 1;
const P_RETURN: u8 = 2;

const WRITE: u8 = 2;
const STATIC: u8 = 0;

// Database roles as stored in a request.
const ROLE_NONE: u8 = 0;
const ROLE_PRIMARY: u8 = 1;
const ROLE_REPLICAS: u8 = 2;

/// Events between two progress reports.
const PROGRESS_EVERY: u64 = 1 << 16;

#[inline]
fn key(t: f64, kind: u32, idx: u32, tag: u32) -> u128 {
    (u128::from(t.to_bits()) << 64) | (u128::from((kind << 28) | idx) << 32) | u128::from(tag)
}

#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Req {
    /// Arrival at the entry (for a message: its creation).
    pub t0: f64,
    /// The earliest `timeout` among the services the request is inside.
    pub deadline: f64,
    /// The deadline before the copy the request is at now.
    pub prev_deadline: f64,
    /// Node to arrive at, or the delay node, for a pending resume.
    pub aux: u32,
    /// For a message: its queue (index into `Plan::queues`).
    pub origin: u32,
    /// The delay node's epoch when the request entered it.
    pub epoch: u32,
    pub class: u8,
    pub kind: u8,
    pub depth: u8,
    pub role: u8,
    pub pending: u8,
    /// The call being made is a scatter-gather read (`all-shards`).
    pub scatter: bool,
    /// For a scatter-gather read at a database: its shard parts still
    /// out. For a part: the shard it is for.
    pub fork: u32,
    /// Why a part of a scatter-gather read failed, if one did.
    pub fork_failed: Option<Cause>,
}

/// One copy whose calls a request is making.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Frame {
    /// The deadline to restore when the frame is done.
    pub saved: f64,
    pub node: u32,
    /// The next call to consider.
    pub pos: u16,
    /// The shared call this request takes, or [`NONE`].
    pub chosen: u16,
    /// Calls already made of the call at `pos` (a call count, `x10`, makes
    /// several in turn).
    pub made: u32,
}

#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Worker {
    pub req: u32,
    pub epoch: u32,
    pub station: u32,
    pub instance: u32,
    pub busy: bool,
}

#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Instance {
    pub up: bool,
    pub active: bool,
    pub undetected: bool,
    pub fail_gen: u32,
}

#[derive(Clone, Debug, Default)]
pub(super) struct StationState {
    pub queue: VecDeque<u32>,
    pub free: VecDeque<u32>,
    pub busy: u32,
    pub live_workers: u32,
    pub live_instances: u32,
    pub undetected: u32,
    pub last_t: f64,
    pub busy_area: f64,
    pub live_area: f64,
    pub queue_area: f64,
    pub dropped: u64,
    pub errors: u64,
    /// Arrivals since the last autoscale decision.
    pub period_arrivals: u64,
    pub max_queue: u64,
}

pub(super) struct Engine<'p> {
    pub p: &'p Plan,
    pub rng: Xoshiro256PlusPlus,
    pub now: f64,
    heap: BinaryHeap<Reverse<u128>>,
    /// Events in the heap that are not recurring timers.
    pending: u64,
    pub reqs: Vec<Req>,
    frames: Vec<Frame>,
    free_reqs: Vec<u32>,
    pub st: Vec<StationState>,
    pub inst: Vec<Instance>,
    pub workers: Vec<Worker>,
    pub node_up: Vec<bool>,
    pub node_epoch: Vec<u32>,
    pub node_arrivals: Vec<u64>,
    pub node_errors: Vec<u64>,
    pub targets: Vec<TargetPlan>,
    /// Per database, per shard: the slot that is primary now.
    pub db_primary: Vec<Vec<u32>>,
    /// Per database, per shard: a promotion is under way (its generation).
    pub db_promoting: Vec<Vec<Option<u32>>>,
    pub db_gen: Vec<Vec<u32>>,
    /// Per database, per shard: the station failed as primary by a scenario.
    pub db_failed_primary: Vec<Vec<Option<u32>>>,
    pub db_shard_arrivals: Vec<Vec<u64>>,
    pub dc_up: Vec<bool>,
    /// Per DNS, per datacenter: healthy as last seen, routable now, and
    /// the generation of the pending change.
    pub dns_healthy: Vec<Vec<bool>>,
    pub dns_routable: Vec<Vec<bool>>,
    pub dns_gen: Vec<Vec<u32>>,
    pub rate_factor: f64,
    arrival_gen: u32,
    arrivals_open: bool,
    /// When `--requests` closed the arrivals.
    arrivals_closed_at: Option<f64>,
    measured_arrivals: u64,
    in_flight: u64,
    pub events: u64,
    depth: usize,
    end_time: f64,
    pub rec: Recorder,
    /// Per station at the last bucket boundary: busy and live areas.
    bucket_snap: Vec<[f64; 3]>,
    bucket_arrivals: Vec<u64>,
    next_tick: f64,
    whole_start: Vec<[f64; 3]>,
    whole_arrivals: Vec<u64>,
    whole_dropped: Vec<u64>,
    whole_errors: Vec<u64>,
    whole_shards: Vec<Vec<u64>>,
    stopped: bool,
}

impl<'p> Engine<'p> {
    pub fn new(p: &'p Plan, seed: u64) -> Engine<'p> {
        let nodes = p.nodes.len();
        let mut e = Engine {
            p,
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            now: 0.0,
            heap: BinaryHeap::new(),
            pending: 0,
            reqs: Vec::new(),
            frames: Vec::new(),
            free_reqs: Vec::new(),
            st: vec![StationState::default(); p.stations.len()],
            inst: vec![Instance::default(); p.instances],
            workers: vec![Worker::default(); p.workers],
            node_up: vec![true; nodes],
            node_epoch: vec![0; nodes],
            node_arrivals: vec![0; nodes],
            node_errors: vec![0; nodes],
            targets: p.targets.clone(),
            db_primary: p.dbs.iter().map(|d| vec![0; d.shards.len()]).collect(),
            db_promoting: p.dbs.iter().map(|d| vec![None; d.shards.len()]).collect(),
            db_gen: p.dbs.iter().map(|d| vec![0; d.shards.len()]).collect(),
            db_failed_primary: p.dbs.iter().map(|d| vec![None; d.shards.len()]).collect(),
            db_shard_arrivals: p.dbs.iter().map(|d| vec![0; d.shards.len()]).collect(),
            dc_up: vec![true; p.datacenters],
            dns_healthy: p.dns.iter().map(|d| vec![true; d.dcs.len()]).collect(),
            dns_routable: p.dns.iter().map(|d| vec![true; d.dcs.len()]).collect(),
            dns_gen: p.dns.iter().map(|d| vec![0; d.dcs.len()]).collect(),
            rate_factor: 1.0,
            arrival_gen: 0,
            arrivals_open: true,
            arrivals_closed_at: None,
            measured_arrivals: 0,
            in_flight: 0,
            events: 0,
            depth: p.depth,
            end_time: f64::INFINITY,
            rec: Recorder::new(p.warmup, p.bucket, &p.windows, nodes),
            bucket_snap: vec![[0.0; 3]; p.stations.len()],
            bucket_arrivals: vec![0; nodes],
            next_tick: p.warmup + p.bucket,
            whole_start: vec![[0.0; 3]; p.stations.len()],
            whole_arrivals: vec![0; nodes],
            whole_dropped: vec![0; p.stations.len()],
            whole_errors: vec![0; nodes],
            whole_shards: p.dbs.iter().map(|d| vec![0; d.shards.len()]).collect(),
            stopped: false,
        };
        for (s, sp) in p.stations.iter().enumerate() {
            for i in 0..sp.max_instances {
                let gi = (sp.first_instance + i) as usize;
                let active = i < sp.start_instances;
                e.inst[gi] = Instance {
                    up: true,
                    active,
                    undetected: false,
                    fail_gen: 0,
                };
                for j in 0..sp.k {
                    let w = sp.first_worker + i * sp.k + j;
                    e.workers[w as usize] = Worker {
                        req: 0,
                        epoch: 0,
                        station: s as u32,
                        instance: gi as u32,
                        busy: false,
                    };
                }
            }
            let st = &mut e.st[s];
            st.live_instances = sp.start_instances;
            st.live_workers = sp.start_instances * sp.k;
            // Interleave instances in the free list so consecutive requests
            // land on different instances, as a balancer would send them.
            for j in 0..sp.k {
                for i in 0..sp.start_instances {
                    st.free.push_back(sp.first_worker + i * sp.k + j);
                }
            }
        }
        e
    }

    /// Recurring timers do not keep a run bounded by requests alive.
    #[inline]
    fn is_timer(kind: u32) -> bool {
        kind == K_BOUNDARY || kind == K_TICK || kind == K_AUTOSCALE
    }

    #[inline]
    fn push(&mut self, t: f64, kind: u32, idx: u32, tag: u32) {
        if !Self::is_timer(kind) {
            self.pending += 1;
        }
        self.heap.push(Reverse(key(t, kind, idx, tag)));
    }

    #[inline]
    pub fn uniform(&mut self) -> f64 {
        self.rng.random::<f64>()
    }

    #[inline]
    fn exp(&mut self) -> f64 {
        self.rng.sample(Exp1)
    }

    /// Runs to the end; `progress` receives the fraction done now and then.
    pub fn run(mut self, progress: &dyn Fn(f64)) -> RunResult {
        let p = self.p;
        if let Some(d) = p.duration {
            self.end_time = p.warmup + d;
            self.push(self.end_time, K_END, 0, 0);
        }
        for (i, e) in p.events.iter().enumerate() {
            self.push(p.warmup + e.at, K_SCENARIO, i as u32, 0);
        }
        for (i, w) in p.windows.iter().enumerate().skip(1) {
            self.push(p.warmup + w.0, K_BOUNDARY, (i * 2) as u32, 0);
            if w.1.is_finite() {
                self.push(p.warmup + w.1, K_BOUNDARY, (i * 2 + 1) as u32, 0);
            }
        }
        // The whole run's window opens at the end of the warm-up.
        self.push(p.warmup, K_BOUNDARY, 0, 0);
        self.push(self.next_tick, K_TICK, 0, 0);
        if p.stations.iter().any(|s| s.autoscale.is_some()) {
            self.push(super::plan::AUTOSCALE_PERIOD_S, K_AUTOSCALE, 0, 0);
        }
        let first = self.exp() / p.rate;
        self.push(first, K_ARRIVAL, 0, self.arrival_gen);

        let mut next_report = PROGRESS_EVERY;
        while let Some(Reverse(ev)) = self.heap.pop() {
            let t = f64::from_bits((ev >> 64) as u64);
            self.now = t;
            let x = (ev >> 32) as u32;
            let tag = ev as u32;
            let kind = x >> 28;
            let idx = x & ((1 << 28) - 1);
            if !Self::is_timer(kind) {
                self.pending -= 1;
            }
            match kind {
                K_DONE => self.on_done(idx, tag),
                K_RESUME => self.on_resume(idx),
                K_ARRIVAL => self.on_arrival(tag),
                K_TICK => self.on_tick(),
                K_BOUNDARY => self.on_boundary(idx as usize),
                K_AUTOSCALE => {
                    self.autoscale();
                    self.push(t + super::plan::AUTOSCALE_PERIOD_S, K_AUTOSCALE, 0, 0);
                }
                K_SCENARIO => self.scenario_event(idx as usize),
                K_DNS => self.dns_update(idx, tag),
                K_PROMOTE => self.promote(idx, tag),
                K_DETECT => self.detected(idx, tag),
                _ => {
                    // K_END: the run's time is up.
                    break;
                }
            }
            if (!self.arrivals_open && self.in_flight == 0) || self.pending == 0 {
                // Every request has finished, or nothing but recurring
                // timers is left (say, arrivals stopped by `traffic 0x`):
                // nothing can happen any more.
                break;
            }
            if self.events >= next_report {
                next_report = self.events + PROGRESS_EVERY;
                progress(self.fraction_done());
            }
        }
        self.stopped = true;
        progress(1.0);
        self.finish()
    }

    fn fraction_done(&self) -> f64 {
        let by_time = if self.end_time.is_finite() {
            self.now / self.end_time
        } else {
            0.0
        };
        let by_requests = self
            .p
            .requests
            .map_or(0.0, |n| self.measured_arrivals as f64 / n as f64);
        by_time.max(by_requests).clamp(0.0, 1.0)
    }

    // ---- requests -----------------------------------------------------

    fn alloc(&mut self, kind: u8, class: u8) -> u32 {
        let r = Req {
            t0: self.now,
            deadline: f64::INFINITY,
            prev_deadline: f64::INFINITY,
            aux: 0,
            origin: 0,
            epoch: 0,
            class,
            kind,
            depth: 0,
            role: ROLE_NONE,
            pending: 0,
            scatter: false,
            fork: 0,
            fork_failed: None,
        };
        match self.free_reqs.pop() {
            Some(i) => {
                self.reqs[i as usize] = r;
                i
            }
            None => {
                let i = self.reqs.len() as u32;
                self.reqs.push(r);
                self.frames
                    .extend(std::iter::repeat_n(Frame::default(), self.depth));
                i
            }
        }
    }

    #[inline]
    fn release(&mut self, r: u32) {
        self.free_reqs.push(r);
    }

    fn on_arrival(&mut self, tag: u32) {
        if tag != self.arrival_gen || !self.arrivals_open {
            return;
        }
        let p = self.p;
        let next = self.now + self.exp() / (p.rate * self.rate_factor);
        if self.now >= p.warmup {
            self.measured_arrivals += 1;
            if p.requests.is_some_and(|n| self.measured_arrivals >= n) {
                self.arrivals_open = false;
                self.arrivals_closed_at = Some(self.now);
            }
        }
        if self.arrivals_open && next < self.end_time {
            self.push(next, K_ARRIVAL, 0, self.arrival_gen);
        }
        let u = self.uniform();
        let class = if u < p.class_cum[0] {
            0
        } else if u < p.class_cum[1] {
            1
        } else {
            2
        };
        if self.now >= p.warmup {
            self.rec.class_arrivals[class as usize] += 1;
        }
        let node = if p.entries.len() == 1 {
            p.entries[0].0
        } else {
            let u = self.uniform();
            p.entries
                .iter()
                .find(|e| u < e.1)
                .or(p.entries.last())
                .map_or(0, |e| e.0)
        };
        if p.entries.is_empty() {
            return;
        }
        let r = self.alloc(USER, class);
        self.in_flight += 1;
        self.arrive(r, node);
    }

    /// A request reaches copy `n`.
    fn arrive(&mut self, r: u32, n: u32) {
        let p = self.p;
        let node = &p.nodes[n as usize];
        self.node_arrivals[n as usize] += 1;
        let now = self.now;
        {
            let req = &mut self.reqs[r as usize];
            req.prev_deadline = req.deadline;
            if req.kind == USER && node.timeout.is_finite() {
                req.deadline = req.deadline.min(now + node.timeout);
            }
        }
        match node.exec {
            Exec::Station(s) => self.station_arrive(s as usize, r),
            Exec::Db(d) => self.db_arrive(d as usize, r),
            Exec::Pass => {
                if self.node_up[n as usize] {
                    self.after_service(r, n);
                } else {
                    self.down_node(r, n);
                }
            }
            Exec::Delay(latency) => {
                if self.node_up[n as usize] {
                    self.events += 1;
                    let epoch = self.node_epoch[n as usize];
                    let req = &mut self.reqs[r as usize];
                    req.pending = P_DELAY;
                    req.aux = n;
                    req.epoch = epoch;
                    let extra = if req.class == WRITE {
                        node.write_delay
                    } else {
                        0.0
                    };
                    self.push(now + latency + extra, K_RESUME, r, 0);
                } else {
                    self.down_node(r, n);
                }
            }
        }
    }

    /// A request reaches a copy without instances that is down: a CDN with
    /// `fallback = origin` is skipped, anything else fails.
    fn down_node(&mut self, r: u32, n: u32) {
        if let After::Cdn {
            fallback_origin: true,
            ..
        } = self.p.nodes[n as usize].after
        {
            self.push_calls(r, n);
        } else {
            self.node_errors[n as usize] += 1;
            self.fail(r, Cause::DeadInstance);
        }
    }

    fn on_resume(&mut self, r: u32) {
        let req = self.reqs[r as usize];
        match req.pending {
            P_ARRIVE => self.arrive(r, req.aux),
            P_DELAY => {
                let n = req.aux as usize;
                if self.node_epoch[n] != req.epoch {
                    // The copy failed while the request was inside it.
                    self.node_errors[n] += 1;
                    self.fail(r, Cause::DeadInstance);
                } else {
                    self.events += 1;
                    self.after_service(r, req.aux);
                }
            }
            _ => self.leave_node(r),
        }
    }

    /// A request has been served at copy `n`.
    fn after_service(&mut self, r: u32, n: u32) {
        let class = self.reqs[r as usize].class;
        match self.p.nodes[n as usize].after {
            After::Calls => self.push_calls(r, n),
            After::Cache(hit) => {
                if class != WRITE && self.uniform() < hit {
                    self.leave_node(r);
                } else {
                    self.push_calls(r, n);
                }
            }
            After::Cdn { hit, .. } => {
                if class == STATIC && self.uniform() < hit {
                    self.leave_node(r);
                } else {
                    self.push_calls(r, n);
                }
            }
            After::Sink => self.leave_node(r),
            After::Queue(q) => {
                self.enqueue_message(q as usize, r);
                self.leave_node(r);
            }
        }
    }

    /// Starts the calls of copy `n` for request `r`.
    fn push_calls(&mut self, r: u32, n: u32) {
        let p = self.p;
        let class = self.reqs[r as usize].class as usize;
        let node = &p.nodes[n as usize];
        let (_, len) = node.calls[class];
        let depth = self.reqs[r as usize].depth as usize;
        if len == 0 || depth >= self.depth {
            self.leave_node(r);
            return;
        }
        let (ss, sl) = node.shares[class];
        let chosen = if sl == 0 {
            NONE
        } else {
            let u = self.uniform();
            p.shares[ss as usize..(ss + sl) as usize]
                .iter()
                .find(|s| u < s.1)
                .map_or(NONE, |s| s.0)
        };
        let req = &mut self.reqs[r as usize];
        self.frames[r as usize * self.depth + depth] = Frame {
            saved: req.prev_deadline,
            node: n,
            pos: 0,
            chosen,
            made: 0,
        };
        req.depth += 1;
        self.advance(r);
    }

    /// The request is done at its current copy and made no calls there.
    fn leave_node(&mut self, r: u32) {
        let req = &mut self.reqs[r as usize];
        if req.kind == USER && self.now > req.deadline {
            self.fail(r, Cause::Timeout);
            return;
        }
        req.deadline = req.prev_deadline;
        self.advance(r);
    }

    /// Makes the next call of the request's innermost frame, popping the
    /// frames that are done; completes the request when none is left.
    fn advance(&mut self, r: u32) {
        let p = self.p;
        loop {
            let req = self.reqs[r as usize];
            if req.depth == 0 {
                self.complete(r);
                return;
            }
            if req.kind == USER && self.now > req.deadline {
                self.fail(r, Cause::Timeout);
                return;
            }
            let fi = r as usize * self.depth + req.depth as usize - 1;
            let f = self.frames[fi];
            let (start, len) = p.nodes[f.node as usize].calls[req.class as usize];
            let (mut pos, mut made) = (f.pos, f.made);
            while u32::from(pos) < len {
                let call = p.calls[(start + u32::from(pos)) as usize];
                if (call.shared && f.chosen != pos) || made >= call.repeat {
                    pos += 1;
                    made = 0;
                    continue;
                }
                // A call count's calls are made in turn, like the unshared
                // edges of one copy (§6): the next starts when one returns.
                made += 1;
                self.frames[fi].pos = pos;
                self.frames[fi].made = made;
                let (ts, tl) = call.targets;
                let t = if tl == 1 {
                    self.targets[ts as usize]
                } else {
                    let u = self.uniform();
                    let slice = &self.targets[ts as usize..(ts + tl) as usize];
                    *slice
                        .iter()
                        .find(|t| u < t.cum)
                        .unwrap_or(&slice[slice.len() - 1])
                };
                let reqm = &mut self.reqs[r as usize];
                reqm.role = match call.role {
                    None => ROLE_NONE,
                    Some(crate::model::Role::Primary) => ROLE_PRIMARY,
                    Some(crate::model::Role::Replicas) => ROLE_REPLICAS,
                };
                reqm.scatter = call.all_shards;
                if t.hop > 0.0 {
                    reqm.pending = P_ARRIVE;
                    reqm.aux = t.node;
                    self.push(self.now + t.hop, K_RESUME, r, 0);
                } else {
                    self.arrive(r, t.node);
                }
                return;
            }
            let reqm = &mut self.reqs[r as usize];
            reqm.deadline = f.saved;
            reqm.depth -= 1;
        }
    }

    fn complete(&mut self, r: u32) {
        let req = self.reqs[r as usize];
        match req.kind {
            USER => {
                self.in_flight -= 1;
                self.rec
                    .complete(req.class as usize, self.now - req.t0, self.now);
            }
            JOB if self.now >= self.rec.start => {
                self.rec.jobs.completed += 1;
                self.rec.job_latency.record(self.now - req.t0);
            }
            _ => {}
        }
        self.release(r);
    }

    pub(super) fn fail(&mut self, r: u32, cause: Cause) {
        let req = self.reqs[r as usize];
        match req.kind {
            USER => {
                self.in_flight -= 1;
                self.rec.fail(req.class as usize, cause, self.now);
            }
            JOB if self.now >= self.rec.start => {
                self.rec.jobs.failed += 1;
            }
            SCATTER => {
                let parent = req.aux;
                self.reqs[parent as usize].fork_failed.get_or_insert(cause);
                self.release(r);
                self.part_done(parent);
                return;
            }
            _ => {}
        }
        self.release(r);
    }

    /// One shard has answered (or failed) its part of the scatter-gather
    /// read `parent`; the read goes on when the last has.
    fn part_done(&mut self, parent: u32) {
        let req = &mut self.reqs[parent as usize];
        req.fork -= 1;
        if req.fork > 0 {
            return;
        }
        match req.fork_failed.take() {
            Some(cause) => self.fail(parent, cause),
            None => self.leave_node(parent),
        }
    }

    /// A queue copy accepted `r`'s message: it goes to one consuming
    /// service, chosen evenly, at the copy its placement gives.
    fn enqueue_message(&mut self, q: usize, r: u32) {
        let p = self.p;
        let plan = &p.queues[q];
        if self.now >= self.rec.start {
            self.rec.jobs.created += 1;
        }
        if plan.consumers.is_empty() {
            return;
        }
        let c = if plan.consumers.len() == 1 {
            0
        } else {
            ((self.uniform() * plan.consumers.len() as f64) as usize).min(plan.consumers.len() - 1)
        };
        let (ts, tl) = plan.consumers[c];
        let t = if tl == 1 {
            self.targets[ts as usize]
        } else {
            let u = self.uniform();
            let slice = &self.targets[ts as usize..(ts + tl) as usize];
            *slice
                .iter()
                .find(|t| u < t.cum)
                .unwrap_or(&slice[slice.len() - 1])
        };
        let class = self.reqs[r as usize].class;
        let j = self.alloc(JOB, class);
        self.reqs[j as usize].origin = q as u32;
        if t.hop > 0.0 {
            let req = &mut self.reqs[j as usize];
            req.pending = P_ARRIVE;
            req.aux = t.node;
            self.push(self.now + t.hop, K_RESUME, j, 0);
        } else {
            self.arrive(j, t.node);
        }
    }

    // ---- stations -----------------------------------------------------

    /// Brings a station's time integrals up to now.
    #[inline]
    pub(super) fn touch(&mut self, s: usize) {
        let now = self.now;
        let st = &mut self.st[s];
        let dt = now - st.last_t;
        if dt > 0.0 {
            st.busy_area += f64::from(st.busy) * dt;
            st.live_area += f64::from(st.live_workers) * dt;
            st.queue_area += st.queue.len() as f64 * dt;
            st.last_t = now;
        }
    }

    pub(super) fn station_arrive(&mut self, s: usize, r: u32) {
        self.touch(s);
        self.events += 1;
        let sp = &self.p.stations[s];
        let kind = self.reqs[r as usize].kind;
        let st = &mut self.st[s];
        st.period_arrivals += 1;
        if st.live_instances == 0 && !(sp.backlog && kind == JOB) {
            st.errors += 1;
            self.node_errors[sp.node as usize] += 1;
            self.fail(r, Cause::DeadInstance);
            return;
        }
        if st.undetected > 0 {
            let dead = f64::from(st.undetected);
            let share = dead / (dead + f64::from(st.live_instances));
            if self.uniform() < share {
                // The balancer still sends to the dead instance.
                self.st[s].errors += 1;
                self.node_errors[sp.node as usize] += 1;
                self.fail(r, Cause::DeadInstance);
                return;
            }
        }
        let st = &mut self.st[s];
        let bound = sp.backlog_bound.unwrap_or_else(|| {
            (super::plan::QUEUE_PER_WORKER * st.live_workers as usize)
                .max(super::plan::MIN_QUEUE_BOUND)
        });
        if let Some(w) = st.free.pop_front() {
            self.start(s, w, r);
        } else if st.queue.len() < bound {
            st.queue.push_back(r);
            let len = st.queue.len() as u64;
            if len > st.max_queue {
                st.max_queue = len;
            }
        } else {
            st.dropped += 1;
            self.fail(r, Cause::QueueFull);
        }
    }

    #[inline]
    fn start(&mut self, s: usize, w: u32, r: u32) {
        self.st[s].busy += 1;
        let wk = &mut self.workers[w as usize];
        wk.busy = true;
        wk.req = r;
        let epoch = wk.epoch;
        let dt = self.p.stations[s].mean * self.exp();
        self.push(self.now + dt, K_DONE, w, epoch);
    }

    /// Free workers take waiting requests.
    pub(super) fn dispatch(&mut self, s: usize) {
        self.touch(s);
        loop {
            let st = &mut self.st[s];
            if st.free.is_empty() {
                return;
            }
            let Some(r) = st.queue.pop_front() else {
                return;
            };
            let req = &self.reqs[r as usize];
            if req.kind == USER && self.now > req.deadline {
                // Its caller gave up while it waited: nobody serves it.
                self.fail(r, Cause::Timeout);
                continue;
            }
            let Some(w) = self.st[s].free.pop_front() else {
                return;
            };
            self.start(s, w, r);
        }
    }

    fn on_done(&mut self, w: u32, epoch: u32) {
        let wk = self.workers[w as usize];
        if !wk.busy || wk.epoch != epoch {
            // The instance failed during the service; already handled.
            return;
        }
        let s = wk.station as usize;
        self.touch(s);
        self.events += 1;
        self.st[s].busy -= 1;
        self.workers[w as usize].busy = false;
        let i = &self.inst[wk.instance as usize];
        if i.up && i.active {
            self.st[s].free.push_back(w);
            self.dispatch(s);
        }
        let r = wk.req;
        match self.p.stations[s].db {
            Some((d, shard, _)) => self.db_served(r, d as usize, shard as usize),
            None => self.after_service(r, self.p.stations[s].node),
        }
    }

    // ---- databases ----------------------------------------------------

    fn live(&self, s: u32) -> bool {
        self.st[s as usize].live_instances > 0
    }

    fn db_arrive(&mut self, d: usize, r: u32) {
        let p = self.p;
        let db = &p.dbs[d];
        let req = self.reqs[r as usize];
        if req.scatter && req.kind != SCATTER && req.class != WRITE && db.shards.len() > 1 {
            // Scatter-gather (§13): one part per shard, all at once; the
            // read waits for them in `part_done`.
            let shards = db.shards.len() as u32;
            self.reqs[r as usize].fork = shards;
            self.reqs[r as usize].fork_failed = None;
            for shard in 0..shards {
                let part = self.alloc(SCATTER, req.class);
                let pr = &mut self.reqs[part as usize];
                pr.aux = r;
                pr.fork = shard;
                pr.role = req.role;
                pr.scatter = true;
                self.db_arrive(d, part);
            }
            return;
        }
        let shard = if req.kind == SCATTER {
            req.fork as usize
        } else {
            match &db.sampler {
                Some(s) => {
                    let u = self.uniform();
                    s.sample(u).min(db.shards.len() - 1)
                }
                None => 0,
            }
        };
        self.db_shard_arrivals[d][shard] += 1;
        let slots = &db.shards[shard];
        let primary_slot = self.db_primary[d][shard] as usize;
        let primary = slots[primary_slot];
        let req = self.reqs[r as usize];
        let has_replicas = slots.len() > 1;
        let target = if req.class == WRITE {
            self.live(primary).then_some(primary)
        } else {
            let mode = match (req.role, db.read_from) {
                (ROLE_PRIMARY, _) => ReadFrom::Primary,
                (ROLE_REPLICAS, _) if has_replicas => ReadFrom::Replicas,
                (ROLE_NONE, ReadFrom::Replicas) if has_replicas => ReadFrom::Replicas,
                (ROLE_NONE, ReadFrom::Any) if has_replicas => ReadFrom::Any,
                _ => ReadFrom::Primary,
            };
            match mode {
                ReadFrom::Primary => self.live(primary).then_some(primary),
                ReadFrom::Replicas => self
                    .pick_live(slots, Some(primary_slot))
                    .or_else(|| self.live(primary).then_some(primary)),
                ReadFrom::Any => self.pick_live(slots, None),
            }
        };
        match target {
            Some(s) => self.station_arrive(s as usize, r),
            None => {
                self.node_errors[db.node as usize] += 1;
                // A primary the design never replaces is `no_failover`; a
                // promotion under way, or one that found no live replica,
                // is a dead instance.
                let replaced = db.failover == crate::model::FailoverMode::Automatic && has_replicas;
                let cause = if self.db_promoting[d][shard].is_some() || replaced {
                    Cause::DeadInstance
                } else {
                    Cause::NoFailover
                };
                self.fail(r, cause);
            }
        }
    }

    /// A live slot of a shard chosen evenly, skipping `except`.
    fn pick_live(&mut self, slots: &[u32], except: Option<usize>) -> Option<u32> {
        let live = slots
            .iter()
            .enumerate()
            .filter(|(i, s)| Some(*i) != except && self.live(**s))
            .count();
        if live == 0 {
            return None;
        }
        let mut k = if live == 1 {
            0
        } else {
            ((self.uniform() * live as f64) as usize).min(live - 1)
        };
        for (i, &s) in slots.iter().enumerate() {
            if Some(i) != except && self.live(s) {
                if k == 0 {
                    return Some(s);
                }
                k -= 1;
            }
        }
        None
    }

    fn db_served(&mut self, r: u32, d: usize, shard: usize) {
        let req = self.reqs[r as usize];
        if req.kind == APPLY {
            self.release(r);
            return;
        }
        if req.kind == SCATTER {
            self.release(r);
            self.part_done(req.aux);
            return;
        }
        let db = &self.p.dbs[d];
        if req.class == WRITE {
            // The primary applies it on every replica of its shard, and with
            // cross_dc on every other datacenter's copy of the shard.
            let primary_slot = self.db_primary[d][shard] as usize;
            for (i, &s) in db.shards[shard].iter().enumerate() {
                if i != primary_slot && self.live(s) {
                    self.apply(s);
                }
            }
            if db.cross_dc {
                for &peer in &db.peers {
                    if let Some(slots) = self.p.dbs[peer as usize].shards.get(shard) {
                        for &s in slots {
                            if self.live(s) {
                                self.apply(s);
                            }
                        }
                    }
                }
            }
            if db.sync_delay > 0.0 {
                self.reqs[r as usize].pending = P_RETURN;
                self.push(self.now + db.sync_delay, K_RESUME, r, 0);
                return;
            }
        }
        self.leave_node(r);
    }

    fn apply(&mut self, s: u32) {
        let a = self.alloc(APPLY, WRITE);
        self.station_arrive(s as usize, a);
    }

    // ---- measurement --------------------------------------------------

    /// Busy, live and queue areas of every station, up to now.
    fn snapshot(&mut self) -> Vec<[f64; 3]> {
        for s in 0..self.st.len() {
            self.touch(s);
        }
        self.st
            .iter()
            .map(|s| [s.busy_area, s.live_area, s.queue_area])
            .collect()
    }

    /// Per copy: utilisation between two snapshots (a database's busiest
    /// instance).
    fn copy_utilization(&self, from: &[[f64; 3]], to: &[[f64; 3]]) -> Vec<f64> {
        let mut out = vec![0.0; self.p.nodes.len()];
        for (s, sp) in self.p.stations.iter().enumerate() {
            let u = utilization(from[s], to[s]);
            let n = sp.node as usize;
            if u > out[n] {
                out[n] = u;
            }
        }
        out
    }

    fn on_tick(&mut self) {
        let snap = self.snapshot();
        let util = self.copy_utilization(&self.bucket_snap, &snap);
        let util32: Vec<f32> = util.iter().map(|u| *u as f32).collect();
        let arrivals: Vec<u64> = self
            .node_arrivals
            .iter()
            .zip(&self.bucket_arrivals)
            .map(|(a, b)| a - b)
            .collect();
        self.rec.close_bucket(&util32, &arrivals);
        self.bucket_snap = snap;
        self.bucket_arrivals.clone_from(&self.node_arrivals);
        if !self.stopped {
            self.next_tick += self.p.bucket;
            self.push(self.next_tick, K_TICK, 0, 0);
        }
    }

    fn on_boundary(&mut self, idx: usize) {
        let snap = self.snapshot();
        if idx == 0 {
            // The end of the warm-up: the whole run's window opens.
            self.whole_start = snap.clone();
            self.bucket_snap = snap;
            self.whole_arrivals.clone_from(&self.node_arrivals);
            self.bucket_arrivals.clone_from(&self.node_arrivals);
            self.whole_dropped = self.st.iter().map(|s| s.dropped).collect();
            self.whole_errors.clone_from(&self.node_errors);
            self.whole_shards.clone_from(&self.db_shard_arrivals);
            for s in &mut self.st {
                s.max_queue = s.queue.len() as u64;
            }
            return;
        }
        let (w, end) = (idx / 2 - 1, idx % 2 == 1);
        if let Some(win) = self.rec.windows.get_mut(w) {
            if end {
                win.open = false;
                win.snap_end = snap;
                win.closed_at = Some(self.now);
            } else {
                win.open = true;
                win.snap_start = snap;
            }
        }
    }

    fn finish(mut self) -> RunResult {
        let p = self.p;
        let now = self.now.max(p.warmup);
        self.now = now;
        let snap = self.snapshot();
        // The last, partial bucket.
        if now > self.next_tick - p.bucket + 1e-9 {
            self.on_tick();
        }
        let measured = (now - p.warmup).max(0.0);
        let arrival_window = self
            .arrivals_closed_at
            .map_or(measured, |t| (t - p.warmup).clamp(0.0, measured));
        let whole_util = self.copy_utilization(&self.whole_start, &snap);
        let mut copies = Vec::with_capacity(p.nodes.len());
        for (n, node) in p.nodes.iter().enumerate() {
            let mut c = CopyResult {
                node: n,
                utilization: whole_util[n],
                arrivals: self.node_arrivals[n] - self.whole_arrivals[n],
                errors: self.node_errors[n] - self.whole_errors[n],
                ..CopyResult::default()
            };
            let stations: Vec<usize> = match node.exec {
                Exec::Station(s) => vec![s as usize],
                Exec::Db(d) => p.dbs[d as usize]
                    .shards
                    .iter()
                    .flatten()
                    .map(|s| *s as usize)
                    .collect(),
                _ => Vec::new(),
            };
            for &s in &stations {
                let (a, b) = (self.whole_start[s], snap[s]);
                if measured > 0.0 {
                    c.mean_queue += (b[2] - a[2]) / measured;
                    c.instances += (b[1] - a[1]) / measured / f64::from(p.stations[s].k);
                }
                c.dropped += self.st[s].dropped - self.whole_dropped[s];
            }
            if let Exec::Db(d) = node.exec {
                let d = d as usize;
                let db = &p.dbs[d];
                let total: u64 = self.db_shard_arrivals[d]
                    .iter()
                    .zip(&self.whole_shards[d])
                    .map(|(a, b)| a - b)
                    .sum();
                for (i, slots) in db.shards.iter().enumerate() {
                    let arrivals = self.db_shard_arrivals[d][i] - self.whole_shards[d][i];
                    let utils: Vec<f64> = slots
                        .iter()
                        .map(|&s| utilization(self.whole_start[s as usize], snap[s as usize]))
                        .collect();
                    let primary = self.db_primary[d][i] as usize;
                    let replicas: Vec<f64> = utils
                        .iter()
                        .enumerate()
                        .filter(|(j, _)| *j != primary)
                        .map(|(_, u)| *u)
                        .collect();
                    c.shards.push(ShardResult {
                        shard: i,
                        dedicated_key: db.dedicated.get(i).cloned().flatten(),
                        share: if total > 0 {
                            arrivals as f64 / total as f64
                        } else {
                            0.0
                        },
                        arrivals,
                        utilization: utils.iter().copied().fold(0.0, f64::max),
                        primary_utilization: utils[primary],
                        replica_utilization: (!replicas.is_empty())
                            .then(|| replicas.iter().sum::<f64>() / replicas.len() as f64),
                    });
                }
            }
            copies.push(c);
        }
        // Windows: the whole run first, then the `during` windows, clipped
        // to the run.
        let mut windows = Vec::with_capacity(p.windows.len());
        let mut whole_errors = [0u64; 4];
        for class in &self.rec.class_failed {
            for (c, v) in class.iter().enumerate() {
                whole_errors[c] += v;
            }
        }
        let completed = self.rec.overall.count();
        let failed: u64 = whole_errors.iter().sum();
        windows.push(WindowResult {
            start_s: 0.0,
            end_s: measured,
            latency: self.rec.overall.summary(),
            completed,
            failed,
            errors: whole_errors,
            utilization: whole_util,
            planned_s: [0.0, f64::INFINITY],
        });
        let accs = std::mem::take(&mut self.rec.windows);
        for w in accs {
            let start = w.start.min(now);
            let end = w.closed_at.unwrap_or(now).min(w.end).min(now);
            let from = if w.snap_start.is_empty() {
                snap.clone()
            } else {
                w.snap_start.clone()
            };
            let to = if w.snap_end.is_empty() {
                &snap
            } else {
                &w.snap_end
            };
            windows.push(WindowResult {
                start_s: start - p.warmup,
                end_s: end.max(start) - p.warmup,
                latency: w.latency.summary(),
                completed: w.latency.count(),
                failed: w.failed.iter().sum(),
                errors: w.failed,
                utilization: self.copy_utilization(&from, to),
                planned_s: [w.start - p.warmup, w.end - p.warmup],
            });
        }
        let classes = (0..3)
            .map(|c| ClassResult {
                class: c,
                arrivals: self.rec.class_arrivals[c],
                completed: self.rec.classes[c].count(),
                failed: self.rec.class_failed[c].iter().sum(),
                latency: self.rec.classes[c].summary(),
            })
            .collect();
        let mut jobs = JobsResult {
            latency: self.rec.job_latency.summary(),
            ..self.rec.jobs
        };
        jobs.backlog_max = p
            .stations
            .iter()
            .zip(&self.st)
            .filter(|(sp, _)| sp.backlog)
            .map(|(_, s)| s.max_queue)
            .max()
            .unwrap_or(0);
        RunResult {
            seed: 0,
            arrivals: self.measured_arrivals,
            completed,
            failed,
            unfinished: self.in_flight,
            errors: whole_errors,
            measured_s: measured,
            arrival_window_s: arrival_window,
            events: self.events,
            latency: self.rec.overall.summary(),
            classes,
            copies,
            jobs,
            windows,
            timeline: std::mem::take(&mut self.rec.timeline),
        }
    }

    // ---- scenario plumbing used by `failures` -------------------------

    pub(super) fn set_rate_factor(&mut self, factor: f64) {
        self.rate_factor = factor.max(0.0);
        self.arrival_gen = self.arrival_gen.wrapping_add(1);
        if self.arrivals_open && self.rate_factor > 0.0 {
            let next = self.now + self.exp() / (self.p.rate * self.rate_factor);
            if next < self.end_time {
                self.push(next, K_ARRIVAL, 0, self.arrival_gen);
            }
        }
    }

    pub(super) fn schedule(&mut self, t: f64, kind: u32, idx: u32, tag: u32) {
        self.push(t, kind, idx, tag);
    }

    /// A request that was being served (or waited) at a failing instance.
    pub(super) fn lose(&mut self, r: u32, s: usize, requeue_ok: bool) {
        let req = self.reqs[r as usize];
        match req.kind {
            APPLY => self.release(r),
            JOB if req.depth == 0 && requeue_ok && self.p.queues[req.origin as usize].durable => {
                // A durable queue redelivers an unacknowledged message.
                self.st[s].queue.push_front(r);
            }
            _ => {
                self.st[s].errors += 1;
                self.node_errors[self.p.stations[s].node as usize] += 1;
                self.fail(r, Cause::DeadInstance);
            }
        }
    }
}
