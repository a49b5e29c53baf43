//! `security.tf`: one security group per component copy and one rule per
//! flow of the design, in both directions.

use super::*;
use std::sync::Arc;

#[derive(Clone, Debug, Serialize)]
pub struct SecurityGroup {
    /// Design order: the component it belongs to.
    #[serde(skip)]
    pub order: usize,
    pub id: String,
    pub dc: usize,
    pub name_prefix: String,
    pub description: String,
}

/// One rule of a group. The group names and the description are shared
/// (`Arc`) with the group and with the rule of the other direction: a
/// design has about seven rules per copy, and their strings were the
/// largest part of `security.tf`'s memory.
#[derive(Clone, Debug, Serialize)]
pub struct Rule {
    pub id: String,
    pub dc: usize,
    /// `ingress` or `egress`.
    pub direction: &'static str,
    pub sg: Arc<str>,
    /// The other side: a security group id, or a CIDR.
    pub peer_sg: Option<Arc<str>>,
    pub cidr: Option<&'static str>,
    pub port: u16,
    pub description: Arc<str>,
}

/// What makes two rules the same: (dc, direction, sg, peer, cidr, port).
pub(super) type RuleKey = (
    usize,
    &'static str,
    Arc<str>,
    Option<Arc<str>>,
    Option<&'static str>,
    u16,
);

/// Text AWS accepts in security group and rule descriptions: letters,
/// digits, spaces and `._-:/()#,@[]+=&;{}!$*`; anything else is dropped.
pub(super) fn aws_text(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || " ._-:/()#,@[]+=&;{}!$*".contains(*c))
        .collect()
}

impl Builder<'_> {
    pub(super) fn sg_of(&self, c: &ComponentView, dc: usize) -> Option<String> {
        self.sgs.get(&(c.index, dc)).cloned()
    }

    /// The one shared copy of a group name.
    fn group(&mut self, sg: &str) -> Arc<str> {
        if let Some(g) = self.groups.get(sg) {
            return Arc::clone(g);
        }
        let g: Arc<str> = Arc::from(sg);
        self.groups.insert(Arc::clone(&g));
        g
    }

    /// Adds a rule once, naming it after its ends.
    fn push_rule(&mut self, mut r: Rule) {
        let key = (
            r.dc,
            r.direction,
            Arc::clone(&r.sg),
            r.peer_sg.clone(),
            r.cidr,
            r.port,
        );
        if !self.rule_keys.insert(key) {
            return;
        }
        let other = r.peer_sg.as_deref().unwrap_or("world");
        r.id = self
            .rule_ids
            .name(&format!("{}_{}_{other}_{}", r.sg, r.direction, r.port));
        self.tf.rules.push(r);
    }

    /// A rule between a group and every address.
    pub(super) fn open(
        &mut self,
        dc: usize,
        direction: &'static str,
        sg: &str,
        port: u16,
        description: String,
    ) {
        let sg = self.group(sg);
        self.push_rule(Rule {
            id: String::new(),
            dc,
            direction,
            sg,
            peer_sg: None,
            cidr: Some("0.0.0.0/0"),
            port,
            description: Arc::from(aws_text(&description)),
        });
    }

    /// Ingress into a callee's group from a caller's, and the matching
    /// egress out of the caller's.
    pub(super) fn allow(
        &mut self,
        dc: usize,
        from_sg: &str,
        from: &str,
        to_sg: &str,
        to: &str,
        port: u16,
    ) {
        let description: Arc<str> = Arc::from(aws_text(&format!("{from} to {to}")));
        let (from_sg, to_sg) = (self.group(from_sg), self.group(to_sg));
        self.push_rule(Rule {
            id: String::new(),
            dc,
            direction: "ingress",
            sg: Arc::clone(&to_sg),
            peer_sg: Some(Arc::clone(&from_sg)),
            cidr: None,
            port,
            description: Arc::clone(&description),
        });
        self.push_rule(Rule {
            id: String::new(),
            dc,
            direction: "egress",
            sg: from_sg,
            peer_sg: Some(to_sg),
            cidr: None,
            port,
            description,
        });
    }
}
