#![allow(clippy::unwrap_used)] // Tests fail loudly on broken fixtures.
//! The model as `archc dump` shows it: placement of copies, edges between
//! them, entry points and defaults (LANGUAGE.md §4–§7), asserted field by
//! field against hand-computed values.

use archc::model::dump::to_value;
use archc::{BuildOptions, compile};
use serde_json::Value;

/// The dumped model of a design that must compile cleanly.
fn dump(source: &str) -> Value {
    let compiled = compile(
        source,
        &BuildOptions {
            default_name: "test".into(),
            ..Default::default()
        },
    );
    assert!(
        compiled.diagnostics.is_empty(),
        "the design must compile cleanly: {:#?}",
        compiled.diagnostics
    );
    to_value(&compiled.model.expect("a model"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// Copy-graph edges as (from, to, kind, fraction, cross_dc), sorted.
fn edges(model: &Value) -> Vec<(String, String, String, f64, bool)> {
    let mut out: Vec<_> = model["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            (
                e["from"].as_str().expect("from").to_string(),
                e["to"].as_str().expect("to").to_string(),
                e["kind"].as_str().expect("kind").to_string(),
                e["fraction"].as_f64().expect("fraction"),
                e["cross_dc"].as_bool().expect("cross_dc"),
            )
        })
        .collect();
    out.sort_by(|a, b| (&a.0, &a.1, &a.2).cmp(&(&b.0, &b.1, &b.2)));
    out
}

/// Asserts the edges equal `expected` (any order), fractions within 1e-9.
#[track_caller]
fn assert_edges(model: &Value, expected: &[(&str, &str, &str, f64, bool)]) {
    let got = edges(model);
    let mut want: Vec<(String, String, String, f64, bool)> = expected
        .iter()
        .map(|(a, b, k, f, x)| (a.to_string(), b.to_string(), k.to_string(), *f, *x))
        .collect();
    want.sort_by(|a, b| (&a.0, &a.1, &a.2).cmp(&(&b.0, &b.1, &b.2)));
    let same = got.len() == want.len()
        && got
            .iter()
            .zip(&want)
            .all(|(g, w)| g.0 == w.0 && g.1 == w.1 && g.2 == w.2 && close(g.3, w.3) && g.4 == w.4);
    assert!(same, "edges differ:\n got  {got:#?}\n want {want:#?}");
}

/// (id, component, datacenter) of every node, sorted.
fn nodes(model: &Value) -> Vec<(String, String, Option<String>)> {
    let mut out: Vec<_> = model["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| {
            (
                n["id"].as_str().expect("id").to_string(),
                n["component"].as_str().expect("component").to_string(),
                n["datacenter"].as_str().map(str::to_string),
            )
        })
        .collect();
    out.sort();
    out
}

fn component<'a>(model: &'a Value, name: &str) -> &'a Value {
    model["components"]
        .as_array()
        .expect("components")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no component `{name}`"))
}

fn placed_in(model: &Value, name: &str) -> Vec<String> {
    component(model, name)["datacenters"]
        .as_array()
        .expect("datacenters")
        .iter()
        .map(|d| d.as_str().expect("a name").to_string())
        .collect()
}

fn entries(model: &Value) -> Vec<(String, f64)> {
    model["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["component"].as_str().expect("component").to_string(),
                e["share"].as_f64().expect("share"),
            )
        })
        .collect()
}

#[track_caller]
fn assert_entries(model: &Value, expected: &[(&str, f64)]) {
    let got = entries(model);
    assert_eq!(got.len(), expected.len(), "entries: {got:?}");
    for ((name, share), (want_name, want_share)) in got.iter().zip(expected) {
        assert_eq!(name, want_name, "entries: {got:?}");
        assert!(
            close(*share, *want_share),
            "entry `{name}` has share {share}, expected {want_share}"
        );
    }
}

fn node(id: &str, component: &str, dc: Option<&str>) -> (String, String, Option<String>) {
    (
        id.to_string(),
        component.to_string(),
        dc.map(str::to_string),
    )
}

