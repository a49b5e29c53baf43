//! A generator of large, valid designs for benchmarks and scale tests.
//!
//! It lives with the benchmarks, not in the library: only tests and benches
//! need it (tests include it with `#[path]`). The design is realistic
//! rather than random: three weighted datacenters, two clients behind a
//! geo-DNS and a CDN, then repeated application groups of ten components —
//! a load balancer, an API service, two back-end services, a cache, a
//! sharded replicated database, a DynamoDB table, a queue with its workers
//! and a storage bucket — wired by two flow statements per component, some
//! with labels and shares, some crossing datacenters and groups. Every
//! generated design compiles without a diagnostic.

#![allow(dead_code)]

use std::fmt::Write;

/// Components declared outside the groups: two clients, a dns, a cdn.
const GLOBALS: usize = 4;
/// Components per application group.
const GROUP: usize = 10;

/// A deterministic design of exactly `n_components` components (at least
/// the four global ones), varied by `seed`.
pub fn generate_design(n_components: usize, seed: u64) -> String {
    assert!(
        n_components >= GLOBALS,
        "a design has at least {GLOBALS} components"
    );
    let mut rng = SplitMix64(seed);
    let groups = (n_components - GLOBALS) / GROUP;
    let padding = n_components - GLOBALS - groups * GROUP;
    let mut s = String::with_capacity(n_components * 200);
    let w = &mut s;

    let _ = writeln!(w, "system generated-{n_components}-{seed}\n");
    write_blocks(w, "50M");
    let _ = writeln!(w, "{DATACENTERS}");
    write_globals(w);
    let _ = writeln!(w);

    for g in 0..groups {
        write_group(w, g, groups, &mut rng, false);
    }
    for p in 0..padding {
        let _ = writeln!(w, "service extra{p} {{ replicas = 2 }}");
        let _ = writeln!(w, "geo -> extra{p} [read]");
    }
    s
}

/// The templates a split design's groups apply (`platform/templates.arch`).
pub const TEMPLATES: &str = "\
# The settings every group's cache and database share.
template redis-cache {
  engine        = redis
  replicas      = 2
  memory        = 8GB
  overprovision = 25%
  ttl           = 10m
  eviction      = lru
  cross_dc      = async
}
template sharded-postgres {
  engine    = postgres
  replicas  = 2
  sharding  = consistent
  shard_key = user_id
  keys      = zipf(1.1)
  key_count = 5M
  cross_dc  = async
  capacity  = 4000/s
}
";

/// The datacenters of a split design (`platform/datacenters.arch`).
/// The traffic, SLO and monitoring blocks every generated design shares.
fn write_blocks(w: &mut String, users: &str) {
    let _ = writeln!(
        w,
        "traffic {{\n  users = {users}\n  per_user = 40/day\n  peak = 3x\n  reads = 90%\n  static = 30%\n  payload = 20KB\n}}\n"
    );
    let _ = writeln!(w, "slo {{ latency_p99 = 300ms  availability = 99.95% }}");
    let _ = writeln!(
        w,
        "monitoring {{ logs = loki  metrics = prometheus  alerts = true }}\n"
    );
}

/// The four global components (two clients, the geo-DNS, the CDN) and the
/// clients' flows, every generated design's entry.
fn write_globals(w: &mut String) {
    let _ = writeln!(w, "client browsers {{ share = 70% }}");
    let _ = writeln!(w, "client phones");
    let _ = writeln!(w, "dns geo {{ routing = geo  failover = true  ttl = 60s }}");
    let _ = writeln!(
        w,
        "cdn assets {{ ttl = 1d  hit_ratio = 95%  fallback = origin }}\n"
    );
    let _ = writeln!(w, "browsers -> assets [static]");
    let _ = writeln!(w, "phones -> assets [static]");
    let _ = writeln!(w, "browsers -> geo [read, write]");
    let _ = writeln!(w, "phones -> geo [read, write]");
}

