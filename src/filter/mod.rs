//! Feature filters. CQL2 (OGC API - Features Part 3, read by the `cql2` crate) and FES 2.0
//! (WFS, read in [`fes`]) become one expression tree, `cql2::Expr`; this module checks it
//! against a layer's queryable fields and writes it as SQL whose every value is a bind
//! parameter. Field names come from the catalog, never from the caller's text.

pub mod fes;

use cql2::Expr;
use geozero::{CoordDimensions, ToGeo, ToWkb};

use crate::ogc::ApiCrs;
use crate::tiles::catalog::{Audience, FieldType, LayerSpec};

/// Feature queries bind their own six parameters first; a filter's start at this number.
pub const FIRST_PARAM: usize = 7;

/// Limits on what a caller may send, so a hostile filter costs little before it is refused.
const MAX_FILTER_BYTES: usize = 64 * 1024;
const MAX_DEPTH: usize = 24;
const MAX_NODES: usize = 2_000;
const MAX_STRING_CHARS: usize = 1_000;
const MAX_LIST: usize = 1_000;
const MAX_COORDS: usize = 10_000;

/// The property that stands for the feature id (FES ResourceId; quoted `"@fid"` in CQL2).
pub const FEATURE_ID: &str = "@fid";

/// The names a filter may give the feature's geometry.
pub const GEOMETRY_NAMES: [&str; 2] = ["geometry", "geom"];

/// A value bound to a filter's parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    Text(String),
    Number(f64),
    Bool(bool),
    /// WKB in CRS84.
    Geometry(Vec<u8>),
}

/// A filter as SQL over `f.geom` and `f.props`, with its parameters from [`FIRST_PARAM`] on.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub sql: String,
    pub binds: Vec<Bind>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Lang {
    Cql2Text,
    Cql2Json,
}

impl Lang {
    pub fn parse(s: &str) -> Result<Lang, String> {
        match s {
            "cql2-text" => Ok(Lang::Cql2Text),
            "cql2-json" => Ok(Lang::Cql2Json),
            // The draft's name, which GDAL 3.6's OAPIF driver looks for and sends.
            "cql-text" => Ok(Lang::Cql2Text),
            _ => Err(format!("filter-lang `{s}` is not offered: use cql2-text or cql2-json")),
        }
    }
}

/// Reads a CQL2 filter, refusing oversized or too deeply nested ones before the parser
/// recurses into them.
pub fn parse(text: &str, lang: Lang) -> Result<Expr, String> {
    if text.len() > MAX_FILTER_BYTES {
        return Err(format!("filter is {} bytes; at most {MAX_FILTER_BYTES} are accepted", text.len()));
    }
    if nesting(text) > MAX_DEPTH {
        return Err(format!("filter nests deeper than {MAX_DEPTH} levels"));
    }
    match lang {
        Lang::Cql2Text => cql2::parse_text(text).map_err(|e| format!("filter is not valid CQL2 text: {e}")),
        Lang::Cql2Json => cql2::parse_json(text).map_err(|e| format!("filter is not valid CQL2 JSON: {e}")),
    }
}

/// The deepest bracket nesting outside quoted strings.
fn nesting(text: &str) -> usize {
    let (mut depth, mut deepest, mut quote) = (0usize, 0usize, None);
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(' | '[' | '{') => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            (None, ')' | ']' | '}') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// What an expression stands for in SQL.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Text,
    Number,
    Bool,
    Geometry,
}

impl Kind {
    fn of(field: FieldType) -> Kind {
        match field {
            FieldType::String => Kind::Text,
            FieldType::Number | FieldType::Integer => Kind::Number,
            FieldType::Boolean => Kind::Bool,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Text => "a string",
            Kind::Number => "a number",
            Kind::Bool => "a boolean",
            Kind::Geometry => "a geometry",
        }
    }
}

/// A catalog property as a typed SQL value. `name` is a catalog field name (checked to be
/// lower-case letters, digits and _ when the catalog loads).
pub fn property_sql(name: &str, kind: FieldType) -> String {
    let cast = match kind {
        FieldType::String => "",
        FieldType::Number => "::float8",
        FieldType::Integer => "::bigint",
        FieldType::Boolean => "::boolean",
    };
    format!("(f.props->>'{name}'){cast}")
}

/// An operation over `args`.
pub fn op(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Operation { op: name.into(), args: args.into_iter().map(Box::new).collect() }
}

/// `property = value`.
pub fn equals(property: &str, value: Expr) -> Expr {
    op("=", vec![Expr::Property { property: property.into() }, value])
}

/// The conditions joined by `and` or `or`; one stands alone; none is no condition.
pub fn join(name: &str, mut exprs: Vec<Expr>) -> Option<Expr> {
    match exprs.len() {
        0 => None,
        1 => exprs.pop(),
        _ => Some(op(name, exprs)),
    }
}

