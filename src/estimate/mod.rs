//! The estimator: load per copy at peak, instances, queueing, latency,
//! storage and availability (LANGUAGE.md §6–§9). Computed once; every rule
//! and the simulator read the same figures.

pub mod queueing;
pub mod shards;
