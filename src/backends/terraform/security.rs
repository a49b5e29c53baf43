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

/// One rule of a group, the largest table of `security.tf` (about seven
/// rules per copy). Its strings are shared (`Arc`): the group names with
/// every rule of the group, the description with the rule of the other
/// direction, the id with the namer's record of it; the rest is packed
/// (72 bytes).
#[derive(Clone, Debug, Serialize)]
pub struct Rule {
    pub id: Arc<str>,
    pub dc: u32,
    pub direction: Direction,
    pub sg: Arc<str>,
    /// The other side: a security group id, or (`cidr`) every address.
    pub peer_sg: Option<Arc<str>>,
    #[serde(rename = "cidr", serialize_with = "every_address")]
    pub open: bool,
    pub port: u16,
    pub description: Arc<str>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
}

/// An open rule's CIDR, `0.0.0.0/0`; none for a rule between groups.
fn every_address<S: serde::Serializer>(open: &bool, s: S) -> Result<S::Ok, S::Error> {
    open.then_some("0.0.0.0/0").serialize(s)
}

/// What makes two rules the same: (dc, direction, sg, peer, cidr, port),
/// packed into one number: the datacenter, the group's and the peer's
/// places in [`Builder`]'s `groups` (`u32::MAX` for none), the port, and
/// two flags (egress; open to every address). Sixteen bytes per rule
/// rather than eighty.
pub(super) type RuleKey = u128;

fn rule_key(
    dc: usize,
    direction: Direction,
    sg: u32,
    peer: Option<u32>,
    cidr: bool,
    port: u16,
) -> RuleKey {
    let flags = u128::from(direction == Direction::Egress) | (u128::from(cidr) << 1);
    (dc as u128 & 0xffff_ffff) << 96
        | u128::from(sg) << 64
        | u128::from(peer.unwrap_or(u32::MAX)) << 32
        | u128::from(port) << 16
        | flags
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

    /// The one shared copy of a group name, and its number.
    fn group(&mut self, sg: &str) -> (Arc<str>, u32) {
        if let Some((g, n)) = self.groups.get_key_value(sg) {
            return (Arc::clone(g), *n);
        }
        let g: Arc<str> = Arc::from(sg);
        let n = u32::try_from(self.groups.len()).unwrap_or(u32::MAX - 1);
        self.groups.insert(Arc::clone(&g), n);
        (g, n)
    }

    /// Adds a rule once, naming it after its ends (`key` from [`rule_key`]).
    fn push_rule(&mut self, key: RuleKey, mut r: Rule) {
        if !self.rule_keys.insert(key) {
            return;
        }
        let other = r.peer_sg.as_deref().unwrap_or("world");
        r.id = self.rule_ids.shared(&format!(
            "{}_{}_{other}_{}",
            r.sg,
            r.direction.as_str(),
            r.port
        ));
        self.tf.rules.push(r);
    }

    /// A rule between a group and every address.
    pub(super) fn open(
        &mut self,
        dc: usize,
        direction: Direction,
        sg: &str,
        port: u16,
        description: String,
    ) {
        let (sg, n) = self.group(sg);
        let key = rule_key(dc, direction, n, None, true, port);
        self.push_rule(
            key,
            Rule {
                id: Arc::from(""),
                dc: dc as u32,
                direction,
                sg,
                peer_sg: None,
                open: true,
                port,
                description: Arc::from(aws_text(&description)),
            },
        );
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
        let ((from_sg, from_n), (to_sg, to_n)) = (self.group(from_sg), self.group(to_sg));
        let key = rule_key(dc, Direction::Ingress, to_n, Some(from_n), false, port);
        self.push_rule(
            key,
            Rule {
                id: Arc::from(""),
                dc: dc as u32,
                direction: Direction::Ingress,
                sg: Arc::clone(&to_sg),
                peer_sg: Some(Arc::clone(&from_sg)),
                open: false,
                port,
                description: Arc::clone(&description),
            },
        );
        let key = rule_key(dc, Direction::Egress, from_n, Some(to_n), false, port);
        self.push_rule(
            key,
            Rule {
                id: Arc::from(""),
                dc: dc as u32,
                direction: Direction::Egress,
                sg: from_sg,
                peer_sg: Some(to_sg),
                open: false,
                port,
                description,
            },
        );
    }
}
