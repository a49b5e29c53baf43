#![allow(clippy::unwrap_used)] // Tests fail loudly on broken fixtures.
//! The numbers in the capacity and objective rules' messages, against
//! hand computations written beside each assertion.

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

fn of<'a>(diags: &'a [Diagnostic], rule: &str) -> Vec<&'a Diagnostic> {
    diags.iter().filter(|d| d.rule == rule).collect()
}

fn line(source: &str, d: &Diagnostic) -> usize {
    line_col(source, d.primary.span.start).0
}

#[test]
fn overload_at_the_autoscale_max() {
    // 750/s x 2 (peak) = 1500/s; at most 4 x 300/s = 1200/s: 1500 / 1200 =
    // 125%. At the 70% target it needs 1500 / (300 x 0.7) = 7.14 -> 8.
    let source = "traffic { rate = 750/s  peak = 2x }\nclient users\n\
        service web { autoscale = 2..4  capacity = 300/s  latency = 10ms }\n\
        database db { replicas = 1  capacity = 5000/s }\nusers -> web -> db\n";
    let diags = check(source);
    let d = of(&diags, "overload");
    assert_eq!(d.len(), 1, "{diags:#?}");
    assert_eq!(
        d[0].message,
        "`web` is overloaded at 125% at peak: it needs 1500.0/s at peak even at its autoscale max of 4 instances, which serve 1200.0/s"
    );
    assert_eq!(
        d[0].help.as_deref(),
        Some(
            "raise the `autoscale` max of `web` to 8 (peak at the 70% target) or raise its `capacity`"
        )
    );
    // The finding points at `autoscale`.
    assert_eq!(
        &source[d[0].primary.span.start..d[0].primary.span.end],
        "autoscale = 2..4"
    );
    assert!(of(&diags, "high-utilization").is_empty());
}

#[test]
fn overload_of_a_database_names_its_busiest_instance() {
    // 600/s of writes (reads = 0%): all to the primary, and applied on the
    // replica too. Primary and replica both at 600 / 500 = 120%; the primary
    // is named (first of equals).
    let source = "traffic { rate = 600/s  reads = 0% }\nclient users\n\
        service web { replicas = 2  capacity = 1000/s }\n\
        database db { replicas = 1  capacity = 500/s }\nusers -> web -> db\n";
    let diags = check(source);
    let d = of(&diags, "overload");
    assert_eq!(d.len(), 1, "{diags:#?}");
    assert_eq!(
        d[0].message,
        "`db` is overloaded at 120% at peak: it receives 600.0/s at peak; its busiest instance, the primary, needs 600.0/s of 500.0/s"
    );
    assert_eq!(line(source, d[0]), 4);
}

#[test]
fn high_utilization_between_target_and_capacity() {
    // 720/s on 4 x 250/s = 1000/s: 72%, above 70%. At 70% it needs
    // 720 / 175 = 4.11 -> 5 instances.
    let source = "traffic { rate = 720/s }\nclient users\n\
        service web { replicas = 4  capacity = 250/s  latency = 8ms }\n\
        database db { replicas = 1  capacity = 5000/s }\nusers -> web -> db\n";
    let diags = check(source);
    let d = of(&diags, "high-utilization");
    assert_eq!(d.len(), 1, "{diags:#?}");
    assert_eq!(
        d[0].message,
        "`web` runs at 72% at peak, above the 70% target: it needs 720.0/s at peak with all 4 instances, which serve 1000.0/s"
    );
    assert_eq!(
        d[0].help.as_deref(),
        Some("run 5 instances of `web` (peak at the 70% target) or raise its `capacity`")
    );
    assert!(of(&diags, "overload").is_empty());
}

const TWO_DC: &str = "traffic { rate = 1000/s }
datacenter east { weight = 50% }
datacenter west { weight = 50% }
client users
dns geo { routing = geo  failover = true }
service web { replicas = 2  capacity = 400/s  latency = 10ms }
database db { replicas = 1  capacity = 5000/s  cross_dc = async }
users -> geo -> web -> db
";

#[test]
fn dc_failover_capacity_two_datacenters() {
    // Each datacenter: 1000/s x 50% = 500/s on 2 x 400/s = 800/s (62.5%).
    // Losing one sends all 1000/s to the other: 1000 / 800 = 125%. At the
    // 70% target that needs 1000 / 280 = 3.57 -> 4 instances.
    let diags = check(TWO_DC);
    let d = of(&diags, "dc-failover-capacity");
    assert_eq!(d.len(), 2, "{diags:#?}");
    for (d, (lost, survivor)) in d.iter().zip([("east", "west"), ("west", "east")]) {
        assert_eq!(
            d.message,
            format!(
                "losing datacenter `{lost}` overloads `web@{survivor}`: it then needs 1000.0/s at peak (from 500.0/s) with all 2 instances, which serve 800.0/s (125%)"
            )
        );
        assert_eq!(d.datacenter.as_deref(), Some(survivor));
        // The related span is the datacenter lost.
        let related = &d.related[0];
        assert_eq!(&TWO_DC[related.span.start..related.span.end], lost);
        assert_eq!(
            d.help.as_deref(),
            Some(
                "let `web` scale to 4 instances per datacenter (`autoscale = 2..4`) or raise its `capacity`"
            )
        );
    }
    // Without failover at the dns the traffic does not move.
    let off = TWO_DC.replace("failover = true", "failover = false");
    assert!(of(&check(&off), "dc-failover-capacity").is_empty());
}

