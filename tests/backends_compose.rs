#![allow(clippy::unwrap_used)] // Tests fail loudly on broken fixtures.
//! The compose target: for every example, every project parses as YAML
//! (duplicate keys rejected), validates against the Compose Specification,
//! is self-consistent the way `docker compose config` requires, is secure
//! by default, and carries the estimator's instance counts.

mod backends_common;

use archc::backends::Target;
use archc::backends::compose::PLACEHOLDER;
use backends_common::{build_example, build_source, designs, examples, file, root, stem, yaml};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

fn validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/schemas/compose-spec.json"
        );
        let text = std::fs::read_to_string(path).expect("tests/schemas/compose-spec.json");
        let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
        jsonschema::validator_for(&schema).expect("schema compiles")
    })
}

fn schema_errors(v: &Value) -> Vec<String> {
    validator()
        .iter_errors(v)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

/// Every compose project of every example: (example, project folder,
/// parsed compose.yaml, all files).
fn projects() -> Vec<(String, String, Value, Vec<archc::backends::OutputFile>)> {
    let mut out = Vec::new();
    for ex in designs() {
        let files = build_example(&ex, Target::Compose);
        for f in files.iter().filter(|f| f.path.ends_with("compose.yaml")) {
            let dir = f.path.trim_end_matches("compose.yaml").to_string();
            out.push((stem(&ex), dir, yaml(&f.contents), files.clone()));
        }
    }
    out
}

fn services(v: &Value) -> &serde_json::Map<String, Value> {
    v["services"].as_object().expect("services mapping")
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Images of the stateful engines the backend runs.
const DATA_IMAGES: &[&str] = &[
    "postgres:",
    "mysql:",
    "redis:",
    "memcached:",
    "rabbitmq:",
    "nats:",
    "apache/kafka:",
    "localstack/",
    "minio/minio:",
];
/// Of those, what must never be reachable from outside.
const BACKEND_IMAGES: &[&str] = &[
    "postgres:",
    "mysql:",
    "redis:",
    "memcached:",
    "rabbitmq:",
    "nats:",
    "apache/kafka:",
    "localstack/",
];

fn is_image(svc: &Value, prefixes: &[&str]) -> bool {
    let image = svc["image"].as_str().unwrap_or_default();
    prefixes.iter().any(|p| image.starts_with(p))
}

#[test]
fn every_project_parses_and_matches_the_compose_spec() {
    let all = projects();
    assert!(
        all.len() >= examples().len(),
        "one project per example at least"
    );
    for (ex, dir, v, files) in &all {
        let errors = schema_errors(v);
        assert!(errors.is_empty(), "{ex}/{dir}compose.yaml: {errors:#?}");
        // Every YAML file of the project parses too.
        for f in files
            .iter()
            .filter(|f| f.path.ends_with(".yml") || f.path.ends_with(".yaml"))
        {
            yaml(&f.contents);
        }
    }
}

#[test]
fn the_schema_check_is_not_vacuous() {
    let mut v = yaml(file(
        &build_example(
            &root().join("examples/03-load-balancer.arch"),
            Target::Compose,
        ),
        "compose.yaml",
    ));
    assert!(schema_errors(&v).is_empty());
    v["services"]["web"]["replicas_typo"] = Value::from(3);
    assert!(
        !schema_errors(&v).is_empty(),
        "an unknown service key must fail the schema"
    );
}

#[test]
fn projects_are_self_consistent_like_docker_compose_config_requires() {
    for (ex, dir, v, files) in projects() {
        let where_ = format!("{ex}/{dir}compose.yaml");
        let svcs = services(&v);
        let volumes: BTreeSet<String> = v["volumes"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        let networks: BTreeSet<String> = v["networks"]
            .as_object()
            .expect("networks")
            .keys()
            .cloned()
            .collect();
        let configs = v["configs"].as_object().cloned().unwrap_or_default();
        assert_eq!(
            networks,
            BTreeSet::from(["public".to_string(), "internal".to_string()]),
            "{where_}"
        );
        assert_eq!(
            v["networks"]["internal"]["internal"],
            Value::Bool(true),
            "{where_}"
        );
        for (cname, c) in &configs {
            let path = c["file"]
                .as_str()
                .expect("config file")
                .trim_start_matches("./");
            assert!(
                files.iter().any(|f| f.path == format!("{dir}{path}")),
                "{where_}: config {cname} points at {path}, which is not generated"
            );
        }
        for (name, s) in svcs {
            for d in s["depends_on"]
                .as_object()
                .map(|m| m.keys().cloned().collect::<Vec<_>>())
                .unwrap_or_default()
            {
                assert!(
                    svcs.contains_key(&d),
                    "{where_}: {name} depends on missing {d}"
                );
            }
            for n in strings(&s["networks"]) {
                assert!(
                    networks.contains(&n),
                    "{where_}: {name} on undeclared network {n}"
                );
            }
            for vol in strings(&s["volumes"]) {
                let source = vol.split(':').next().unwrap_or_default().to_string();
                assert!(
                    volumes.contains(&source),
                    "{where_}: {name} mounts undeclared volume {source}"
                );
            }
            for c in s["configs"].as_array().cloned().unwrap_or_default() {
                let source = c["source"].as_str().expect("config source");
                assert!(
                    configs.contains_key(source),
                    "{where_}: {name} uses undeclared config {source}"
                );
            }
        }
        // No cycle in depends_on: Compose refuses one.
        let mut state: BTreeMap<&str, u8> = BTreeMap::new();
        fn visit<'a>(
            n: &'a str,
            svcs: &'a serde_json::Map<String, Value>,
            state: &mut BTreeMap<&'a str, u8>,
        ) -> bool {
            match state.get(n) {
                Some(1) => return false,
                Some(2) => return true,
                _ => {}
            }
            state.insert(n, 1);
            if let Some(deps) = svcs[n]["depends_on"].as_object() {
                for d in deps.keys() {
                    if !visit(d, svcs, state) {
                        return false;
                    }
                }
            }
            state.insert(n, 2);
            true
        }
        for n in svcs.keys() {
            assert!(
                visit(n, svcs, &mut state),
                "{where_}: depends_on cycle through {n}"
            );
        }
    }
}

/// `${NAME…}` references in a text.
fn references(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] == b'$' && b[i + 1] == b'$' {
            i += 2;
            continue;
        }
        if b[i] == b'$' && b[i + 1] == b'{' {
            let rest = &text[i + 2..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            out.insert(rest[..end].to_string());
        }
        i += 1;
    }
    out
}

#[test]
fn every_secret_comes_from_env_example_and_nothing_else_is_interpolated() {
    for (ex, dir, _, files) in projects() {
        let compose = file(&files, &format!("{dir}compose.yaml"));
        let env = file(&files, &format!("{dir}.env.example"));
        let listed: BTreeMap<String, String> = env
            .lines()
            .filter(|l| !l.starts_with('#') && l.contains('='))
            .map(|l| {
                let (k, v) = l.split_once('=').expect("NAME=value");
                (k.to_string(), v.to_string())
            })
            .collect();
        let used = references(compose);
        assert_eq!(
            used,
            listed.keys().cloned().collect::<BTreeSet<_>>(),
            "{ex}/{dir}: .env.example must list exactly the variables compose.yaml reads"
        );
        // No value in .env.example is a real secret: each is the one
        // placeholder, long enough for MinIO's 8-character minimum.
        for (k, v) in &listed {
            assert_eq!(v, PLACEHOLDER, "{ex}/{dir}.env.example: {k}");
        }
        assert!(PLACEHOLDER.len() >= 8);
        // What `docker compose config` does after `cp .env.example .env`:
        // every reference resolves.
        let mut resolved = compose.to_string();
        for (k, v) in &listed {
            let pattern = format!("${{{k}:?copy .env.example to .env and set {k}}}");
            resolved = resolved.replace(&pattern, v);
        }
        assert!(
            references(&resolved).is_empty(),
            "{ex}/{dir}: unresolved references remain"
        );
    }
}

/// Environment names that hold secrets.
fn is_secret_name(name: &str) -> bool {
    name.contains("PASSWORD")
        || name.contains("COOKIE")
        || name.contains("TOKEN")
        || ["_PASS", "SECRET_KEY", "ACCESS_KEY", "_AUTH"]
            .iter()
            .any(|s| name.ends_with(s))
}

#[test]
fn no_password_is_written_literally() {
    let mut checked = 0;
    for (ex, dir, v, _) in projects() {
        for (name, s) in services(&v) {
            for (k, val) in s["environment"].as_object().cloned().unwrap_or_default() {
                if is_secret_name(&k) {
                    let val = val.as_str().expect("string value");
                    assert!(
                        val.starts_with("${") && val.contains(":?") && val.ends_with('}'),
                        "{ex}/{dir}{name}: {k} = {val:?} is not a `${{VAR:?}}` reference"
                    );
                    checked += 1;
                }
            }
            // Passwords on command lines come from the environment too.
            let argv: Vec<String> = strings(&s["command"])
                .into_iter()
                .chain(strings(&s["entrypoint"]))
                .collect();
            let words: Vec<&str> = argv.iter().flat_map(|a| a.split_whitespace()).collect();
            for w in words.windows(2) {
                if ["--requirepass", "--masterauth", "--pass", "-p"].contains(&w[0]) {
                    assert!(
                        w[1].starts_with("\"$$") || w[1].starts_with("$$"),
                        "{ex}/{dir}{name}: {} {} is a literal",
                        w[0],
                        w[1]
                    );
                }
            }
        }
    }
    assert!(
        checked > 50,
        "the check must see the examples' secrets ({checked})"
    );
}

#[test]
fn backends_are_never_published_or_on_the_public_network() {
    let mut backends = 0;
    for (ex, dir, v, _) in projects() {
        for (name, s) in services(&v) {
            if is_image(s, BACKEND_IMAGES) {
                backends += 1;
                assert!(
                    s.get("ports").is_none(),
                    "{ex}/{dir}{name} publishes a port"
                );
                assert_eq!(
                    strings(&s["networks"]),
                    vec!["internal".to_string()],
                    "{ex}/{dir}{name}"
                );
            }
            // What is published to everyone is on the public network;
            // monitoring UIs are published on the loopback only.
            for p in strings(&s["ports"]) {
                assert!(
                    strings(&s["networks"]).contains(&"public".to_string()),
                    "{ex}/{dir}{name}: {p}"
                );
                if ["prometheus", "grafana"].contains(&name.as_str()) {
                    assert!(p.starts_with("127.0.0.1:"), "{ex}/{dir}{name}: {p}");
                }
            }
        }
    }
    assert!(
        backends > 30,
        "the examples hold databases, caches and queues ({backends})"
    );
}

#[test]
fn stateful_services_have_healthchecks_volumes_and_healthy_dependents() {
    for (ex, dir, v, _) in projects() {
        let svcs = services(&v);
        for (name, s) in svcs {
            let stateful = is_image(s, DATA_IMAGES);
            if stateful {
                assert!(
                    s.get("healthcheck").is_some(),
                    "{ex}/{dir}{name} has no healthcheck"
                );
                let keeps_data = !is_image(s, &["memcached:"]);
                if keeps_data {
                    assert!(
                        !strings(&s["volumes"]).is_empty(),
                        "{ex}/{dir}{name} has no named volume"
                    );
                }
            }
            for (dep, how) in s["depends_on"].as_object().cloned().unwrap_or_default() {
                let target = &svcs[&dep];
                let condition = how["condition"].as_str().expect("condition");
                let want = if target.get("healthcheck").is_some() {
                    "service_healthy"
                } else if target["restart"] == "no" {
                    "service_completed_successfully"
                } else {
                    "service_started"
                };
                assert_eq!(condition, want, "{ex}/{dir}{name} -> {dep}");
            }
        }
    }
}

#[test]
fn replicas_actually_replicate() {
    let mut pg = 0;
    let mut redis = 0;
    let mut mysql = 0;
    for (ex, dir, v, files) in projects() {
        let svcs = services(&v);
        for (name, s) in svcs {
            let argv =
                strings(&s["entrypoint"]).join(" ") + " " + &strings(&s["command"]).join(" ");
            if let Some(rest) = argv.split("pg_basebackup -h ").nth(1) {
                pg += 1;
                let primary = rest.split_whitespace().next().expect("primary host");
                let slot = rest
                    .split(" -S ")
                    .nth(1)
                    .and_then(|r| r.split([' ', ';']).next())
                    .expect("slot");
                let p = &svcs[primary];
                assert!(
                    p["image"].as_str().unwrap().starts_with("postgres:"),
                    "{ex}/{dir}{name}"
                );
                let slots = p["environment"]["REPLICATION_SLOTS"]
                    .as_str()
                    .expect("slots");
                assert!(
                    slots.split(',').any(|s| s == slot),
                    "{ex}/{dir}: {primary} makes no slot {slot} for {name}"
                );
                assert!(
                    argv.contains(" -R "),
                    "{name} must write its standby configuration"
                );
                assert_eq!(s["depends_on"][primary]["condition"], "service_healthy");
                let init = file(&files, &format!("{dir}postgres/primary-init.sh"));
                assert!(
                    init.contains("WITH REPLICATION LOGIN") && init.contains("host replication"),
                    "{ex}"
                );
                assert!(init.contains("pg_create_physical_replication_slot"));
            }
            if let Some(primary) = s["environment"]["SOURCE_HOST"].as_str() {
                mysql += 1;
                let p = &svcs[primary];
                assert!(
                    p["image"].as_str().unwrap().starts_with("mysql:"),
                    "{ex}/{dir}{name}"
                );
                let mounts = |svc: &Value| -> Vec<String> {
                    svc["configs"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|c| c["source"].as_str().map(String::from))
                        .collect()
                };
                assert!(mounts(p).contains(&"mysql-primary-init".to_string()));
                assert!(mounts(s).contains(&"mysql-replica-init".to_string()));
                // Distinct server ids, binary logs and GTIDs on both ends.
                let id = |svc: &Value| {
                    strings(&svc["command"])
                        .into_iter()
                        .find(|a| a.starts_with("--server-id="))
                        .expect("server id")
                };
                assert_ne!(id(p), id(s));
                for svc in [p, s] {
                    let args = strings(&svc["command"]);
                    assert!(
                        args.contains(&"--gtid-mode=ON".to_string())
                            && args.contains(&"--log-bin=mysql-bin".to_string())
                    );
                }
                let init = file(&files, &format!("{dir}mysql/replica-init.sh"));
                assert!(
                    init.contains("CHANGE REPLICATION SOURCE TO SOURCE_HOST='${SOURCE_HOST}'")
                        && init.contains("SOURCE_AUTO_POSITION=1")
                );
                assert!(
                    file(&files, &format!("{dir}mysql/primary-init.sh"))
                        .contains("GRANT REPLICATION SLAVE")
                );
            }
            if let Some(rest) = argv.split("--replicaof ").nth(1) {
                redis += 1;
                let primary = rest.split_whitespace().next().expect("primary");
                assert!(
                    svcs[primary]["image"]
                        .as_str()
                        .unwrap()
                        .starts_with("redis:")
                );
                assert_eq!(s["depends_on"][primary]["condition"], "service_healthy");
            }
        }
    }
    // 04: 2 replicas; 05, 06: 2; 07, 08: 2 per datacenter x 2; 09: 2 per
    // shard x 10 shards x 2 datacenters.
    assert_eq!(
        pg,
        2 + 2 + 2 + 4 + 4 + 40 + 2,
        "postgres replicas across the examples"
    );
    assert!(redis >= 10, "redis replicas across the examples ({redis})");
    // The kitchen sink: `orders` has one replica in each of two datacenters.
    assert_eq!(mysql, 2);
}

fn replicas(v: &Value, service: &str) -> u64 {
    v["services"][service]["deploy"]["replicas"]
        .as_u64()
        .unwrap_or_else(|| panic!("{service} has no replicas"))
}

#[test]
fn instance_counts_come_from_the_estimator() {
    // Hand computations (LANGUAGE.md §7: the smallest count in min..max
    // with peak / (n x capacity) <= 70%):
    //   09 web us-east: 4166.7/s / (n x 800/s) <= 0.7 -> n >= 7.44 -> 8
    //   09 web us-west: 2777.8 / (800 n) <= 0.7 -> n >= 4.96 -> 5
    //   08 web us-east: 2083.3 / (800 n) <= 0.7 -> n >= 3.72 -> 4; us-west 3
    //   06 web: 694.4 / (800 n) <= 0.7 -> n >= 1.24 -> 2 (also the minimum)
    let files = build_example(&root().join("examples/09-sharded-db.arch"), Target::Compose);
    let east = yaml(file(&files, "us-east/compose.yaml"));
    let west = yaml(file(&files, "us-west/compose.yaml"));
    assert_eq!(replicas(&east, "web"), 8);
    assert_eq!(replicas(&west, "web"), 5);
    assert_eq!(replicas(&east, "workers"), 3);
    assert_eq!(replicas(&east, "edge"), 2);
    let text = file(&files, "us-east/compose.yaml");
    assert!(text.contains("# autoscale 4..40: the estimator needs 8 instances for 4166.7/s at peak, 65.1% utilisation (target 70.0%)"), "the figure sits next to the value");
    let files = build_example(
        &root().join("examples/08-queue-workers.arch"),
        Target::Compose,
    );
    assert_eq!(
        replicas(&yaml(file(&files, "us-east/compose.yaml")), "web"),
        4
    );
    assert_eq!(
        replicas(&yaml(file(&files, "us-west/compose.yaml")), "web"),
        3
    );
    let files = build_example(
        &root().join("examples/06-stateless-web.arch"),
        Target::Compose,
    );
    assert_eq!(replicas(&yaml(file(&files, "compose.yaml")), "web"), 2);
}

#[test]
fn the_load_balancer_config_follows_the_design() {
    let files = build_example(&root().join("examples/09-sharded-db.arch"), Target::Compose);
    let cfg = file(&files, "us-east/haproxy/edge.cfg");
    assert!(
        cfg.contains("balance leastconn"),
        "algorithm = least-connections"
    );
    assert!(cfg.contains("check inter 5000ms"), "health_interval = 5s");
    assert!(cfg.contains("timeout server 2000ms"), "web's timeout = 2s");
    // One slot per instance web may run: autoscale max 40.
    assert!(cfg.contains("server-template web- 40 web:8080"));
    let v = yaml(file(&files, "us-east/compose.yaml"));
    // web sits behind the balancer: not published.
    assert!(v["services"]["web"].get("ports").is_none());
    assert_eq!(
        strings(&v["services"]["edge"]["ports"]),
        vec!["8081-8082:8080".to_string()]
    );
    // In stage 1 browsers call web directly: it is the published entry.
    let one = yaml(file(
        &build_example(
            &root().join("examples/01-single-server.arch"),
            Target::Compose,
        ),
        "compose.yaml",
    ));
    assert_eq!(
        strings(&one["services"]["web"]["ports"]),
        vec!["8080:8080".to_string()]
    );
}

#[test]
fn one_datacenter_goes_straight_into_the_output_folder() {
    let source = std::fs::read_to_string(root().join("examples/09-sharded-db.arch")).unwrap();
    let files = build_source(
        &source,
        "examples/09-sharded-db.arch",
        Target::Compose,
        Some("us-west"),
    )
    .unwrap();
    assert!(files.iter().any(|f| f.path == "compose.yaml"));
    assert!(files.iter().all(|f| !f.path.starts_with("us-")));
    let v = yaml(file(&files, "compose.yaml"));
    assert_eq!(v["name"], "photo-share-us-west");
    assert_eq!(replicas(&v, "web"), 5);
    let err = build_source(&source, "x", Target::Compose, Some("eu-west")).unwrap_err();
    assert_eq!(
        err,
        "unknown datacenter `eu-west`; the design has datacenters `us-east`, `us-west`"
    );
}

#[test]
fn engines_the_backend_cannot_run_are_refused_by_name() {
    let src = "client u\nservice web\ndatabase events { engine = neo4j }\nu -> web -> events\n";
    let err = build_source(src, "x.arch", Target::Compose, None).unwrap_err();
    assert_eq!(
        err,
        "database `events`: engine `neo4j` is not mapped by the compose backend (it maps cassandra, dynamodb, mongodb, mysql, opensearch, postgres and redshift)"
    );
}

#[test]
fn a_project_past_one_hosts_containers_is_refused_with_its_count() {
    // 300 shards of a primary and 3 replicas each: 1,200 database
    // containers, refused before any of them is laid out.
    let src = "client u\nservice web\ndatabase db { shards = 300  replicas = 3  shard_key = user }\nu -> web -> db\n";
    let err = build_source(src, "x.arch", Target::Compose, None).unwrap_err();
    assert_eq!(
        err,
        "database `db`: 300 shard(s) with 3 replica(s) each need 1200 containers, more than the 1000 one compose project runs; build for terraform or kubernetes"
    );
    // 1,200 replicas of a service: one compose entry, but 1,200 containers.
    let src = "client u\nservice web { replicas = 1200 }\nu -> web\n";
    let err = build_source(src, "x.arch", Target::Compose, None).unwrap_err();
    assert_eq!(
        err,
        "service `web`: 1200 replica(s) need 1200 containers, more than the 1000 one compose project runs; build for terraform or kubernetes"
    );
    // Found by fuzzing: 210 million cache replicas exhausted memory before
    // any check; they are now counted before anything is laid out.
    let src = "client u\nservice web\ncache page { replicas = 210M  ttl = 1h }\nu -> web -> page\n";
    let err = build_source(src, "x.arch", Target::Compose, None).unwrap_err();
    assert_eq!(
        err,
        "cache `page`: 210000000 replica(s) need 210000000 containers, more than the 1000 one compose project runs; build for terraform or kubernetes"
    );
    // No component too many on its own, but together: 600 + 600.
    let src = "client u\nservice web { replicas = 600 }\nservice api { replicas = 600 }\nu -> web\nu -> api\n";
    let err = build_source(src, "x.arch", Target::Compose, None).unwrap_err();
    assert_eq!(
        err,
        "system `x`: the project runs 1200 containers on one host, more than 1000; build for terraform or kubernetes"
    );
    // At the limit it builds.
    let src = "client u\nservice web { replicas = 1000 }\nu -> web\n";
    assert!(build_source(src, "x.arch", Target::Compose, None).is_ok());
}

#[test]
fn host_ports_never_run_past_65535() {
    // Each datacenter's project publishes from 8080 + 100 × its index:
    // datacenter 575 would start at 65,580.
    let mut src = String::new();
    for i in 0..577 {
        src.push_str(&format!("datacenter d{i} {{ region = \"r{i}\" }}\n"));
    }
    src.push_str("client u\nlb edge { public = true }\nservice web\nu -> edge -> web\n");
    let err = build_source(&src, "x.arch", Target::Compose, None).unwrap_err();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert_eq!(
        lines[0],
        "lb `edge`: publishing it needs host port 65580, past 65535 (datacenter `d575` starts at 65580: each datacenter's project is offset by 100 so all can run on one host); lower the instance count, build fewer datacenters, or build for kubernetes"
    );
    assert!(lines[1].contains("host port 65680") && lines[1].contains("`d576`"));
    // Published ranges follow one another without overlapping.
    let src = "client u\nservice web { replicas = 700  public = true }\nservice api { replicas = 300  public = true }\nu -> web\nu -> api\n";
    let files = build_source(src, "x.arch", Target::Compose, None).unwrap();
    let v = yaml(file(&files, "compose.yaml"));
    assert_eq!(
        strings(&v["services"]["web"]["ports"]),
        vec!["8080-8779:8080".to_string()]
    );
    assert_eq!(
        strings(&v["services"]["api"]["ports"]),
        vec!["8780-9079:8080".to_string()]
    );
}

/// Builds `source` for compose with `overrides` in place of embedded
/// templates.
fn build_with_overrides(
    source: &str,
    overrides: &[(&str, &str)],
) -> Result<Vec<archc::backends::OutputFile>, Vec<archc::backends::BuildError>> {
    let compiled = archc::compile(source, &archc::BuildOptions::default());
    let model = compiled.model.expect("the design compiles");
    let est = archc::estimate(
        &model,
        &mut archc::estimate::shards::PlacementCache::default(),
    );
    let options = archc::backends::Options {
        source: "override.arch".to_string(),
        datacenter: None,
        overrides: overrides
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect(),
    };
    archc::backends::build(&model, &est, Target::Compose, &options)
}

const REPLICATED: &str = "system s\n\
    traffic { rate = 10/s }\n\
    service app\n\
    database orders { engine = postgres  replicas = 1 }\n\
    cache sessions { engine = redis  replicas = 2 }\n\
    app -> orders\n\
    app -> sessions\n";

#[test]
fn engine_containers_run_the_catalogue_image_port_and_data_path() {
    use archc::backends::engines;
    for (_, _, v, _) in projects() {
        for (name, svc) in services(&v) {
            let image = svc["image"].as_str().unwrap();
            let Some(e) = engines::ENGINES.iter().find(|e| e.image == Some(image)) else {
                continue;
            };
            // Memcached keeps nothing: no volume to mount.
            if e.replication == engines::Replication::None {
                continue;
            }
            let volumes = strings(&svc["volumes"]);
            assert!(
                volumes.iter().any(|m| m
                    .split_once(':')
                    .is_some_and(|(_, t)| t.starts_with(e.data_path))),
                "{name} ({}) mounts no volume at {}: {volumes:?}",
                e.name,
                e.data_path
            );
        }
    }
}

#[test]
fn shell_scripts_come_from_their_templates() {
    let files = build_with_overrides(
        REPLICATED,
        &[
            (
                "redis.sh.j2",
                "exec redis-server --from-override {{ script.policy|sh }}{% if script.primary is not none %} --replicaof {{ script.primary|sh }} {{ script.port|sh }}{% endif %}\n",
            ),
            (
                "postgres-replica.sh.j2",
                "exec pg_basebackup -h {{ script.primary|sh }} -S {{ script.slot|sh }} $PGDATA\n",
            ),
        ],
    )
    .unwrap();
    let compose = &files
        .iter()
        .find(|f| f.path == "compose.yaml")
        .unwrap()
        .contents;
    let v = yaml(compose);
    let s = services(&v);
    assert_eq!(
        s["sessions-replica-1"]["command"][2],
        "exec redis-server --from-override noeviction --replicaof sessions 6379"
    );
    assert_eq!(
        s["sessions"]["command"][2],
        "exec redis-server --from-override noeviction"
    );
    // The template's `$` reaches Compose doubled, so it stays the shell's.
    assert_eq!(
        s["orders-replica-1"]["entrypoint"][2],
        "exec pg_basebackup -h orders -S orders_replica_1 $$PGDATA"
    );
}

#[test]
fn a_script_template_cannot_print_a_value_unescaped() {
    let errors = build_with_overrides(
        REPLICATED,
        &[(
            "redis.sh.j2",
            "exec redis-server --maxmemory-policy {{ script.policy }}\n",
        )],
    )
    .unwrap_err();
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(
        text.iter()
            .any(|e| e.contains("compose.yaml.j2") && e.contains("without an escaping filter")),
        "{text:?}"
    );
}

#[test]
fn mongodb_cassandra_and_opensearch_run_their_catalogue_image_with_health_checks() {
    let files = build_example(&backends_common::engines_design(), Target::Compose);
    let v = yaml(file(&files, "eu/compose.yaml"));
    let svc = services(&v);
    for (name, image, health) in [
        ("catalog", "mongo:7.0", "mongosh"),
        ("timeline", "cassandra:5.0", "cqlsh"),
        ("search", "opensearchproject/opensearch:2.18.0", "curl"),
        (
            "logs-shard-0",
            "opensearchproject/opensearch:2.18.0",
            "curl",
        ),
        (
            "logs-shard-1",
            "opensearchproject/opensearch:2.18.0",
            "curl",
        ),
    ] {
        let s = &svc[name];
        assert_eq!(s["image"], image, "{name}");
        assert_eq!(strings(&s["healthcheck"]["test"])[1], health, "{name}");
        assert_eq!(strings(&s["networks"]), ["internal"], "{name}");
        assert!(s.get("ports").is_none(), "{name} publishes a port");
    }
    assert_eq!(
        strings(&svc["search"]["command"]),
        ["-Ediscovery.type=single-node"]
    );
    assert_eq!(
        svc["catalog"]["environment"]["MONGO_INITDB_ROOT_PASSWORD"],
        "${CATALOG_PASSWORD:?copy .env.example to .env and set CATALOG_PASSWORD}"
    );
    let api = &svc["api"]["environment"];
    assert_eq!(api["CATALOG_HOST"], "catalog");
    assert_eq!(api["CATALOG_PORT"], "27017");
    assert_eq!(api["CATALOG_USER"], "archc");
    assert_eq!(api["TIMELINE_PORT"], "9042");
    assert_eq!(api["SEARCH_PORT"], "9200");
    assert_eq!(api["LOGS_SHARD_HOSTS"], "logs-shard-0,logs-shard-1");
    assert_eq!(
        api["EVENTS_BOOTSTRAP_SERVERS"],
        "events-1:9092,events-2:9092,events-3:9092"
    );
    assert_eq!(api["SESSIONS_SERVERS"], "sessions-1:11211,sessions-2:11211");
    let deps = svc["api"]["depends_on"].as_object().unwrap();
    assert_eq!(deps["catalog"]["condition"], "service_healthy");
}

#[test]
fn a_managed_only_engine_runs_outside_the_project_at_an_address_from_env() {
    let files = build_example(&backends_common::engines_design(), Target::Compose);
    let text = file(&files, "eu/compose.yaml");
    let v = yaml(text);
    let svc = services(&v);
    assert!(
        !svc.keys().any(|k| k.starts_with("warehouse")),
        "Redshift is not run"
    );
    assert!(text.contains(
        "#   - database `warehouse`: Amazon Redshift runs outside the project (it has no image); set WAREHOUSE_HOST and WAREHOUSE_PASSWORD in .env to an existing cluster"
    ));
    let api = &svc["api"]["environment"];
    assert_eq!(
        api["WAREHOUSE_HOST"],
        "${WAREHOUSE_HOST:?copy .env.example to .env and set WAREHOUSE_HOST}"
    );
    assert_eq!(api["WAREHOUSE_PORT"], "5439");
    assert!(svc["api"]["depends_on"].get("warehouse").is_none());
    let env = file(&files, "eu/.env.example");
    assert!(env.contains("WAREHOUSE_HOST=replace-me"), "{env}");
    assert!(env.contains("WAREHOUSE_PASSWORD=replace-me"), "{env}");
}

#[test]
fn one_server_per_shard_engines_count_one_container_per_shard() {
    // 300 shards with 3 replicas each: 1,200 containers for PostgreSQL,
    // but MongoDB runs one server per shard, 300 in all.
    let src = "client u\nservice web\ndatabase db { engine = mongodb  shards = 300  replicas = 3  shard_key = user }\nu -> web -> db\n";
    let files = build_source(src, "x.arch", Target::Compose, None).unwrap();
    let v = yaml(file(&files, "compose.yaml"));
    let shards = services(&v)
        .keys()
        .filter(|k| k.starts_with("db-shard-"))
        .count();
    assert_eq!(shards, 300);
}
