//! Losing one zone of a datacenter (LANGUAGE.md §13): what each copy of
//! the datacenter has left, computed once per estimate into
//! [`Estimate::zone_loss`] for the report, the JSON and
//! `zone-failover-capacity`.
//!
//! A zone's loss moves no traffic between datacenters: the load balancers
//! of the datacenter send its copies' whole peak to the instances left in
//! the other zones, so the loads are the normal day's and only the
//! instances change. Placement is the model's ([`instances_in_zone`],
//! [`db_member_zone`]), as the simulator's is. Provider-scaled copies
//! (managed services) are left out: a managed service is redundant across
//! zones inside its provider.

use super::{Estimate, MemberLoads, ShardEstimate};
use crate::model::{DcId, FailoverMode, Model, db_member_zone, instances_in_zone};
use petgraph::graph::NodeIndex;
use serde::Serialize;

/// The figures with one zone of a datacenter lost.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ZoneLoss {
    pub datacenter: DcId,
    /// The zone's index: 0 is `a`.
    pub zone: u32,
    /// The datacenter's copies that are not provider-scaled, in node order.
    pub copies: Vec<ZoneCopy>,
}

/// One copy with a zone of its datacenter lost.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ZoneCopy {
    #[serde(skip)]
    pub node: NodeIndex,
    /// Instances (a database: members of every shard) before the loss, at
    /// the estimate's count.
    pub instances: u32,
    /// Those outside the lost zone.
    pub instances_left: u32,
    /// What the instances left serve at their capacity; `None` when
    /// capacity is unlimited.
    pub capacity_rps: Option<f64>,
    /// The copy's peak (unchanged by the loss) over what is left: the
    /// survivors' utilisation, a database's busiest member's. Infinite
    /// when no instance is left to carry a load; 0 when capacity is
    /// unlimited.
    pub utilization: f64,
    /// The same at the largest count the design allows: an autoscaled
    /// copy's slots outside the zone (instance `i` of its `max` lives in
    /// zone `i mod zones`, as in the simulator), the instances left
    /// otherwise.
    pub utilization_at_max: f64,
    /// A database's shards whose primary was in the zone and whose
    /// automatic failover promotes a replica in another zone.
    pub shards_promoted: u32,
    /// A database's shards left without a primary: every member was in the
    /// zone, or the primary was and failover is not automatic.
    pub shards_without_primary: u32,
}

impl ZoneCopy {
    /// Every instance of the copy was in the lost zone.
    pub fn down(&self) -> bool {
        self.instances_left == 0
    }
}

/// Every zone loss of the model, datacenters with `zones` of 2 or more.
pub fn compute(model: &Model, est: &Estimate) -> Vec<ZoneLoss> {
    let mut by_dc: Vec<Vec<NodeIndex>> = vec![Vec::new(); model.datacenters.len()];
    for node in model.graph.node_indices() {
        let copy = model.graph[node];
        if let Some(dc) = copy.dc
            && !model.components[copy.component].provider_scaled()
        {
            by_dc[dc].push(node);
        }
    }
    let mut out = Vec::new();
    for (dc, nodes) in by_dc.iter().enumerate() {
        let zones = model.datacenters[dc].zones.value;
        if zones < 2 {
            continue;
        }
        for zone in 0..zones {
            let copies = nodes
                .iter()
                .map(|&node| copy_loss(model, est, node, zones, zone))
                .collect();
            out.push(ZoneLoss {
                datacenter: dc,
                zone,
                copies,
            });
        }
    }
    out
}

/// `load` over `capacity`, infinite when there is load and no capacity
/// left, 0 when capacity is unlimited.
fn utilization(load: f64, capacity: Option<f64>) -> f64 {
    match capacity {
        None => 0.0,
        Some(c) if c > 0.0 => load / c,
        Some(_) if load > 0.0 => f64::INFINITY,
        Some(_) => 0.0,
    }
}

fn copy_loss(model: &Model, est: &Estimate, node: NodeIndex, zones: u32, zone: u32) -> ZoneCopy {
    let comp = &model.components[model.graph[node].component];
    let ce = est.copy(node);
    let per_instance = comp.capacity.value;
    if let Some(db) = comp.database() {
        let automatic = db.failover.value == FailoverMode::Automatic;
        let mut fig = ZoneCopy {
            node,
            instances: ce.instances,
            instances_left: 0,
            capacity_rps: None,
            utilization: 0.0,
            utilization_at_max: 0.0,
            shards_promoted: 0,
            shards_without_primary: 0,
        };
        let mut busiest: f64 = 0.0;
        for (s, sh) in ce.shards.iter().enumerate() {
            let left = shard_loss(sh, comp.replicas.value, automatic, s as u32, zones, zone);
            fig.instances_left += left.members;
            fig.shards_promoted += u32::from(left.promoted);
            fig.shards_without_primary += u32::from(!left.primary);
            busiest = busiest.max(left.busiest_rps);
        }
        fig.capacity_rps = per_instance.map(|c| c * f64::from(fig.instances_left));
        fig.utilization = if fig.instances_left == 0 {
            utilization(ce.peak_rps, per_instance.map(|_| 0.0))
        } else {
            utilization(busiest, per_instance)
        };
        fig.utilization_at_max = fig.utilization;
        return fig;
    }
    let n = ce.instances;
    let left = n - instances_in_zone(n, zones, zone);
    let max = comp.max_instances().max(n);
    let left_at_max = max - instances_in_zone(max, zones, zone);
    let capacity = |count: u32| per_instance.map(|c| c * f64::from(count));
    ZoneCopy {
        node,
        instances: n,
        instances_left: left,
        capacity_rps: capacity(left),
        utilization: utilization(ce.peak_rps, capacity(left)),
        utilization_at_max: utilization(ce.peak_rps, capacity(left_at_max)),
        shards_promoted: 0,
        shards_without_primary: 0,
    }
}

