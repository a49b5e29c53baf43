//! A list of resources the templates read one row at a time.
//!
//! A [`Rows`] is a `Vec` while the backend builds it; handed to the
//! template engine it becomes a sequence whose rows are converted into
//! template values only when a template reads them. Converting the whole
//! Terraform context up front held a second copy of every resource (about
//! 14 KB per component of the generated scale design, as much as the
//! resources themselves); row by row, one copy exists.

use minijinja::Value;
use minijinja::value::{Enumerator, Object, ObjectRepr};
use serde::{Serialize, Serializer};
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

/// A `Vec<T>` that serialises into a template value lazily (see the module
/// docs).
pub struct Rows<T>(Arc<Vec<T>>);

impl<T> Default for Rows<T> {
    fn default() -> Self {
        Rows(Arc::new(Vec::new()))
    }
}

impl<T> Clone for Rows<T> {
    fn clone(&self) -> Self {
        Rows(Arc::clone(&self.0))
    }
}

impl<T: fmt::Debug> fmt::Debug for Rows<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<T: Clone> Rows<T> {
    /// Adds a row. (An inherent method, unlike the `Vec`'s reached through
    /// `DerefMut`, lets the row's expression read the builder.)
    ///
    /// A full table grows by half rather than doubling: the large tables
    /// (security rules, alarms) are built up to the build's peak, and a
    /// doubled buffer is on average a third empty.
    pub fn push(&mut self, row: T) {
        let rows = Arc::make_mut(&mut self.0);
        if rows.len() == rows.capacity() {
            rows.reserve_exact(rows.len() / 2 + 4);
        }
        rows.push(row);
    }
}

impl<T> Deref for Rows<T> {
    type Target = Vec<T>;
    fn deref(&self) -> &Vec<T> {
        &self.0
    }
}

/// Mutable while the backend builds it: the rows are shared only once the
/// templates hold the table, so this does not copy them in practice.
impl<T: Clone> DerefMut for Rows<T> {
    fn deref_mut(&mut self) -> &mut Vec<T> {
        Arc::make_mut(&mut self.0)
    }
}

impl<'a, T> IntoIterator for &'a Rows<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<'a, T: Clone> IntoIterator for &'a mut Rows<T> {
    type Item = &'a mut T;
    type IntoIter = std::slice::IterMut<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        Arc::make_mut(&mut self.0).iter_mut()
    }
}

/// By value, the rows are cloned one at a time as the loop reaches them:
/// the loop may add to the table it walks.
impl<T: Clone> IntoIterator for Rows<T> {
    type Item = T;
    type IntoIter = Owned<T>;
    fn into_iter(self) -> Owned<T> {
        Owned {
            rows: self.0,
            next: 0,
        }
    }
}

/// The iterator of [`Rows`] by value.
pub struct Owned<T> {
    rows: Arc<Vec<T>>,
    next: usize,
}

impl<T: Clone> Iterator for Owned<T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        let row = self.rows.get(self.next)?.clone();
        self.next += 1;
        Some(row)
    }
}

impl<T: Serialize + Send + Sync + fmt::Debug + 'static> Serialize for Rows<T> {
    /// Into a template value, the table stays one object (the engine keeps
    /// values it finds while serialising); anywhere else it is a sequence.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Value::from_object(RowsObject(Arc::clone(&self.0))).serialize(s)
    }
}

/// The template engine's view of a table.
#[derive(Debug)]
struct RowsObject<T>(Arc<Vec<T>>);

impl<T: Serialize + Send + Sync + fmt::Debug + 'static> Object for RowsObject<T> {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let row = self.0.get(key.as_usize()?)?;
        Some(Value::from(minijinja::value::Serde(row)))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Seq(self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::Rows;
    use minijinja::Environment;
    use serde::Serialize;

    #[derive(Clone, Debug, Serialize)]
    struct Row {
        name: String,
        n: u32,
    }

    #[derive(Serialize)]
    struct Ctx {
        rows: Rows<Row>,
        empty: Rows<Row>,
    }

    /// Loops, indexing, length, truthiness and filters see the rows as a
    /// list; JSON sees a list.
    #[test]
    fn reads_as_a_list() {
        let mut rows = Rows::default();
        rows.push(Row {
            name: "a".into(),
            n: 1,
        });
        rows.push(Row {
            name: "b".into(),
            n: 2,
        });
        let ctx = Ctx {
            rows,
            empty: Rows::default(),
        };
        let env = Environment::new();
        let out = env
            .render_str(
                "{% for r in rows %}{{ r.name }}{{ r.n }},{% endfor %} {{ rows[1].name }} \
                 {{ rows|length }} {{ rows|selectattr('n', 'eq', 2)|map(attribute='name')|join }} \
                 {% if empty %}full{% else %}empty{% endif %} {% if rows %}full{% endif %}",
                minijinja::Value::from(minijinja::value::Serde(&ctx)),
            )
            .unwrap();
        assert_eq!(out, "a1,b2, b 2 b empty full");
        assert_eq!(
            serde_json::to_string(&ctx).unwrap(),
            r#"{"rows":[{"name":"a","n":1},{"name":"b","n":2}],"empty":[]}"#
        );
    }
}
