//! The model's own vocabulary for the §9 shard layout and §10
//! expectations: the estimator and the simulator compute with these types,
//! and nothing here depends on either.

/// How keys map to the K hashed shards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sharding {
    /// `XXH64(key) mod K`.
    Hash,
    /// A ring of `K × 100` virtual nodes.
    Consistent,
    /// K equal ranges of ranks.
    Range,
}

/// The popularity of keys `"1"`, `"2"`, … by rank.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyDist {
    /// Every key equally likely.
    Uniform,
    /// `P(rank r) ∝ 1 / r^s`.
    Zipf(f64),
}

/// What §9 needs from a `database` block.
#[derive(Clone, Debug, PartialEq)]
pub struct ShardSpec {
    /// K, the number of hashed shards (0 is read as 1).
    pub shards: u32,
    /// How keys map to the hashed shards.
    pub sharding: Sharding,
    /// The distribution of the keys named by rank.
    pub keys: KeyDist,
    /// How many keys the distribution has (0 is read as 1).
    pub key_count: u64,
    /// Explicit key → share of the database's requests.
    pub hot_keys: Vec<(String, f64)>,
    /// Keys that get a shard each, numbered after the K hashed ones.
    pub dedicated: Vec<String>,
}

/// How an expectation compares what was measured with its bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    Lt,
    Le,
    Gt,
    Ge,
}

impl Comparison {
    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::Lt => "<",
            Comparison::Le => "<=",
            Comparison::Gt => ">",
            Comparison::Ge => ">=",
        }
    }

    /// Whether `measured OP bound` holds.
    pub fn holds(self, measured: f64, bound: f64) -> bool {
        match self {
            Comparison::Lt => measured < bound,
            Comparison::Le => measured <= bound,
            Comparison::Gt => measured > bound,
            Comparison::Ge => measured >= bound,
        }
    }
}

impl From<crate::syntax::ast::Comparison> for Comparison {
    fn from(op: crate::syntax::ast::Comparison) -> Self {
        use crate::syntax::ast::Comparison as Ast;
        match op {
            Ast::Lt => Comparison::Lt,
            Ast::Le => Comparison::Le,
            Ast::Gt => Comparison::Gt,
            Ast::Ge => Comparison::Ge,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Comparison;

    #[test]
    fn comparisons_hold_at_their_edges() {
        assert!(Comparison::Lt.holds(1.0, 2.0));
        assert!(!Comparison::Lt.holds(2.0, 2.0));
        assert!(Comparison::Le.holds(2.0, 2.0));
        assert!(Comparison::Gt.holds(3.0, 2.0));
        assert!(!Comparison::Gt.holds(2.0, 2.0));
        assert!(Comparison::Ge.holds(2.0, 2.0));
    }
}
