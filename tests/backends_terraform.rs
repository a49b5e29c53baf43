#![allow(clippy::unwrap_used)] // Tests fail loudly on broken fixtures.
//! The terraform target: for every example, every file parses with
//! hcl-edit and is in `terraform fmt`'s layout; the provider pins, the
//! security properties and the estimator's instance counts hold.

mod backends_common;

use archc::backends::{OutputFile, Target};
use backends_common::{build_example, build_source, designs, file, root, stem};
use hcl_edit::structure::{Block, BlockLabel, Body};

struct Resource {
    /// `resource`, `data`, `variable`, …
    kind: String,
    labels: Vec<String>,
    body: Body,
}

fn label(l: &BlockLabel) -> String {
    match l {
        BlockLabel::String(s) => s.value().clone(),
        BlockLabel::Ident(i) => i.as_str().to_string(),
    }
}

fn parse(f: &OutputFile) -> Vec<Resource> {
    let body = hcl_edit::parser::parse_body(&f.contents)
        .unwrap_or_else(|e| panic!("{} does not parse: {e}\n{}", f.path, f.contents));
    body.into_blocks()
        .map(|b: Block| Resource {
            kind: b.ident.as_str().to_string(),
            labels: b.labels.iter().map(label).collect(),
            body: b.body,
        })
        .collect()
}

/// Every top-level block of every file of an example.
fn all_blocks(files: &[OutputFile]) -> Vec<Resource> {
    files
        .iter()
        .filter(|f| f.path.ends_with(".tf"))
        .flat_map(parse)
        .collect()
}

fn resources<'a>(blocks: &'a [Resource], ty: &str) -> Vec<&'a Resource> {
    blocks
        .iter()
        .filter(|b| b.kind == "resource" && b.labels.first().is_some_and(|l| l == ty))
        .collect()
}

fn named<'a>(blocks: &'a [Resource], ty: &str, name: &str) -> &'a Resource {
    resources(blocks, ty)
        .into_iter()
        .find(|b| b.labels[1] == name)
        .unwrap_or_else(|| panic!("no {ty}.{name}"))
}

/// An attribute's value as written.
fn attr(body: &Body, key: &str) -> Option<String> {
    body.get_attribute(key)
        .map(|a| a.value.to_string().trim().to_string())
}

fn all_examples() -> Vec<(String, Vec<OutputFile>)> {
    designs()
        .iter()
        .map(|e| (stem(e), build_example(e, Target::Terraform)))
        .collect()
}

#[test]
fn every_file_parses() {
    for (ex, files) in all_examples() {
        let names: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        for want in [
            "versions.tf",
            "providers.tf",
            "variables.tf",
            "network.tf",
            "security.tf",
            "compute.tf",
            "outputs.tf",
        ] {
            assert!(names.contains(&want), "{ex}: no {want}");
        }
        // Files with nothing to hold are not written: the chain of three
        // services stores nothing.
        assert_eq!(names.contains(&"data.tf"), ex != "three-tier-chain", "{ex}");
        for f in &files {
            let body = hcl_edit::parser::parse_body(&f.contents).unwrap();
            assert!(!body.is_empty(), "{ex}/{} is empty", f.path);
        }
        for f in &files {
            assert!(
                archc::backends::is_generated(&f.contents),
                "{ex}/{}",
                f.path
            );
            parse(f);
        }
    }
}