/// Writes all of `conditions` as SQL over `spec`'s rows: properties are the fields `audience`
/// may see, `"@fid"` the feature id; geometry literals are in `crs`. None when there are none.
pub fn to_sql(
    conditions: Vec<Expr>,
    spec: &LayerSpec,
    audience: Audience,
    crs: &ApiCrs,
) -> Result<Option<Filter>, String> {
    let Some(expr) = join("and", conditions) else { return Ok(None) };
    let mut w = Writer { spec, audience, fid: crate::ogc::fid_sql(spec), crs, binds: Vec::new(), nodes: 0 };
    let (sql, kind) = w.expr(&expr, 0)?;
    if kind != Kind::Bool {
        return Err(format!("filter must be a condition, not {}", kind.name()));
    }
    Ok(Some(Filter { sql, binds: w.binds }))
}

struct Writer<'w> {
    spec: &'w LayerSpec,
    audience: Audience,
    fid: String,
    crs: &'w ApiCrs,
    binds: Vec<Bind>,
    nodes: usize,
}

impl Writer<'_> {
    fn bind(&mut self, b: Bind, kind: Kind) -> (String, Kind) {
        self.binds.push(b);
        let n = FIRST_PARAM + self.binds.len() - 1;
        let sql = match kind {
            Kind::Geometry => format!("ST_GeomFromWKB(${n}, 4326)"),
            _ => format!("${n}"),
        };
        (sql, kind)
    }

    fn expr(&mut self, e: &Expr, depth: usize) -> Result<(String, Kind), String> {
        self.nodes += 1;
        if depth > MAX_DEPTH || self.nodes > MAX_NODES {
            return Err(format!("filter is too large: at most {MAX_DEPTH} levels and {MAX_NODES} terms"));
        }
        match e {
            Expr::Property { property } if GEOMETRY_NAMES.contains(&property.as_str()) => {
                Ok(("f.geom".to_owned(), Kind::Geometry))
            }
            Expr::Property { property } if property == FEATURE_ID => Ok((self.fid.clone(), Kind::Text)),
            Expr::Property { property } => match self.spec.queryable(self.audience, property) {
                Some((name, kind)) => Ok((property_sql(name, kind), Kind::of(kind))),
                None => Err(format!("`{property}` is not a queryable property of this collection")),
            },
            Expr::Literal(s) if s.chars().count() > MAX_STRING_CHARS => {
                Err(format!("a string in the filter is longer than {MAX_STRING_CHARS} characters"))
            }
            Expr::Literal(s) => Ok(self.bind(Bind::Text(s.clone()), Kind::Text)),
            Expr::Float(n) if n.is_finite() => Ok(self.bind(Bind::Number(*n), Kind::Number)),
            Expr::Float(n) => Err(format!("number `{n}` is not finite")),
            Expr::Bool(b) => Ok(self.bind(Bind::Bool(*b), Kind::Bool)),
            Expr::Geometry(g) => {
                let mut g = match g {
                    cql2::Geometry::Wkt(wkt) => geozero::wkt::Wkt(wkt.as_str()).to_geo(),
                    cql2::Geometry::GeoJSON(json) => geozero::geojson::GeoJson(&json.to_string()).to_geo(),
                }
                .map_err(|e| format!("geometry in the filter cannot be read: {e}"))?;
                self.geometry(&mut g)
            }
            Expr::BBox { bbox } => {
                let n: Vec<f64> = bbox
                    .iter()
                    .map(|b| f64::try_from(b.as_ref().clone()).ok())
                    .collect::<Option<_>>()
                    .ok_or("BBOX takes numbers")?;
                let b = match n[..] {
                    [w, s, e, nn] | [w, s, _, e, nn, _] => [w, s, e, nn],
                    _ => return Err("BBOX takes 4 numbers (or 6 with heights)".into()),
                };
                let [w, s, e, n] = self.crs.bbox_to_crs84(b)?;
                let rect = geo::Geometry::Rect(geo::Rect::new((w, s), (e, n)));
                let wkb = rect.to_wkb(CoordDimensions::xy()).map_err(|e| e.to_string())?;
                Ok(self.bind(Bind::Geometry(wkb), Kind::Geometry))
            }
            Expr::Null => Err("NULL is only tested with IS NULL".into()),
            Expr::Date { .. } | Expr::Timestamp { .. } | Expr::Interval { .. } => {
                Err("the collections have no temporal properties, so dates cannot be compared".into())
            }
            Expr::Array(_) => Err("a list is only allowed after IN".into()),
            Expr::Operation { op, args } => self.operation(op, args, depth),
        }
    }

    /// A geometry literal: bounded, put into CRS84, bound as WKB.
    fn geometry(&mut self, g: &mut geo::Geometry) -> Result<(String, Kind), String> {
        use geo::CoordsIter;
        if g.coords_count() > MAX_COORDS {
            return Err(format!("a geometry in the filter has more than {MAX_COORDS} coordinates"));
        }
        self.crs.geometry_to_crs84(g)?;
        let wkb = g.to_wkb(CoordDimensions::xy()).map_err(|e| e.to_string())?;
        Ok(self.bind(Bind::Geometry(wkb), Kind::Geometry))
    }

    fn operation(&mut self, op: &str, args: &[Box<Expr>], depth: usize) -> Result<(String, Kind), String> {
        let arity = |n: usize| {
            if args.len() == n { Ok(()) } else { Err(format!("{op} takes {n} arguments, not {}", args.len())) }
        };
        let values = |w: &mut Self, wanted: Option<Kind>| -> Result<Vec<(String, Kind)>, String> {
            args.iter()
                .map(|a| {
                    let v = w.expr(a, depth + 1)?;
                    match wanted {
                        Some(k) if v.1 != k => Err(format!("{op} takes {}, not {}", k.name(), v.1.name())),
                        _ => Ok(v),
                    }
                })
                .collect()
        };
        let same = |vs: &[(String, Kind)]| -> Result<Kind, String> {
            let k = vs[0].1;
            match vs.iter().find(|v| v.1 != k) {
                Some(v) => Err(format!("{op} compares {} with {}", k.name(), v.1.name())),
                None => Ok(k),
            }
        };
        let cond = |sql: String| Ok((sql, Kind::Bool));
        match op {
            "and" | "or" => {
                let vs = values(self, Some(Kind::Bool))?;
                cond(format!(
                    "({})",
                    vs.into_iter().map(|v| v.0).collect::<Vec<_>>().join(&format!(" {} ", op.to_uppercase()))
                ))
            }
            "not" => {
                arity(1)?;
                let vs = values(self, Some(Kind::Bool))?;
                cond(format!("(NOT {})", vs[0].0))
            }
            "=" | "<>" | "<" | "<=" | ">" | ">=" => {
                arity(2)?;
                let vs = values(self, None)?;
                let k = same(&vs)?;
                if k == Kind::Geometry || (k == Kind::Bool && !matches!(op, "=" | "<>")) {
                    return Err(format!("{op} cannot compare {}", k.name()));
                }
                cond(format!("({} {op} {})", vs[0].0, vs[1].0))
            }
            "like" => {
                arity(2)?;
                let vs = values(self, Some(Kind::Text))?;
                cond(format!("({} LIKE {})", vs[0].0, vs[1].0))
            }
            "between" => {
                arity(3)?;
                let vs = values(self, None)?;
                match same(&vs)? {
                    Kind::Number | Kind::Text => cond(format!("({} BETWEEN {} AND {})", vs[0].0, vs[1].0, vs[2].0)),
                    k => Err(format!("BETWEEN cannot order {}", k.name())),
                }
            }
            "in" => {
                arity(2)?;
                let Expr::Array(list) = args[1].as_ref() else {
                    return Err("IN takes a list in parentheses".into());
                };
                if list.is_empty() || list.len() > MAX_LIST {
                    return Err(format!("IN takes 1 to {MAX_LIST} values, not {}", list.len()));
                }
                let (lhs, k) = self.expr(&args[0], depth + 1)?;
                let items = list
                    .iter()
                    .map(|i| match self.expr(i, depth + 1)? {
                        (sql, kind) if kind == k && k != Kind::Geometry => Ok(sql),
                        (_, kind) => Err(format!("IN compares {} with {}", k.name(), kind.name())),
                    })
                    .collect::<Result<Vec<_>, String>>()?;
                cond(format!("({lhs} IN ({}))", items.join(", ")))
            }
            "isNull" => {
                arity(1)?;
                let vs = values(self, None)?;
                cond(format!("({} IS NULL)", vs[0].0))
            }
            "casei" => {
                arity(1)?;
                let vs = values(self, Some(Kind::Text))?;
                Ok((format!("lower({})", vs[0].0), Kind::Text))
            }
            "s_intersects" | "s_within" | "s_contains" | "s_disjoint" | "s_equals" | "s_touches" | "s_overlaps"
            | "s_crosses" => {
                arity(2)?;
                let vs = values(self, Some(Kind::Geometry))?;
                let function = match op {
                    "s_intersects" => "ST_Intersects",
                    "s_within" => "ST_Within",
                    "s_contains" => "ST_Contains",
                    "s_disjoint" => "ST_Disjoint",
                    "s_equals" => "ST_Equals",
                    "s_touches" => "ST_Touches",
                    "s_overlaps" => "ST_Overlaps",
                    _ => "ST_Crosses",
                };
                cond(format!("{function}({}, {})", vs[0].0, vs[1].0))
            }
            _ => Err(format!(
                "`{op}` is not supported: use =, <>, <, <=, >, >=, LIKE, BETWEEN, IN, IS NULL, CASEI, AND, OR, NOT and S_INTERSECTS, S_WITHIN, S_CONTAINS, S_DISJOINT, S_EQUALS, S_TOUCHES, S_OVERLAPS, S_CROSSES"
            )),
        }
    }
}
