//! Feature pages answered from a layer's collection in memory, with PostGIS's answer: the same
//! rows (ST_Intersects on the same coordinates; the filter as SQL evaluates it), counted the
//! same, in the same order (sort keys with NULLS LAST, then the feature key; text in byte order,
//! as the database's C collation sorts it), paged the same.

use std::cmp::Ordering;
use std::sync::Arc;

use crate::index::value::Value;
use geo::Intersects;
use rstar::AABB;

use super::ItemQuery;
use crate::catalog::LayerSpec;
use crate::filter::memory::{Matcher, Row};
use crate::index::layers::{Collection, Feature, to_mercator};

/// The page's features (the collection's lock is not held while they are written out) and,
/// when asked, how many match on all pages.
pub fn page(
    data: &Collection,
    spec: &LayerSpec,
    q: &ItemQuery,
    matcher: &Matcher,
    count: bool,
) -> (Vec<Arc<Feature>>, Option<i64>) {
    let keep = |f: &&Arc<Feature>| matcher.matches(&Row { id: f.id, values: &f.values });
    // Keys are never negative: a negative `after` keeps every feature.
    let after = q.after.and_then(|a| u64::try_from(a).ok());
    let after_ok = |f: &&Arc<Feature>| after.is_none_or(|a| f.id > a);
    match q.bbox {
        // The default order without a box is the collection's own: walk it from the key.
        None if q.sort.is_empty() => {
            let page = data.after(after).filter(keep).skip(q.offset).take(q.limit).cloned().collect();
            let matched = count.then(|| match matcher.is_everything() {
                true => data.len() as i64,
                false => data.after(None).filter(keep).count() as i64,
            });
            (page, matched)
        }
        _ => {
            let mut found: Vec<&Arc<Feature>> = match q.bbox {
                Some([w, s, e, n]) => {
                    let rect = geo::Rect::new((w, s), (e, n));
                    let env = AABB::from_corners(
                        to_mercator(geo::Coord { x: w, y: s }).into(),
                        to_mercator(geo::Coord { x: e, y: n }).into(),
                    );
                    data.query(&env).filter(|f| f.geom.intersects(&rect)).filter(keep).collect()
                }
                None => data.after(None).filter(keep).collect(),
            };
            let matched = count.then_some(found.len() as i64);
            found.retain(after_ok);
            // Each sort key's field position, found once rather than at every comparison.
            let keys: Vec<(usize, bool)> = q
                .sort
                .iter()
                .filter_map(|(name, _, desc)| Some((spec.fields.iter().position(|f| &f.name == name)?, *desc)))
                .collect();
            let order = |a: &&Arc<Feature>, b: &&Arc<Feature>| compare(&keys, a, b);
            let wanted = q.offset + q.limit;
            // Only the first `offset + limit` need sorting.
            if found.len() > wanted && wanted > 0 {
                found.select_nth_unstable_by(wanted - 1, order);
                found.truncate(wanted);
            }
            found.sort_unstable_by(order);
            (found.into_iter().skip(q.offset).take(q.limit).cloned().collect(), matched)
        }
    }
}

/// SQL's order: each sort key (field position, descending) with missing values last, then the key.
fn compare(keys: &[(usize, bool)], a: &Feature, b: &Feature) -> Ordering {
    for &(i, desc) in keys {
        let order = match (&a.values[i], &b.values[i]) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) => {
                let o = value_order(x, y);
                if desc { o.reverse() } else { o }
            }
        };
        if order.is_ne() {
            return order;
        }
    }
    a.id.cmp(&b.id)
}

fn value_order(a: &Value, b: &Value) -> Ordering {
    use Value::*;
    match (a, b) {
        (Str(x), Str(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Bool(x), Bool(y)) => x.cmp(y),
        (Sint(x), Sint(y)) => x.cmp(y),
        _ => number(a).total_cmp(&number(b)),
    }
}

fn number(v: &Value) -> f64 {
    match v {
        Value::Double(n) => *n,
        Value::Sint(n) => *n as f64,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Str(_) => f64::NAN,
    }
}