/// An independent check of `terraform fmt`'s layout: two spaces per
/// bracket level (a line opening several brackets indents by one), and in
/// every run of consecutive one-line attributes the `=` signs share one
/// column, one space after the longest name.
fn layout_problems(text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut stack: Vec<i32> = Vec::new();
    let mut run: Vec<(usize, usize, usize)> = Vec::new(); // (line, name width, '=' column)
    let flush = |run: &mut Vec<(usize, usize, usize)>, problems: &mut Vec<String>| {
        if let Some(max) = run.iter().map(|r| r.1).max() {
            for (line, _, col) in run.iter() {
                if *col != max + 1 {
                    problems.push(format!(
                        "line {line}: `=` at column {col}, want {}",
                        max + 1
                    ));
                }
            }
        }
        run.clear();
    };
    for (n, line) in text.lines().enumerate() {
        let n = n + 1;
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            if !line.is_empty() {
                problems.push(format!("line {n}: trailing spaces"));
            }
            flush(&mut run, &mut problems);
            continue;
        }
        // Brackets outside strings and comments.
        let mut net = 0;
        let mut in_str = false;
        let mut depth_in_interp = 0;
        let mut prev = ' ';
        let mut eq_at: Option<(usize, i32)> = None;
        let chars: Vec<char> = trimmed.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if in_str {
                if c == '\\' {
                    i += 2;
                    continue;
                }
                if c == '"' {
                    in_str = false;
                } else if (c == '$' || c == '%') && chars.get(i + 1) == Some(&'{') && prev != c {
                    depth_in_interp += 1;
                    in_str = false;
                    i += 1;
                }
            } else {
                match c {
                    '"' => in_str = true,
                    '#' => break,
                    '{' | '[' | '(' => net += 1,
                    '}' if depth_in_interp > 0 && net == 0 => {
                        depth_in_interp -= 1;
                        in_str = true;
                    }
                    '}' | ']' | ')' => net -= 1,
                    '=' if eq_at.is_none()
                        && i > 0
                        && !matches!(chars.get(i + 1), Some('=') | Some('>'))
                        && !matches!(prev, '=' | '!' | '<' | '>') =>
                    {
                        eq_at = Some((i, net));
                    }
                    _ => {}
                }
            }
            prev = c;
            i += 1;
        }
        let mut level = stack.len();
        if net < 0 {
            let mut closed = -net;
            while closed > 0 {
                match stack.last_mut() {
                    Some(top) if *top <= closed => {
                        closed -= *top;
                        stack.pop();
                    }
                    Some(top) => {
                        *top -= closed;
                        closed = 0;
                    }
                    None => break,
                }
            }
            level = stack.len();
        } else if net > 0 {
            stack.push(net);
        }
        let indent = line.len() - trimmed.len();
        if indent != 2 * level {
            problems.push(format!("line {n}: indent {indent}, want {}", 2 * level));
        }
        match eq_at {
            Some((at, before)) if net - before == 0 => {
                let name = trimmed[..at].trim_end();
                run.push((n, name.chars().count(), at));
            }
            _ => flush(&mut run, &mut problems),
        }
    }
    flush(&mut run, &mut problems);
    if !text.ends_with('\n') || text.ends_with("\n\n") {
        problems.push("the file must end with exactly one newline".into());
    }
    problems
}

#[test]
fn files_are_in_terraform_fmt_layout() {
    for (ex, files) in all_examples() {
        for f in &files {
            let problems = layout_problems(&f.contents);
            assert!(problems.is_empty(), "{ex}/{}: {problems:#?}", f.path);
        }
    }
}

#[test]
fn the_layout_check_is_not_vacuous() {
    assert!(layout_problems("a = 1\nbb = 2\n").len() == 1);
    assert!(layout_problems("x {\n    a = 1\n}\n").len() == 1);
    assert!(layout_problems("x {\n  a  = 1\n  bb = 2\n}\n").is_empty());
    assert!(layout_problems("f = g(h(\"\\n\", [\n  \"a\",\n]))\n").is_empty());
}

