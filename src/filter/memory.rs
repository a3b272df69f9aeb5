//! Filters evaluated on the features held in memory, with SQL's meaning: three-valued logic
//! (a comparison with a missing value is unknown, and a row is kept only when its condition is
//! true), numbers compared as float8, text in byte order (the database's C collation). Only
//! what is evaluated exactly as PostgreSQL would is compiled; anything else (spatial operators,
//! CASEI) leaves the query to PostGIS. A filter is compiled here after [`super::to_sql`] has
//! checked it, so kinds are known to agree.

use crate::index::value::Value;
use cql2::Expr;

use super::{FEATURE_ID, GEOMETRY_NAMES};
use crate::access::{Audience, Scope, View};
use crate::catalog::LayerSpec;

/// What a feature query's conditions ask of each feature, evaluable in memory.
#[derive(Debug, Clone)]
pub struct Matcher {
    condition: Option<Cond>,
    /// Whether the condition names the numeric key as the feature id.
    uses_key: bool,
    /// Rows outside the view's scope are left out: the condition or the order names a field
    /// the public may not see (as [`super::to_sql`] does), or the layer is beyond the public.
    scope: Option<ScopeRule>,
}

#[derive(Debug, Clone)]
enum ScopeRule {
    /// The scope field's position and the communes admitted.
    Communes(usize, std::sync::Arc<std::collections::BTreeSet<String>>),
    /// A layer without a scope field, for a view restricted to communes: no rows.
    Nothing,
}

#[derive(Debug, Clone)]
enum Operand {
    Field(usize),
    /// The numeric key as text: the feature id of a layer without a feature id field.
    Key,
    Text(String),
    Number(f64),
    Bool(bool),
}

#[derive(Debug, Clone, Copy)]
enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone)]
enum Cond {
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    Compare(Operand, Cmp, Operand),
    Between(Operand, Operand, Operand),
    In(Operand, Vec<Operand>),
    IsNull(Operand),
    Like(Operand, Vec<LikePart>),
}

/// A LIKE pattern, read once: `%`, `_` and literal characters (after `\` escapes).
#[derive(Debug, Clone, PartialEq)]
enum LikePart {
    Any,
    One,
    Char(char),
}

/// One feature as a condition sees it.
pub struct Row<'a> {
    pub id: u64,
    pub values: &'a [Option<Value>],
}

#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
enum Scalar<'a> {
    Text(&'a str),
    Number(f64),
    Bool(bool),
}

impl Matcher {
    /// The conditions (each visible property's equality, the filter) as a matcher, when every
    /// one of them can be evaluated in memory; `sorted_beyond_open` as for `to_sql`.
    pub fn compile(conditions: &[Expr], spec: &LayerSpec, view: &View, sorted_beyond_open: bool) -> Option<Matcher> {
        let mut c = Compiler { spec, audience: view.audience, beyond_open: sorted_beyond_open, uses_key: false };
        let condition = match conditions {
            [] => None,
            [one] => Some(c.cond(one)?),
            many => Some(Cond::And(many.iter().map(|e| c.cond(e)).collect::<Option<_>>()?)),
        };
        let layer_scoped = spec.audience > Audience::Public;
        let scope = match (&view.scope, spec.scope_index()) {
            _ if !(c.beyond_open || layer_scoped) => None,
            (Scope::All, _) => None,
            (Scope::Communes(codes), Some(i)) => Some(ScopeRule::Communes(i, codes.clone())),
            (Scope::Communes(_), None) => Some(ScopeRule::Nothing),
        };
        Some(Matcher { condition, uses_key: c.uses_key, scope })
    }

    /// Whether every feature is kept.
    pub fn is_everything(&self) -> bool {
        self.condition.is_none() && self.scope.is_none()
    }

    /// Whether the feature is kept.
    pub fn matches(&self, row: &Row) -> bool {
        let in_scope = match &self.scope {
            None => true,
            Some(ScopeRule::Nothing) => false,
            Some(ScopeRule::Communes(i, codes)) => {
                matches!(&row.values[*i], Some(Value::Str(c)) if codes.contains(&**c))
            }
        };
        let key = if self.uses_key { row.id.to_string() } else { String::new() };
        in_scope && self.condition.as_ref().is_none_or(|c| c.eval(row, &key) == Some(true))
    }
}

