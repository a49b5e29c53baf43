#![allow(clippy::unwrap_used)] // Tests fail loudly on broken fixtures.
//! The numbers of the rules that the published-designs review found
//! missing (`timeout-below-tail`, `unused-component`, …), against hand
//! computations from closed forms written beside each assertion.

use archc::diagnostic::{Diagnostic, line_col};
use archc::rules::config::Config;

fn check(source: &str) -> Vec<Diagnostic> {
    let options = archc::BuildOptions {
        default_name: "numbers".into(),
        ..Default::default()
    };
    let compiled = archc::check(source, &options, &Config::default(), "2026-12-02");
    assert!(compiled.model.is_some(), "{:#?}", compiled.diagnostics);
    compiled.diagnostics
}

fn of<'a>(diags: &'a [Diagnostic], rule: &str) -> Vec<&'a Diagnostic> {
    diags.iter().filter(|d| d.rule == rule).collect()
}

/// The first percentage in `text`, as a fraction.
fn first_percent(text: &str) -> f64 {
    let end = text.find('%').unwrap();
    let start = text[..end]
        .rfind(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map_or(0, |i| i + 1);
    text[start..end].parse::<f64>().unwrap() / 100.0
}

/// The printed figure is the closed form, to the precision printed.
fn assert_percent(message: &str, want: f64) {
    let got = first_percent(message);
    let printed = message[..message.find('%').unwrap()]
        .rsplit(|c: char| !(c.is_ascii_digit() || c == '.'))
        .next()
        .unwrap();
    let decimals = printed.split('.').nth(1).map_or(0, str::len) as i32;
    let half_unit = 0.5 * 10f64.powi(-decimals) / 100.0;
    assert!(
        (got - want).abs() <= half_unit + 1e-12,
        "{message}: printed {got}, closed form {want}"
    );
}

#[test]
fn timeout_below_tail_quotes_the_service_time_tail() {
    // 20/s over 4 instances of 20 workers (capacity 20/s × latency 1 s):
    // 80 servers at 25%, so the Erlang C waiting probability is ~1e-20 and
    // P(response > 2 s) is the service time's e^-2 = 13.53%.
    let source = "traffic { rate = 20/s  peak = 1x }\nclient users\nlb front { replicas = 2 }\n\
        service report { latency = 1s  capacity = 20/s  replicas = 4 }\nusers -> front -> report\n";
    let diags = check(source);
    let d = of(&diags, "timeout-below-tail");
    assert_eq!(d.len(), 1, "{diags:#?}");
    assert_percent(&d[0].message, (-2.0f64).exp());
    assert!(
        d[0].message.contains("default timeout of 2s"),
        "{}",
        d[0].message
    );
    // Without `timeout`, the finding points at the component's name.
    assert_eq!(line_col(source, d[0].primary.span.start).0, 4);
}

#[test]
fn timeout_below_tail_includes_the_queueing_wait() {
    // One instance, one worker: M/M/1 with lambda 0.5, mu 1. Its response
    // time is exponential with rate mu - lambda = 0.5/s: P(> 5 s) =
    // e^-2.5 = 8.21%, where the service time alone would give e^-5 = 0.67%.
    let source = "traffic { rate = 0.5/s  peak = 1x }\nclient users\nlb front { replicas = 2 }\n\
        service render { latency = 1s  capacity = 1/s  timeout = 5s }\nusers -> front -> render\n";
    let diags = check(source);
    let d = of(&diags, "timeout-below-tail");
    assert_eq!(d.len(), 1, "{diags:#?}");
    assert_percent(&d[0].message, (-2.5f64).exp());
    // The p99.9 the help names: e^(-0.5 t) = 0.001, t = 2 ln 1000 = 13.8 s.
    let help = d[0].help.as_deref().unwrap();
    assert!(help.contains("13.8"), "{help}");
    // With a `timeout`, the finding points at it.
    let span = d[0].primary.span;
    assert_eq!(&source[span.start..span.end], "timeout = 5s");
}

#[test]
fn timeout_below_tail_stays_quiet_under_a_thousandth() {
    // e^-(10) = 0.0045% with a 10 s timeout; 1 - e^-(7) = 0.09% with 7 s.
    for timeout in ["10s", "7s"] {
        let source = format!(
            "traffic {{ rate = 20/s  peak = 1x }}\nclient users\nlb front {{ replicas = 2 }}\n\
             service report {{ latency = 1s  capacity = 20/s  replicas = 4  timeout = {timeout} }}\n\
             users -> front -> report\n"
        );
        let diags = check(&source);
        assert!(
            of(&diags, "timeout-below-tail").is_empty(),
            "{timeout}: {diags:#?}"
        );
    }
    // 6 s: e^-6 = 0.25%, above the threshold.
    let source = "traffic { rate = 20/s  peak = 1x }\nclient users\nlb front { replicas = 2 }\n\
        service report { latency = 1s  capacity = 20/s  replicas = 4  timeout = 6s }\n\
        users -> front -> report\n";
    let diags = check(source);
    let d = of(&diags, "timeout-below-tail");
    assert_eq!(d.len(), 1, "{diags:#?}");
    assert_percent(&d[0].message, (-6.0f64).exp());
}

#[test]
fn unused_component_names_what_nothing_reaches() {
    let source = "traffic { rate = 100/s }\nclient browsers\nlb front { replicas = 2 }\n\
        service web { replicas = 2 }\ncdn assets { ttl = 1d }\nbrowsers -> front -> web\n";
    let diags = check(source);
    let d = of(&diags, "unused-component");
    assert_eq!(d.len(), 1, "{diags:#?}");
    assert_eq!(d[0].component.as_deref(), Some("assets"));
    assert_eq!(line_col(source, d[0].primary.span.start).0, 5);
    assert_eq!(
        d[0].help.as_deref(),
        Some("add the flow that reaches it (`browsers -> assets`), or remove `assets`")
    );
}

#[test]
fn queue_consumer_dc_gives_the_backlog_growth() {
    // 1,000/s of writes split 60/40; each web copy writes to its own
    // datacenter's copy of `jobs`. With dc-a lost, DNS failover sends all
    // 1,000/s to dc-b, whose copy of `jobs` has no consumer: the backlog
    // grows by 1,000/s, 3.6M messages an hour.
    let source = "traffic { rate = 1000/s  peak = 1x  reads = 0% }\n\
        datacenter dc-a { region = \"us-east-1\"  weight = 60% }\n\
        datacenter dc-b { region = \"us-west-2\"  weight = 40% }\n\
        client users\ndns geo { routing = geo  failover = true }\nlb front { replicas = 2 }\n\
        service web { replicas = 10 }\nqueue jobs { replicas = 2 }\n\
        service workers { replicas = 10  consumes = jobs  datacenters = [dc-a] }\n\
        users -> geo -> front -> web -> jobs [write]\n";
    let diags = check(source);
    let d = of(&diags, "queue-consumer-dc");
    assert_eq!(d.len(), 1, "{diags:#?}");
    assert!(d[0].message.contains("`dc-a`"), "{}", d[0].message);
    assert!(d[0].message.contains("1000.0/s"), "{}", d[0].message);
    assert!(
        d[0].message.contains("3.6M messages an hour"),
        "{}",
        d[0].message
    );
    assert_eq!(line_col(source, d[0].primary.span.start).0, 8);
    // The consumer's placement is the related span.
    let related = &d[0].related[0];
    assert_eq!(
        &source[related.span.start..related.span.end],
        "datacenters = [dc-a]"
    );
}

#[test]
fn unmatched_traffic_gives_the_class_and_rate_lost() {
    // 500/s x 2 (peak), 20% static, reads 75% of the rest: at peak 200/s
    // static, 600/s read, 200/s write. Only static and read have a flow
    // from `users`: 200/s of writes are lost.
    let source = "client users\ntraffic { rate = 500/s  peak = 2x  static = 20%  reads = 75% }\n\
        storage media { engine = s3 }\ncdn assets { ttl = 1d  fallback = origin }\n\
        lb front { replicas = 2 }\nservice web { replicas = 6 }\ndatabase db { replicas = 1 }\n\
        users -> assets -> media [static]\nusers -> front -> web -> db [read]\n";
    let diags = check(source);
    let d = of(&diags, "unmatched-traffic");
    assert_eq!(d.len(), 1, "{diags:#?}");
    assert_eq!(d[0].component.as_deref(), Some("users"));
    assert!(
        d[0].message.contains("write (200.0/s at peak)"),
        "{}",
        d[0].message
    );
    assert_eq!(d[0].severity, archc::diagnostic::Severity::Error);
    // A cache loses only its misses: 90% hits of 600/s reads leave 60/s
    // that a cache with only a write flow cannot send on.
    let source = "client users\ntraffic { rate = 300/s  peak = 2x  reads = 100% }\n\
        lb front { replicas = 2 }\nservice web { replicas = 6 }\n\
        cache hot { replicas = 2  ttl = 1m  hit_ratio = 90% }\ndatabase db { replicas = 1 }\n\
        users -> front -> web -> hot\nhot -> db [write]\n";
    let diags = check(source);
    let d = of(&diags, "unmatched-traffic");
    assert_eq!(d.len(), 1, "{diags:#?}");
    assert_eq!(d[0].component.as_deref(), Some("hot"));
    assert!(
        d[0].message.contains("read (60.0/s at peak)"),
        "{}",
        d[0].message
    );
}
