//! `compute.tf`: load balancers, target groups, IAM roles, launch templates
//! and autoscaling groups of the design's services.

use super::*;

#[derive(Clone, Debug, Serialize)]
pub struct Alb {
    /// Design order: the component it belongs to.
    #[serde(skip)]
    pub order: usize,
    pub id: String,
    pub dc: usize,
    pub name: String,
    pub internal: bool,
    /// The listener: HTTPS on 443 with the datacenter's certificate when
    /// internet-facing; HTTP on 80, reached only from the callers' groups,
    /// when internal.
    pub port: u16,
    pub cert_var: Option<String>,
    pub sg: String,
    pub comment: String,
    /// Target group the listener forwards to.
    pub target_group: String,
    /// Further services behind the balancer, each reached by the request
    /// methods of its classes (reads `GET`, writes `POST` …).
    pub rules: Vec<ListenerRule>,
}

/// An `aws_lb_listener_rule`: requests with one of `methods` go to
/// `target_group`.
#[derive(Clone, Debug, Serialize)]
pub struct ListenerRule {
    pub id: String,
    pub priority: u32,
    pub target_group: String,
    pub methods: Vec<&'static str>,
    pub comment: String,
}

/// The HTTP methods of a set of request classes, when the classes say:
/// reads are `GET`, `HEAD` and `OPTIONS`, writes the methods that change
/// state; `None` for static requests (also `GET`) or no class.
fn methods_of(classes: &[&str]) -> Option<Vec<&'static str>> {
    let mut m = Vec::new();
    for c in classes {
        match *c {
            "read" => m.extend(["GET", "HEAD", "OPTIONS"]),
            "write" => m.extend(["POST", "PUT", "PATCH", "DELETE"]),
            _ => return None,
        }
    }
    (!m.is_empty()).then_some(m)
}