/// One shard with a zone lost.
#[derive(Clone, Copy, Debug, PartialEq)]
struct ShardLeft {
    /// Members outside the zone.
    members: u32,
    /// The shard still has a primary (its own or a promoted replica).
    primary: bool,
    /// A replica was promoted.
    promoted: bool,
    /// The busiest member's peak requests per second.
    busiest_rps: f64,
}

/// Shard `s`'s members outside `zone` and what each then receives: the
/// primary loses its zone and a replica elsewhere is promoted when failover
/// is automatic; reads for the replicas go to the replicas left (the
/// primary when none is), reads for any member spread over every member
/// left, and every member still applies every write.
fn shard_loss(
    sh: &ShardEstimate,
    replicas: u32,
    automatic: bool,
    s: u32,
    zones: u32,
    zone: u32,
) -> ShardLeft {
    let up = |member: u32| db_member_zone(s, member, zones) != zone;
    let mut replicas_left = (1..=replicas).filter(|&j| up(j)).count() as u32;
    let (primary, promoted) = if up(0) {
        (true, false)
    } else if automatic && replicas_left > 0 {
        replicas_left -= 1;
        (true, true)
    } else {
        (false, false)
    };
    let members = replicas_left + u32::from(primary);
    let busiest_rps = member_peaks(&sh.members, primary, replicas_left)
        .into_iter()
        .fold(0.0, f64::max);
    ShardLeft {
        members,
        primary,
        promoted,
        busiest_rps,
    }
}

/// The primary's and each replica's peak requests per second with
/// `primary` up or not and `replicas` replicas up ([`MemberLoads`]); 0 for
/// a role no member holds.
fn member_peaks(loads: &MemberLoads, primary: bool, replicas: u32) -> [f64; 2] {
    let members = replicas + u32::from(primary);
    if members == 0 {
        return [0.0; 2];
    }
    let any_each = loads.any_reads_rps / f64::from(members);
    let primary_peak = if primary {
        let fallback = if replicas == 0 {
            loads.replica_reads_rps
        } else {
            0.0
        };
        loads.applied_rps + loads.primary_reads_rps + any_each + fallback
    } else {
        0.0
    };
    let replica_peak = if replicas > 0 {
        loads.applied_rps + loads.replica_reads_rps / f64::from(replicas) + any_each
    } else {
        0.0
    };
    [primary_peak, replica_peak]
}

/// The fewest instances `n` of `per_instance` each whose survivors of the
/// loss of the zone holding most of them (zone `a`, ⌈n / zones⌉) carry
/// `peak` below 100%; 10,000 when none up to that does.
pub fn instances_to_survive(peak: f64, per_instance: f64, zones: u32) -> u32 {
    (2..=10_000)
        .find(|&n| f64::from(n - instances_in_zone(n, zones, 0)) * per_instance > peak)
        .unwrap_or(10_000)
}

#[cfg(test)]
mod tests {
    use super::{MemberLoads, instances_to_survive, member_peaks};

    #[test]
    fn the_fewest_instances_that_survive_a_zone() {
        // 500/s at 200/s an instance over 3 zones: 4 leaves 2 (400/s), 5
        // leaves 3 (600/s).
        assert_eq!(instances_to_survive(500.0, 200.0, 3), 5);
        // Over 2 zones half is lost: 6 leaves 3 (600/s).
        assert_eq!(instances_to_survive(500.0, 200.0, 2), 6);
    }

    #[test]
    fn member_loads_spread_over_the_members_left() {
        let loads = MemberLoads {
            applied_rps: 100.0,
            primary_reads_rps: 50.0,
            replica_reads_rps: 400.0,
            any_reads_rps: 300.0,
        };
        // Everyone up (1 + 2): the primary 100 + 50 + 300 / 3 = 250, each
        // replica 100 + 400 / 2 + 100 = 400.
        assert_eq!(member_peaks(&loads, true, 2), [250.0, 400.0]);
        // One replica left: it takes all the replica reads, 100 + 400 +
        // 150; the primary 100 + 50 + 150.
        assert_eq!(member_peaks(&loads, true, 1), [300.0, 650.0]);
        // No replica left: the primary serves everything.
        assert_eq!(member_peaks(&loads, true, 0), [850.0, 0.0]);
        // Nobody left.
        assert_eq!(member_peaks(&loads, false, 0), [0.0, 0.0]);
    }
}
