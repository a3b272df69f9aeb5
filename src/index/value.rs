//! A feature's value of a catalog field as the layers hold it: the four kinds a layer's `props`
//! give (string, number, integer, boolean). Strings are shared (`Arc<str>`), so that a layer's
//! repeated values (commune codes and names, land uses, ownership categories) are held once
//! rather than once per parcel (see `Strings`).

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub enum Value {
    Str(Arc<str>),
    Double(f64),
    Sint(i64),
    Bool(bool),
}

/// Equal as tiles write them: numbers by their bits, so a value always equals itself.
impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            // Interned strings are one allocation: most equal ones are found by address.
            (Value::Str(a), Value::Str(b)) => Arc::ptr_eq(a, b) || a == b,
            (Value::Double(a), Value::Double(b)) => a.to_bits() == b.to_bits(),
            (Value::Sint(a), Value::Sint(b)) => a == b,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for Value {}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::mem::discriminant(self).hash(state);
        match self {
            Value::Str(s) => s.hash(state),
            Value::Double(n) => n.to_bits().hash(state),
            Value::Sint(n) => n.hash(state),
            Value::Bool(b) => b.hash(state),
        }
    }
}

/// The strings of one field as a layer loads: each distinct value made once, until the field
/// shows more than `MAX_SHARED` of them; from then on it is a field of (nearly) all distinct
/// values, like parcel IDs, where looking for repeats only costs.
pub struct Strings {
    seen: HashSet<Arc<str>>,
    /// How many distinct values are interned before the field counts as distinct.
    limit: usize,
    distinct: bool,
}

const MAX_SHARED: usize = 4_096;

impl Default for Strings {
    fn default() -> Self {
        Strings { seen: HashSet::new(), limit: MAX_SHARED, distinct: false }
    }
}

impl Strings {
    pub fn get(&mut self, s: &str) -> Arc<str> {
        if self.distinct {
            return Arc::from(s);
        }
        if let Some(held) = self.seen.get(s) {
            return held.clone();
        }
        let made: Arc<str> = Arc::from(s);
        if self.seen.len() == self.limit {
            self.distinct = true;
            self.seen = HashSet::new();
        } else {
            self.seen.insert(made.clone());
        }
        made
    }
}

/// The names the index's parcels repeat (commune and province codes and names, source CRSs), each
/// held once for the whole index: there are as many as there are administrative units, not
/// parcels, so they are kept for as long as the index lives, without a limit.
pub struct Names(Mutex<Strings>);

impl Default for Names {
    fn default() -> Self {
        Names(Mutex::new(Strings { limit: usize::MAX, ..Strings::default() }))
    }
}

impl Names {
    pub fn get(&self, s: &str) -> Arc<str> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).get(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_strings_are_one_allocation_until_a_field_proves_distinct() {
        let mut communes = Strings::default();
        let (a, b) = (communes.get("Phường Hồng Bàng"), communes.get("Phường Hồng Bàng"));
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &communes.get("Phường Phan Đình Phùng")));
        let mut ids = Strings::default();
        for i in 0..=MAX_SHARED {
            ids.get(&format!("{i:012}"));
        }
        assert!(ids.distinct && ids.seen.is_empty(), "a field of distinct values stops being interned");
        let (c, d) = (ids.get("000000000001"), ids.get("000000000001"));
        assert!(!Arc::ptr_eq(&c, &d) && c == d);
    }

    #[test]
    fn a_name_is_held_once() {
        let names = Names::default();
        assert!(Arc::ptr_eq(&names.get("05443"), &names.get("05443")));
        assert_eq!(&*names.get("EPSG:9213"), "EPSG:9213");
    }

    #[test]
    fn numbers_equal_themselves_and_kinds_differ() {
        assert_eq!(Value::Double(f64::NAN), Value::Double(f64::NAN));
        assert_ne!(Value::Double(1.0), Value::Sint(1));
        assert_ne!(Value::Str("1".into()), Value::Sint(1));
    }
}