struct Compiler<'c> {
    spec: &'c LayerSpec,
    audience: Audience,
    beyond_open: bool,
    uses_key: bool,
}

impl Compiler<'_> {
    fn operand(&mut self, e: &Expr) -> Option<Operand> {
        match e {
            Expr::Property { property } if GEOMETRY_NAMES.contains(&property.as_str()) => None,
            Expr::Property { property } if property == FEATURE_ID => match &self.spec.feature_id {
                Some(field) => self.spec.fields.iter().position(|f| &f.name == field).map(Operand::Field),
                None => {
                    self.uses_key = true;
                    Some(Operand::Key)
                }
            },
            Expr::Property { property } => {
                let (name, _) = self.spec.queryable(self.audience, property)?;
                self.beyond_open |= self.spec.queryable(Audience::Public, name).is_none();
                self.spec.fields.iter().position(|f| f.name == name).map(Operand::Field)
            }
            Expr::Literal(s) => Some(Operand::Text(s.clone())),
            Expr::Float(n) => Some(Operand::Number(*n)),
            Expr::Bool(b) => Some(Operand::Bool(*b)),
            _ => None,
        }
    }

    fn cond(&mut self, e: &Expr) -> Option<Cond> {
        let Expr::Operation { op, args } = e else { return None };
        let mut operands = || args.iter().map(|a| self.operand(a)).collect::<Option<Vec<_>>>();
        let cmp = match op.as_str() {
            "=" => Some(Cmp::Eq),
            "<>" => Some(Cmp::Ne),
            "<" => Some(Cmp::Lt),
            "<=" => Some(Cmp::Le),
            ">" => Some(Cmp::Gt),
            ">=" => Some(Cmp::Ge),
            _ => None,
        };
        if let Some(cmp) = cmp {
            let [a, b]: [Operand; 2] = operands()?.try_into().ok()?;
            return Some(Cond::Compare(a, cmp, b));
        }
        match op.as_str() {
            "and" => Some(Cond::And(args.iter().map(|a| self.cond(a)).collect::<Option<_>>()?)),
            "or" => Some(Cond::Or(args.iter().map(|a| self.cond(a)).collect::<Option<_>>()?)),
            "not" => Some(Cond::Not(Box::new(self.cond(args.first()?)?))),
            "between" => {
                let [a, lo, hi]: [Operand; 3] = operands()?.try_into().ok()?;
                Some(Cond::Between(a, lo, hi))
            }
            "isNull" => Some(Cond::IsNull(self.operand(args.first()?)?)),
            "in" => {
                let [value, Expr::Array(list)] = args.iter().map(AsRef::as_ref).collect::<Vec<_>>()[..] else {
                    return None;
                };
                let value = self.operand(value)?;
                Some(Cond::In(value, list.iter().map(|i| self.operand(i)).collect::<Option<_>>()?))
            }
            "like" => {
                let [value, Expr::Literal(pattern)] = args.iter().map(AsRef::as_ref).collect::<Vec<_>>()[..] else {
                    return None;
                };
                Some(Cond::Like(self.operand(value)?, like_parts(pattern)))
            }
            _ => None,
        }
    }
}

fn like_parts(pattern: &str) -> Vec<LikePart> {
    let mut parts = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        parts.push(match c {
            '%' => LikePart::Any,
            '_' => LikePart::One,
            '\\' => LikePart::Char(chars.next().unwrap_or('\\')),
            c => LikePart::Char(c),
        });
    }
    parts
}