#[test]
fn no_datacenter_means_one_implicit_default() {
    let m = dump(
        "client users
         lb front { replicas = 2 }
         service web
         database db
         users -> front -> web -> db",
    );
    let dcs = m["datacenters"].as_array().expect("datacenters");
    assert_eq!(dcs.len(), 1);
    assert_eq!(dcs[0]["name"], "default");
    assert_eq!(dcs[0]["implicit"], true);
    assert!(close(
        dcs[0]["weight"]["value"].as_f64().expect("weight"),
        1.0
    ));

    // Regional components live in `default`; the client is global. Copy ids
    // carry no `@default`.
    assert_eq!(placed_in(&m, "web"), ["default"]);
    assert!(placed_in(&m, "users").is_empty());
    assert_eq!(
        nodes(&m),
        [
            node("db", "db", Some("default")),
            node("front", "front", Some("default")),
            node("users", "users", None),
            node("web", "web", Some("default")),
        ]
    );
    assert_edges(
        &m,
        &[
            ("users", "front", "call", 1.0, false),
            ("front", "web", "call", 1.0, false),
            ("web", "db", "call", 1.0, false),
        ],
    );
    assert_entries(&m, &[("users", 1.0)]);
}

#[test]
fn one_datacenter_places_every_regional_component_there() {
    let m = dump(
        "datacenter east { region = \"us-east-1\" }
         client users
         dns ns
         service web { replicas = 3 }
         cache hot
         database db
         users -> ns -> web -> hot -> db [read]
         web -> db [write]",
    );
    let dcs = m["datacenters"].as_array().expect("datacenters");
    assert_eq!(dcs.len(), 1);
    assert_eq!(dcs[0]["name"], "east");
    assert_eq!(dcs[0]["implicit"], false);
    assert_eq!(dcs[0]["region"], "us-east-1");
    // One datacenter without a weight takes all the traffic.
    assert!(close(
        dcs[0]["weight"]["value"].as_f64().expect("weight"),
        1.0
    ));
    assert_eq!(
        nodes(&m),
        [
            node("db@east", "db", Some("east")),
            node("hot@east", "hot", Some("east")),
            node("ns", "ns", None),
            node("users", "users", None),
            node("web@east", "web", Some("east")),
        ]
    );
    assert_edges(
        &m,
        &[
            ("users", "ns", "call", 1.0, false),
            ("ns", "web@east", "call", 1.0, false),
            ("web@east", "hot@east", "call", 1.0, false),
            ("hot@east", "db@east", "call", 1.0, false),
            ("web@east", "db@east", "call", 1.0, false),
        ],
    );
    // Replicas are per copy, not split across datacenters.
    assert_eq!(component(&m, "web")["replicas"]["value"], 3);
}

/// Three datacenters weighted 50/30/20; `reports` only in `a`, `db` only in
/// `b` and `c`.
const THREE_DCS: &str = "
datacenter a { weight = 50% }
datacenter b { weight = 30% }
datacenter c { weight = 20% }
client users
dns geo
lb front { replicas = 2 }
service web { replicas = 2 }
service reports { datacenters = [a] }
database db { datacenters = [c, b] }
users -> geo -> front -> web
web -> reports [read 5%]
web -> db
";

#[test]
fn three_datacenters_place_copies_by_their_lists() {
    let m = dump(THREE_DCS);
    let weights: Vec<(String, f64)> = m["datacenters"]
        .as_array()
        .expect("datacenters")
        .iter()
        .map(|d| {
            (
                d["name"].as_str().expect("name").to_string(),
                d["weight"]["value"].as_f64().expect("w"),
            )
        })
        .collect();
    assert_eq!(
        weights,
        [("a".into(), 0.5), ("b".into(), 0.3), ("c".into(), 0.2)]
    );

    assert_eq!(placed_in(&m, "front"), ["a", "b", "c"]);
    assert_eq!(placed_in(&m, "web"), ["a", "b", "c"]);
    assert_eq!(placed_in(&m, "reports"), ["a"]);
    // Declaration order of the list does not matter: placement follows the
    // datacenters' order.
    assert_eq!(placed_in(&m, "db"), ["b", "c"]);
    assert!(placed_in(&m, "geo").is_empty());
    assert_eq!(component(&m, "db")["defaulted"]["replicas"], true);

    let ids: Vec<String> = nodes(&m).into_iter().map(|n| n.0).collect();
    assert_eq!(
        ids,
        [
            "db@b",
            "db@c",
            "front@a",
            "front@b",
            "front@c",
            "geo",
            "reports@a",
            "users",
            "web@a",
            "web@b",
            "web@c"
        ]
    );
}