#[test]
fn dc_failover_capacity_three_datacenters() {
    // 1650/s over three equal datacenters: 550/s each, of 4 x 200/s = 800/s
    // (68.75%). Losing one shares its 550/s equally between the two others:
    // 550 + 275 = 825/s, 825 / 800 = 103.1% -> 103%. Each survivor is
    // named once, with the worst loss (the first of equals) and the other.
    let source = "traffic { rate = 1650/s }
datacenter east
datacenter central
datacenter west
dns geo { routing = geo }
service web { autoscale = 2..4  capacity = 200/s  latency = 10ms }
database db { replicas = 1  capacity = 5000/s  cross_dc = async }
client users
users -> geo -> web -> db
";
    let diags = check(source);
    let d = of(&diags, "dc-failover-capacity");
    assert_eq!(d.len(), 3, "{diags:#?}");
    let messages: Vec<&str> = d.iter().map(|d| d.message.as_str()).collect();
    for (lost, survivor, also) in [
        ("central", "east", "west"),
        ("east", "central", "west"),
        ("east", "west", "central"),
    ] {
        let want = format!(
            "losing datacenter `{lost}` overloads `web@{survivor}`: it then needs 825.0/s at peak (from 550.0/s) even at its autoscale max of 4 instances, which serve 800.0/s (103%); losing `{also}` overloads it too"
        );
        assert!(
            messages.contains(&want.as_str()),
            "{want}\nnot in {messages:#?}"
        );
    }
}

const BACKLOG: &str = "traffic { rate = 300/s  reads = 0% }
client users
queue jobs { replicas = 2  max_backlog = 1.8M }
service web { replicas = 2  capacity = 1000/s }
service workers { replicas = 2  capacity = 100/s  latency = 10ms  consumes = jobs }
users -> web -> jobs
";

#[test]
fn queue_backlog_growth_and_hours_to_fill() {
    // 300 messages/s (every request writes a job) against 2 x 100/s = 200/s:
    // the backlog grows by 100/s and reaches 1.8M in 18000 s = 5.0 hours.
    let diags = check(BACKLOG);
    let d = of(&diags, "queue-backlog");
    assert_eq!(d.len(), 1, "{diags:#?}");
    assert_eq!(
        d[0].message,
        "messages reach `jobs` at 300.0/s at peak but its consumers take at most 200.0/s (`workers` 2 × 100.0/s): the backlog grows by 100.0/s and reaches `max_backlog` (1.8M messages) in 5.0 hours"
    );
    assert_eq!(line(BACKLOG, d[0]), 3);

    // Autoscaling to 4 x 100/s drains it.
    let drains = BACKLOG.replace(
        "replicas = 2  capacity = 100/s",
        "autoscale = 2..4  capacity = 100/s",
    );
    assert!(of(&check(&drains), "queue-backlog").is_empty());
}

#[test]
fn queue_backlog_per_datacenter_copy() {
    // 500 messages/s split 60/40: east 300/s, west 200/s, against 250/s of
    // workers in each: only east grows, by 50/s = 180,000 an hour. With
    // `max_backlog = 90k` it is full in 90000 / 50 = 1800 s = 0.5 hours.
    let source = "traffic { rate = 500/s  reads = 0% }
datacenter east { weight = 60% }
datacenter west { weight = 40% }
client users
dns geo { routing = geo }
queue jobs { replicas = 2 }
service web { replicas = 2  capacity = 1000/s }
service workers { replicas = 1  capacity = 250/s  latency = 10ms  consumes = jobs }
users -> geo -> web -> jobs
";
    let diags = check(source);
    let d = of(&diags, "queue-backlog");
    assert_eq!(d.len(), 1, "{diags:#?}");
    assert_eq!(
        d[0].message,
        "messages reach `jobs@east` at 300.0/s at peak but its consumers take at most 250.0/s (`workers` 1 × 250.0/s): the backlog grows by 50.0/s (180k messages an hour) with no `max_backlog` to bound it"
    );
    assert_eq!(d[0].datacenter.as_deref(), Some("east"));

    let bounded = source.replace(
        "queue jobs { replicas = 2 }",
        "queue jobs { replicas = 2  max_backlog = 90k }",
    );
    let diags = check(&bounded);
    let d = of(&diags, "queue-backlog");
    assert!(
        d[0].message.ends_with("the backlog grows by 50.0/s and reaches `max_backlog` (90k messages) in 0.5 hours (30 minutes)"),
        "{}",
        d[0].message
    );
}

