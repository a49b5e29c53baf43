//! Object storage: MinIO, standing in for S3 too.

use super::{
    Builder, COMPLETED, Dependency, Endpoint, HEALTHY, Script, engine_image, env, healthcheck,
};
use crate::backends::engines::{self, images};
use crate::backends::view::ComponentView;
use minijinja::Value;

impl Builder<'_> {
    pub(super) fn storage(&mut self, c: &ComponentView) -> Endpoint {
        let st = c.storage.clone();
        let engine = st.as_ref().map_or("s3", |s| s.engine.as_str()).to_string();
        let n = if c.managed { 1 } else { c.replicas.max(1) };
        // MinIO runs every store here, S3 included.
        let Some(minio) = engines::lookup("minio") else {
            self.unsupported(c, "the engine catalogue has no minio".to_string());
            return Endpoint::default();
        };
        let user = self.secret(
            format!("{}_ACCESS_KEY", c.env),
            format!(
                "access key (user name, 3+ characters) of the `{}` MinIO",
                c.name
            ),
        );
        let password = self.secret(
            format!("{}_SECRET_KEY", c.env),
            format!("secret key (8+ characters) of the `{}` MinIO", c.name),
        );
        if let Some(s) = &st
            && s.cross_dc != "none"
        {
            self.note(format!(
                "storage `{}`: cross_dc = {} is not mapped; each datacenter's project has its own bucket",
                c.name, s.cross_dc
            ));
        }
        let names: Vec<String> = (1..=n)
            .map(|i| {
                if n == 1 {
                    c.label.clone()
                } else {
                    format!("{}-{i}", c.label)
                }
            })
            .collect();
        // Erasure coding needs four drives: spread them over the nodes.
        let drives = if n == 1 { 1 } else { 4_u32.div_ceil(n).max(2) };
        for (i, name) in names.iter().enumerate() {
            let mut svc = self.base_service(name.clone(), engine_image(c, minio));
            svc.stateful = true;
            svc.hostname = Some(name.clone());
            if i == 0 {
                svc.comments.push(if engine == "s3" {
                    format!(
                        "storage `{}`: S3 in the design; MinIO stands in for it here",
                        c.name
                    )
                } else {
                    format!("storage `{}`: MinIO, {n} node(s)", c.name)
                });
            }
            svc.environment
                .push(env("MINIO_ROOT_USER".into(), user.clone()));
            svc.environment
                .push(env("MINIO_ROOT_PASSWORD".into(), password.clone()));
            svc.environment
                .push(env("MINIO_PROMETHEUS_AUTH_TYPE".into(), "public"));
            let mut cmd = vec!["server".to_string()];
            if n == 1 {
                cmd.push(minio.data_path.into());
                let vol = self.volume(format!("{name}-data"));
                svc.volumes.push(format!("{vol}:{}", minio.data_path));
            } else {
                cmd.push(format!(
                    "http://{}-{{1...{n}}}{}{{1...{drives}}}",
                    c.label, minio.data_path
                ));
                for d in 1..=drives {
                    let vol = self.volume(format!("{name}-data{d}"));
                    svc.volumes.push(format!("{vol}:{}{d}", minio.data_path));
                }
            }
            cmd.push("--console-address".into());
            cmd.push(":9001".into());
            svc.command = Some(cmd);
            svc.healthcheck = healthcheck(&[&["CMD"], minio.health].concat(), "20s");
            if c.exposed {
                svc.ports.extend(self.host_ports(c, 1, minio.port));
                svc.networks = vec!["public", "internal"];
            }
            self.push(svc);
        }
        let bucket = c.label.clone();
        // A one-shot job creates the bucket the design names.
        let mut init = self.base_service(
            format!("{}-init", c.label),
            images::MINIO_CLIENT.to_string(),
        );
        // A cdn in front reads the bucket anonymously: the bucket is on the
        // internal network only, where the proxy is its one reader
        // without keys.
        let fronted = c
            .callers
            .iter()
            .any(|&i| self.view.components[i].kind == "cdn");
        init.comments.push(format!(
            "creates the `{bucket}` bucket once `{}` is up{}",
            c.name,
            if fronted {
                ", readable without keys by the cdn proxy in front of it"
            } else {
                ""
            }
        ));
        init.environment
            .push(env("MINIO_ROOT_USER".into(), user.clone()));
        init.environment
            .push(env("MINIO_ROOT_PASSWORD".into(), password.clone()));
        let (entrypoint, script) = Script::sh(
            "entrypoint",
            "minio-init.sh.j2",
            [
                (
                    "endpoint",
                    Value::from(format!("http://{}:{}", names[0], minio.port)),
                ),
                ("bucket", Value::from(bucket.clone())),
                ("public", Value::from(fronted)),
            ],
        );
        init.entrypoint = Some(entrypoint);
        init.script = Some(script);
        init.depends_on.push(Dependency {
            name: names[0].clone(),
            condition: "service_healthy",
        });
        init.restart = "no";
        self.push(init);
        let mut services: Vec<(String, &'static str)> =
            names.iter().map(|n| (n.clone(), HEALTHY)).collect();
        services.push((format!("{}-init", c.label), COMPLETED));
        Endpoint {
            services,
            env: vec![
                env(
                    format!("{}_ENDPOINT", c.env),
                    format!("http://{}:{}", names[0], minio.port),
                ),
                env(format!("{}_BUCKET", c.env), bucket.clone()),
                env(format!("{}_ACCESS_KEY", c.env), user),
                env(format!("{}_SECRET_KEY", c.env), password),
            ],
            http: Some((names[0].clone(), minio.port, format!("/{bucket}/"))),
        }
    }
}