#[test]
fn edges_follow_placement_rules() {
    let m = dump(THREE_DCS);
    assert_edges(
        &m,
        &[
            // Client to global dns: one edge.
            ("users", "geo", "call", 1.0, false),
            // Global to regional: fan-out split by datacenter weight.
            ("geo", "front@a", "call", 0.5, false),
            ("geo", "front@b", "call", 0.3, false),
            ("geo", "front@c", "call", 0.2, false),
            // Regional to regional in the same datacenter.
            ("front@a", "web@a", "call", 1.0, false),
            ("front@b", "web@b", "call", 1.0, false),
            ("front@c", "web@c", "call", 1.0, false),
            // `reports` only in `a`: the others call across.
            ("web@a", "reports@a", "call", 1.0, false),
            ("web@b", "reports@a", "call", 1.0, true),
            ("web@c", "reports@a", "call", 1.0, true),
            // `db` in `b` and `c`: `a` splits 30:20 renormalised to 60/40.
            ("web@a", "db@b", "call", 0.6, true),
            ("web@a", "db@c", "call", 0.4, true),
            ("web@b", "db@b", "call", 1.0, false),
            ("web@c", "db@c", "call", 1.0, false),
        ],
    );
    // Edges keep their flow's labels: the share stays on the edge it was
    // written on, classes on every copy edge.
    for e in m["edges"].as_array().expect("edges") {
        if e["to"].as_str().is_some_and(|t| t.starts_with("reports")) {
            assert_eq!(e["classes"], serde_json::json!(["read"]));
            assert!(close(e["share"].as_f64().expect("share"), 0.05));
        } else {
            assert_eq!(e["classes"], serde_json::json!(["static", "read", "write"]));
            assert_eq!(e["share"], Value::Null);
        }
    }
}

#[test]
fn clients_fan_out_to_regional_copies_directly() {
    let m = dump(
        "datacenter east { weight = 70% }
         datacenter west { weight = 30% }
         client users
         cdn assets
         storage media
         lb front
         users -> front
         users -> assets -> media [static]",
    );
    assert_edges(
        &m,
        &[
            ("users", "front@east", "call", 0.7, false),
            ("users", "front@west", "call", 0.3, false),
            ("users", "assets", "call", 1.0, false),
            ("assets", "media@east", "call", 0.7, false),
            ("assets", "media@west", "call", 0.3, false),
        ],
    );
}

#[test]
fn unweighted_datacenters_share_what_is_left() {
    let m = dump(
        "datacenter a
         datacenter b
         datacenter c
         datacenter d { weight = 40% }
         datacenter e { weight = 30% }
         client users
         users -> web
         service web",
    );
    let weights: Vec<f64> = m["datacenters"]
        .as_array()
        .expect("datacenters")
        .iter()
        .map(|d| d["weight"]["value"].as_f64().expect("w"))
        .collect();
    // 30% left over three datacenters.
    for (got, want) in weights.iter().zip([0.1, 0.1, 0.1, 0.4, 0.3]) {
        assert!(close(*got, want), "weights {weights:?}");
    }
    let m = dump("datacenter a\ndatacenter b\ndatacenter c\nclient u\nservice s\nu -> s");
    assert_edges(
        &m,
        &[
            ("u", "s@a", "call", 1.0 / 3.0, false),
            ("u", "s@b", "call", 1.0 / 3.0, false),
            ("u", "s@c", "call", 1.0 / 3.0, false),
        ],
    );
}

#[test]
fn queues_hand_messages_to_consumers() {
    // Queue and consumers in both datacenters: each copy feeds its own.
    let m = dump(
        "datacenter east { weight = 60% }
         datacenter west { weight = 40% }
         client users
         service web
         queue jobs
         service workers { consumes = jobs }
         service mailer { consumes = jobs  datacenters = [east] }
         users -> web -> jobs [write]",
    );
    assert_edges(
        &m,
        &[
            ("users", "web@east", "call", 0.6, false),
            ("users", "web@west", "call", 0.4, false),
            ("web@east", "jobs@east", "call", 1.0, false),
            ("web@west", "jobs@west", "call", 1.0, false),
            ("jobs@east", "workers@east", "consume", 1.0, false),
            ("jobs@west", "workers@west", "consume", 1.0, false),
            // `mailer` runs in `east` only: west's messages cross over.
            ("jobs@east", "mailer@east", "consume", 1.0, false),
            ("jobs@west", "mailer@east", "consume", 1.0, true),
        ],
    );
    // A consume edge carries no flow labels.
    for e in m["edges"].as_array().expect("edges") {
        if e["kind"] == "consume" {
            assert_eq!(e["classes"], Value::Null);
            assert_eq!(e["share"], Value::Null);
        }
    }
    // Consumers are reached through their queue, so they are no entry.
    assert_entries(&m, &[("users", 1.0)]);
}

