//! Edges: load balancers (HAProxy) and CDN edges (a caching nginx).

use super::{Builder, Endpoint};
use crate::backends::Job;
use crate::backends::engines::{SERVICE_PORT, images};
use crate::backends::view;
use crate::backends::view::ComponentView;
use serde::Serialize;

impl Builder<'_> {
    pub(super) fn lb(&mut self, c: &ComponentView, copy: &view::CopyView) -> Option<Endpoint> {
        let lb = c.lb.clone()?;
        let mut backends = Vec::new();
        let mut svc = self.base_service(c.label.clone(), Self::image(c, images::HAPROXY));
        svc.comments.push(format!(
            "lb `{}`: HAProxy, {} ({})",
            c.name,
            lb.algorithm,
            if lb.sticky { "sticky" } else { "not sticky" }
        ));
        for k in &c.calls {
            let callee = self.comp(k.to).clone();
            match &self.endpoints[k.to] {
                Some(ep) => match ep.http.clone() {
                    Some((host, port, _)) => {
                        let timeout = callee.service.as_ref().map_or(30.0, |s| s.timeout_s);
                        backends.push(HaproxyBackend {
                            name: callee.label.clone(),
                            host,
                            port,
                            slots: callee.max_instances.max(1),
                            timeout_server_ms: (timeout * 1000.0).round() as u64,
                        });
                        self.wire_deps(k.to, &mut svc);
                    }
                    None => self.unsupported(
                        c,
                        format!(
                            "balances {} `{}`, which does not speak HTTP; the compose backend balances HTTP only",
                            callee.kind, callee.name
                        ),
                    ),
                },
                None => svc.comments.push(self.not_wired(k.to)),
            }
        }
        if backends.is_empty() {
            self.note(format!(
                "lb `{}`: nothing to balance in this datacenter; not mapped",
                c.name
            ));
            return None;
        }
        svc.replicas = Some(copy.instances);
        svc.replicas_comment = Some(format!(
            "{}; each replica is a separate HAProxy on its own host port",
            copy.figure
        ));
        if c.exposed {
            svc.ports
                .extend(self.host_ports(c, copy.instances, SERVICE_PORT));
            svc.networks = vec!["public", "internal"];
        }
        let file = format!("haproxy/{}.cfg", c.label);
        self.mount(
            &mut svc,
            format!("{}-haproxy", c.label),
            &file,
            "/usr/local/etc/haproxy/haproxy.cfg",
        );
        let balance = match lb.algorithm {
            "least-connections" => "leastconn",
            "ip-hash" => "source",
            _ => "roundrobin",
        };
        let cfg = Haproxy {
            component: c.name.clone(),
            listen_port: SERVICE_PORT,
            metrics_port: 8405,
            balance,
            sticky: lb.sticky,
            check_interval_ms: (lb.health_interval_s * 1000.0).round() as u64,
            default_backend: backends[0].name.clone(),
            extra_backends: backends.len() > 1,
            backends,
        };
        self.jobs.push(Job::new(
            format!("{}{file}", self.dir),
            "haproxy.cfg.j2",
            &cfg,
        ));
        self.push(svc);
        Some(Self::http_endpoint(c))
    }

    pub(super) fn cdn(&mut self, c: &ComponentView) -> Option<Endpoint> {
        let cdn = c.cdn.clone()?;
        let origin = c.calls.iter().find_map(|k| {
            self.endpoints[k.to]
                .as_ref()
                .and_then(|e| e.http.clone())
                .map(|h| (k.to, h))
        });
        let Some((origin_id, (host, port, path))) = origin else {
            self.note(format!(
                "cdn `{}`: its origin has no copy in this datacenter; not mapped",
                c.name
            ));
            return None;
        };
        let origin_name = self.comp(origin_id).name.clone();
        let mut svc = self.base_service(c.label.clone(), Self::image(c, images::NGINX));
        svc.comments.push(format!(
            "cdn `{}`: a caching nginx in front of `{origin_name}`; the real CDN is global",
            c.name
        ));
        if c.exposed {
            svc.ports.extend(self.host_ports(c, 1, SERVICE_PORT));
            svc.networks = vec!["public", "internal"];
        }
        let file = format!("nginx/{}.conf", c.label);
        self.mount(
            &mut svc,
            format!("{}-nginx", c.label),
            &file,
            "/etc/nginx/conf.d/default.conf",
        );
        self.wire_deps(origin_id, &mut svc);
        let cfg = NginxCdn {
            component: c.name.clone(),
            zone: c.snake.clone(),
            listen_port: SERVICE_PORT,
            ttl_s: cdn.ttl_s.map(|t| t.round() as u64),
            hit_ratio: view::percent(cdn.hit_ratio),
            invalidation: cdn.invalidation,
            fallback: cdn.fallback,
            origin: origin_name,
            origin_host: host.clone(),
            origin_url: format!("http://{host}:{port}{path}"),
            origin_host_header: format!("{host}:{port}"),
        };
        self.jobs.push(Job::new(
            format!("{}{file}", self.dir),
            "nginx-cdn.conf.j2",
            &cfg,
        ));
        self.push(svc);
        Some(Self::http_endpoint(c))
    }
}

#[derive(Serialize)]
struct Haproxy {
    component: String,
    listen_port: u16,
    metrics_port: u16,
    balance: &'static str,
    sticky: bool,
    check_interval_ms: u64,
    default_backend: String,
    extra_backends: bool,
    backends: Vec<HaproxyBackend>,
}

#[derive(Serialize)]
struct HaproxyBackend {
    name: String,
    host: String,
    port: u16,
    slots: u32,
    timeout_server_ms: u64,
}

#[derive(Serialize)]
struct NginxCdn {
    component: String,
    zone: String,
    listen_port: u16,
    ttl_s: Option<u64>,
    hit_ratio: String,
    invalidation: &'static str,
    fallback: &'static str,
    origin: String,
    origin_host: String,
    origin_url: String,
    origin_host_header: String,
}