#[derive(Clone, Debug, Serialize)]
pub struct TargetGroup {
    /// Design order: the component it belongs to.
    #[serde(skip)]
    pub order: usize,
    pub id: String,
    pub dc: usize,
    pub name: String,
    pub algorithm: &'static str,
    pub sticky: bool,
    pub health_interval: u32,
    pub comment: Option<String>,
    /// Whether an internal balancer forwards to it (set once every
    /// balancer exists, in `Builder::build`).
    pub behind_internal: bool,
    /// Whether an internet-facing balancer reaches it through a listener
    /// rule (set with `behind_internal`).
    pub behind_rule: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct TfService {
    pub id: String,
    pub dc: usize,
    pub component: String,
    /// `photo-share-web-us-east`, for tags; with a `-`, the prefix of the
    /// launch template and group names.
    pub name: String,
    pub sg: String,
    pub role: String,
    pub image_var: String,
    pub instance_var: String,
    pub arch: &'static str,
    pub min: u32,
    pub max: u32,
    pub desired: u32,
    pub figure: String,
    pub autoscale: bool,
    pub target_groups: Vec<String>,
    /// Target tracking on requests per target, when the service sits
    /// behind a load balancer: (ALB id, target group id, value).
    pub scaling: Option<Scaling>,
    pub env: Vec<EnvVar>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Scaling {
    pub alb: String,
    pub target_group: String,
    /// Requests per target per minute.
    pub target_value: u64,
    pub comment: String,
}

/// A variable of the service's environment: a literal, or the value of a
/// Terraform expression.
#[derive(Clone, Debug, Serialize)]
pub struct EnvVar {
    pub name: Arc<str>,
    pub literal: Option<Arc<str>>,
    pub expr: Option<Arc<str>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Role {
    /// Design order: the component it belongs to.
    #[serde(skip)]
    pub order: usize,
    pub id: String,
    pub component: String,
    pub name_prefix: String,
    pub statements: Vec<Statement>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Statement {
    pub sid: String,
    pub actions: Vec<&'static str>,
    /// Terraform expressions.
    pub resources: Vec<String>,
}

/// Whether an instance type runs on arm64 (Graviton: `m7g`, `c6gn`, …).
pub(super) fn is_arm(instance: &str) -> bool {
    let family = instance
        .trim_start_matches("db.")
        .trim_start_matches("cache.");
    let family = family.split('.').next().unwrap_or("");
    match family.find(|c: char| c.is_ascii_digit()) {
        Some(i) => family[i + 1..].contains('g'),
        None => false,
    }
}

impl Builder<'_> {
    pub(super) fn push_alb(&mut self, alb: Alb) {
        let at = self.tf.albs.len();
        for tg in
            std::iter::once(&alb.target_group).chain(alb.rules.iter().map(|r| &r.target_group))
        {
            self.albs_of_tg.entry(tg.clone()).or_default().push(at);
        }
        self.tf.albs.push(alb);
    }

    /// Decides which load balancer fronts each service copy and creates
    /// the target groups, so balancers and callers can refer to them.
    pub(super) fn service_front(&mut self, c: &ComponentView) {
        let lb_callers: Vec<usize> = c
            .callers
            .iter()
            .copied()
            .filter(|&i| self.view.components[i].kind == "lb")
            .collect();
        let other_callers = c
            .callers
            .iter()
            .any(|&i| self.view.components[i].kind != "lb");
        for copy in c.copies.clone() {
            let Some(dc) = copy.dc else { continue };
            let mut tgs = Vec::new();
            for &l in &lb_callers {
                let lb = self.view.components[l].clone();
                if lb.copy_in(dc).is_none() {
                    continue;
                }
                let tg = self.target_group(c, dc, Some(&lb));
                self.tgs.insert((c.index, dc, Some(l)), tg.clone());
                tgs.push((Some(l), tg));
            }
            if other_callers && tgs.is_empty() {
                // No balancer in the design: the service gets its own, so
                // callers have one address for every instance.
                let tg = self.target_group(c, dc, None);
                self.tgs.insert((c.index, dc, None), tg.clone());
                let alb = self.base(c.index, Some(dc));
                self.albs.insert((c.index, dc), alb.clone());
                let sg = format!("{alb}_alb");
                let internal = !c.exposed;
                self.tf.security_groups.push(SecurityGroup {
                    order: c.index,
                    id: sg.clone(),
                    dc,
                    name_prefix: format!("{}-", self.aws_name(&[&c.label, "alb"], dc, 200)),
                    description: aws_text(&format!("load balancer of service {}", c.name)),
                });
                self.push_alb(Alb {
                    order: c.index,
                    id: alb.clone(),
                    dc,
                    name: self.aws_name(&[&c.label], dc, 32),
                    internal,
                    port: listener_port(internal),
                    cert_var: (!internal).then(|| self.dc(dc).cert_var.clone()),
                    sg: sg.clone(),
                    comment: format!(
                        "no lb in front of `{}` in the design: {} load balancer of its own",
                        c.name,
                        if internal {
                            "an internal"
                        } else {
                            "an internet-facing"
                        }
                    ),
                    target_group: tg.clone(),
                    rules: Vec::new(),
                });
                tgs.push((None, tg));
                if let Some(svc_sg) = self.sg_of(c, dc) {
                    self.allow(
                        dc,
                        &sg,
                        &format!("{} load balancer", c.name),
                        &svc_sg,
                        &c.name,
                        SERVICE_PORT,
                    );
                }
                if !internal {
                    self.open(
                        dc,
                        Direction::Ingress,
                        &sg,
                        443,
                        format!("internet to {} over HTTPS", c.name),
                    );
                }
                self.endpoints[c.index][dc] = Some(Endpoint {
                    sg: Some((sg, listener_port(internal))),
                    env: vec![expr(format!("{}_URL", c.env), alb_url(&alb, internal))],
                    iam: Vec::new(),
                });
            }
            let _ = tgs;
        }
    }

    pub(super) fn target_group(
        &mut self,
        c: &ComponentView,
        dc: usize,
        lb: Option<&ComponentView>,
    ) -> String {
        let dcs = self.dc(dc).snake.clone();
        let id = match lb {
            Some(l) => self.tg_ids.name(&format!("{}_{}_{dcs}", l.snake, c.snake)),
            None => self.tg_ids.name(&format!("{}_{dcs}", c.snake)),
        };
        let lbv = lb.and_then(|l| l.lb.clone());
        let (algorithm, sticky, interval, comment) = match &lbv {
            Some(l) => (
                if l.algorithm == "least-connections" {
                    "least_outstanding_requests"
                } else {
                    "round_robin"
                },
                l.sticky || l.algorithm == "ip-hash",
                (l.health_interval_s.round() as u32).clamp(5, 300),
                (l.algorithm == "ip-hash").then(|| {
                    "algorithm ip-hash: an ALB cannot hash client addresses; a stickiness cookie keeps clients on one instance".to_string()
                }),
            ),
            None => ("round_robin", false, 10, None),
        };
        let name = match lb {
            Some(l) => self.aws_name(&[&l.label, &c.label], dc, 32),
            None => self.aws_name(&[&c.label], dc, 32),
        };
        self.tf.target_groups.push(TargetGroup {
            order: c.index,
            id: id.clone(),
            dc,
            name,
            algorithm,
            sticky,
            health_interval: interval,
            comment,
            behind_internal: false,
            behind_rule: false,
        });
        id
    }

    pub(super) fn lb(&mut self, c: &ComponentView) {
        for copy in c.copies.clone() {
            let Some(dc) = copy.dc else { continue };
            let Some(sg) = self.sg_of(c, dc) else {
                continue;
            };
            // The first service this balancer calls gets its listener.
            let target = c
                .calls
                .iter()
                .find(|k| self.view.components[k.to].kind == "service");
            let Some(target) = target else {
                self.note(format!(
                    "lb `{}`: balances no service; an ALB needs a service behind it, not mapped",
                    c.name
                ));
                continue;
            };
            let svc = self.view.components[target.to].clone();
            let Some(tg_id) = self.tgs.get(&(svc.index, dc, Some(c.index))).cloned() else {
                continue;
            };
            let alb = self.base(c.index, Some(dc));
            // Further services: when each takes request classes of its own
            // (reads to one, writes to another), a listener rule per
            // service routes by method; otherwise the ALB cannot tell their
            // requests apart and only the first is mapped.
            let mut rules = Vec::new();
            let others: Vec<&crate::backends::view::CallView> =
                c.calls.iter().filter(|k| k.to != target.to).collect();
            let split = methods_of(&target.classes).is_some()
                && others.iter().all(|k| {
                    methods_of(&k.classes).is_some()
                        && !k.classes.iter().any(|x| target.classes.contains(x))
                        && others
                            .iter()
                            .filter(|o| o.to != k.to)
                            .all(|o| !o.classes.iter().any(|x| k.classes.contains(x)))
                });
            for k in &others {
                let callee = self.view.components[k.to].clone();
                let tg = self.tgs.get(&(callee.index, dc, Some(c.index))).cloned();
                match (split, tg, methods_of(&k.classes)) {
                    (true, Some(tg), Some(methods)) if callee.kind == "service" => {
                        if let Some(svc_sg) = self.sg_of(&callee, dc) {
                            self.allow(dc, &sg, &c.name, &svc_sg, &callee.name, SERVICE_PORT);
                        }
                        rules.push(ListenerRule {
                            id: format!("{alb}_{}", callee.snake),
                            priority: 100 + rules.len() as u32,
                            target_group: tg,
                            methods,
                            comment: format!(
                                "{} requests of lb `{}` go to `{}`",
                                k.classes.join(" and "),
                                c.name,
                                callee.name
                            ),
                        });
                    }
                    _ => self.note(format!(
                        "lb `{}` also calls `{}` with classes the first service `{}` shares: only `{}` gets the listener",
                        c.name, callee.name, svc.name, svc.name
                    )),
                }
            }
            self.albs.insert((c.index, dc), alb.clone());
            let internal = !c.exposed;
            let mut comment = format!(
                "lb `{}`: an ALB spans two zones and scales itself ({})",
                c.name, copy.figure
            );
            if c.replicas > 1 {
                comment.push_str(&format!("; replicas = {} needs no mapping", c.replicas));
            }
            self.push_alb(Alb {
                order: c.index,
                id: alb.clone(),
                dc,
                name: self.aws_name(&[&c.label], dc, 32),
                internal,
                port: listener_port(internal),
                cert_var: (!internal).then(|| self.dc(dc).cert_var.clone()),
                sg: sg.clone(),
                comment,
                target_group: tg_id,
                rules,
            });
            if !internal {
                self.open(
                    dc,
                    Direction::Ingress,
                    &sg,
                    443,
                    format!("internet to {} over HTTPS", c.name),
                );
            }
            if let Some(svc_sg) = self.sg_of(&svc, dc) {
                self.allow(dc, &sg, &c.name, &svc_sg, &svc.name, SERVICE_PORT);
            }
            self.endpoints[c.index][dc] = Some(Endpoint {
                sg: Some((sg.clone(), listener_port(internal))),
                env: vec![expr(format!("{}_URL", c.env), alb_url(&alb, internal))],
                iam: Vec::new(),
            });
            // Callers of the service reach it through this balancer.
            if self.endpoints[svc.index][dc].is_none() {
                self.endpoints[svc.index][dc] = Some(Endpoint {
                    sg: Some((sg, listener_port(internal))),
                    env: vec![expr(format!("{}_URL", svc.env), alb_url(&alb, internal))],
                    iam: Vec::new(),
                });
            }
        }
    }

    pub(super) fn service(&mut self, c: &ComponentView) {
        let image_var = format!("{}_image", c.snake);
        let instance_var = format!("{}_instance_type", c.snake);
        self.variable(Variable {
            rank: (9, 0),
            name: image_var.clone(),
            description: format!("container image of service `{}`", c.name),
            kind: "string",
            default_literal: None,
            default_string: Some(
                c.image
                    .clone()
                    .unwrap_or_else(|| engines::images::SERVICE.to_string()),
            ),
            sensitive: false,
        });
        let instance = c
            .instance
            .clone()
            .unwrap_or_else(|| "t3.medium".to_string());
        let arch = if is_arm(&instance) { "arm64" } else { "x86_64" };
        self.variable(Variable {
            rank: (9, 0),
            name: instance_var.clone(),
            description: format!(
                "EC2 instance type of service `{}` ({} AMI; keep the architecture)",
                c.name, arch
            ),
            kind: "string",
            default_literal: None,
            default_string: Some(instance),
            sensitive: false,
        });
        let role = self.base(c.index, None);
        let mut statements: Vec<Statement> = Vec::new();
        let callees: Vec<(usize, bool, bool, bool)> = {
            let mut v: Vec<(usize, bool, bool, bool)> = c
                .calls
                .iter()
                .chain(&c.through_caches)
                .map(|k| (k.to, k.reads, k.writes, false))
                .collect();
            if let Some(s) = &c.service {
                if let Some(q) = s.consumes {
                    v.push((q, false, false, true));
                }
                if let Some(store) = s.session_store
                    && !v.iter().any(|x| x.0 == store)
                {
                    v.push((store, true, true, false));
                }
            }
            v
        };
        for copy in c.copies.clone() {
            let Some(dc) = copy.dc else { continue };
            let dcv = self.dc(dc).clone();
            let id = self.base(c.index, Some(dc));
            let Some(sg) = self.sg_of(c, dc) else {
                continue;
            };
            let mut env = vec![
                lit("PORT", SERVICE_PORT.to_string()),
                expr("AWS_REGION", format!("var.{}", dcv.region_var)),
            ];
            if let Some(s) = &c.service {
                env.push(lit(
                    "REQUEST_TIMEOUT_MS",
                    format!("{}", (s.timeout_s * 1000.0).round()),
                ));
                if let Some(store) = s.session_store {
                    env.push(lit(
                        "SESSION_STORE",
                        self.view.components[store].env.clone(),
                    ));
                }
                if let Some(q) = s.consumes {
                    env.push(lit("CONSUMES", self.view.components[q].env.clone()));
                }
            }
            for &(to, reads, writes, consumes) in &callees {
                let callee = self.view.components[to].clone();
                let ep = if callee.global {
                    None
                } else {
                    self.endpoints[to][dc].clone()
                };
                let Some(ep) = ep else {
                    if !matches!(callee.kind, "client" | "dns" | "cdn") {
                        self.note(format!(
                            "`{}` in {} calls `{}`, which has no copy there: cross-datacenter calls are not mapped",
                            c.name, dcv.dc_name, callee.name
                        ));
                    }
                    continue;
                };
                if let Some((to_sg, port)) = &ep.sg {
                    self.allow(dc, &sg, &c.name, to_sg, &callee.name, *port);
                }
                for e in &ep.env {
                    if !env.iter().any(|x| x.name == e.name) {
                        env.push(e.clone());
                    }
                }
                for g in &ep.iam {
                    let mut actions: Vec<&'static str> = Vec::new();
                    if callee.kind == "queue" {
                        // Consumers read the queue; callers write into it.
                        if consumes {
                            actions.extend(&g.read);
                        }
                        if reads || writes {
                            actions.extend(&g.write);
                        }
                    } else if matches!(g.sid, "ReadSecret" | "Connect") {
                        // Credentials: needed for any use at all.
                        actions.extend(&g.read);
                    } else {
                        if reads {
                            actions.extend(&g.read);
                        }
                        if writes {
                            actions.extend(&g.write);
                        }
                    }
                    let resources = &g.resources;
                    let mut seen = std::collections::BTreeSet::new();
                    actions.retain(|a| seen.insert(*a));
                    if actions.is_empty() {
                        continue;
                    }
                    // IAM statement ids are letters and digits only.
                    let sid = format!("{}{}", camel(&callee.label), g.sid);
                    match statements.iter_mut().find(|s| s.sid == sid) {
                        Some(s) => {
                            for r in resources {
                                if !s.resources.contains(r) {
                                    s.resources.push(r.clone());
                                }
                            }
                        }
                        None => statements.push(Statement {
                            sid,
                            actions,
                            resources: resources.clone(),
                        }),
                    }
                }
            }
            // Images, AWS APIs and managed services are reached over HTTPS.
            self.open(
                dc,
                Direction::Egress,
                &sg,
                443,
                format!("{} to HTTPS (AWS APIs, image registry)", c.name),
            );
            let tgs: Vec<String> = self
                .tgs
                .range((c.index, dc, None)..=(c.index, dc, Some(usize::MAX)))
                .map(|(_, id)| id.clone())
                .collect();
            // Each balancer in front of this copy, with the copy's own
            // target group there (a listener rule's, not the listener's
            // default, when the balancer routes by method).
            let mut at: Vec<(usize, &String)> = tgs
                .iter()
                .filter_map(|tg| Some((self.albs_of_tg.get(tg)?, tg)))
                .flat_map(|(albs, tg)| albs.iter().map(move |&i| (i, tg)))
                .collect();
            at.sort_unstable();
            at.dedup_by_key(|(i, _)| *i);
            let albs: Vec<(String, String)> = at
                .iter()
                .map(|&(i, tg)| (self.tf.albs[i].id.clone(), tg.clone()))
                .collect();
            let (min, max) = match c.autoscale {
                Some([lo, hi]) => (lo, hi),
                None => (c.replicas, c.replicas),
            };
            let scaling = match (c.autoscale, c.capacity_rps, albs.first()) {
                (Some(_), Some(cap), Some((alb, tg))) => {
                    let per_minute = (cap * self.view.target_utilization * 60.0).round() as u64;
                    Some(Scaling {
                        alb: alb.clone(),
                        target_group: tg.clone(),
                        target_value: per_minute.max(1),
                        comment: format!(
                            "{} per instance x {} target utilisation x 60 s",
                            view::rate(cap),
                            view::percent(self.view.target_utilization)
                        ),
                    })
                }
                _ => None,
            };
            if c.autoscale.is_some() && scaling.is_none() {
                self.note(format!(
                    "service `{}`: autoscale without a load balancer in front; the group keeps its desired count",
                    c.name
                ));
            }
            // Kept until the build ends: no spare capacity.
            env.shrink_to_fit();
            self.tf.services.push(TfService {
                id: id.clone(),
                dc,
                component: c.name.clone(),
                name: self.aws_name(&[&c.label], dc, 200),
                sg: sg.clone(),
                role: role.clone(),
                image_var: image_var.clone(),
                instance_var: instance_var.clone(),
                arch,
                min,
                max,
                desired: copy.instances.clamp(min, max),
                figure: copy.figure.clone(),
                autoscale: c.autoscale.is_some(),
                target_groups: tgs,
                scaling,
                env,
            });
        }
        self.tf.roles.push(Role {
            order: c.index,
            id: role,
            component: c.name.clone(),
            name_prefix: format!(
                "{}-",
                resource_name(&[&self.view.system_label, &c.label], 30)
            ),
            statements,
        });
    }
}

/// The port a balancer listens on: 443 (HTTPS) at the internet, 80 (HTTP)
/// inside the VPC, where no certificate can name the balancer's address.
pub(super) fn listener_port(internal: bool) -> u16 {
    if internal { 80 } else { 443 }
}

/// The address callers use for a balancer, as a Terraform expression.
pub(super) fn alb_url(alb: &str, internal: bool) -> String {
    let scheme = if internal { "http" } else { "https" };
    format!("format(\"{scheme}://%s\", aws_lb.{alb}.dns_name)")
}