#[test]
fn entry_points_are_clients_split_by_share() {
    let m = dump(
        "client phones { share = 70% }
         client browsers
         client bots
         service web
         phones -> web
         browsers -> web
         bots -> web",
    );
    // 30% left over two clients without a share.
    assert_entries(&m, &[("phones", 0.7), ("browsers", 0.15), ("bots", 0.15)]);
    let phones = component(&m, "phones");
    assert!(close(
        phones["spec"]["share"]["value"].as_f64().expect("share"),
        0.7
    ));

    let m = dump("client a\nclient b\nservice web\na -> web\nb -> web");
    assert_entries(&m, &[("a", 0.5), ("b", 0.5)]);
}

#[test]
fn without_clients_every_unreached_component_is_an_entry() {
    let m = dump(
        "lb front
         service web
         service admin
         database db
         queue jobs
         service worker { consumes = jobs }
         front -> web -> db
         admin -> db
         web -> jobs",
    );
    // `front` and `admin` have no incoming flow; `worker` is fed by its
    // queue.
    assert_entries(&m, &[("front", 0.5), ("admin", 0.5)]);
}

/// (capacity per instance, latency in seconds) per kind, copied from the
/// table of LANGUAGE.md §7.
const KIND_DEFAULTS: &[(&str, Option<f64>, f64)] = &[
    ("lb", Some(20_000.0), 0.001),
    ("service", Some(200.0), 0.020),
    ("cache", Some(50_000.0), 0.001),
    ("database", Some(2_000.0), 0.005),
    ("queue", Some(10_000.0), 0.002),
    ("storage", Some(5_000.0), 0.020),
    ("cdn", None, 0.005),
    ("dns", None, 0.0),
    ("client", None, 0.0),
];

#[test]
fn kind_defaults_follow_the_table_and_are_flagged() {
    let mut source = String::new();
    for (kind, _, _) in KIND_DEFAULTS {
        // A storage is managed (s3) unless another engine is named, and a
        // managed service has no capacity limit: use minio for the table.
        if *kind == "storage" {
            source.push_str("storage x-storage { engine = minio }\n");
        } else {
            source.push_str(&format!("{kind} x-{kind}\n"));
        }
    }
    let m = dump(&source);
    for (kind, capacity, latency) in KIND_DEFAULTS {
        let c = component(&m, &format!("x-{kind}"));
        assert_eq!(c["kind"], *kind);
        assert_eq!(
            c["capacity"]["value"].as_f64(),
            *capacity,
            "capacity of a `{kind}`"
        );
        assert!(
            close(c["latency"]["value"].as_f64().expect("latency"), *latency),
            "latency of a `{kind}`"
        );
        for attr in ["capacity", "latency", "replicas", "availability"] {
            assert_eq!(
                c["defaulted"][attr], true,
                "`{attr}` of a `{kind}` is a default"
            );
        }
        let managed = matches!(*kind, "cdn" | "dns");
        assert_eq!(c["managed"], managed, "is a `{kind}` managed?");
        // §4: an instance's availability is the assumption (99.9%); a
        // managed service's is 99.99% (§8).
        let availability = if managed { 0.9999 } else { 0.999 };
        assert!(close(
            c["availability"]["value"].as_f64().expect("availability"),
            availability
        ));
        // §4: `public` is true for lb and cdn only.
        assert_eq!(
            c["public"]["value"],
            matches!(*kind, "lb" | "cdn"),
            "`public` of a `{kind}`"
        );
    }
    // Replicas default to 1, except a database's read replicas (0).
    assert_eq!(component(&m, "x-service")["replicas"]["value"], 1);
    assert_eq!(component(&m, "x-database")["replicas"]["value"], 0);
}

