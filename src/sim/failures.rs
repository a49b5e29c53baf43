//! Failures and recovery (LANGUAGE.md §7–§8, §10): scenario events, load
//! balancer health checks, database promotion, DNS failover, autoscaling.
//!
//! Which instances a scenario fails is fixed, so runs are reproducible:
//! `N of COMP@DC` takes the highest-numbered serving instances first; in a
//! database copy it takes N instances of every shard, read replicas before
//! the primary.

use std::collections::VecDeque;

use super::engine::{Engine, JOB, K_DETECT, K_DNS, K_PROMOTE};
use super::plan::{Act, Exec};
use crate::estimate::queueing;
use crate::model::{FailoverMode, db_member_zone};

impl Engine<'_> {
    pub(super) fn scenario_event(&mut self, i: usize) {
        let p = self.p;
        for act in &p.events[i].acts {
            match *act {
                Act::FailNode(n) => self.fail_node(n as usize),
                Act::RecoverNode(n) => self.recover_node(n as usize),
                Act::FailInstances(n, count) => self.fail_instances(n as usize, count),
                Act::RecoverInstances(n, count) => self.recover_instances(n as usize, count),
                Act::FailPrimary(n) => self.fail_primary(n as usize),
                Act::RecoverPrimary(n) => self.recover_primary(n as usize),
                Act::FailZone(n, zone, zones) => self.zone(n as usize, zone, zones, true),
                Act::RecoverZone(n, zone, zones) => self.zone(n as usize, zone, zones, false),
                Act::DcDown(dc) => self.dc_up[dc] = false,
                Act::DcUp(dc) => self.dc_up[dc] = true,
                Act::Traffic(f) => self.set_rate_factor(f),
            }
        }
        self.dns_check();
    }

    fn fail_node(&mut self, n: usize) {
        let p = self.p;
        match p.nodes[n].exec {
            Exec::Pass | Exec::Delay(_) => {
                self.node_up[n] = false;
                self.node_epoch[n] = self.node_epoch[n].wrapping_add(1);
            }
            Exec::Station(s) => {
                for i in 0..p.stations[s as usize].max_instances {
                    self.fail_instance(s as usize, i);
                }
            }
            Exec::Db(d) => {
                for slots in &p.dbs[d as usize].shards {
                    for &s in slots {
                        self.fail_instance(s as usize, 0);
                    }
                }
            }
        }
    }

    fn recover_node(&mut self, n: usize) {
        let p = self.p;
        match p.nodes[n].exec {
            Exec::Pass | Exec::Delay(_) => self.node_up[n] = true,
            Exec::Station(s) => {
                for i in 0..p.stations[s as usize].max_instances {
                    self.recover_instance(s as usize, i);
                }
            }
            Exec::Db(d) => {
                for (shard, slots) in p.dbs[d as usize].shards.iter().enumerate() {
                    self.db_failed_primary[d as usize][shard] = None;
                    for &s in slots {
                        self.recover_instance(s as usize, 0);
                    }
                }
            }
        }
    }

    fn fail_instances(&mut self, n: usize, count: u32) {
        let p = self.p;
        match p.nodes[n].exec {
            Exec::Pass | Exec::Delay(_) => self.fail_node(n),
            Exec::Station(s) => {
                let s = s as usize;
                let sp = &p.stations[s];
                let first = sp.first_instance as usize;
                let max = sp.max_instances as usize;
                // Serving instances first, then idle standby slots.
                let mut order: Vec<u32> = (0..max as u32)
                    .rev()
                    .filter(|&i| {
                        let x = self.inst[first + i as usize];
                        x.up && x.active
                    })
                    .collect();
                order.extend((0..max as u32).rev().filter(|&i| {
                    let x = self.inst[first + i as usize];
                    x.up && !x.active
                }));
                for i in order.into_iter().take(count as usize) {
                    self.fail_instance(s, i);
                }
            }
            Exec::Db(d) => {
                let d = d as usize;
                for (shard, slots) in p.dbs[d].shards.iter().enumerate() {
                    let primary = self.db_primary[d][shard] as usize;
                    let mut order: Vec<usize> =
                        (0..slots.len()).rev().filter(|&j| j != primary).collect();
                    order.push(primary);
                    let mut left = count;
                    for j in order {
                        if left == 0 {
                            break;
                        }
                        let s = slots[j] as usize;
                        if self.inst[p.stations[s].first_instance as usize].up {
                            self.fail_instance(s, 0);
                            left -= 1;
                        }
                    }
                }
            }
        }
    }

    fn recover_instances(&mut self, n: usize, count: u32) {
        let p = self.p;
        match p.nodes[n].exec {
            Exec::Pass | Exec::Delay(_) => self.recover_node(n),
            Exec::Station(s) => {
                let s = s as usize;
                let sp = &p.stations[s];
                let down: Vec<u32> = (0..sp.max_instances)
                    .filter(|&i| !self.inst[(sp.first_instance + i) as usize].up)
                    .take(count as usize)
                    .collect();
                for i in down {
                    self.recover_instance(s, i);
                }
            }
            Exec::Db(d) => {
                for slots in &p.dbs[d as usize].shards {
                    let down: Vec<u32> = slots
                        .iter()
                        .copied()
                        .filter(|&s| !self.inst[p.stations[s as usize].first_instance as usize].up)
                        .take(count as usize)
                        .collect();
                    for s in down {
                        self.recover_instance(s as usize, 0);
                    }
                }
            }
        }
    }

    /// A zone goes down (or comes back): instance `i` of a copy lives in
    /// zone `i mod zones`, a database shard's member `j` in zone
    /// `(shard + j) mod zones` (model::instances_in_zone, db_member_zone).
    /// A primary lost with its zone is promoted away as any failed primary.
    fn zone(&mut self, n: usize, zone: u32, zones: u32, fail: bool) {
        let p = self.p;
        match p.nodes[n].exec {
            Exec::Pass | Exec::Delay(_) => {}
            Exec::Station(s) => {
                let s = s as usize;
                for i in (0..p.stations[s].max_instances).filter(|i| i % zones == zone) {
                    if fail {
                        self.fail_instance(s, i);
                    } else {
                        self.recover_instance(s, i);
                    }
                }
            }
            Exec::Db(d) => {
                let d = d as usize;
                for (shard, slots) in p.dbs[d].shards.iter().enumerate() {
                    for (j, &slot) in slots.iter().enumerate() {
                        if db_member_zone(shard as u32, j as u32, zones) != zone {
                            continue;
                        }
                        if fail {
                            if self.db_primary[d][shard] as usize == j {
                                self.db_failed_primary[d][shard] = Some(slot);
                            }
                            self.fail_instance(slot as usize, 0);
                        } else {
                            if self.db_failed_primary[d][shard] == Some(slot) {
                                self.db_failed_primary[d][shard] = None;
                            }
                            self.recover_instance(slot as usize, 0);
                        }
                    }
                }
            }
        }
    }

    fn fail_primary(&mut self, n: usize) {
        let p = self.p;
        let Exec::Db(d) = p.nodes[n].exec else {
            self.fail_node(n);
            return;
        };
        let d = d as usize;
        for (shard, slots) in p.dbs[d].shards.iter().enumerate() {
            let s = slots[self.db_primary[d][shard] as usize];
            self.db_failed_primary[d][shard] = Some(s);
            self.fail_instance(s as usize, 0);
        }
    }

    fn recover_primary(&mut self, n: usize) {
        let p = self.p;
        let Exec::Db(d) = p.nodes[n].exec else {
            self.recover_node(n);
            return;
        };
        let d = d as usize;
        for (shard, slots) in p.dbs[d].shards.iter().enumerate() {
            let s = self.db_failed_primary[d][shard]
                .take()
                .unwrap_or(slots[self.db_primary[d][shard] as usize]);
            self.recover_instance(s as usize, 0);
        }
    }

    /// Instance `i` of station `s` goes down: what it was serving fails
    /// (a durable queue's consumer gets its message back), its load
    /// balancer keeps sending to it until the health check notices.
    pub(super) fn fail_instance(&mut self, s: usize, i: u32) {
        let p = self.p;
        let sp = &p.stations[s];
        let gi = (sp.first_instance + i) as usize;
        if !self.inst[gi].up {
            return;
        }
        self.touch(s);
        let serving = self.inst[gi].active;
        self.inst[gi].up = false;
        self.inst[gi].fail_gen = self.inst[gi].fail_gen.wrapping_add(1);
        let lo = sp.first_worker + i * sp.k;
        let hi = lo + sp.k;
        if serving {
            let st = &mut self.st[s];
            st.live_instances -= 1;
            st.live_workers -= sp.k;
            st.free.retain(|w| *w < lo || *w >= hi);
        }
        for w in lo..hi {
            let wk = &mut self.workers[w as usize];
            if wk.busy {
                wk.busy = false;
                wk.epoch = wk.epoch.wrapping_add(1);
                let r = wk.req;
                self.st[s].busy -= 1;
                self.lose(r, s, true);
            }
        }
        if serving && sp.detect > 0.0 && self.st[s].live_instances > 0 {
            self.inst[gi].undetected = true;
            self.st[s].undetected += 1;
            let generation = self.inst[gi].fail_gen;
            self.schedule(self.now + sp.detect, K_DETECT, gi as u32, generation);
        }
        if self.st[s].live_instances == 0 {
            self.drain_dead(s);
        } else {
            self.dispatch(s);
        }
        if let Some((d, shard, slot)) = sp.db {
            let (d, shard) = (d as usize, shard as usize);
            if self.db_primary[d][shard] == slot && self.db_promoting[d][shard].is_none() {
                let db = &p.dbs[d];
                if db.failover == FailoverMode::Automatic && db.shards[shard].len() > 1 {
                    let generation = self.db_gen[d][shard].wrapping_add(1);
                    self.db_gen[d][shard] = generation;
                    self.db_promoting[d][shard] = Some(generation);
                    let key_station = db.shards[shard][0];
                    self.schedule(
                        self.now + db.failover_time,
                        K_PROMOTE,
                        key_station,
                        generation,
                    );
                }
            }
        }
    }

    /// A station with no live instance left: what waits there fails, except
    /// a queue's backlog, which waits for its consumers.
    fn drain_dead(&mut self, s: usize) {
        let backlog = self.p.stations[s].backlog;
        let waiting = std::mem::take(&mut self.st[s].queue);
        let mut kept = VecDeque::new();
        for r in waiting {
            let req = self.reqs[r as usize];
            if backlog && req.kind == JOB && req.depth == 0 {
                kept.push_back(r);
            } else {
                self.lose(r, s, false);
            }
        }
        self.st[s].queue = kept;
    }

    pub(super) fn recover_instance(&mut self, s: usize, i: u32) {
        let p = self.p;
        let sp = &p.stations[s];
        let gi = (sp.first_instance + i) as usize;
        if self.inst[gi].up {
            return;
        }
        self.touch(s);
        self.inst[gi].up = true;
        if self.inst[gi].undetected {
            self.inst[gi].undetected = false;
            self.st[s].undetected -= 1;
        }
        if self.inst[gi].active {
            self.st[s].live_instances += 1;
            self.st[s].live_workers += sp.k;
            let lo = sp.first_worker + i * sp.k;
            for w in lo..lo + sp.k {
                if !self.workers[w as usize].busy {
                    self.st[s].free.push_back(w);
                }
            }
            self.dispatch(s);
        }
        if let Some((d, shard, slot)) = sp.db {
            let (d, shard) = (d as usize, shard as usize);
            // The primary is back before a replica was promoted: no
            // promotion any more.
            if self.db_primary[d][shard] == slot {
                self.db_promoting[d][shard] = None;
            }
        }
    }

    pub(super) fn detected(&mut self, gi: u32, generation: u32) {
        let x = self.inst[gi as usize];
        if x.fail_gen != generation || !x.undetected {
            return;
        }
        self.inst[gi as usize].undetected = false;
        let s = self.instance_station(gi);
        self.st[s].undetected -= 1;
    }

    fn instance_station(&self, gi: u32) -> usize {
        let p = self.p;
        // Stations are laid out in instance order.
        p.stations
            .partition_point(|sp| sp.first_instance <= gi)
            .saturating_sub(1)
    }

    pub(super) fn promote(&mut self, key_station: u32, generation: u32) {
        let p = self.p;
        let Some((d, shard, _)) = p.stations[key_station as usize].db else {
            return;
        };
        let (d, shard) = (d as usize, shard as usize);
        if self.db_promoting[d][shard] != Some(generation) {
            return;
        }
        self.db_promoting[d][shard] = None;
        let primary = self.db_primary[d][shard] as usize;
        let slots = &p.dbs[d].shards[shard];
        if let Some(j) = (0..slots.len())
            .find(|&j| j != primary && self.st[slots[j] as usize].live_instances > 0)
        {
            self.db_primary[d][shard] = j as u32;
        }
        self.dns_check();
    }

    // ---- DNS failover --------------------------------------------------

    fn node_alive(&self, n: usize) -> bool {
        let p = self.p;
        match p.nodes[n].exec {
            Exec::Pass | Exec::Delay(_) => self.node_up[n],
            Exec::Station(s) => self.st[s as usize].live_instances > 0,
            Exec::Db(d) => p.dbs[d as usize]
                .shards
                .iter()
                .flatten()
                .any(|&s| self.st[s as usize].live_instances > 0),
        }
    }

    /// Re-evaluates every DNS's view of its datacenters: a change takes
    /// effect `ttl` later (§6), when clients' cached answers expire.
    pub(super) fn dns_check(&mut self) {
        let p = self.p;
        let mut flat = 0u32;
        for (i, dns) in p.dns.iter().enumerate() {
            for (j, &dc) in dns.dcs.iter().enumerate() {
                let healthy =
                    self.dc_up[dc] && dns.needed[j].iter().all(|&n| self.node_alive(n as usize));
                if healthy != self.dns_healthy[i][j] {
                    self.dns_healthy[i][j] = healthy;
                    let generation = self.dns_gen[i][j].wrapping_add(1);
                    self.dns_gen[i][j] = generation;
                    if dns.failover {
                        self.schedule(self.now + dns.ttl, K_DNS, flat, generation);
                    }
                }
                flat += 1;
            }
        }
    }

    pub(super) fn dns_update(&mut self, flat: u32, generation: u32) {
        let p = self.p;
        let mut k = flat as usize;
        for (i, dns) in p.dns.iter().enumerate() {
            if k >= dns.dcs.len() {
                k -= dns.dcs.len();
                continue;
            }
            if self.dns_gen[i][k] != generation {
                return;
            }
            self.dns_routable[i][k] = self.dns_healthy[i][k];
            for &(ts, tl) in &dns.ranges {
                let range = ts as usize..(ts + tl) as usize;
                let routable = |dc: Option<usize>| {
                    dc.is_none_or(|dc| {
                        dns.dcs
                            .iter()
                            .position(|d| *d == dc)
                            .is_none_or(|j| self.dns_routable[i][j])
                    })
                };
                let weights: Vec<f64> = self.targets[range.clone()]
                    .iter()
                    .map(|t| if routable(t.dc) { t.base } else { 0.0 })
                    .collect();
                let total: f64 = weights.iter().sum();
                // With every datacenter out, DNS keeps answering as before.
                let weights: Vec<f64> = if total > 0.0 {
                    weights.iter().map(|w| w / total).collect()
                } else {
                    self.targets[range.clone()].iter().map(|t| t.base).collect()
                };
                let mut acc = 0.0;
                let last = weights.iter().rposition(|w| *w > 0.0).unwrap_or(0);
                for (o, (t, w)) in self.targets[range].iter_mut().zip(weights).enumerate() {
                    acc += w;
                    t.cum = if o >= last { 1.0 } else { acc };
                }
            }
            return;
        }
    }

    // ---- autoscaling -----------------------------------------------------

    /// Every 60 s each `autoscale` copy takes the count the estimator would
    /// for the arrival rate of the last 60 s (§7).
    pub(super) fn autoscale(&mut self) {
        let p = self.p;
        for s in 0..p.stations.len() {
            let sp = &p.stations[s];
            let Some((lo, hi)) = sp.autoscale else {
                continue;
            };
            let rate = self.st[s].period_arrivals as f64 / super::plan::AUTOSCALE_PERIOD_S;
            self.st[s].period_arrivals = 0;
            let (n, _) = queueing::servers_for_target(
                rate,
                sp.capacity,
                p.target_utilization,
                u64::from(lo),
                u64::from(hi),
            );
            let n = (n as u32).clamp(lo.max(1), hi.max(1));
            self.set_serving(s, n);
        }
    }

    fn set_serving(&mut self, s: usize, n: u32) {
        let p = self.p;
        let sp = &p.stations[s];
        let first = sp.first_instance as usize;
        let max = sp.max_instances;
        let mut serving = (0..max)
            .filter(|&i| {
                let x = self.inst[first + i as usize];
                x.up && x.active
            })
            .count() as u32;
        if serving == n {
            return;
        }
        self.touch(s);
        if serving < n {
            for i in 0..max {
                if serving >= n {
                    break;
                }
                let x = self.inst[first + i as usize];
                if x.up && !x.active {
                    self.inst[first + i as usize].active = true;
                    self.st[s].live_instances += 1;
                    self.st[s].live_workers += sp.k;
                    let lo = sp.first_worker + i * sp.k;
                    for w in lo..lo + sp.k {
                        if !self.workers[w as usize].busy {
                            self.st[s].free.push_back(w);
                        }
                    }
                    serving += 1;
                }
            }
            self.dispatch(s);
        } else {
            for i in (0..max).rev() {
                if serving <= n {
                    break;
                }
                let x = self.inst[first + i as usize];
                if x.up && x.active {
                    // Work in progress finishes; the workers then retire.
                    self.inst[first + i as usize].active = false;
                    self.st[s].live_instances -= 1;
                    self.st[s].live_workers -= sp.k;
                    let lo = sp.first_worker + i * sp.k;
                    let hi = lo + sp.k;
                    self.st[s].free.retain(|w| *w < lo || *w >= hi);
                    serving -= 1;
                }
            }
        }
    }
}
