//! `security.tf`: one security group per component copy and one rule per
//! flow of the design, in both directions.

use super::*;

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

#[derive(Clone, Debug, Serialize)]
pub struct Rule {
    pub id: String,
    pub dc: usize,
    /// `ingress` or `egress`.
    pub direction: &'static str,
    pub sg: String,
    /// The other side: a security group id, or a CIDR.
    pub peer_sg: Option<String>,
    pub cidr: Option<String>,
    pub port: u16,
    pub description: String,
}

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

    /// Adds a rule once, naming it after its ends.
    pub(super) fn push_rule(&mut self, mut r: Rule) {
        let key = (
            r.dc,
            r.direction,
            r.sg.clone(),
            r.peer_sg.clone(),
            r.cidr.clone(),
            r.port,
        );
        if !self.rule_keys.insert(key) {
            return;
        }
        let other = r.peer_sg.clone().unwrap_or_else(|| "world".to_string());
        r.id = self
            .rule_ids
            .name(&format!("{}_{}_{other}_{}", r.sg, r.direction, r.port));
        r.description = aws_text(&r.description);
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
        self.push_rule(Rule {
            id: String::new(),
            dc,
            direction,
            sg: sg.to_string(),
            peer_sg: None,
            cidr: Some("0.0.0.0/0".to_string()),
            port,
            description,
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
        let description = format!("{from} to {to}");
        self.push_rule(Rule {
            id: String::new(),
            dc,
            direction: "ingress",
            sg: to_sg.to_string(),
            peer_sg: Some(from_sg.to_string()),
            cidr: None,
            port,
            description: description.clone(),
        });
        self.push_rule(Rule {
            id: String::new(),
            dc,
            direction: "egress",
            sg: from_sg.to_string(),
            peer_sg: Some(to_sg.to_string()),
            cidr: None,
            port,
            description,
        });
    }
}
