#![allow(clippy::unwrap_used)] // Tests fail loudly on broken fixtures.
//! The examples tell the "zero to millions" story: each stage removes the
//! findings its change addresses, and the flagship has no error and no
//! warning. `archc check` of every example is snapshotted beside its source.

use std::collections::BTreeSet;

fn rules(path: &str) -> (String, BTreeSet<String>, archc::Compiled) {
    let src = std::fs::read_to_string(path).unwrap();
    let checked = archc::check(&src, &Default::default(), &Default::default(), "2026-11-20");
    let names = checked.diagnostics.iter().map(|d| d.rule.clone()).collect();
    (src, names, checked)
}

#[test]
fn every_example_is_snapshotted() {
    insta::glob!("../examples", "*.arch", |path| {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let (src, _, checked) = rules(path.to_str().unwrap());
        assert!(checked.model.is_some(), "{name} must compile");
        let reports = [archc::render::FileReport {
            name: &name,
            source: &src,
            diagnostics: &checked.diagnostics,
        }];
        insta::assert_snapshot!(archc::render::human(&reports, false, 100));
    });
}

#[test]
fn each_stage_removes_what_its_change_addresses() {
    let stage = |n: &str| rules(&format!("examples/{n}.arch")).1;
    let s1 = stage("01-single-server");
    assert!(s1.contains("spof"), "the single server shows its SPOFs");
    // A load balancer and two web servers: web is no longer a SPOF, and the
    // local sessions it keeps become the stateful-tier problem.
    let s3 = stage("03-load-balancer");
    assert!(s3.contains("stateful-tier"));
    // Replication with automatic failover removes the last SPOF.
    let s4 = stage("04-db-replication");
    assert!(!s4.contains("spof"));
    // The CDN takes the static requests off the web tier.
    assert!(s4.contains("static-without-cdn"));
    assert!(!stage("05-cache-cdn").contains("static-without-cdn"));
    // A session store makes the web tier stateless.
    assert!(!stage("06-stateless-web").contains("stateful-tier"));
    // A second datacenter behind geo-DNS.
    assert!(!stage("07-multi-dc").contains("single-datacenter"));
    // Monitoring arrives with the queue and workers.
    assert!(stage("07-multi-dc").contains("no-monitoring"));
    assert!(!stage("08-queue-workers").contains("no-monitoring"));
}

#[test]
fn the_flagship_has_no_error_and_no_warning() {
    let (_, _, checked) = rules("examples/09-sharded-db.arch");
    let loud: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.severity != archc::diagnostic::Severity::Info)
        .map(|d| (&d.rule, &d.message))
        .collect();
    assert!(loud.is_empty(), "{loud:?}");
}
