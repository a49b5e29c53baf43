#![allow(clippy::unwrap_used)] // Tests fail loudly on broken fixtures.
//! The numbers in the data-tier rules' messages, against hand computations.

use archc::diagnostic::{Diagnostic, Severity, line_col};
use archc::rules::config::Config;

fn check(source: &str) -> Vec<Diagnostic> {
    let options = archc::BuildOptions {
        default_name: "numbers".into(),
        ..Default::default()
    };
    let compiled = archc::check(source, &options, &Config::default(), "2026-11-20");
    assert!(compiled.model.is_some(), "{:#?}", compiled.diagnostics);
    compiled.diagnostics
}

fn of(diags: &[Diagnostic], rule: &str, severity: Severity) -> Vec<Diagnostic> {
    diags
        .iter()
        .filter(|d| d.rule == rule && d.severity == severity)
        .cloned()
        .collect()
}

fn database(shards: u32, sharding: &str) -> String {
    format!(
        "client users\nservice web {{ replicas = 2 }}\n\
         database db {{ replicas = 1  shards = {shards}  shard_key = id  sharding = {sharding} }}\n\
         users -> web -> db\n"
    )
}

#[test]
fn modulo_sharding_gives_both_percentages() {
    // Growing from K to K+1 shards moves K/(K+1) of the keys with mod K and
    // 1/(K+1) on a ring: 8 shards: 8/9 = 88.9% -> 89% and 1/9 = 11.1% -> 11%.
    let d = of(
        &check(&database(8, "hash")),
        "modulo-sharding",
        Severity::Warning,
    );
    assert_eq!(d.len(), 1);
    assert!(d[0].message.contains("hash mod 8"), "{}", d[0].message);
    assert!(
        d[0].message.contains(
            "adding a shard (8 to 9) moves 89% of the keys; consistent hashing would move 11%"
        ),
        "{}",
        d[0].message
    );
    assert!(
        d[0].help
            .as_deref()
            .unwrap()
            .contains("moves 1/9 of the keys")
    );

    // 4 shards: 4/5 = 80% and 1/5 = 20%.
    let d = of(
        &check(&database(4, "hash")),
        "modulo-sharding",
        Severity::Warning,
    );
    assert!(
        d[0].message
            .contains("moves 80% of the keys; consistent hashing would move 20%")
    );

    // Consistent and range sharding are not modulo sharding.
    assert!(
        of(
            &check(&database(8, "consistent")),
            "modulo-sharding",
            Severity::Warning
        )
        .is_empty()
    );
    assert!(
        of(
            &check(&database(8, "range")),
            "modulo-sharding",
            Severity::Warning
        )
        .is_empty()
    );
}

const HOT_RANGE: &str = r#"
client users
service web { replicas = 2  capacity = 5000/s }
database db {
  capacity  = 500/s
  shards    = 4
  shard_key = id
  sharding  = range
  keys      = uniform
  key_count = 1000
  hot_keys  = { "celeb" = 40% }
}
users -> web -> db
"#;

#[test]
fn hotspot_share_warning_names_shard_share_fair_share_and_keys() {
    // Range sharding: the hot key ranks before "1", so it lands on shard 0
    // with the first 250 of the 1000 uniform keys. Shard 0's share is
    // 40% + 60% x 250/1000 = 55%; the fair share is 1/4 = 25%, the limit
    // 2 x 25% = 50%. Each uniform key weighs 60%/1000 = 0.06%, under 1% of
    // the shard's share, so only "celeb" is named.
    let diags = check(HOT_RANGE);
    let w = of(&diags, "hotspot-key", Severity::Warning);
    assert_eq!(w.len(), 1, "{diags:#?}");
    assert_eq!(
        w[0].message,
        "shard 0 of `db` takes 55% of the database's requests, above 2x its fair share of 1/4 (25%) = 50%; heaviest keys: \"celeb\" 40%"
    );
    // No traffic: no capacity error.
    assert!(of(&diags, "hotspot-key", Severity::Error).is_empty());
}

