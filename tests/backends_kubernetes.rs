#![allow(clippy::unwrap_used)] // Tests fail loudly on broken fixtures.
//! The kubernetes target: every manifest is YAML with the fields every
//! Kubernetes object needs, the network policies admit exactly the
//! connections the design declares, and the flagship and a small example
//! are snapshotted. Schema validation runs in
//! `.ci/stages/kubernetes-schema.sh` (kubernetes-validate, strict).

mod backends_common;

use archc::backends::Target;
use archc::estimate::shards::PlacementCache;
use archc::model::{Kind, Session};
use backends_common::{build_example, build_source, designs, examples, root, stem};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every document of every manifest file (kustomizations apart), with the
/// file it came from.
fn documents(files: &[archc::backends::OutputFile]) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for f in files {
        let docs: Vec<Value> = serde_saphyr::from_multiple(&f.contents)
            .unwrap_or_else(|e| panic!("{} is not valid YAML: {e}\n{}", f.path, f.contents));
        for d in docs {
            if !d.is_null() {
                out.push((f.path.clone(), d));
            }
        }
    }
    out
}

fn manifests(files: &[archc::backends::OutputFile]) -> Vec<(String, Value)> {
    documents(files)
        .into_iter()
        .filter(|(p, _)| !p.ends_with("kustomization.yaml"))
        .collect()
}

fn layout(files: &[archc::backends::OutputFile]) -> String {
    let mut out = String::new();
    for f in files {
        out.push_str(&format!("==> {} <==\n", f.path));
        out.push_str(&f.contents);
        out.push('\n');
    }
    out
}