#[test]
fn written_values_are_not_flagged_as_defaults() {
    let m = dump(
        "service web { replicas = 4  capacity = 1.2k/s  latency = 15ms  availability = 99.5% }
         service api { autoscale = 2..8 }
         assumptions { instance_availability = 99% }",
    );
    let web = component(&m, "web");
    for attr in ["capacity", "latency", "replicas", "availability"] {
        assert_eq!(web["defaulted"][attr], false, "`{attr}` was written");
    }
    assert!(close(
        web["capacity"]["value"].as_f64().expect("capacity"),
        1200.0
    ));
    assert!(close(
        web["latency"]["value"].as_f64().expect("latency"),
        0.015
    ));
    assert!(close(
        web["availability"]["value"].as_f64().expect("availability"),
        0.995
    ));
    assert_eq!(web["replicas"]["value"], 4);

    let api = component(&m, "api");
    assert_eq!(api["autoscale"]["value"], serde_json::json!([2, 8]));
    assert_eq!(api["defaulted"]["capacity"], true);
    // The default instance availability comes from `assumptions`.
    assert!(close(
        api["availability"]["value"].as_f64().expect("availability"),
        0.99
    ));
    assert_eq!(api["defaulted"]["availability"], true);
}

#[test]
fn kind_specific_defaults() {
    let m = dump(
        "dns ns
         cdn assets
         lb front
         service web
         cache hot
         database db
         database replicated { replicas = 2 }
         queue jobs",
    );
    let spec = |name: &str, attr: &str| component(&m, name)["spec"][attr]["value"].clone();
    use serde_json::json;
    assert_eq!(spec("ns", "routing"), json!("simple"));
    assert_eq!(spec("ns", "failover"), json!(true));
    assert_eq!(spec("ns", "ttl"), json!(60.0));
    assert_eq!(spec("assets", "hit_ratio"), json!(0.9));
    assert_eq!(spec("assets", "fallback"), json!("none"));
    assert_eq!(spec("assets", "invalidation"), json!("none"));
    assert_eq!(spec("front", "algorithm"), json!("round-robin"));
    assert_eq!(spec("front", "sticky"), json!(false));
    assert_eq!(spec("front", "health_interval"), json!(5.0));
    assert_eq!(spec("web", "timeout"), json!(2.0));
    assert_eq!(spec("hot", "engine"), json!("redis"));
    assert_eq!(spec("hot", "eviction"), json!("none"));
    assert_eq!(spec("hot", "hit_ratio"), json!(0.8));
    assert_eq!(spec("hot", "overprovision"), json!(0.0));
    assert_eq!(spec("hot", "item_size"), json!(1000.0));
    assert_eq!(spec("hot", "cross_dc"), json!("none"));
    assert_eq!(spec("db", "engine"), json!("postgres"));
    assert_eq!(spec("db", "model"), json!("relational"));
    assert_eq!(spec("db", "shards"), json!(1));
    assert_eq!(spec("db", "sharding"), json!("hash"));
    assert_eq!(spec("db", "key_count"), json!(1_000_000));
    assert_eq!(spec("db", "record_size"), json!(1000.0));
    assert_eq!(spec("db", "failover_time"), json!(30.0));
    // Failover and reads depend on whether there are replicas (§4).
    assert_eq!(spec("db", "failover"), json!("none"));
    assert_eq!(spec("replicated", "failover"), json!("automatic"));
    assert_eq!(spec("replicated", "read_from"), json!("replicas"));
    assert_eq!(spec("jobs", "engine"), json!("rabbitmq"));
    assert_eq!(spec("jobs", "durable"), json!(true));
}

#[test]
fn managed_services_are_recognised() {
    let m = dump(
        "dns ns
         cdn assets
         database table { engine = dynamodb }
         database pg { engine = postgres }
         storage bucket { engine = s3 }
         storage default-bucket
         storage self-hosted { engine = minio }
         queue sqs-queue { engine = sqs }
         queue rabbit { engine = rabbitmq }
         database capped { engine = dynamodb  capacity = 20000/s }",
    );
    for (name, managed) in [
        ("ns", true),
        ("assets", true),
        ("table", true),
        ("pg", false),
        ("bucket", true),
        ("default-bucket", true),
        ("self-hosted", false),
        ("sqs-queue", true),
        ("rabbit", false),
        ("capped", true),
    ] {
        let c = component(&m, name);
        assert_eq!(c["managed"], managed, "is `{name}` managed?");
        if managed {
            assert!(
                close(c["availability"]["value"].as_f64().expect("a"), 0.9999),
                "`{name}`: 99.99%"
            );
        }
    }
    // A managed service without a capacity has no limit; one with a
    // capacity keeps it.
    assert_eq!(component(&m, "table")["capacity"]["value"], Value::Null);
    assert_eq!(component(&m, "sqs-queue")["capacity"]["value"], Value::Null);
    assert_eq!(component(&m, "capped")["capacity"]["value"], 20_000.0);
    assert_eq!(component(&m, "pg")["capacity"]["value"], 2_000.0);
    // DynamoDB defaults to the key-value model.
    assert_eq!(
        component(&m, "table")["spec"]["model"]["value"],
        "key-value"
    );
}