/// Whether `text` matches the pattern (greedy with backtracking to the last `%`).
fn like(text: &str, pattern: &[LikePart]) -> bool {
    let text: Vec<char> = text.chars().collect();
    let (mut t, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(LikePart::Any) => {
                star = Some((p, t));
                p += 1;
            }
            Some(LikePart::One) => (t, p) = (t + 1, p + 1),
            Some(LikePart::Char(c)) if *c == text[t] => (t, p) = (t + 1, p + 1),
            _ => match star {
                Some((sp, st)) => {
                    star = Some((sp, st + 1));
                    (t, p) = (st + 1, sp + 1);
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|q| *q == LikePart::Any)
}

impl Operand {
    fn value<'a>(&'a self, row: &'a Row, key: &'a str) -> Option<Scalar<'a>> {
        match self {
            Operand::Field(i) => match row.values[*i].as_ref()? {
                Value::Str(s) => Some(Scalar::Text(s)),
                Value::Double(n) => Some(Scalar::Number(*n)),
                Value::Sint(n) => Some(Scalar::Number(*n as f64)),
                Value::Bool(b) => Some(Scalar::Bool(*b)),
            },
            Operand::Key => Some(Scalar::Text(key)),
            Operand::Text(s) => Some(Scalar::Text(s)),
            Operand::Number(n) => Some(Scalar::Number(*n)),
            Operand::Bool(b) => Some(Scalar::Bool(*b)),
        }
    }
}

impl Cond {
    /// True, false, or unknown (`None`) as SQL has it.
    fn eval<'a>(&'a self, row: &'a Row, key: &'a str) -> Option<bool> {
        let get = |o: &'a Operand| o.value(row, key);
        let compare = |a: Option<Scalar>, cmp: Cmp, b: Option<Scalar>| {
            let order = a?.partial_cmp(&b?)?;
            Some(match cmp {
                Cmp::Eq => order.is_eq(),
                Cmp::Ne => order.is_ne(),
                Cmp::Lt => order.is_lt(),
                Cmp::Le => order.is_le(),
                Cmp::Gt => order.is_gt(),
                Cmp::Ge => order.is_ge(),
            })
        };
        match self {
            Cond::And(cs) => cs
                .iter()
                .try_fold(Some(true), |acc, c| match c.eval(row, key) {
                    Some(false) => Err(()),
                    v => Ok(acc.and(v)),
                })
                .unwrap_or(Some(false)),
            Cond::Or(cs) => cs
                .iter()
                .try_fold(Some(false), |acc, c| match c.eval(row, key) {
                    Some(true) => Err(()),
                    None => Ok(None),
                    Some(false) => Ok(acc),
                })
                .unwrap_or(Some(true)),
            Cond::Not(c) => c.eval(row, key).map(|v| !v),
            Cond::Compare(a, cmp, b) => compare(get(a), *cmp, get(b)),
            Cond::Between(a, lo, hi) => {
                let v = get(a);
                Cond::and3(compare(v, Cmp::Ge, get(lo)), compare(v, Cmp::Le, get(hi)))
            }
            Cond::In(a, list) => {
                let v = get(a)?;
                let mut unknown = false;
                for item in list {
                    match compare(Some(v), Cmp::Eq, get(item)) {
                        Some(true) => return Some(true),
                        None => unknown = true,
                        Some(false) => {}
                    }
                }
                (!unknown).then_some(false)
            }
            Cond::IsNull(a) => Some(get(a).is_none()),
            Cond::Like(a, pattern) => match get(a)? {
                Scalar::Text(s) => Some(like(s, pattern)),
                _ => None,
            },
        }
    }

    fn and3(a: Option<bool>, b: Option<bool>) -> Option<bool> {
        match (a, b) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(p: &str) -> Vec<LikePart> {
        like_parts(p)
    }

    #[test]
    fn like_follows_sql() {
        assert!(like("Phường Bến Nghé", &pattern("Phường%")));
        assert!(like("abc", &pattern("a_c")));
        assert!(!like("abcd", &pattern("a_c")));
        assert!(like("a%c", &pattern(r"a\%c")));
        assert!(!like("abc", &pattern(r"a\%c")));
        assert!(like("xaybzc", &pattern("%a%b%c")));
        assert!(!like("xaybz", &pattern("%a%b%c")));
        assert!(like("", &pattern("%")));
        assert!(!like("", &pattern("_")));
    }

    #[test]
    fn unknown_is_neither_true_nor_false() {
        assert_eq!(Cond::and3(None, Some(false)), Some(false));
        assert_eq!(Cond::and3(None, Some(true)), None);
    }
}