#[test]
fn every_design_builds_and_every_manifest_is_a_kubernetes_object() {
    for path in designs() {
        let files = build_example(&path, Target::Kubernetes);
        assert!(
            files.iter().any(|f| f.path == "base/kustomization.yaml"),
            "{}: no base kustomization",
            stem(&path)
        );
        for f in &files {
            assert!(
                archc::backends::is_generated(&f.contents),
                "{} lacks the header",
                f.path
            );
        }
        let docs = manifests(&files);
        assert!(!docs.is_empty());
        for (file, d) in &docs {
            for field in ["apiVersion", "kind"] {
                assert!(
                    d[field].as_str().is_some_and(|s| !s.is_empty()),
                    "{}: {file}: a document lacks {field}: {d}",
                    stem(&path)
                );
            }
            assert!(
                d["metadata"]["name"]
                    .as_str()
                    .is_some_and(|s| !s.is_empty()),
                "{}: {file}: a document lacks metadata.name: {d}",
                stem(&path)
            );
        }
        // Every listed resource exists, and every manifest file is listed.
        let base: Value =
            serde_saphyr::from_str(backends_common::file(&files, "base/kustomization.yaml"))
                .unwrap();
        let listed: BTreeSet<String> = base["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| format!("base/{}", r.as_str().unwrap()))
            .collect();
        let written: BTreeSet<String> = files
            .iter()
            .map(|f| f.path.clone())
            .filter(|p| p.starts_with("base/") && !p.ends_with("kustomization.yaml"))
            .collect();
        assert_eq!(listed, written, "{}", stem(&path));
    }
}

#[test]
fn secrets_are_only_references() {
    for path in designs() {
        for (file, d) in manifests(&build_example(&path, Target::Kubernetes)) {
            let containers = &d["spec"]["template"]["spec"]["containers"];
            for c in containers.as_array().into_iter().flatten() {
                for e in c["env"].as_array().into_iter().flatten() {
                    let name = e["name"].as_str().unwrap();
                    if name.contains("PASSWORD") {
                        assert!(
                            e.get("value").is_none(),
                            "{file}: {name} has a literal value"
                        );
                        assert!(
                            e["valueFrom"]["secretKeyRef"]["name"].is_string(),
                            "{file}: {name} is not a secretKeyRef"
                        );
                    }
                }
            }
        }
    }
}

/// Components as the manifests name them: the design's name to its label.
fn labels(path: &Path) -> (archc::Model, BTreeMap<String, String>) {
    let source = std::fs::read_to_string(path).unwrap();
    let compiled = archc::compile(
        &source,
        &archc::BuildOptions {
            default_name: stem(path),
            ..Default::default()
        },
    );
    let model = compiled.model.unwrap();
    let est = archc::estimate(&model, &mut PlacementCache::default());
    let view = archc::backends::view::build(&model, &est, "x");
    let map = view
        .components
        .iter()
        .map(|c| (c.name.clone(), c.label.clone()))
        .collect();
    (model, map)
}

/// What each component connects to, derived from the model alone: its
/// flows, with a balancer standing for what it balances and a cache's
/// onward flows made by the services that call the cache (read-through in
/// the design, a miss the service handles in a deployment); the queue a
/// service consumes; its session store.
fn expected_edges(model: &archc::Model) -> BTreeSet<(usize, usize)> {
    fn resolve(model: &archc::Model, to: usize, out: &mut BTreeSet<usize>, seen: &mut Vec<usize>) {
        if seen.contains(&to) {
            return;
        }
        seen.push(to);
        if model.components[to].kind == Kind::Lb {
            for (_, f) in model.flows_from(to) {
                resolve(model, f.to, out, seen);
            }
        } else {
            out.insert(to);
        }
    }
    let mut edges = BTreeSet::new();
    for (i, c) in model.components.iter().enumerate() {
        if c.kind != Kind::Service {
            continue;
        }
        let mut targets: Vec<usize> = model.flows_from(i).map(|(_, f)| f.to).collect();
        // Onward flows of the caches it calls, through caches.
        let mut stack: Vec<usize> = targets
            .iter()
            .copied()
            .filter(|&t| model.components[t].kind == Kind::Cache)
            .collect();
        let mut seen_caches = stack.clone();
        while let Some(cache) = stack.pop() {
            for (_, f) in model.flows_from(cache) {
                if model.components[f.to].kind == Kind::Cache && !seen_caches.contains(&f.to) {
                    seen_caches.push(f.to);
                    stack.push(f.to);
                }
                targets.push(f.to);
            }
        }
        let s = c.service().unwrap();
        if let Some(q) = &s.consumes {
            targets.push(q.value);
        }
        if let Session::Store(id) = s.session.value {
            targets.push(id);
        }
        for t in targets {
            let mut out = BTreeSet::new();
            resolve(model, t, &mut out, &mut Vec::new());
            for o in out {
                if o != i {
                    edges.insert((i, o));
                }
            }
        }
    }
    edges
}

#[test]
fn network_policies_admit_exactly_the_designs_connections() {
    for path in designs() {
        let name = stem(&path);
        let (model, label_of) = labels(&path);
        let docs = manifests(&build_example(&path, Target::Kubernetes));

        // Pods in the cluster: the name label of every workload.
        let pods: BTreeSet<String> = docs
            .iter()
            .filter(|(_, d)| matches!(d["kind"].as_str(), Some("Deployment" | "StatefulSet")))
            .map(|(_, d)| {
                d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        let policies: Vec<&Value> = docs
            .iter()
            .filter(|(_, d)| d["kind"] == "NetworkPolicy")
            .map(|(_, d)| d)
            .collect();

        // The default deny selects every pod of the system and admits none.
        let deny = policies
            .iter()
            .find(|p| p["metadata"]["name"] == "default-deny")
            .unwrap_or_else(|| panic!("{name}: no default-deny policy"));
        assert_eq!(deny["spec"]["policyTypes"], serde_json::json!(["Ingress"]));
        assert!(deny["spec"].get("ingress").is_none());

        // Admitted (caller, callee) pairs, from the policies.
        let mut admitted: BTreeSet<(String, String)> = BTreeSet::new();
        let mut covered = BTreeSet::new();
        for p in &policies {
            let Some(to) =
                p["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"].as_str()
            else {
                continue;
            };
            covered.insert(to.to_string());
            for rule in p["spec"]["ingress"].as_array().into_iter().flatten() {
                for from in rule["from"].as_array().unwrap() {
                    if let Some(f) =
                        from["podSelector"]["matchLabels"]["app.kubernetes.io/name"].as_str()
                    {
                        admitted.insert((f.to_string(), to.to_string()));
                    }
                }
            }
        }
        assert_eq!(covered, pods, "{name}: a pod without its own policy");

        let expected: BTreeSet<(String, String)> = expected_edges(&model)
            .into_iter()
            .map(|(a, b)| {
                (
                    label_of[&model.components[a].name].clone(),
                    label_of[&model.components[b].name].clone(),
                )
            })
            .filter(|(a, b)| pods.contains(a) && pods.contains(b))
            .collect();
        // A replicated store's own pods talk to each other: its replicas
        // copy from and stream from its primary.
        let replicated: BTreeSet<String> = docs
            .iter()
            .filter(|(_, d)| {
                d["spec"]["template"]["metadata"]["labels"]["archc.dev/role"] == "replica"
            })
            .map(|(_, d)| {
                d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        // For every ordered pair of pods: admitted iff the design joins them.
        for a in &pods {
            for b in &pods {
                let pair = (a.clone(), b.clone());
                assert_eq!(
                    admitted.contains(&pair),
                    expected.contains(&pair) || (a == b && replicated.contains(a)),
                    "{name}: {a} -> {b}"
                );
            }
        }
    }
}

#[test]
fn network_policies_of_the_flagship_by_hand() {
    // examples/09-sharded-db.arch: browsers -> geo -> edge(lb) -> web;
    // web -> sessions, web -> hot -> photos (read), web -> photos (write),
    // web -> jobs; workers consume jobs and write to media (s3, outside the
    // cluster). So web is reached only through the Ingress, sessions, hot
    // and photos only from web (photos also on hot's misses, which web
    // makes; the replicated ones also from their own pods), jobs from web and its consumer workers, workers from nobody.
    let files = build_example(
        &root().join("examples/09-sharded-db.arch"),
        Target::Kubernetes,
    );
    let docs = manifests(&files);
    let from = |name: &str| -> (Vec<String>, bool) {
        let p = docs
            .iter()
            .map(|(_, d)| d)
            .find(|d| d["kind"] == "NetworkPolicy" && d["metadata"]["name"] == name)
            .unwrap();
        let mut pods = Vec::new();
        let mut ingress = false;
        for rule in p["spec"]["ingress"].as_array().unwrap() {
            for f in rule["from"].as_array().unwrap() {
                match f["podSelector"]["matchLabels"]["app.kubernetes.io/name"].as_str() {
                    Some(n) => pods.push(n.to_string()),
                    None => ingress = true,
                }
            }
        }
        pods.sort();
        (pods, ingress)
    };
    assert_eq!(from("web"), (vec![], true));
    // sessions and hot are replicated Redis, photos replicated Postgres:
    // their replicas connect to their primary.
    assert_eq!(
        from("sessions"),
        (vec!["sessions".to_string(), "web".to_string()], false)
    );
    assert_eq!(
        from("hot"),
        (vec!["hot".to_string(), "web".to_string()], false)
    );
    assert_eq!(
        from("photos"),
        (vec!["photos".to_string(), "web".to_string()], false)
    );
    assert_eq!(
        from("jobs"),
        (vec!["web".to_string(), "workers".to_string()], false)
    );
    assert_eq!(from("workers"), (vec![], false));
}

#[test]
fn replicas_autoscalers_and_budgets_follow_the_design() {
    for path in examples() {
        let name = stem(&path);
        let (model, label_of) = labels(&path);
        let est = archc::estimate(&model, &mut PlacementCache::default());
        let files = build_example(&path, Target::Kubernetes);
        let docs = manifests(&files);
        for (i, c) in model.components.iter().enumerate() {
            let label = &label_of[&c.name];
            if c.kind == Kind::Service {
                let hpa = docs.iter().map(|(_, d)| d).find(|d| {
                    d["kind"] == "HorizontalPodAutoscaler"
                        && d["metadata"]["name"] == label.as_str()
                });
                match &c.autoscale {
                    Some(a) => {
                        let hpa = hpa.unwrap_or_else(|| panic!("{name}: {label} has no HPA"));
                        assert_eq!(hpa["spec"]["minReplicas"], a.value.0);
                        assert_eq!(hpa["spec"]["maxReplicas"], a.value.1);
                    }
                    None => assert!(hpa.is_none(), "{name}: {label} has an HPA"),
                }
                // Each datacenter's overlay runs the estimator's count.
                for (dc, node) in model.copies_of(i) {
                    let dc_label = archc::backends::escape::ident(
                        model.dc_name(dc).unwrap_or("default"),
                        archc::backends::escape::Style::Label,
                        20,
                    );
                    let overlay: Value = serde_saphyr::from_str(backends_common::file(
                        &files,
                        &format!("overlays/{dc_label}/kustomization.yaml"),
                    ))
                    .unwrap();
                    let count = overlay["replicas"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|r| r["name"] == label.as_str())
                        .unwrap_or_else(|| panic!("{name}/{dc_label}: no count for {label}"))
                        ["count"]
                        .clone();
                    assert_eq!(count, est.copy(node).instances.max(1), "{name}/{dc_label}");
                }
            }
            // A budget exactly for what may run two or more instances.
            let workload = docs.iter().map(|(_, d)| d).find(|d| {
                matches!(d["kind"].as_str(), Some("Deployment" | "StatefulSet"))
                    && d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"]
                        == label.as_str()
            });
            if let Some(w) = workload {
                let most = model
                    .copies_of(i)
                    .map(|(_, n)| est.copy(n).instances)
                    .chain(std::iter::once(
                        w["spec"]["replicas"].as_u64().unwrap() as u32
                    ))
                    .chain(c.autoscale.as_ref().map(|a| a.value.1))
                    .max()
                    .unwrap();
                let pdb = docs.iter().any(|(_, d)| {
                    d["kind"] == "PodDisruptionBudget"
                        && d["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]
                            == label.as_str()
                });
                assert_eq!(
                    pdb,
                    most >= 2,
                    "{name}: {label} budget with {most} instances"
                );
            }
        }
    }
}

#[test]
fn ingress_for_the_public_balancer() {
    // examples/03-load-balancer.arch: browsers -> front (lb) -> web; the
    // lb is reached from a client, hence public, and fronts web.
    let files = build_example(
        &root().join("examples/03-load-balancer.arch"),
        Target::Kubernetes,
    );
    let docs = manifests(&files);
    let ingress: Vec<&Value> = docs
        .iter()
        .map(|(_, d)| d)
        .filter(|d| d["kind"] == "Ingress")
        .collect();
    assert_eq!(ingress.len(), 1);
    assert_eq!(ingress[0]["metadata"]["name"], "front");
    assert_eq!(
        ingress[0]["spec"]["defaultBackend"]["service"]["name"],
        "front"
    );
    let svc = docs
        .iter()
        .map(|(_, d)| d)
        .find(|d| d["kind"] == "Service" && d["metadata"]["name"] == "front")
        .unwrap();
    assert_eq!(svc["spec"]["selector"]["app.kubernetes.io/name"], "web");
    // photos: one postgres primary, no replica, so no budget.
    let db = docs
        .iter()
        .map(|(_, d)| d)
        .find(|d| d["kind"] == "StatefulSet" && d["metadata"]["name"] == "photos")
        .unwrap();
    assert_eq!(db["spec"]["replicas"], 1);
    assert_eq!(
        db["spec"]["volumeClaimTemplates"][0]["metadata"]["name"],
        "data"
    );
}

#[test]
fn snapshots() {
    for example in ["09-sharded-db", "03-load-balancer"] {
        let files = build_example(
            &root().join(format!("examples/{example}.arch")),
            Target::Kubernetes,
        );
        insta::assert_snapshot!(example, layout(&files));
    }
}

#[test]
fn a_database_of_more_shards_than_statefulsets_it_lays_out_is_refused() {
    let design = |shards: u32| {
        format!(
            "client u\nservice web\ndatabase db {{ shards = {shards}  shard_key = user }}\nu -> web -> db\n"
        )
    };
    let err = build_source(&design(1001), "x.arch", Target::Kubernetes, None).unwrap_err();
    assert_eq!(
        err,
        "database `db`: 1001 shards would be 1001 StatefulSets, more than the 1000 this target lays out; use fewer, larger shards or a managed engine (`engine = dynamodb`)"
    );
    let files = build_source(&design(1000), "x.arch", Target::Kubernetes, None).unwrap();
    // Counted in the text: 2,000 documents exceed the YAML parser's budget.
    let sets: usize = files
        .iter()
        .map(|f| f.contents.matches("\nkind: StatefulSet\n").count())
        .sum();
    assert_eq!(sets, 1000);
}

/// A design with every self-hosted engine, the replicated ones replicated:
/// Postgres (unsharded and sharded), MySQL, Redis; and Memcached, which has
/// no replication. The checkov stage scans it too.
const REPLICATED: &str = include_str!("backends_common/replicated.arch");

fn replicated() -> Vec<archc::backends::OutputFile> {
    build_source(REPLICATED, "replicated.arch", Target::Kubernetes, None).unwrap()
}

/// Every design's files, the replicated one's too.
fn every_build() -> Vec<(String, Vec<archc::backends::OutputFile>)> {
    let mut out: Vec<_> = designs()
        .iter()
        .map(|p| (stem(p), build_example(p, Target::Kubernetes)))
        .collect();
    out.push(("replicated".to_string(), replicated()));
    out
}

fn workloads(docs: &[(String, Value)]) -> Vec<&Value> {
    docs.iter()
        .map(|(_, d)| d)
        .filter(|d| matches!(d["kind"].as_str(), Some("Deployment" | "StatefulSet")))
        .collect()
}

fn find<'a>(docs: &'a [(String, Value)], kind: &str, name: &str) -> &'a Value {
    docs.iter()
        .map(|(_, d)| d)
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

fn env_of<'a>(container: &'a Value, name: &str) -> Option<&'a Value> {
    container["env"]
        .as_array()?
        .iter()
        .find(|e| e["name"] == name)
}

#[test]
fn every_pod_admits_under_the_restricted_pod_security_standard() {
    for (name, files) in every_build() {
        let docs = manifests(&files);
        let accounts: BTreeSet<&str> = docs
            .iter()
            .map(|(_, d)| d)
            .filter(|d| d["kind"] == "ServiceAccount")
            .inspect(|d| assert_eq!(d["automountServiceAccountToken"], false, "{name}"))
            .map(|d| d["metadata"]["name"].as_str().unwrap())
            .collect();
        let sets = workloads(&docs);
        assert!(!sets.is_empty(), "{name}");
        for w in sets {
            let set = format!("{name}: {}", w["metadata"]["name"]);
            let pod = &w["spec"]["template"]["spec"];
            let sc = &pod["securityContext"];
            assert_eq!(sc["runAsNonRoot"], true, "{set}");
            for id in ["runAsUser", "runAsGroup", "fsGroup"] {
                assert!(sc[id].as_u64().is_some_and(|n| n > 0), "{set}: {id}");
            }
            assert_eq!(sc["fsGroup"], sc["runAsGroup"], "{set}");
            assert_eq!(sc["seccompProfile"]["type"], "RuntimeDefault", "{set}");
            assert_eq!(pod["automountServiceAccountToken"], false, "{set}");
            let account = pod["serviceAccountName"].as_str().unwrap();
            assert!(
                accounts.contains(account),
                "{set}: no ServiceAccount {account}"
            );

            // Every volume a container mounts is declared, and every
            // emptyDir is mounted.
            let mut declared: BTreeSet<&str> = pod["volumes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|v| v["name"].as_str().unwrap())
                .collect();
            declared.extend(
                w["spec"]["volumeClaimTemplates"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|v| v["metadata"]["name"].as_str().unwrap()),
            );
            let containers: Vec<&Value> = pod["containers"]
                .as_array()
                .unwrap()
                .iter()
                .chain(pod["initContainers"].as_array().into_iter().flatten())
                .collect();
            for c in &containers {
                let sc = &c["securityContext"];
                assert_eq!(sc["allowPrivilegeEscalation"], false, "{set}");
                assert_eq!(sc["readOnlyRootFilesystem"], true, "{set}");
                assert_eq!(sc["runAsNonRoot"], true, "{set}");
                assert_eq!(
                    sc["capabilities"]["drop"],
                    serde_json::json!(["ALL"]),
                    "{set}"
                );
                assert!(sc.get("privileged").is_none_or(|p| p == false), "{set}");
                assert_eq!(c["imagePullPolicy"], "Always", "{set}");
                let image = c["image"].as_str().unwrap();
                assert!(
                    !image.ends_with(":latest") && image.contains(':'),
                    "{set}: {image}"
                );
                for side in ["requests", "limits"] {
                    for what in ["cpu", "memory"] {
                        assert!(
                            c["resources"][side][what]
                                .as_str()
                                .is_some_and(|s| !s.is_empty()),
                            "{set}: no {side}.{what}"
                        );
                    }
                }
                for m in c["volumeMounts"].as_array().into_iter().flatten() {
                    let v = m["name"].as_str().unwrap();
                    assert!(declared.contains(v), "{set}: mounts undeclared {v}");
                }
            }
            for c in pod["containers"].as_array().unwrap() {
                assert!(c["readinessProbe"].is_object(), "{set}: no readiness probe");
                assert!(c["livenessProbe"].is_object(), "{set}: no liveness probe");
                // A server writes only where an emptyDir or its volume is.
                assert!(
                    c["volumeMounts"]
                        .as_array()
                        .is_some_and(|m| m.iter().any(|m| m["mountPath"] == "/tmp")),
                    "{set}: no writable /tmp"
                );
            }
        }
    }
}

#[test]
fn engines_run_as_the_catalogues_user_and_write_where_it_says() {
    let docs = manifests(&replicated());
    for (set, engine) in [
        ("pg", "postgres"),
        ("pg-replica", "postgres"),
        ("my", "mysql"),
        ("rd", "redis"),
        ("mc", "memcached"),
        ("rq", "rabbitmq"),
        ("kf", "kafka"),
        ("nt", "nats"),
        ("blobs", "minio"),
    ] {
        let e = archc::backends::engines::lookup(engine).unwrap();
        let w = find(&docs, "StatefulSet", set);
        let pod = &w["spec"]["template"]["spec"];
        assert_eq!(pod["securityContext"]["runAsUser"], e.user.uid, "{set}");
        assert_eq!(pod["securityContext"]["runAsGroup"], e.user.gid, "{set}");
        let c = &pod["containers"][0];
        assert_eq!(c["image"], e.image.unwrap(), "{set}");
        let mounts: BTreeSet<&str> = c["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["mountPath"].as_str().unwrap())
            .collect();
        assert!(mounts.contains(e.data_path), "{set}");
        for s in e.scratch {
            assert!(mounts.contains(s), "{set}: {s} is not writable");
        }
        // MySQL 8 removed `--ignore-db-dir`; the server would not start.
        for a in c["args"].as_array().into_iter().flatten() {
            assert!(!a.as_str().unwrap().contains("ignore-db-dir"), "{set}");
        }
    }
}

#[test]
fn resources_follow_the_instance_type_and_the_estimate() {
    // kitchen: api is an m7g.large (2 vCPU, 8 GiB), sessions a memcached
    // of 1GB memory.
    let docs = manifests(&build_example(
        &backends_common::kitchen_sink(),
        Target::Kubernetes,
    ));
    let api = &find(&docs, "Deployment", "api")["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(api["resources"]["limits"]["cpu"], "2000m");
    assert_eq!(api["resources"]["limits"]["memory"], "8192Mi");
    assert_eq!(api["resources"]["requests"]["memory"], "8192Mi");
    let sessions =
        &find(&docs, "StatefulSet", "sessions")["spec"]["template"]["spec"]["containers"][0];
    // 1 GB plus 25%: 1192.1 MiB, rounded up.
    assert_eq!(sessions["resources"]["limits"]["memory"], "1193Mi");
}

#[test]
fn every_overlay_enforces_the_restricted_standard_on_its_namespace() {
    for (name, files) in every_build() {
        let overlays: Vec<&archc::backends::OutputFile> = files
            .iter()
            .filter(|f| f.path.starts_with("overlays/") && f.path.ends_with("/kustomization.yaml"))
            .collect();
        assert!(!overlays.is_empty(), "{name}");
        for k in overlays {
            let dir = k.path.trim_end_matches("kustomization.yaml");
            let kust: Value = serde_saphyr::from_str(&k.contents).unwrap();
            assert!(
                kust["resources"]
                    .as_array()
                    .unwrap()
                    .contains(&Value::from("namespace.yaml")),
                "{name}: {dir}"
            );
            let ns: Value = serde_saphyr::from_str(backends_common::file(
                &files,
                &format!("{dir}namespace.yaml"),
            ))
            .unwrap();
            assert_eq!(ns["kind"], "Namespace");
            assert_eq!(ns["metadata"]["name"], kust["namespace"], "{name}: {dir}");
            assert_eq!(
                ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"], "restricted",
                "{name}: {dir}"
            );
        }
    }
}

fn script<'a>(docs: &'a [(String, Value)], config_map: &str, key: &str) -> &'a str {
    find(docs, "ConfigMap", config_map)["data"][key]
        .as_str()
        .unwrap_or_else(|| panic!("{config_map} has no {key}"))
}

#[test]
fn postgres_replicas_bootstrap_from_their_primary_and_stream() {
    let docs = manifests(&replicated());
    let primary = find(&docs, "StatefulSet", "pg");
    let replica = find(&docs, "StatefulSet", "pg-replica");
    assert_eq!(primary["spec"]["replicas"], 1);
    assert_eq!(replica["spec"]["replicas"], 2);
    let role = |w: &Value| w["spec"]["template"]["metadata"]["labels"]["archc.dev/role"].clone();
    assert_eq!(role(primary), "primary");
    assert_eq!(role(replica), "replica");
    // Clients reach the primary by the database's name, reads the replicas.
    assert_eq!(
        find(&docs, "Service", "pg")["spec"]["selector"]["archc.dev/role"],
        "primary"
    );
    assert_eq!(
        find(&docs, "Service", "pg-replica")["spec"]["selector"]["archc.dev/role"],
        "replica"
    );
    let api = &find(&docs, "Deployment", "api")["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(env_of(api, "PG_ADDR").unwrap()["value"], "pg:5432");
    assert_eq!(
        env_of(api, "PG_READ_ADDRS").unwrap()["value"],
        "pg-replica:5432"
    );

    // The primary creates the replication role and a slot per replica on
    // its first start.
    let p = &primary["spec"]["template"]["spec"];
    let pc = &p["containers"][0];
    assert_eq!(
        env_of(pc, "REPLICATION_SLOTS").unwrap()["value"],
        "replica_0,replica_1"
    );
    assert!(
        pc["args"]
            .as_array()
            .unwrap()
            .contains(&Value::from("wal_level=replica"))
    );
    let init = pc["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["mountPath"] == "/docker-entrypoint-initdb.d/10-replication.sh")
        .unwrap();
    assert_eq!(init["subPath"], "primary.sh");
    let primary_sh = script(&docs, "pg-replication", "primary.sh");
    assert!(primary_sh.contains("CREATE ROLE replicator WITH REPLICATION"));
    assert!(primary_sh.contains("pg_create_physical_replication_slot"));
    assert!(primary_sh.contains("host replication replicator"));

    // A replica's init container copies the primary with pg_basebackup -R
    // (standby.signal and primary_conninfo), through its own slot.
    let r = &replica["spec"]["template"]["spec"];
    let boot = &r["initContainers"][0];
    assert_eq!(
        boot["command"],
        serde_json::json!(["sh", "/scripts/replica.sh"])
    );
    assert_eq!(env_of(boot, "PRIMARY_HOST").unwrap()["value"], "pg");
    let replica_sh = script(&docs, "pg-replication", "replica.sh");
    assert!(replica_sh.contains("pg_basebackup -h \"$PRIMARY_HOST\""));
    assert!(replica_sh.contains(" -R "));
    assert!(replica_sh.contains("slot=\"replica_${HOSTNAME##*-}\""));
    let rc = &r["containers"][0];
    assert!(
        rc["args"]
            .as_array()
            .unwrap()
            .contains(&Value::from("hot_standby=on"))
    );
    // Ready when streaming.
    assert_eq!(
        rc["readinessProbe"]["exec"]["command"],
        serde_json::json!(["sh", "/scripts/ready.sh", "replica"])
    );
    assert!(
        script(&docs, "pg-replication", "ready.sh")
            .contains("pg_stat_wal_receiver')\" = streaming")
    );

    // Each shard is its own primary with its own replicas.
    for shard in 0..2 {
        let p = find(&docs, "StatefulSet", &format!("shardy-shard-{shard}"));
        let r = find(
            &docs,
            "StatefulSet",
            &format!("shardy-shard-{shard}-replica"),
        );
        assert_eq!(r["spec"]["replicas"], 1);
        assert_eq!(
            p["spec"]["template"]["metadata"]["labels"]["archc.dev/shard"],
            shard.to_string()
        );
        assert_eq!(
            env_of(
                &r["spec"]["template"]["spec"]["initContainers"][0],
                "PRIMARY_HOST"
            )
            .unwrap()["value"],
            format!("shardy-shard-{shard}")
        );
    }
}

#[test]
fn mysql_replicas_replicate_by_gtid_from_their_primary() {
    let docs = manifests(&replicated());
    let primary = &find(&docs, "StatefulSet", "my")["spec"]["template"]["spec"]["containers"][0];
    let replica = find(&docs, "StatefulSet", "my-replica");
    assert_eq!(replica["spec"]["replicas"], 1);
    let rc = &replica["spec"]["template"]["spec"]["containers"][0];
    let args = |c: &Value| -> Vec<String> {
        c["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect()
    };
    for a in [
        "--gtid-mode=ON",
        "--enforce-gtid-consistency=ON",
        "--log-bin=mysql-bin",
    ] {
        assert!(args(primary).contains(&a.to_string()), "{a}");
        assert!(args(rc).contains(&a.to_string()), "{a}");
    }
    assert!(args(primary).contains(&"--server-id=1".to_string()));
    assert!(args(rc).contains(&"--read-only=ON".to_string()));
    // The replica's server id comes from its ordinal.
    assert_eq!(
        rc["command"],
        serde_json::json!(["sh", "/scripts/start.sh"])
    );
    assert!(
        script(&docs, "my-replication", "start.sh")
            .contains("--server-id=\"$((SERVER_ID_BASE + ordinal))\"")
    );
    assert_eq!(env_of(rc, "SOURCE_HOST").unwrap()["value"], "my");
    let replica_sh = script(&docs, "my-replication", "replica.sh");
    assert!(replica_sh.contains("CHANGE REPLICATION SOURCE TO SOURCE_HOST='${SOURCE_HOST}'"));
    assert!(replica_sh.contains("SOURCE_AUTO_POSITION=1"));
    assert!(script(&docs, "my-replication", "primary.sh").contains("GRANT REPLICATION SLAVE"));
    let ready = script(&docs, "my-replication", "ready.sh");
    assert!(
        ready.contains("Replica_IO_Running: Yes") && ready.contains("Replica_SQL_Running: Yes")
    );
}

#[test]
fn redis_replicas_follow_their_primary_and_memcached_does_not_replicate() {
    let files = replicated();
    let docs = manifests(&files);
    let replica = find(&docs, "StatefulSet", "rd-replica");
    // Three instances: a primary and two replicas.
    assert_eq!(find(&docs, "StatefulSet", "rd")["spec"]["replicas"], 1);
    assert_eq!(replica["spec"]["replicas"], 2);
    assert_eq!(
        replica["spec"]["template"]["spec"]["containers"][0]["args"],
        serde_json::json!(["redis-server", "--replicaof", "rd", "6379"])
    );
    assert!(script(&docs, "rd-replication", "ready.sh").contains("master_link_status:up"));
    // The overlay scales the replicas, one fewer than the instances.
    let overlay: Value = serde_saphyr::from_str(backends_common::file(
        &files,
        "overlays/default/kustomization.yaml",
    ))
    .unwrap();
    let count = |n: &str| {
        overlay["replicas"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == n)
            .map(|r| r["count"].clone())
    };
    assert_eq!(count("rd-replica"), Some(Value::from(2)));
    assert_eq!(count("rd"), None);
    // Memcached: each instance on its own, no roles, no scripts.
    let mc = find(&docs, "StatefulSet", "mc");
    assert_eq!(mc["spec"]["replicas"], 2);
    assert!(
        mc["spec"]["template"]["metadata"]["labels"]
            .get("archc.dev/role")
            .is_none()
    );
    assert!(
        !docs
            .iter()
            .any(|(_, d)| d["metadata"]["name"] == "mc-replica")
    );
    assert!(
        !docs
            .iter()
            .any(|(_, d)| d["kind"] == "ConfigMap" && d["metadata"]["name"] == "mc-replication")
    );
}

#[test]
fn identical_input_builds_identical_files() {
    for (name, files) in every_build() {
        let again = if name == "replicated" {
            replicated()
        } else {
            let path = designs().into_iter().find(|p| stem(p) == name).unwrap();
            build_example(&path, Target::Kubernetes)
        };
        assert_eq!(files, again, "{name}");
    }
}

/// Zones (LANGUAGE.md §13): pods of a component with two instances or more
/// in a zoned datacenter spread over the zones, a shard's members counted
/// together; without zones nothing is added.
#[test]
fn pods_spread_over_the_zones() {
    let design = |zones: &str| {
        format!(
            "datacenter east {{ region = \"us-east-1\" {zones} }}\n\
             client users\nlb front {{ replicas = 2 }}\nservice web {{ replicas = 3 }}\n\
             database db {{ replicas = 2 }}\nusers -> front -> web -> db\n"
        )
    };
    let files = build_source(&design("zones = 3"), "z.arch", Target::Kubernetes, None).unwrap();
    let spread: Vec<(String, Value)> = manifests(&files)
        .into_iter()
        .filter(|(_, d)| matches!(d["kind"].as_str(), Some("Deployment" | "StatefulSet")))
        .map(|(_, d)| {
            let name = d["metadata"]["name"].as_str().unwrap().to_string();
            (
                name,
                d["spec"]["template"]["spec"]["topologySpreadConstraints"].clone(),
            )
        })
        .collect();
    assert!(!spread.is_empty());
    for (name, c) in &spread {
        let c = &c[0];
        assert_eq!(c["topologyKey"], "topology.kubernetes.io/zone", "{name}");
        assert_eq!(c["maxSkew"], 1, "{name}");
        assert_eq!(c["whenUnsatisfiable"], "DoNotSchedule", "{name}");
        let labels = c["labelSelector"]["matchLabels"].as_object().unwrap();
        // The primary and its replicas share one selector: no role label.
        assert!(!labels.contains_key("archc.dev/role"), "{name}");
    }
    let files = build_source(&design(""), "z.arch", Target::Kubernetes, None).unwrap();
    assert!(
        files
            .iter()
            .all(|f| !f.contents.contains("topologySpreadConstraints"))
    );
}

#[test]
fn newly_mapped_engines_run_as_statefulsets_and_redshift_stays_outside() {
    let files = build_example(&backends_common::engines_design(), Target::Kubernetes);
    let docs = documents(&files);
    for (name, image, port) in [
        ("catalog", "mongo:7.0", 27017),
        ("timeline", "cassandra:5.0", 9042),
        ("search", "opensearchproject/opensearch:2.18.0", 9200),
        ("logs-shard-1", "opensearchproject/opensearch:2.18.0", 9200),
        ("events", "apache/kafka:3.9.0", 9092),
        ("sessions", "memcached:1.6", 11211),
    ] {
        let set = find(&docs, "StatefulSet", name);
        let c = &set["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(c["image"], image, "{name}");
        assert_eq!(c["ports"][0]["containerPort"], port, "{name}");
        assert!(c["readinessProbe"].is_object(), "{name}");
    }
    assert!(
        !docs.iter().any(|(_, d)| d["metadata"]["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("warehouse"))),
        "Redshift runs outside the cluster"
    );
    let api = find(&docs, "Deployment", "api");
    let c = &api["spec"]["template"]["spec"]["containers"][0];
    let addr = env_of(c, "WAREHOUSE_ADDR").expect("WAREHOUSE_ADDR");
    assert_eq!(
        addr["valueFrom"]["secretKeyRef"]["name"],
        "warehouse-credentials"
    );
    assert_eq!(addr["valueFrom"]["secretKeyRef"]["key"], "address");
    assert_eq!(env_of(c, "WAREHOUSE_PORT").unwrap()["value"], "5439");
    assert_eq!(env_of(c, "CATALOG_ADDR").unwrap()["value"], "catalog:27017");
    assert_eq!(
        env_of(c, "CATALOG_PASSWORD").unwrap()["valueFrom"]["secretKeyRef"]["name"],
        "catalog-credentials"
    );
    let kustomization = backends_common::file(&files, "base/kustomization.yaml");
    assert!(
        kustomization.contains(
            "database `warehouse` runs outside the cluster: Amazon Redshift has no image"
        )
    );
}

#[test]
fn engines_the_target_does_not_map_are_refused_by_name() {
    let src = "client u\nservice web\ndatabase graph { engine = neo4j }\nu -> web -> graph\n";
    let err = build_source(src, "x.arch", Target::Kubernetes, None).unwrap_err();
    assert_eq!(
        err,
        "database `graph`: engine `neo4j` is not mapped by the kubernetes backend (it maps cassandra, dynamodb, mongodb, mysql, opensearch, postgres and redshift)"
    );
}

/// Cassandra and OpenSearch rewrite their configuration as they start
/// (Cassandra's entrypoint edits `cassandra.yaml`; OpenSearch's security
/// set-up writes certificates and `opensearch.yml`) and write logs: under
/// the read-only root file system each gets a copy of the image's config
/// folder on an emptyDir (made by an init container from the same image),
/// emptyDirs for its logs and /tmp, and its data folder on the claim.
#[test]
fn cassandra_and_opensearch_get_the_writable_folders_they_start_with() {
    let files = build_example(&backends_common::engines_design(), Target::Kubernetes);
    let docs = documents(&files);
    for (set, config, writes) in [
        (
            "timeline",
            "/etc/cassandra",
            ["/var/lib/cassandra", "/var/log/cassandra", "/tmp"],
        ),
        (
            "search",
            "/usr/share/opensearch/config",
            [
                "/usr/share/opensearch/data",
                "/usr/share/opensearch/logs",
                "/tmp",
            ],
        ),
        (
            "logs-shard-0",
            "/usr/share/opensearch/config",
            [
                "/usr/share/opensearch/data",
                "/usr/share/opensearch/logs",
                "/tmp",
            ],
        ),
    ] {
        let pod = &find(&docs, "StatefulSet", set)["spec"]["template"]["spec"];
        let c = &pod["containers"][0];
        assert_eq!(
            c["securityContext"]["readOnlyRootFilesystem"], true,
            "{set}"
        );
        let mounts: BTreeMap<&str, &str> = c["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["mountPath"].as_str().unwrap(),
                    m["name"].as_str().unwrap(),
                )
            })
            .collect();
        let volumes: BTreeMap<&str, &Value> = pod["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| (v["name"].as_str().unwrap(), v))
            .collect();
        // The data folder on the claim, the rest on emptyDirs.
        assert_eq!(mounts.get(writes[0]), Some(&"data"), "{set}");
        for path in std::iter::once(config).chain(writes[1..].iter().copied()) {
            let name = mounts
                .get(path)
                .unwrap_or_else(|| panic!("{set}: {path} is not writable"));
            assert!(volumes[name]["emptyDir"].is_object(), "{set}: {path}");
        }
        assert_eq!(mounts[config], "config", "{set}");
        // The init container copies the image's folder into the emptyDir
        // before the server starts, itself on a read-only root.
        let init = &pod["initContainers"][0];
        assert_eq!(init["name"], "config", "{set}");
        assert_eq!(init["image"], c["image"], "{set}");
        assert_eq!(
            init["command"],
            serde_json::json!(["cp", "-R", format!("{config}/."), "/config-copy/"]),
            "{set}"
        );
        assert_eq!(init["volumeMounts"][0]["name"], "config", "{set}");
        assert_eq!(
            init["volumeMounts"][0]["mountPath"], "/config-copy",
            "{set}"
        );
        assert_eq!(
            init["securityContext"]["readOnlyRootFilesystem"], true,
            "{set}"
        );
    }
    // Cassandra sizes its heap from the host's memory, not the pod's limit
    // (2 GiB by default): it gets 1 GiB, and the young generation a quarter.
    let c = &find(&docs, "StatefulSet", "timeline")["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(env_of(c, "MAX_HEAP_SIZE").unwrap()["value"], "1024M");
    assert_eq!(env_of(c, "HEAP_NEWSIZE").unwrap()["value"], "256M");
    assert_eq!(
        c["resources"]["limits"]["memory"], "2048Mi",
        "the heap is half the limit"
    );
    // Engines that write nothing at start but their data have no copy.
    let pod = &find(&docs, "StatefulSet", "catalog")["spec"]["template"]["spec"];
    assert!(pod["initContainers"].is_null());
}