/// Where `terraform` is installed, the real formatter agrees.
#[test]
fn terraform_fmt_agrees_when_installed() {
    let probe = std::process::Command::new("terraform")
        .arg("version")
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("terraform is not installed: skipping the cross-check with `terraform fmt`");
        return;
    }
    for (ex, files) in all_examples() {
        let dir = tempfile::tempdir().unwrap();
        for f in &files {
            std::fs::write(dir.path().join(&f.path), &f.contents).unwrap();
        }
        let out = std::process::Command::new("terraform")
            .args(["fmt", "-check", "-diff", "-no-color"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{ex}: terraform fmt -check:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
fn versions_pin_the_providers() {
    for (ex, files) in all_examples() {
        let versions = parse(files.iter().find(|f| f.path == "versions.tf").unwrap());
        let tf = versions
            .iter()
            .find(|b| b.kind == "terraform")
            .expect("terraform block");
        let req = tf
            .body
            .get_blocks("required_providers")
            .next()
            .expect("required_providers");
        let aws = attr(&req.body, "aws").expect("aws");
        assert!(
            aws.contains("source  = \"hashicorp/aws\"") && aws.contains("version = \"~> 5.0\""),
            "{ex}: {aws}"
        );
        // The AWS provider alone: a machine with only it can `terraform init`.
        let providers: Vec<String> = req
            .body
            .attributes()
            .map(|a| a.key.as_str().to_string())
            .collect();
        assert_eq!(providers, vec!["aws".to_string()], "{ex}");
    }
}

#[test]
fn no_random_provider_and_no_generated_secret() {
    for (ex, files) in all_examples() {
        for f in &files {
            for word in [
                "random_password",
                "hashicorp/random",
                "random_",
                "auth_token",
            ] {
                assert!(!f.contents.contains(word), "{ex}/{}: {word}", f.path);
            }
        }
        let blocks = all_blocks(&files);
        assert!(
            resources(&blocks, "aws_secretsmanager_secret").is_empty(),
            "{ex}"
        );
        assert!(
            resources(&blocks, "aws_secretsmanager_secret_version").is_empty(),
            "{ex}"
        );
    }
}

#[test]
fn rds_manages_every_master_password() {
    let mut primaries = 0;
    for (ex, files) in all_examples() {
        let blocks = all_blocks(&files);
        for db in resources(&blocks, "aws_db_instance") {
            let name = &db.labels[1];
            assert!(attr(&db.body, "password").is_none(), "{ex}: {name}");
            assert_eq!(
                attr(&db.body, "iam_database_authentication_enabled").as_deref(),
                Some("true"),
                "{ex}: {name}"
            );
            if attr(&db.body, "replicate_source_db").is_some() {
                // A replica answers to its source's credentials.
                assert!(attr(&db.body, "manage_master_user_password").is_none());
            } else {
                primaries += 1;
                assert_eq!(
                    attr(&db.body, "manage_master_user_password").as_deref(),
                    Some("true"),
                    "{ex}: {name}"
                );
            }
        }
    }
    assert!(primaries >= 8, "{primaries}");
}

#[test]
fn only_https_is_open_to_the_internet() {
    let mut public = 0;
    for (ex, files) in all_examples() {
        let blocks = all_blocks(&files);
        for rule in resources(&blocks, "aws_vpc_security_group_ingress_rule") {
            if attr(&rule.body, "cidr_ipv4").is_some() {
                assert_eq!(
                    attr(&rule.body, "cidr_ipv4").as_deref(),
                    Some("\"0.0.0.0/0\"")
                );
                assert_eq!(
                    attr(&rule.body, "from_port").as_deref(),
                    Some("443"),
                    "{ex}: {}",
                    rule.labels[1]
                );
            }
        }
        for l in resources(&blocks, "aws_lb_listener") {
            let lb = attr(&l.body, "load_balancer_arn").unwrap();
            let lb = lb.trim_start_matches("aws_lb.").trim_end_matches(".arn");
            let internal = attr(&named(&blocks, "aws_lb", lb).body, "internal").unwrap();
            if internal == "true" {
                // Inside the VPC only, from the callers' groups.
                assert_eq!(attr(&l.body, "port").as_deref(), Some("80"), "{ex}: {lb}");
                continue;
            }
            public += 1;
            assert_eq!(attr(&l.body, "port").as_deref(), Some("443"), "{ex}: {lb}");
            assert_eq!(
                attr(&l.body, "protocol").as_deref(),
                Some("\"HTTPS\""),
                "{ex}: {lb}"
            );
            let policy = attr(&l.body, "ssl_policy").unwrap();
            assert!(policy.contains("TLS13-1-2"), "{ex}: {lb}: {policy}");
            assert!(
                attr(&l.body, "certificate_arn")
                    .is_some_and(|c| c.starts_with("var.certificate_arn")),
                "{ex}: {lb}"
            );
        }
    }
    assert!(public >= 12, "{public}");
}

#[test]
fn one_provider_per_datacenter_region() {
    let files = build_example(
        &root().join("examples/09-sharded-db.arch"),
        Target::Terraform,
    );
    let blocks = all_blocks(&files);
    let providers: Vec<(String, String)> = blocks
        .iter()
        .filter(|b| b.kind == "provider")
        .map(|b| {
            (
                attr(&b.body, "alias").unwrap(),
                attr(&b.body, "region").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        providers,
        vec![
            ("\"us_east\"".to_string(), "var.region_us_east".to_string()),
            ("\"us_west\"".to_string(), "var.region_us_west".to_string()),
        ]
    );
    let region = |name: &str| {
        blocks
            .iter()
            .find(|b| b.kind == "variable" && b.labels[0] == name)
            .and_then(|b| attr(&b.body, "default"))
    };
    assert_eq!(region("region_us_east").as_deref(), Some("\"us-east-1\""));
    assert_eq!(region("region_us_west").as_deref(), Some("\"us-west-2\""));
}

const DATA_PORTS: [&str; 4] = ["5432", "3306", "6379", "11211"];

#[test]
fn databases_are_encrypted_private_and_closed_to_the_internet() {
    let mut instances = 0;
    let mut open_rules = 0;
    for (ex, files) in all_examples() {
        let blocks = all_blocks(&files);
        for db in resources(&blocks, "aws_db_instance") {
            instances += 1;
            assert_eq!(
                attr(&db.body, "storage_encrypted").as_deref(),
                Some("true"),
                "{ex}: {}",
                db.labels[1]
            );
            assert_eq!(
                attr(&db.body, "publicly_accessible").as_deref(),
                Some("false"),
                "{ex}: {}",
                db.labels[1]
            );
        }
        for sg in resources(&blocks, "aws_security_group") {
            // All rules are separate resources: no inline ones to miss.
            assert!(
                sg.body.get_blocks("ingress").next().is_none()
                    && sg.body.get_blocks("egress").next().is_none()
            );
        }
        for rule in resources(&blocks, "aws_vpc_security_group_ingress_rule") {
            let cidr = attr(&rule.body, "cidr_ipv4");
            let ipv6 = attr(&rule.body, "cidr_ipv6");
            assert!(ipv6.is_none());
            let port = attr(&rule.body, "from_port").unwrap();
            assert_eq!(
                attr(&rule.body, "to_port").as_deref(),
                Some(port.as_str()),
                "{ex}: one port per rule"
            );
            if let Some(c) = cidr {
                open_rules += 1;
                assert_eq!(c, "\"0.0.0.0/0\"");
                assert!(
                    !DATA_PORTS.contains(&port.as_str()),
                    "{ex}: {} opens {port} to the internet",
                    rule.labels[1]
                );
                // Only load balancers take traffic from the internet.
                let sg = attr(&rule.body, "security_group_id").unwrap();
                let sg_name = sg
                    .trim_start_matches("aws_security_group.")
                    .trim_end_matches(".id");
                assert!(
                    resources(&blocks, "aws_lb")
                        .iter()
                        .any(|lb| attr(&lb.body, "security_groups")
                            .unwrap()
                            .contains(&format!("aws_security_group.{sg_name}.id"))),
                    "{ex}: {sg_name} is open to the internet but belongs to no load balancer"
                );
                assert_eq!(port, "443");
            }
        }
    }
    // 04-09 and the worked example have RDS; 09 has 10 shards x 3 x 2.
    assert!(instances >= 15, "{instances}");
    assert!(open_rules >= 10, "{open_rules}");
}

fn asg(blocks: &[Resource], name: &str) -> (String, String, String) {
    let a = named(blocks, "aws_autoscaling_group", name);
    (
        attr(&a.body, "min_size").unwrap(),
        attr(&a.body, "max_size").unwrap(),
        attr(&a.body, "desired_capacity").unwrap(),
    )
}

#[test]
fn autoscaling_groups_carry_the_design_and_the_estimate() {
    // min/max from `autoscale`, desired from the estimator (hand
    // computations in backends_compose.rs: 8 in us-east, 5 in us-west).
    let files = build_example(
        &root().join("examples/09-sharded-db.arch"),
        Target::Terraform,
    );
    let blocks = all_blocks(&files);
    let t = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
    assert_eq!(asg(&blocks, "web_us_east"), t("4", "40", "8"));
    assert_eq!(asg(&blocks, "web_us_west"), t("4", "40", "5"));
    assert_eq!(asg(&blocks, "workers_us_east"), t("3", "3", "3"));
    // Target tracking keeps each instance at capacity x target: 800/s x
    // 70% = 560/s, 33600 requests a minute.
    let policy = named(&blocks, "aws_autoscaling_policy", "web_us_east");
    let ttc = policy
        .body
        .get_blocks("target_tracking_configuration")
        .next()
        .unwrap();
    assert_eq!(attr(&ttc.body, "target_value").as_deref(), Some("33600"));
    let compute = file(&files, "compute.tf");
    assert!(compute.contains("# autoscale 4..40: the estimator needs 8 instances for 4166.7/s at peak, 65.1% utilisation (target 70.0%)"));
    // Workers consume a queue: no load balancer, no policy.
    assert!(
        resources(&blocks, "aws_autoscaling_policy")
            .iter()
            .all(|p| !p.labels[1].starts_with("workers"))
    );
}

#[test]
fn databases_map_to_rds_with_replicas_and_multi_az() {
    let files = build_example(
        &root().join("examples/04-db-replication.arch"),
        Target::Terraform,
    );
    let blocks = all_blocks(&files);
    let primary = named(&blocks, "aws_db_instance", "photos");
    assert_eq!(
        attr(&primary.body, "multi_az").as_deref(),
        Some("true"),
        "failover = automatic"
    );
    assert_eq!(
        attr(&primary.body, "engine").as_deref(),
        Some("\"postgres\"")
    );
    assert_eq!(
        attr(&primary.body, "manage_master_user_password").as_deref(),
        Some("true")
    );
    let replicas = named(&blocks, "aws_db_instance", "photos_replica");
    assert_eq!(attr(&replicas.body, "count").as_deref(), Some("2"));
    assert_eq!(
        attr(&replicas.body, "replicate_source_db").as_deref(),
        Some("aws_db_instance.photos.identifier")
    );

    // Stage 1: no replica, no failover: no Multi-AZ either.
    let blocks = all_blocks(&build_example(
        &root().join("examples/01-single-server.arch"),
        Target::Terraform,
    ));
    assert_eq!(
        attr(
            &named(&blocks, "aws_db_instance", "photos").body,
            "multi_az"
        )
        .as_deref(),
        Some("false")
    );
    assert!(resources(&blocks, "aws_db_instance").len() == 1);

    // Stage 9: ten shards per datacenter; us-west's are cross-region
    // replicas of us-east's, with encryption keys of their own region.
    let blocks = all_blocks(&build_example(
        &root().join("examples/09-sharded-db.arch"),
        Target::Terraform,
    ));
    let east = named(&blocks, "aws_db_instance", "photos_us_east");
    let keys = attr(&east.body, "for_each").unwrap();
    for shard in 0..10 {
        assert!(
            keys.contains(&format!("\"{shard}\" =")),
            "shard {shard} in {keys}"
        );
    }
    let west = named(&blocks, "aws_db_instance", "photos_us_west");
    assert_eq!(
        attr(&west.body, "for_each").as_deref(),
        Some("aws_db_instance.photos_us_east")
    );
    assert_eq!(
        attr(&west.body, "replicate_source_db").as_deref(),
        Some("each.value.arn")
    );
    assert!(
        attr(&west.body, "kms_key_id")
            .unwrap()
            .contains("us_west_rds")
    );
}

#[test]
fn caches_fail_over_automatically_from_two_nodes() {
    let blocks = all_blocks(&build_example(
        &root().join("examples/09-sharded-db.arch"),
        Target::Terraform,
    ));
    let hot = named(&blocks, "aws_elasticache_replication_group", "hot_us_east");
    assert_eq!(attr(&hot.body, "num_cache_clusters").as_deref(), Some("3"));
    assert_eq!(
        attr(&hot.body, "automatic_failover_enabled").as_deref(),
        Some("true")
    );
    assert_eq!(
        attr(&hot.body, "transit_encryption_enabled").as_deref(),
        Some("true")
    );
    // IAM authentication: a user group, no token.
    assert!(attr(&hot.body, "auth_token").is_none());
    assert_eq!(
        attr(&hot.body, "user_group_ids").as_deref(),
        Some("[aws_elasticache_user_group.hot_us_east.user_group_id]")
    );
    let user = named(&blocks, "aws_elasticache_user", "hot_us_east");
    let mode = user.body.get_blocks("authentication_mode").next().unwrap();
    assert_eq!(attr(&mode.body, "type").as_deref(), Some("\"iam\""));
    let src = "client u\nservice web\ncache c { replicas = 1 }\nu -> web -> c\n";
    let blocks = all_blocks(&build_source(src, "x.arch", Target::Terraform, None).unwrap());
    assert_eq!(
        attr(
            &named(&blocks, "aws_elasticache_replication_group", "c").body,
            "automatic_failover_enabled"
        )
        .as_deref(),
        Some("false")
    );
}

#[test]
fn cdn_and_storage_become_cloudfront_over_s3() {
    let blocks = all_blocks(&build_example(
        &root().join("examples/05-cache-cdn.arch"),
        Target::Terraform,
    ));
    let dist = named(&blocks, "aws_cloudfront_distribution", "assets");
    let origin = dist.body.get_blocks("origin").next().unwrap();
    assert_eq!(
        attr(&origin.body, "domain_name").as_deref(),
        Some("aws_s3_bucket.media.bucket_regional_domain_name")
    );
    assert!(attr(&origin.body, "origin_access_control_id").is_some());
    let policy = named(&blocks, "aws_cloudfront_cache_policy", "assets");
    assert_eq!(
        attr(&policy.body, "default_ttl").as_deref(),
        Some("86400"),
        "ttl = 1d"
    );
    let pab = named(&blocks, "aws_s3_bucket_public_access_block", "media");
    for k in [
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
    ] {
        assert_eq!(attr(&pab.body, k).as_deref(), Some("true"));
    }
}

fn records(blocks: &[Resource]) -> Vec<&Resource> {
    resources(blocks, "aws_route53_record")
}

fn dns_design(routing: &str, east: &str, west: &str) -> Vec<Resource> {
    let src = format!(
        "datacenter a {{ region = \"{east}\" weight = 70% }}\n\
         datacenter b {{ region = \"{west}\" weight = 30% }}\n\
         client u\ndns d {{ routing = {routing} }}\nlb front\nservice web {{ replicas = 2 }}\n\
         u -> d -> front -> web\n"
    );
    all_blocks(&build_source(&src, "x.arch", Target::Terraform, None).unwrap())
}

#[test]
fn dns_routing_follows_the_design() {
    // Two regions on one continent: geolocation cannot tell them apart,
    // geoproximity picks the nearer region.
    let blocks = all_blocks(&build_example(
        &root().join("examples/09-sharded-db.arch"),
        Target::Terraform,
    ));
    for r in records(&blocks) {
        assert!(
            r.body
                .get_blocks("geoproximity_routing_policy")
                .next()
                .is_some()
        );
        assert!(
            attr(&r.body, "health_check_id").is_some(),
            "failover = true"
        );
    }
    assert_eq!(resources(&blocks, "aws_route53_health_check").len(), 2);

    // Two continents: geolocation, plus a default record for the rest.
    let blocks = dns_design("geo", "us-east-1", "eu-west-1");
    let mut continents: Vec<String> = records(&blocks)
        .iter()
        .filter_map(|r| r.body.get_blocks("geolocation_routing_policy").next())
        .map(|g| {
            attr(&g.body, "continent")
                .or_else(|| attr(&g.body, "country"))
                .unwrap()
        })
        .collect();
    continents.sort();
    assert_eq!(continents, vec!["\"*\"", "\"EU\"", "\"NA\""]);

    let blocks = dns_design("weighted", "us-east-1", "us-west-2");
    let mut weights: Vec<String> = records(&blocks)
        .iter()
        .map(|r| {
            attr(
                &r.body
                    .get_blocks("weighted_routing_policy")
                    .next()
                    .unwrap()
                    .body,
                "weight",
            )
            .unwrap()
        })
        .collect();
    weights.sort();
    assert_eq!(weights, vec!["30", "70"]);

    let blocks = dns_design("latency", "us-east-1", "us-west-2");
    for r in records(&blocks) {
        let l = r
            .body
            .get_blocks("latency_routing_policy")
            .next()
            .expect("latency routing");
        assert!(attr(&l.body, "region").unwrap().starts_with("var.region_"));
    }
}

#[test]
fn queues_are_sqs_and_alarms_follow_monitoring() {
    let files = build_example(
        &root().join("examples/08-queue-workers.arch"),
        Target::Terraform,
    );
    let blocks = all_blocks(&files);
    let jobs = named(&blocks, "aws_sqs_queue", "jobs_us_east");
    assert_eq!(
        attr(&jobs.body, "sqs_managed_sse_enabled").as_deref(),
        Some("true")
    );
    assert!(
        attr(&jobs.body, "redrive_policy")
            .unwrap()
            .contains("jobs_us_east_dlq")
    );
    // alerts = true: alarms, with max_backlog 1M warning at 80%.
    let backlog = named(
        &blocks,
        "aws_cloudwatch_metric_alarm",
        "jobs_us_east_backlog",
    );
    assert_eq!(attr(&backlog.body, "threshold").as_deref(), Some("800000"));
    // 07 has no monitoring block: no alarms at all.
    let files = build_example(&root().join("examples/07-multi-dc.arch"), Target::Terraform);
    assert!(files.iter().all(|f| f.path != "monitoring.tf"));
}

#[test]
fn security_groups_allow_exactly_the_flows() {
    // 02: browsers -> web -> photos. web's balancer takes the internet on
    // 443, web takes its balancer on 8080, photos takes web on 5432: three
    // ingress rules, nothing else.
    let blocks = all_blocks(&build_example(
        &root().join("examples/02-web-db-split.arch"),
        Target::Terraform,
    ));
    let mut ingress: Vec<(String, String, String)> =
        resources(&blocks, "aws_vpc_security_group_ingress_rule")
            .iter()
            .map(|r| {
                (
                    attr(&r.body, "security_group_id").unwrap(),
                    attr(&r.body, "referenced_security_group_id")
                        .or_else(|| attr(&r.body, "cidr_ipv4"))
                        .unwrap(),
                    attr(&r.body, "from_port").unwrap(),
                )
            })
            .collect();
    ingress.sort();
    let s = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
    assert_eq!(
        ingress,
        vec![
            s(
                "aws_security_group.photos.id",
                "aws_security_group.web.id",
                "5432"
            ),
            s(
                "aws_security_group.web.id",
                "aws_security_group.web_alb.id",
                "8080"
            ),
            s("aws_security_group.web_alb.id", "\"0.0.0.0/0\"", "443"),
        ]
    );
}

#[test]
fn engines_the_backend_cannot_run_are_refused_by_name() {
    let src = "client u\nservice web\ndatabase graph { engine = neo4j }\nu -> web -> graph\n";
    let err = build_source(src, "x.arch", Target::Terraform, None).unwrap_err();
    assert_eq!(
        err,
        "database `graph`: engine `neo4j` is not mapped by the terraform backend (it maps cassandra to Keyspaces, dynamodb to DynamoDB, mongodb to DocumentDB, mysql and postgres to RDS, opensearch to OpenSearch Service, redshift to Redshift)"
    );
    let err = build_source(src, "x.arch", Target::Terraform, Some("a")).unwrap_err();
    assert_eq!(err, "`--datacenter` applies to the compose target only");
}

/// Zones (LANGUAGE.md §13): a public and a private subnet per zone (two at
/// least, as an RDS subnet group and an ALB need), routes for each; more
/// zones than an AWS region has is a build error.
#[test]
fn subnets_follow_the_datacenters_zones() {
    let design = |zones: &str| {
        format!(
            "datacenter east {{ region = \"us-east-1\" {zones} }}\n\
             datacenter west {{ region = \"us-west-2\" }}\n\
             client users\ndns geo {{ routing = geo  failover = true }}\n\
             lb front {{ replicas = 2 }}\nservice web {{ replicas = 3 }}\n\
             database db {{ replicas = 2  cross_dc = async }}\n\
             users -> geo -> front -> web -> db\n"
        )
    };
    let files = build_source(&design("zones = 3"), "z.arch", Target::Terraform, None).unwrap();
    let blocks = all_blocks(&files);
    let count = |ty: &str, name: &str| attr(&named(&blocks, ty, name).body, "count").unwrap();
    assert_eq!(count("aws_subnet", "east_private"), "3");
    assert_eq!(count("aws_subnet", "east_public"), "3");
    assert_eq!(count("aws_route_table_association", "east_private"), "3");
    assert_eq!(count("aws_route_table_association", "east_public"), "3");
    // west declares no zones: the two subnets a region always gets.
    assert_eq!(count("aws_subnet", "west_private"), "2");
    let err = build_source(&design("zones = 7"), "z.arch", Target::Terraform, None).unwrap_err();
    assert!(err.contains("at most 6 availability zones"), "{err}");
}

/// The block `path` (`a/b`) inside a resource body, first of each.
fn inner<'a>(body: &'a Body, path: &'a str) -> &'a Body {
    path.split('/').fold(body, |b, name| {
        &b.get_blocks(name)
            .next()
            .unwrap_or_else(|| panic!("no block {name} in {path}"))
            .body
    })
}

#[test]
fn newly_mapped_engines_become_their_managed_aws_service_encrypted_and_logged() {
    let files = build_example(&backends_common::engines_design(), Target::Terraform);
    let blocks = all_blocks(&files);

    // MongoDB on DocumentDB: encrypted, TLS and audit logs, managed password.
    let docdb = named(&blocks, "aws_docdb_cluster", "catalog_eu");
    for (k, v) in [
        ("storage_encrypted", "true"),
        ("manage_master_user_password", "true"),
        ("backup_retention_period", "7"),
        (
            "enabled_cloudwatch_logs_exports",
            "[\"audit\", \"profiler\"]",
        ),
    ] {
        assert_eq!(attr(&docdb.body, k).as_deref(), Some(v), "{k}");
    }
    let params = named(&blocks, "aws_docdb_cluster_parameter_group", "catalog_eu");
    let set: Vec<(String, String)> = params
        .body
        .get_blocks("parameter")
        .map(|p| {
            (
                attr(&p.body, "name").unwrap(),
                attr(&p.body, "value").unwrap(),
            )
        })
        .collect();
    assert!(set.contains(&("\"tls\"".into(), "\"enabled\"".into())));
    assert!(set.contains(&("\"audit_logs\"".into(), "\"enabled\"".into())));
    assert_eq!(
        attr(
            &named(&blocks, "aws_docdb_cluster_instance", "catalog_eu").body,
            "count"
        )
        .as_deref(),
        Some("3")
    );

    // Cassandra on Keyspaces: no security group (it is not in the VPC).
    // `cross_dc = async` over eu and us: one multi-Region keyspace, in
    // eu, listing both regions; us has none of its own.
    let ks = named(&blocks, "aws_keyspaces_keyspace", "timeline_eu");
    let spec = inner(&ks.body, "replication_specification");
    assert_eq!(
        attr(spec, "replication_strategy").as_deref(),
        Some("\"MULTI_REGION\"")
    );
    assert_eq!(
        attr(spec, "region_list").as_deref(),
        Some("[var.region_eu, var.region_us]")
    );
    assert_eq!(resources(&blocks, "aws_keyspaces_keyspace").len(), 1);
    assert!(
        resources(&blocks, "aws_security_group")
            .iter()
            .all(|g| !g.labels[1].starts_with("timeline")),
        "a Keyspaces keyspace has no security group"
    );

    // OpenSearch (and its alias elasticsearch) on OpenSearch Service.
    for name in ["search_eu", "logs_us"] {
        let d = named(&blocks, "aws_opensearch_domain", name);
        assert_eq!(
            attr(inner(&d.body, "encrypt_at_rest"), "enabled").as_deref(),
            Some("true")
        );
        assert_eq!(
            attr(inner(&d.body, "node_to_node_encryption"), "enabled").as_deref(),
            Some("true")
        );
        let ep = inner(&d.body, "domain_endpoint_options");
        assert_eq!(attr(ep, "enforce_https").as_deref(), Some("true"));
        assert_eq!(
            attr(ep, "tls_security_policy").as_deref(),
            Some("\"Policy-Min-TLS-1-2-2019-07\"")
        );
        assert_eq!(
            attr(inner(&d.body, "advanced_security_options"), "enabled").as_deref(),
            Some("true")
        );
        let cluster = inner(&d.body, "cluster_config");
        assert_eq!(
            attr(cluster, "dedicated_master_count").as_deref(),
            Some("3")
        );
        let logs: Vec<String> = d
            .body
            .get_blocks("log_publishing_options")
            .map(|b| attr(&b.body, "log_type").unwrap())
            .collect();
        assert!(logs.contains(&"\"AUDIT_LOGS\"".to_string()), "{logs:?}");
    }
    let count = |name: &str| {
        attr(
            inner(
                &named(&blocks, "aws_opensearch_domain", name).body,
                "cluster_config",
            ),
            "instance_count",
        )
    };
    // 1 + 1 replica; 1 node rounded up to 2 (two zones).
    assert_eq!(count("search_eu").as_deref(), Some("2"));
    assert_eq!(count("logs_eu").as_deref(), Some("2"));

    // Redshift: encrypted, private, SSL required, logged.
    let rs = named(&blocks, "aws_redshift_cluster", "warehouse_eu");
    for (k, v) in [
        ("encrypted", "true"),
        ("publicly_accessible", "false"),
        ("enhanced_vpc_routing", "true"),
        ("manage_master_password", "true"),
    ] {
        assert_eq!(attr(&rs.body, k).as_deref(), Some(v), "{k}");
    }
    let log = named(&blocks, "aws_redshift_logging", "warehouse_eu");
    assert_eq!(
        attr(&log.body, "log_destination_type").as_deref(),
        Some("\"cloudwatch\"")
    );

    // Kafka on MSK: TLS, IAM only, logged; not SQS.
    let msk = named(&blocks, "aws_msk_cluster", "events_eu");
    let transit = inner(&msk.body, "encryption_info/encryption_in_transit");
    assert_eq!(attr(transit, "client_broker").as_deref(), Some("\"TLS\""));
    assert_eq!(attr(transit, "in_cluster").as_deref(), Some("true"));
    assert_eq!(
        attr(inner(&msk.body, "client_authentication"), "unauthenticated").as_deref(),
        Some("false")
    );
    assert_eq!(
        attr(inner(&msk.body, "client_authentication/sasl"), "iam").as_deref(),
        Some("true")
    );
    // 3 brokers as designed, made a multiple of the two subnets.
    assert_eq!(
        attr(&msk.body, "number_of_broker_nodes").as_deref(),
        Some("4")
    );
    assert!(resources(&blocks, "aws_sqs_queue").is_empty());
    let logs = named(&blocks, "aws_cloudwatch_log_group", "events_eu_logs");
    assert_eq!(
        attr(&logs.body, "retention_in_days").as_deref(),
        Some("365")
    );

    // Callers get the addresses and may read only their secrets.
    let compute = file(&files, "compute.tf");
    for needle in [
        "\"CATALOG_SECRET_ARN=${aws_docdb_cluster.catalog_eu.master_user_secret[0].secret_arn}\"",
        "\"TIMELINE_KEYSPACE=${aws_keyspaces_keyspace.timeline_eu.name}\"",
        // us's callers reach the same keyspace at us's endpoint, granted on
        // its ARN there.
        "\"TIMELINE_HOST=${format(\"cassandra.%s.amazonaws.com\", var.region_us)}\"",
        "replace(aws_keyspaces_keyspace.timeline_eu.arn, var.region_eu, var.region_us)",
        "\"SEARCH_URL=${format(\"https://%s\", aws_opensearch_domain.search_eu.endpoint)}\"",
        "\"WAREHOUSE_HOST=${aws_redshift_cluster.warehouse_eu.dns_name}\"",
        "\"EVENTS_BOOTSTRAP_SERVERS=${aws_msk_cluster.events_eu.bootstrap_brokers_sasl_iam}\"",
        "kafka-cluster:WriteData",
        "cassandra:Modify",
    ] {
        assert!(compute.contains(needle), "compute.tf lacks {needle}");
    }
    let outputs = file(&files, "outputs.tf");
    for needle in [
        "output \"catalog_eu_endpoint\"",
        "output \"timeline_eu_keyspace\"",
        "output \"events_us_bootstrap_servers\"",
        "output \"warehouse_us_endpoint\"",
    ] {
        assert!(outputs.contains(needle), "outputs.tf lacks {needle}");
    }
}

#[test]
fn a_balancer_in_front_of_two_services_routes_reads_and_writes_by_method() {
    let path = root().join("tests/backends_common/routes.arch");
    let files = build_example(&path, Target::Terraform);
    let blocks = all_blocks(&files);
    // The listener's default goes to the reads' service; one rule sends
    // the methods that write to the other.
    let listener = named(&blocks, "aws_lb_listener", "edge_us");
    let default = listener.body.get_blocks("default_action").next().unwrap();
    assert_eq!(
        attr(&default.body, "target_group_arn").as_deref(),
        Some("aws_lb_target_group.edge_web_us.arn")
    );
    let rule = named(&blocks, "aws_lb_listener_rule", "edge_us_api");
    let action = rule.body.get_blocks("action").next().unwrap();
    assert_eq!(
        attr(&action.body, "target_group_arn").as_deref(),
        Some("aws_lb_target_group.edge_api_us.arn")
    );
    let text = file(&files, "compute.tf");
    assert!(
        text.contains(r#"values = ["POST", "PUT", "PATCH", "DELETE"]"#),
        "{text}"
    );
    // Each service scales on its own target group's request count.
    assert!(
        text.contains("${aws_lb.edge_us.arn_suffix}/${aws_lb_target_group.edge_api_us.arn_suffix}")
    );
    assert!(
        text.contains("${aws_lb.edge_us.arn_suffix}/${aws_lb_target_group.edge_web_us.arn_suffix}")
    );
    // The balancer may reach both services.
    let security = file(&files, "security.tf");
    assert!(
        security.contains("api_us_ingress_edge_us_8080"),
        "{security}"
    );
    assert!(
        !text.contains("only its first service"),
        "no note of an unmapped service"
    );
}
