//! The rule categories, in catalogue order (RULES.md's sections).
//!
//! `build.rs` includes this file too: it orders the generated [`RULES`]
//! registry by category in this order, then by each rule's `position`, and
//! refuses a rule whose category is not listed here. Keep it free of crate
//! paths so that both can compile it.
//!
//! [`RULES`]: super::RULES

/// Every category a rule may declare, in the order `archc rules` lists them.
pub const CATEGORIES: &[&str] = &[
    "redundancy",
    "state",
    "data",
    "cache",
    "cdn",
    "network",
    "capacity",
    "operations",
];