#[test]
fn hotspot_share_warning_with_zipf_ranks() {
    // zipf(1) over 8 keys: H8 = 1 + 1/2 + ... + 1/8 = 2.717857. Range
    // sharding over 4 shards puts ranks 1 and 2 on shard 0:
    // (1 + 1/2) / 2.717857 = 55.19% -> 55%, above 2 x 25% = 50%. Key "1"
    // weighs 1 / 2.717857 = 36.8% -> 37%, key "2" 18.4% -> 18%.
    let source = r#"
client users
service web { replicas = 2 }
database db { replicas = 1  shards = 4  shard_key = id  sharding = range  keys = zipf(1)  key_count = 8 }
users -> web -> db
"#;
    let w = of(&check(source), "hotspot-key", Severity::Warning);
    assert_eq!(w.len(), 1);
    assert!(
        w[0].message
            .contains("shard 0 of `db` takes 55% of the database's requests"),
        "{}",
        w[0].message
    );
    assert!(
        w[0].message.contains("heaviest keys: \"1\" 37%, \"2\" 18%"),
        "{}",
        w[0].message
    );

    // A 2.5x hotspot factor allows 2.5 x 25% = 62.5%: no warning.
    let relaxed = format!("assumptions {{ hotspot_factor = 2.5x }}\n{source}");
    assert!(of(&check(&relaxed), "hotspot-key", Severity::Warning).is_empty());
}

#[test]
fn hotspot_capacity_error_per_copy() {
    // 1000/s of writes at peak (reads = 0%, peak 1x) reach `db`, a single
    // copy with no replicas. Shard 0 takes 55% = 550/s on its primary of
    // 500/s: 110%. The other shards take 60% x 1/4 = 15% = 150/s, 30%.
    let source = format!("traffic {{ rate = 1000/s  reads = 0% }}\n{HOT_RANGE}");
    let diags = check(&source);
    let e = of(&diags, "hotspot-key", Severity::Error);
    assert_eq!(e.len(), 1, "{diags:#?}");
    assert_eq!(
        e[0].message,
        "shard 0 of `db` is over capacity: it receives 550.0/s at peak and its primary handles 550.0/s (applied writes included) of 500.0/s (110%); the shard takes 55% of the requests (fair share 1/4: 25%); heaviest keys: \"celeb\" 40%"
    );
    assert_eq!(e[0].component.as_deref(), Some("db"));
    assert_eq!(e[0].datacenter, None);
    // The finding points at the database, with its capacity as related span.
    let (line, _) = line_col(&source, e[0].primary.span.start);
    assert_eq!(line, 5);
    assert_eq!(e[0].related[0].message, "capacity of one instance");
}

#[test]
fn hotspot_capacity_error_for_a_dedicated_shard_in_each_datacenter() {
    // Two datacenters of 50%: each copy receives 1500/s x 2 (peak) x 50% =
    // 1500/s of writes; the dedicated shard of "celeb" takes 60% = 900/s,
    // and with `cross_dc = async` its primary also applies the other copy's
    // 900/s: 1800/s of 1000/s = 180%. The hashed shards take 40% x 1/4 =
    // 10% each, under the share limit.
    let source = r#"
traffic { rate = 1500/s  peak = 2x  reads = 0% }
datacenter east { weight = 50% }
datacenter west { weight = 50% }
client users
dns geo { routing = geo }
service web { replicas = 2  capacity = 5000/s }
database db {
  capacity  = 1000/s
  shards    = 4
  shard_key = id
  sharding  = range
  key_count = 1000
  hot_keys  = { "celeb" = 60% }
  dedicated = ["celeb"]
  cross_dc  = async
}
users -> geo -> web -> db
"#;
    let diags = check(source);
    assert!(of(&diags, "hotspot-key", Severity::Warning).is_empty());
    let e = of(&diags, "hotspot-key", Severity::Error);
    assert_eq!(e.len(), 2, "{diags:#?}");
    for (d, dc) in e.iter().zip(["east", "west"]) {
        assert_eq!(
            d.message,
            format!(
                "dedicated shard 4 (key \"celeb\") of `db@{dc}` is over capacity: it receives 900.0/s at peak and its primary handles 1800.0/s (applied writes included) of 1000.0/s (180%); the shard takes 60% of the requests; heaviest keys: \"celeb\" 60%"
            )
        );
        assert_eq!(d.datacenter.as_deref(), Some(dc));
    }
}
