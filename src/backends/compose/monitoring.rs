//! Monitoring: Prometheus with alert rules, Alertmanager, Loki, Tempo, Grafana.

use super::{Builder, Dependency, HEALTHY, HOST_PORT_BASE, Job, env};
use crate::backends::engines::{SERVICE_PORT, images};
use crate::backends::view;
use crate::figures;
use crate::model::Kind;
use serde::Serialize;

impl Builder<'_> {
    pub(super) fn monitoring(&mut self) {
        let Some(m) = self.view.monitoring.clone() else {
            return;
        };
        let prometheus = m.metrics.as_deref() == Some("prometheus");
        let loki = m.logs.as_deref() == Some("loki");
        let tempo = m.tracing.as_deref() == Some("tempo");
        for (what, tool, mapped) in [
            ("metrics", &m.metrics, prometheus),
            ("logs", &m.logs, loki),
            ("tracing", &m.tracing, tempo),
        ] {
            if let (Some(t), false) = (tool, mapped) {
                self.note(format!(
                    "monitoring {what} = {t}: not mapped (the compose backend maps prometheus, loki and tempo)"
                ));
            }
        }
        let named_grafana = [&m.logs, &m.metrics, &m.tracing]
            .iter()
            .any(|t| t.as_deref() == Some("grafana"));
        let grafana = loki || tempo || named_grafana;
        let alerts = m.alerts && prometheus;
        if m.alerts && !prometheus {
            self.note(
                "monitoring alerts = true: not mapped without metrics = prometheus".to_string(),
            );
        }
        let dc_offset = self.port_base - u32::from(HOST_PORT_BASE);
        if prometheus {
            let mut jobs = vec![PromJob {
                name: "prometheus".into(),
                targets: vec!["localhost:9090".into()],
                dns_names: Vec::new(),
                port: 9090,
                path: "/metrics".into(),
            }];
            for c in &self.view.components {
                let Some(ep) = &self.endpoints[c.index] else {
                    continue;
                };
                let job = match Kind::parse(c.kind) {
                    Some(Kind::Lb) => Some((vec![c.label.clone()], Vec::new(), 8405, "/metrics")),
                    Some(Kind::Service) if c.image.is_some() => {
                        Some((vec![c.label.clone()], Vec::new(), SERVICE_PORT, "/metrics"))
                    }
                    Some(Kind::Queue)
                        if c.queue.as_ref().is_some_and(|q| q.engine == "rabbitmq") =>
                    {
                        Some((
                            Vec::new(),
                            ep.services
                                .iter()
                                .map(|(n, _)| format!("{n}:15692"))
                                .collect(),
                            15692,
                            "/metrics",
                        ))
                    }
                    Some(Kind::Storage) => Some((
                        Vec::new(),
                        ep.services
                            .iter()
                            .filter(|(_, condition)| *condition == HEALTHY)
                            .map(|(n, _)| format!("{n}:9000"))
                            .collect(),
                        9000,
                        "/minio/v2/metrics/cluster",
                    )),
                    _ => None,
                };
                if let Some((dns, targets, port, path)) = job {
                    jobs.push(PromJob {
                        name: c.label.clone(),
                        targets,
                        dns_names: dns,
                        port,
                        path: path.to_string(),
                    });
                }
            }
            let uncovered: Vec<String> = self
                .view
                .components
                .iter()
                .filter(|c| self.endpoints[c.index].is_some() && !c.managed)
                .filter(|c| {
                    matches!(c.kind, "database" | "cache")
                        || c.queue.as_ref().is_some_and(|q| q.engine != "rabbitmq")
                })
                .map(|c| format!("`{}`", c.name))
                .collect();
            if !uncovered.is_empty() {
                self.note(format!(
                    "metrics of {} need exporters, which are not generated",
                    uncovered.join(", ")
                ));
            }
            let mut svc = self.base_service("prometheus".into(), images::PROMETHEUS.into());
            svc.comments
                .push("monitoring: Prometheus scrapes what exposes metrics".into());
            self.mount(
                &mut svc,
                "prometheus-config".into(),
                "prometheus/prometheus.yml",
                "/etc/prometheus/prometheus.yml",
            );
            if alerts {
                self.mount(
                    &mut svc,
                    "prometheus-alerts".into(),
                    "prometheus/alerts.yml",
                    "/etc/prometheus/alerts.yml",
                );
            }
            let vol = self.volume("prometheus-data".into());
            svc.volumes.push(format!("{vol}:/prometheus"));
            svc.ports
                .push(format!("127.0.0.1:{}:9090", 9090 + dc_offset / 100));
            svc.networks = vec!["public", "internal"];
            self.push(svc);
            let rules = self.alert_rules();
            self.jobs.push(Job::new(
                format!("{}prometheus/prometheus.yml", self.dir),
                "prometheus.yml.j2",
                PromConfig {
                    jobs,
                    alerts,
                    datacenter: self.dc.map(|d| d.name.clone()),
                },
            ));
            if alerts {
                self.jobs.push(Job::new(
                    format!("{}prometheus/alerts.yml", self.dir),
                    "alerts.yml.j2",
                    rules,
                ));
                let mut am = self.base_service("alertmanager".into(), images::ALERTMANAGER.into());
                am.comments.push(
                    "alerts: Alertmanager; add a receiver (pager, e-mail) in alertmanager/alertmanager.yml"
                        .into(),
                );
                self.mount(
                    &mut am,
                    "alertmanager-config".into(),
                    "alertmanager/alertmanager.yml",
                    "/etc/alertmanager/alertmanager.yml",
                );
                self.push(am);
                self.jobs.push(Job::new(
                    format!("{}alertmanager/alertmanager.yml", self.dir),
                    "alertmanager.yml.j2",
                    (),
                ));
            }
        }
        if loki {
            let mut svc = self.base_service("loki".into(), images::LOKI.into());
            svc.comments.push(
                "logs: Loki; shipping container logs to it needs an agent (Alloy, Promtail), which is not generated"
                    .into(),
            );
            let vol = self.volume("loki-data".into());
            svc.volumes.push(format!("{vol}:/loki"));
            self.push(svc);
        }
        if tempo {
            let mut svc = self.base_service("tempo".into(), images::TEMPO.into());
            svc.comments
                .push("tracing: Tempo, receiving OTLP on 4317 (gRPC) and 4318 (HTTP)".into());
            svc.command = Some(vec!["-config.file=/etc/tempo/tempo.yaml".into()]);
            self.mount(
                &mut svc,
                "tempo-config".into(),
                "tempo/tempo.yaml",
                "/etc/tempo/tempo.yaml",
            );
            self.push(svc);
            self.jobs.push(Job::new(
                format!("{}tempo/tempo.yaml", self.dir),
                "tempo.yaml.j2",
                (),
            ));
        }
        if grafana {
            let password = self.secret(
                "GRAFANA_ADMIN_PASSWORD".into(),
                "password of Grafana's `admin` user".into(),
            );
            let mut svc = self.base_service("grafana".into(), images::GRAFANA.into());
            svc.comments
                .push("dashboards: Grafana, published on the loopback interface only".into());
            svc.environment
                .push(env("GF_SECURITY_ADMIN_PASSWORD".into(), password));
            self.mount(
                &mut svc,
                "grafana-datasources".into(),
                "grafana/datasources.yaml",
                "/etc/grafana/provisioning/datasources/archc.yaml",
            );
            let vol = self.volume("grafana-data".into());
            svc.volumes.push(format!("{vol}:/var/lib/grafana"));
            svc.ports
                .push(format!("127.0.0.1:{}:3000", 3000 + dc_offset / 100));
            svc.networks = vec!["public", "internal"];
            for (tool, on) in [("prometheus", prometheus), ("loki", loki), ("tempo", tempo)] {
                if on {
                    svc.depends_on.push(Dependency {
                        name: tool.into(),
                        condition: "service_started",
                    });
                }
            }
            self.push(svc);
            self.jobs.push(Job::new(
                format!("{}grafana/datasources.yaml", self.dir),
                "grafana-datasources.yaml.j2",
                GrafanaSources {
                    prometheus,
                    loki,
                    tempo,
                },
            ));
        }
    }

    /// Alerting rules with the design's own thresholds.
    fn alert_rules(&self) -> AlertRules {
        let slo = &self.view.slo;
        let mut rules = vec![AlertRule {
            name: "TargetDown".into(),
            comment: None,
            expr: "up == 0".into(),
            wait: "2m",
            summary: "{{ $labels.job }} target {{ $labels.instance }} is down".into(),
        }];
        let has_lb = self
            .view
            .components
            .iter()
            .any(|c| c.kind == "lb" && self.endpoints[c.index].is_some());
        if has_lb {
            rules.push(AlertRule {
                name: "BackendWithoutServers".into(),
                comment: None,
                expr: "haproxy_backend_active_servers == 0".into(),
                wait: "1m",
                summary: "HAProxy backend {{ $labels.proxy }} has no healthy server".into(),
            });
            if let Some(e) = slo.error_rate {
                rules.push(AlertRule {
                    name: "ErrorRateAboveSlo".into(),
                    comment: Some(format!("slo error_rate = {}", view::percent(e))),
                    expr: format!(
                        "sum by (proxy) (rate(haproxy_backend_http_responses_total{{code=\"5xx\"}}[5m])) / sum by (proxy) (rate(haproxy_backend_http_responses_total[5m])) > {e}"
                    ),
                    wait: "5m",
                    summary: "{{ $labels.proxy }} answers more errors than the SLO allows".into(),
                });
            }
            if let Some(l) = slo.latency_mean_s {
                rules.push(AlertRule {
                    name: "LatencyAboveSlo".into(),
                    comment: Some(format!(
                        "slo latency_mean = {}",
                        figures::duration(l, figures::Style::Written)
                    )),
                    expr: format!("haproxy_backend_response_time_average_seconds > {l}"),
                    wait: "5m",
                    summary: "{{ $labels.proxy }} responds slower than the SLO's mean".into(),
                });
            }
        }
        for c in &self.view.components {
            if self.endpoints[c.index].is_none() {
                continue;
            }
            let Some(q) = &c.queue else { continue };
            if q.engine != "rabbitmq" {
                continue;
            }
            if let Some(m) = q.max_backlog {
                // Warn at 80% of the backlog the design allows.
                let threshold = (m * 0.8).round();
                rules.push(AlertRule {
                    name: format!("{}BacklogHigh", camel(&c.label)),
                    comment: Some(format!(
                        "max_backlog of `{}` = {}; warns at 80%",
                        c.name,
                        figures::count(m, figures::Style::Written)
                    )),
                    expr: format!(
                        "sum(rabbitmq_queue_messages_ready{{job=\"{}\"}}) > {threshold:.0}",
                        c.label
                    ),
                    wait: "5m",
                    summary: format!("the `{}` backlog is near its max_backlog", c.name),
                });
            }
        }
        AlertRules { rules }
    }
}

/// `photo-jobs` → `PhotoJobs`, for alert names.
fn camel(label: &str) -> String {
    label
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

#[derive(Serialize)]
struct PromJob {
    name: String,
    targets: Vec<String>,
    dns_names: Vec<String>,
    port: u16,
    path: String,
}

#[derive(Serialize)]
struct PromConfig {
    jobs: Vec<PromJob>,
    alerts: bool,
    datacenter: Option<String>,
}

#[derive(Serialize)]
struct AlertRules {
    rules: Vec<AlertRule>,
}

#[derive(Serialize)]
struct AlertRule {
    name: String,
    comment: Option<String>,
    expr: String,
    wait: &'static str,
    summary: String,
}

#[derive(Serialize)]
struct GrafanaSources {
    prometheus: bool,
    loki: bool,
    tempo: bool,
}
