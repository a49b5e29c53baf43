//! Helpers for JSON written as it is produced: arrays whose elements are
//! made one at a time while serialising, so a report of 100,000
//! components never exists whole in memory.

use serde::{Serialize, Serializer};

/// A sequence produced lazily: `Lazy(|| iter)` serialises as a JSON array
/// of the iterator's items, calling the closure once per serialisation.
pub struct Lazy<F>(pub F);

impl<F, I, T> Serialize for Lazy<F>
where
    F: Fn() -> I,
    I: Iterator<Item = T>,
    T: Serialize,
{
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq((self.0)())
    }
}

#[cfg(test)]
mod tests {
    use super::Lazy;

    #[test]
    fn serialises_as_the_array_it_stands_for() {
        let lazy = Lazy(|| (1..=3).map(|i| i * 10));
        assert_eq!(serde_json::to_string(&lazy).expect("JSON"), "[10,20,30]");
        let empty = Lazy(std::iter::empty::<u8>);
        assert_eq!(serde_json::to_string(&empty).expect("JSON"), "[]");
    }
}