#[test]
fn traffic_is_lowered_to_a_rate() {
    let m = dump(
        "traffic { users = 10M  per_user = 40/day  peak = 3x  reads = 90%  static = 50% }
         client users
         service web
         users -> web",
    );
    let t = &m["traffic"];
    // 10M × 40/day = 4.63e3/s.
    assert!(close(
        t["rate"].as_f64().expect("rate"),
        10e6 * 40.0 / 86_400.0
    ));
    assert!(close(t["peak"]["value"].as_f64().expect("peak"), 3.0));
    assert!(close(t["reads"]["value"].as_f64().expect("reads"), 0.9));
    assert!(close(t["static"]["value"].as_f64().expect("static"), 0.5));
    let m = dump("traffic { rate = 1.2k/s }\nclient u\nservice s\nu -> s");
    assert!(close(m["traffic"]["rate"].as_f64().expect("rate"), 1200.0));
    assert!(close(
        m["traffic"]["reads"]["value"].as_f64().expect("reads"),
        1.0
    ));
}

#[path = "../benches/gen/mod.rs"]
mod generator;

#[test]
fn generated_designs_compile_cleanly_at_scale() {
    // The benchmark measures the success path only if its designs are
    // valid; check a small one thoroughly and its size exactly.
    for (n, seed) in [(4, 1), (57, 2), (300, 3)] {
        let source = generator::generate_design(n, seed);
        let m = dump(&source);
        assert_eq!(m["components"].as_array().expect("components").len(), n);
        assert_eq!(m["datacenters"].as_array().expect("dcs").len(), 3);
    }
    let m = dump(&generator::generate_design(300, 3));
    let flows = m["flows"].as_array().expect("flows").len();
    // Two flow statements per group component; chains add edges.
    assert!(flows >= 2 * 290, "{flows} flow edges");
    // Deterministic: the same seed gives the same text.
    assert_eq!(
        generator::generate_design(300, 3),
        generator::generate_design(300, 3)
    );
    assert_ne!(
        generator::generate_design(300, 3),
        generator::generate_design(300, 4)
    );
}

#[test]
fn consumers_without_a_local_queue_copy_pull_from_it() {
    // The queue lives in `a` only; every workers copy shares its messages
    // by weight (equal here), the remote ones across datacenters.
    let m = dump(
        "datacenter a\ndatacenter b\ndatacenter c\nclient u\nservice web\nqueue jobs { datacenters = [a] }\nservice workers { consumes = jobs }\nu -> web -> jobs [write]",
    );
    let consumes: Vec<(String, String, f64, bool)> = m["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter(|e| e["kind"] == "consume")
        .map(|e| {
            (
                e["from"].as_str().expect("from").to_string(),
                e["to"].as_str().expect("to").to_string(),
                e["fraction"].as_f64().expect("fraction"),
                e["cross_dc"].as_bool().expect("cross"),
            )
        })
        .collect();
    assert_eq!(consumes.len(), 3, "{consumes:?}");
    for (from, to, fraction, cross) in consumes {
        assert_eq!(from, "jobs@a");
        assert!(close(fraction, 1.0 / 3.0));
        assert_eq!(cross, to != "workers@a");
    }
}

/// A call count sits on a chain's first edge and `all-shards` on its last
/// (LANGUAGE.md §13); the dump shows each only where it is not the default.
#[test]
fn call_counts_and_all_shards_on_their_edges() {
    let m = dump(
        "client u
         service a
         service b
         database d { shards = 4  shard_key = k }
         u -> a
         a -> b -> d [read x3 all-shards]",
    );
    let flows = m["flows"].as_array().unwrap();
    assert_eq!(flows.len(), 3);
    // u -> a: neither.
    assert!(flows[0].get("calls").is_none() && flows[0].get("all_shards").is_none());
    // a -> b: the first edge of the chain carries the count.
    assert_eq!(flows[1]["to"], "b");
    assert_eq!(flows[1]["calls"], 3);
    assert!(flows[1].get("all_shards").is_none());
    // b -> d: the last edge, into the sharded database, scatters.
    assert_eq!(flows[2]["to"], "d");
    assert!(flows[2].get("calls").is_none());
    assert_eq!(flows[2]["all_shards"], true);
}
