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
        // For every ordered pair of pods: admitted iff the design joins them.
        for a in &pods {
            for b in &pods {
                let pair = (a.clone(), b.clone());
                assert_eq!(
                    admitted.contains(&pair),
                    expected.contains(&pair),
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
    // makes), jobs from web and its consumer workers, workers from nobody.
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
    assert_eq!(from("sessions"), (vec!["web".to_string()], false));
    assert_eq!(from("hot"), (vec!["web".to_string()], false));
    assert_eq!(from("photos"), (vec!["web".to_string()], false));
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