#[test]
fn slo_availability_single_chain() {
    // One instance each of web and db at 99.9%: 0.999 x 0.999 = 0.998001
    // -> 99.80% against 99.90%. Downtime in a 30-day month (43200 min):
    // 0.001999 x 43200 = 86.4 minutes against 0.001 x 43200 = 43.2.
    let source = "slo { availability = 99.9% }\nclient users\nservice web\ndatabase db\nusers -> web -> db\n";
    let diags = check(source);
    let d = of(&diags, "slo-availability");
    assert_eq!(d.len(), 1, "{diags:#?}");
    assert_eq!(
        d[0].message,
        "the design is available 99.80% of the time, below the objective of 99.90%: about 86.4 minutes of downtime a month against 43.2 minutes allowed"
    );
    assert_eq!(
        &source[d[0].primary.span.start..d[0].primary.span.end],
        "99.9%"
    );
    // Every class has the same figure: no note by class.
    assert!(d[0].notes.is_empty());

    // Two web instances: web 1 - 0.001^2 = 0.999999, times db 0.999 =
    // 0.998999001, still below 0.999. Two decimals read 99.90% for both,
    // three 99.900% for both; four tell them apart: 99.8999% against
    // 99.9000%.
    let two = source.replace("service web", "service web { replicas = 2 }");
    let d2 = check(&two);
    let d2 = of(&d2, "slo-availability");
    assert_eq!(d2.len(), 1);
    assert!(
        d2[0]
            .message
            .contains("available 99.8999% of the time, below the objective of 99.9000%"),
        "{}",
        d2[0].message
    );
}

#[test]
fn slo_availability_of_one_class() {
    // Reads need lb x web x any db instance: (1 - 0.001^2)^2 x
    // (1 - 0.001^3) = 0.999998. Writes need the primary (no automatic
    // failover): 0.999998 x 0.999 = 0.998998 -> 99.90% against 99.95%,
    // downtime 0.001002 x 43200 = 43.3 minutes against 21.6. Overall
    // 0.9 x 0.999998 + 0.1 x 0.998998 = 0.999898, above the objective.
    let source = "traffic { rate = 100/s  reads = 90% }
slo { availability = 99.95% }
client users
lb front { replicas = 2 }
service web { replicas = 2 }
database db { replicas = 2  failover = none }
users -> front -> web -> db
";
    let diags = check(source);
    let d = of(&diags, "slo-availability");
    assert_eq!(d.len(), 1, "{diags:#?}");
    assert_eq!(
        d[0].message,
        "`write` requests are available 99.90% of the time, below the objective of 99.95%: about 43.3 minutes of downtime a month against 21.6 minutes allowed"
    );
    // The least available copy writes need is the database.
    assert!(
        d[0].related[0]
            .message
            .starts_with("`db` is the least available copy `write` requests need")
    );
}

#[test]
fn slo_latency_mean_and_p99() {
    // web: 2 instances of 1000/s with 30 workers each (1000 x 30ms) at
    // 100/s: the Erlang C wait is negligible, so the mean is web 30ms + db
    // 2ms + two hops of 0.5ms = 33.0ms, above a 20ms mean objective.
    let mean = "traffic { rate = 100/s }\nslo { latency_mean = 20ms }\nclient users\n\
        service web { replicas = 2  capacity = 1000/s  latency = 30ms }\n\
        database db { replicas = 1  capacity = 5000/s  latency = 2ms }\nusers -> web -> db\n";
    let diags = check(mean);
    let d = of(&diags, "slo-latency");
    assert_eq!(d.len(), 1, "{diags:#?}");
    assert_eq!(d[0].severity, Severity::Error);
    assert_eq!(
        d[0].message,
        "`read` requests take 33.0ms on average at peak, above `latency_mean = 20ms`"
    );

    // With a 40ms web the mean is 43.0ms, under a 100ms p99 objective, but
    // exponential service times have p99 = L x ln 100: web 184.2ms + db
    // 9.2ms + hops 1ms = 194.4ms: a warning.
    let p99 = mean
        .replace("latency_mean = 20ms", "latency_p99 = 100ms")
        .replace("latency = 30ms", "latency = 40ms");
    let diags = check(&p99);
    let d = of(&diags, "slo-latency");
    assert_eq!(d.len(), 1, "{diags:#?}");
    assert_eq!(d[0].severity, Severity::Warning);
    assert_eq!(
        d[0].message,
        "the p99 estimate of `read` requests is 194.4ms at peak, above `latency_p99 = 100ms` (mean 43.0ms)"
    );
}