pub const DATACENTERS: &str = "\
datacenter us-east    { region = \"us-east-1\"     weight = 50% }
datacenter us-west    { region = \"us-west-2\"     weight = 30% }
datacenter eu-central { region = \"eu-central-1\"  weight = 20% }
";

/// A design of several files (LANGUAGE.md §11), root first, as (path,
/// text): `main.arch` holds the system, traffic, SLO, monitoring, the four
/// global components and the imports; `platform/datacenters.arch` and
/// `platform/templates.arch` are shared; `groups/gNNN.arch` are `files`
/// libraries of `groups_per_file` application groups each (ten components
/// per group, their caches and databases through the templates), whose
/// flows reach into the next file's group. Every file is valid, and the
/// design is healthy: it checks with only the five findings of its global
/// parts (its SLO, its CDN), against thousands for [`generate_design`].
pub fn generate_split_design(
    files: usize,
    groups_per_file: usize,
    seed: u64,
) -> Vec<(String, String)> {
    let mut rng = SplitMix64(seed);
    let groups = files * groups_per_file;
    let n = GLOBALS + groups * GROUP;
    let mut root = String::new();
    let w = &mut root;
    let _ = writeln!(
        w,
        "system generated-split-{files}x{groups_per_file}-{seed}\n"
    );
    let _ = writeln!(w, "import \"platform/datacenters.arch\"");
    let _ = writeln!(w, "import \"platform/templates.arch\"");
    for f in 0..files {
        let _ = writeln!(w, "import \"groups/g{f:03}.arch\"");
    }
    let _ = writeln!(w);
    // Every group's load balancer takes the whole dynamic traffic of
    // its datacenter (LANGUAGE.md §6: every matching flow is a separate
    // call, a fan-out), so 600k users give each group about 300/s at peak.
    write_blocks(w, "600k");
    write_globals(w);
    let mut out = vec![
        ("main.arch".to_string(), root),
        (
            "platform/datacenters.arch".to_string(),
            DATACENTERS.to_string(),
        ),
        ("platform/templates.arch".to_string(), TEMPLATES.to_string()),
    ];
    for f in 0..files {
        let mut text = String::with_capacity(groups_per_file * GROUP * 200);
        let _ = writeln!(
            text,
            "# groups {} to {} of {n} components",
            f * groups_per_file,
            (f + 1) * groups_per_file - 1
        );
        for g in f * groups_per_file..(f + 1) * groups_per_file {
            write_group(&mut text, g, groups, &mut rng, true);
        }
        out.push((format!("groups/g{f:03}.arch"), text));
    }
    out
}

/// A split design in one file: every file's text in order, the root's
/// `import` lines left out, so it declares exactly what the files do.
pub fn join_split_design(files: &[(String, String)]) -> String {
    let mut s = String::new();
    for (_, text) in files {
        for line in text.lines().filter(|l| !l.starts_with("import ")) {
            s.push_str(line);
            s.push('\n');
        }
        s.push('\n');
    }
    s
}

/// One application group of ten components and its twenty flow
/// statements; `templated` declares its cache and database through the
/// templates of [`TEMPLATES`] (the same attributes, set once).
fn write_group(w: &mut String, g: usize, groups: usize, rng: &mut SplitMix64, templated: bool) {
    let dcs = ["us-east", "us-west", "eu-central"];
    let home = dcs[g % dcs.len()];
    let replicas = 2 + rng.below(3);
    let capacity = 200 * (1 + rng.below(8));
    let latency = 5 + rng.below(40);
    let shards = 1 << rng.below(4);
    let _ = writeln!(w, "# group {g}");
    let _ = writeln!(
        w,
        "lb lb{g} {{ replicas = 2  algorithm = least-connections }}"
    );
    let _ = writeln!(
        w,
        "service api{g} {{\n  autoscale = 2..{}\n  capacity = {capacity}/s\n  latency = {latency}ms\n  session = cache{g}\n}}",
        10 + rng.below(30)
    );
    let _ = writeln!(
        w,
        "service read{g} {{ replicas = {replicas}  capacity = 1.2k/s  latency = 8ms }}"
    );
    let _ = writeln!(
        w,
        "service write{g} {{ replicas = {replicas}  timeout = 3s }}"
    );
    let hit_ratio = 60 + rng.below(35);
    if templated {
        let _ = writeln!(
            w,
            "cache cache{g} : redis-cache {{ hit_ratio = {hit_ratio}% }}"
        );
    } else {
        let _ = writeln!(
            w,
            "cache cache{g} {{ engine = redis  replicas = 2  memory = 8GB  ttl = 10m  eviction = lru  hit_ratio = {hit_ratio}% }}"
        );
    }
    if templated {
        let _ = writeln!(
            w,
            "database db{g} : sharded-postgres {{ shards = {shards} }}"
        );
    } else {
        let _ = writeln!(
            w,
            "database db{g} {{\n  engine = postgres\n  replicas = 2\n  shards = {shards}\n  sharding = consistent\n  keys = zipf(1.1)\n  key_count = 5M\n  cross_dc = async\n  capacity = 4000/s\n}}"
        );
    }
    let _ = writeln!(
        w,
        "database table{g} {{ engine = dynamodb  cross_dc = async }}"
    );
    let _ = writeln!(w, "queue jobs{g} {{ engine = rabbitmq  replicas = 3 }}");
    // The split design is the healthy one: its workers run wherever their
    // queue does and its minio buckets replicate across datacenters.
    if templated {
        let _ = writeln!(
            w,
            "service workers{g} {{ replicas = 2  capacity = 40/s  latency = 200ms  consumes = jobs{g} }}"
        );
    } else {
        let _ = writeln!(
            w,
            "service workers{g} {{ replicas = 2  capacity = 40/s  latency = 200ms  consumes = jobs{g}  datacenters = [{home}] }}"
        );
    }
    if g.is_multiple_of(3) && templated {
        let _ = writeln!(
            w,
            "storage media{g} {{ engine = minio  replicas = 2  cross_dc = async }}"
        );
    } else if g.is_multiple_of(3) {
        let _ = writeln!(
            w,
            "storage media{g} {{ engine = minio  datacenters = [{home}]  replicas = 2 }}"
        );
    } else {
        let _ = writeln!(w, "storage media{g} {{ engine = s3  cross_dc = async }}");
    }
    // Twenty flow statements: two per component of the group.
    let _ = writeln!(w, "geo -> lb{g} -> api{g}");
    let _ = writeln!(w, "assets -> media{g} [static]");
    let _ = writeln!(w, "lb{g} -> read{g} [read 1%]");
    let _ = writeln!(w, "api{g} -> read{g} [read]");
    let _ = writeln!(w, "api{g} -> write{g} [write]");
    let _ = writeln!(w, "api{g} -> cache{g} [read]");
    let _ = writeln!(w, "api{g} -> table{g} [read 1%]");
    if g + 1 < groups {
        let _ = writeln!(w, "api{g} -> api{} [read 2%]", g + 1);
    } else {
        let _ = writeln!(w, "api{g} -> read{g} [read 2%]");
    }
    // Writes reach the cache too; the split design's cache passes them on.
    let through = if templated { "read, write" } else { "read" };
    let _ = writeln!(w, "read{g} -> cache{g} -> db{g} [{through}]");
    let _ = writeln!(w, "read{g} -> db{g}.replicas [read 20%]");
    let _ = writeln!(w, "read{g} -> table{g} [read]");
    let _ = writeln!(w, "read{g} -> media{g} [read 5%]");
    let _ = writeln!(w, "write{g} -> db{g} [write]");
    let _ = writeln!(w, "write{g} -> cache{g} [write]");
    let _ = writeln!(w, "write{g} -> table{g} [write]");
    let _ = writeln!(w, "write{g} -> jobs{g} [write 10%]");
    let _ = writeln!(w, "write{g} -> read{g} [write]");
    let _ = writeln!(w, "workers{g} -> db{g} [write]");
    let _ = writeln!(w, "workers{g} -> media{g} [write]");
    let _ = writeln!(w, "workers{g} -> table{g} [write]\n");
}

/// SplitMix64: a tiny deterministic generator, so the design depends on
/// the seed only (no `rand` version drift).
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
