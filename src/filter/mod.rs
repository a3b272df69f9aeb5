//! Feature filters. CQL2 (OGC API - Features Part 3, read by the `cql2` crate) and FES 2.0
//! (WFS, read in [`fes`]) become one expression tree, `cql2::Expr`; this module checks it
//! against a layer's queryable fields and writes it as SQL whose every value is a bind
//! parameter. Field names come from the catalog, never from the caller's text.

pub mod fes;
pub mod memory;

use cql2::Expr;
use geozero::{CoordDimensions, ToGeo, ToWkb};

use crate::access::{Scope, View};
use crate::catalog::{Audience, FieldType, LayerSpec, property_sql};
use crate::crs::ApiCrs;
use crate::fault::Fault;

/// Feature queries bind their own eight parameters first; a filter's start at this number.
pub const FIRST_PARAM: usize = 9;

/// Limits on what a caller may send, so a hostile filter costs little before it is refused.
const MAX_FILTER_BYTES: usize = 64 * 1024;
const MAX_DEPTH: usize = 24;
/// Most brackets a CQL2 text filter may nest. The parser (pest, through the `cql2` crate)
/// backtracks into every bracket level of a filter that turns out invalid, so its time doubles
/// with each level: found by fuzzing, 23 levels took 48 s in a debug build (one request holding
/// a worker that long); 10 take milliseconds.
const MAX_BRACKETS: usize = 10;
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
    /// A list of strings (a scope's communes).
    Texts(Vec<String>),
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

/// Most operators, keywords and brackets a CQL2 filter may hold. The parser recurses once per
/// operator (a chain of `NOT`s or `=`s as deep as a bracket nesting), so this bounds its depth.
const MAX_OPERATORS: usize = 2_000;

/// The parser's own thread stack: ample for [`MAX_OPERATORS`] of the deepest-recursing operator
/// (measured in a debug build: 1,990 chained `NOT`s, `=`s, `LIKE`s or unary `-`s need 2-4 MiB),
/// so no filter reaches the end of it.
const PARSE_STACK_BYTES: usize = 64 << 20;

/// Reads a CQL2 filter. Oversized filters and those with too many operators are refused
/// before the parser sees them; the parse itself runs on a thread with a stack that bounded
/// input cannot exhaust, and the tree it builds is refused there when it nests too deep.
pub fn parse(text: &str, lang: Lang) -> Result<Expr, String> {
    if text.len() > MAX_FILTER_BYTES {
        return Err(format!("filter is {} bytes; at most {MAX_FILTER_BYTES} are accepted", text.len()));
    }
    if text.contains('\0') {
        return Err("filter holds a NUL character".into());
    }
    match lang {
        Lang::Cql2Text => match scan_text(text) {
            (n, _) if n > MAX_OPERATORS => {
                return Err(format!("filter holds {n} operators and brackets; at most {MAX_OPERATORS} are accepted"));
            }
            (_, deepest) if deepest > MAX_BRACKETS => {
                return Err(format!("filter nests deeper than {MAX_BRACKETS} levels of brackets"));
            }
            _ => {}
        },
        // Each level of the tree is an object and its `args` array; coordinates nest 4 more.
        Lang::Cql2Json => match json_nesting(text) {
            n if n > 2 * MAX_DEPTH + 4 => {
                return Err(format!("filter nests {n} brackets deep; at most {} are accepted", 2 * MAX_DEPTH + 4));
            }
            _ => {}
        },
    }
    let text = text.to_owned();
    let parse = move || {
        let expr = match lang {
            Lang::Cql2Text => cql2::parse_text(&text).map_err(|e| format!("filter is not valid CQL2 text: {e}"))?,
            Lang::Cql2Json => cql2::parse_json(&text).map_err(|e| format!("filter is not valid CQL2 JSON: {e}"))?,
        };
        match depth(&expr) {
            d if d > MAX_DEPTH => Err(format!("filter nests {d} levels deep; at most {MAX_DEPTH} are accepted")),
            _ => Ok(expr),
        }
    };
    std::thread::Builder::new()
        .name("filter-parse".into())
        .stack_size(PARSE_STACK_BYTES)
        .spawn(parse)
        .map_err(|e| format!("cannot start the filter parser: {e}"))?
        .join()
        .unwrap_or_else(|_| Err("the filter could not be read".into()))
}

/// How deep an expression tree nests.
fn depth(e: &Expr) -> usize {
    let children: Vec<&Expr> = match e {
        Expr::Operation { args, .. } => args.iter().map(Box::as_ref).collect(),
        Expr::Array(items) => items.iter().map(Box::as_ref).collect(),
        Expr::BBox { bbox } => bbox.iter().map(Box::as_ref).collect(),
        Expr::Interval { interval } => interval.iter().map(Box::as_ref).collect(),
        _ => Vec::new(),
    };
    1 + children.into_iter().map(depth).max().unwrap_or(0)
}

/// Operators, keywords and brackets of CQL2 text outside quoted strings and names (each a level
/// the parser may recurse into), and the deepest bracket nesting.
fn scan_text(text: &str) -> (usize, usize) {
    const KEYWORDS: [&str; 9] = ["not", "and", "or", "like", "in", "between", "is", "div", "casei"];
    let (mut count, mut depth, mut deepest, mut quote, mut word) = (0usize, 0usize, 0usize, None, String::new());
    let end_word = |word: &mut String, count: &mut usize| {
        if KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word)) {
            *count += 1;
        }
        word.clear();
    };
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => {
                end_word(&mut word, &mut count);
                quote = Some(c);
            }
            (None, c) if c.is_alphanumeric() || c == '_' => word.push(c),
            (None, c) => {
                end_word(&mut word, &mut count);
                if "=<>!+-*/%^([{".contains(c) {
                    count += 1;
                }
                if "([{".contains(c) {
                    depth += 1;
                    deepest = deepest.max(depth);
                } else if ")]}".contains(c) {
                    depth = depth.saturating_sub(1);
                }
            }
        }
    }
    end_word(&mut word, &mut count);
    (count, deepest)
}

/// The deepest nesting of objects and arrays in a CQL2 JSON document, outside strings (whose
/// `\"` does not end them).
fn json_nesting(text: &str) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for c in text.chars() {
        match (in_string, escaped, c) {
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (true, false, '"') => in_string = false,
            (true, false, _) => {}
            (false, _, '"') => in_string = true,
            (false, _, '[' | '{') => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            (false, _, ']' | '}') => depth = depth.saturating_sub(1),
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

/// The one entry point of every feature query's conditions: writes all of `conditions` as SQL
/// over `spec`'s rows. Properties are the fields the view's audience may see, `"@fid"` the
/// feature id; geometry literals are in `crs`. A condition on a field the public may not see
/// holds only on rows of the view's scope (elsewhere the field is not there to test); so does
/// any query `sorted_beyond_open` (sorted by such a field), lest the order of the rows outside
/// the scope give their hidden values away. None when there is nothing to restrict.
pub fn to_sql(
    conditions: Vec<Expr>,
    spec: &LayerSpec,
    view: &View,
    crs: &ApiCrs,
    sorted_beyond_open: bool,
) -> Result<Option<Filter>, Fault> {
    let mut w = Writer {
        spec,
        audience: view.audience,
        fid: spec.fid_sql(),
        crs,
        binds: Vec::new(),
        nodes: 0,
        server_fault: None,
        beyond_open: sorted_beyond_open,
    };
    let condition = match join("and", conditions) {
        None => None,
        Some(expr) => match w.expr(&expr, 0) {
            Ok((sql, Kind::Bool)) => Some(sql),
            Ok((_, kind)) => return Err(Fault::Caller(format!("filter must be a condition, not {}", kind.name()))),
            Err(e) => return Err(w.server_fault.take().map_or(Fault::Caller(e), Fault::Server)),
        },
    };
    let scope = match (&view.scope, &spec.scope_field) {
        _ if !w.beyond_open => None,
        (Scope::All, _) => None,
        (Scope::Communes(codes), Some(field)) => {
            w.binds.push(Bind::Texts(codes.iter().cloned().collect()));
            Some(format!(
                "{} = ANY(${}::text[])",
                property_sql(field, FieldType::String),
                FIRST_PARAM + w.binds.len() - 1
            ))
        }
        (Scope::Communes(_), None) => Some("false".to_owned()),
    };
    let sql = match (scope, condition) {
        (None, None) => return Ok(None),
        (Some(s), None) | (None, Some(s)) => s,
        (Some(scope), Some(condition)) => format!("({scope}) AND {condition}"),
    };
    Ok(Some(Filter { sql, binds: w.binds }))
}

/// [`to_sql`], and the same conditions as memory evaluates them (None when it cannot).
pub fn compile(
    conditions: Vec<Expr>,
    spec: &LayerSpec,
    view: &View,
    crs: &ApiCrs,
    sorted_beyond_open: bool,
) -> Result<(Option<Filter>, Option<memory::Matcher>), Fault> {
    let matcher = memory::Matcher::compile(&conditions, spec, view, sorted_beyond_open);
    Ok((to_sql(conditions, spec, view, crs, sorted_beyond_open)?, matcher))
}

/// `p = a OR p = b OR …` as `p IN (a, b, …)`, which PostgreSQL answers with one hashed lookup
/// per row rather than a comparison per term.
fn as_in_list(args: &[Box<Expr>]) -> Option<Expr> {
    let mut property = None;
    let mut values = Vec::with_capacity(args.len());
    for a in args {
        let Expr::Operation { op, args } = a.as_ref() else { return None };
        let [p, v] = args.as_slice() else { return None };
        match (op.as_str(), p.as_ref(), v.as_ref()) {
            ("=", Expr::Property { property: name }, v @ (Expr::Literal(_) | Expr::Float(_)))
                if property.is_none_or(|seen| seen == name) =>
            {
                property = Some(name);
                values.push(Box::new(v.clone()));
            }
            _ => return None,
        }
    }
    let property = property.filter(|_| values.len() > 1)?.clone();
    Some(op("in", vec![Expr::Property { property }, Expr::Array(values)]))
}

/// A LIKE pattern is a string (or CASEI of one) that does not end in its escape character.
fn like_pattern(e: &Expr) -> Result<(), String> {
    match e {
        Expr::Literal(p) => match p.chars().rev().take_while(|c| *c == '\\').count() % 2 {
            1 => Err(format!("LIKE pattern `{p}` ends in the escape character \\: escape it as \\\\")),
            _ => Ok(()),
        },
        Expr::Operation { op, args } if op == "casei" && args.len() == 1 => like_pattern(&args[0]),
        _ => Err("LIKE takes a pattern written as a string (or CASEI of one)".into()),
    }
}

/// Reads a filter's geometry literal, refusing what PostGIS could not take: an empty
/// geometry, a ring that is not closed or has fewer than 4 points, or any other invalidity
/// (a self-intersecting ring, a collection holding one).
fn read_geometry(source: &impl geozero::GeozeroGeometry) -> Result<geo::Geometry, String> {
    use geo::{CoordsIter, Validation};
    let mut rings = RingCheck::default();
    source.process_geom(&mut rings).map_err(|e| format!("geometry in the filter cannot be read: {e}"))?;
    let g = source.to_geo().map_err(|e| format!("geometry in the filter cannot be read: {e}"))?;
    if g.coords_count() == 0 {
        return Err("geometry in the filter is empty".into());
    }
    g.check_validation().map_err(|e| format!("geometry in the filter is not valid: {e}"))?;
    Ok(g)
}

/// Checks each polygon ring as written, before anything closes it.
#[derive(Default)]
struct RingCheck {
    polygons: usize,
    ring: Vec<(f64, f64)>,
}

impl geozero::GeomProcessor for RingCheck {
    fn xy(&mut self, x: f64, y: f64, _idx: usize) -> geozero::error::Result<()> {
        if !x.is_finite() || !y.is_finite() {
            return Err(geozero::error::GeozeroError::Geometry("a coordinate is not a finite number".into()));
        }
        self.ring.push((x, y));
        Ok(())
    }
    fn polygon_begin(&mut self, _tagged: bool, _size: usize, _idx: usize) -> geozero::error::Result<()> {
        self.polygons += 1;
        Ok(())
    }
    fn polygon_end(&mut self, _tagged: bool, _idx: usize) -> geozero::error::Result<()> {
        self.polygons -= 1;
        Ok(())
    }
    fn linestring_begin(&mut self, _tagged: bool, _size: usize, _idx: usize) -> geozero::error::Result<()> {
        self.ring.clear();
        Ok(())
    }
    fn linestring_end(&mut self, tagged: bool, _idx: usize) -> geozero::error::Result<()> {
        let bad = |m: String| Err(geozero::error::GeozeroError::Geometry(m));
        match (tagged, self.ring.len()) {
            (true, 1) => bad("a line has a single point".into()),
            (false, n) if self.polygons > 0 && n < 4 => {
                bad(format!("a polygon ring has {n} points; a ring needs at least 4 (the last repeating the first)"))
            }
            (false, _) if self.polygons > 0 && self.ring.first() != self.ring.last() => {
                bad("a polygon ring does not close: its last point must repeat its first".into())
            }
            _ => Ok(()),
        }
    }
}

struct Writer<'w> {
    spec: &'w LayerSpec,
    audience: Audience,
    fid: String,
    crs: &'w ApiCrs,
    binds: Vec<Bind>,
    nodes: usize,
    /// A fault of the server's met while writing (PROJ failing), told apart from the caller's.
    server_fault: Option<String>,
    /// Whether a condition names a field the public may not see.
    beyond_open: bool,
}

impl Writer<'_> {
    /// The message of a fault; a server's is also kept, so `to_sql` reports it as such.
    fn fault(&mut self, f: Fault) -> String {
        match f {
            Fault::Caller(m) => m,
            Fault::Server(m) | Fault::Unavailable(m) => {
                self.server_fault = Some(m.clone());
                m
            }
        }
    }

    /// A parameter, typed in the SQL so that two literals compare (`true = true`).
    fn bind(&mut self, b: Bind, kind: Kind) -> (String, Kind) {
        self.binds.push(b);
        let n = FIRST_PARAM + self.binds.len() - 1;
        let sql = match kind {
            Kind::Geometry => format!("ST_GeomFromWKB(${n}, 4326)"),
            Kind::Text => format!("${n}::text"),
            Kind::Number => format!("${n}::float8"),
            Kind::Bool => format!("${n}::boolean"),
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
                Some((name, kind)) => {
                    self.beyond_open |= self.spec.queryable(Audience::Public, name).is_none();
                    Ok((property_sql(name, kind), Kind::of(kind)))
                }
                None => Err(format!("`{property}` is not a queryable property of this collection")),
            },
            Expr::Literal(s) if s.chars().count() > MAX_STRING_CHARS => {
                Err(format!("a string in the filter is longer than {MAX_STRING_CHARS} characters"))
            }
            Expr::Literal(s) if s.contains('\0') => Err("a string in the filter holds a NUL character".into()),
            Expr::Literal(s) => Ok(self.bind(Bind::Text(s.clone()), Kind::Text)),
            Expr::Float(n) if n.is_finite() => Ok(self.bind(Bind::Number(*n), Kind::Number)),
            Expr::Float(n) => Err(format!("number `{n}` is not finite")),
            Expr::Bool(b) => Ok(self.bind(Bind::Bool(*b), Kind::Bool)),
            Expr::Geometry(g) => {
                let mut g = match g {
                    cql2::Geometry::Wkt(wkt) => read_geometry(&geozero::wkt::Wkt(wkt.as_str())),
                    cql2::Geometry::GeoJSON(json) => read_geometry(&geozero::geojson::GeoJson(&json.to_string())),
                }?;
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
                let [w, s, e, n] = self.crs.bbox_to_crs84(b).map_err(|f| self.fault(f))?;
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
        self.crs.geometry_to_crs84(g).map_err(|f| self.fault(f))?;
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
        if let Some(list) = (op == "or").then(|| as_in_list(args)).flatten() {
            return self.expr(&list, depth);
        }
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
                like_pattern(&args[1])?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Expr {
        parse(text, Lang::Cql2Text).unwrap()
    }

    #[test]
    fn operators_are_counted_outside_strings_and_names() {
        assert_eq!(scan_text("NOT NOT a = 'x AND y (z'"), (3, 0));
        assert_eq!(scan_text("\"notes\" LIKE 'a%' OR b IN (1, (2))"), (5, 2));
        assert_eq!(scan_text("nothing_here = android"), (1, 0));
        assert_eq!(json_nesting(r#"{"args": ["a\"]]]]", [[1]]]}"#), 4);
    }

    #[test]
    fn an_or_of_equalities_on_one_property_is_a_list() {
        let Expr::Operation { args, .. } = parsed("a = 'x' OR a = 'y' OR a = 3") else { panic!() };
        let list = as_in_list(&args).unwrap();
        assert_eq!(
            list,
            op(
                "in",
                vec![
                    Expr::Property { property: "a".into() },
                    Expr::Array(vec![
                        Box::new(Expr::Literal("x".into())),
                        Box::new(Expr::Literal("y".into())),
                        Box::new(Expr::Float(3.0)),
                    ])
                ]
            )
        );
        let Expr::Operation { args, .. } = parsed("a = 'x' OR b = 'y'") else { panic!() };
        assert_eq!(as_in_list(&args), None);
        let Expr::Operation { args, .. } = parsed("a = 'x' OR a > 'y'") else { panic!() };
        assert_eq!(as_in_list(&args), None);
    }

    #[test]
    fn like_patterns_may_not_end_in_a_lone_escape() {
        assert!(like_pattern(&Expr::Literal(r"ab\".into())).is_err());
        assert!(like_pattern(&Expr::Literal(r"ab\\".into())).is_ok());
        assert!(like_pattern(&Expr::Literal(r"ab\\\".into())).is_err());
        assert!(like_pattern(&op("casei", vec![Expr::Literal(r"a\".into())])).is_err());
        assert!(like_pattern(&Expr::Property { property: "a".into() }).is_err());
    }

    #[test]
    fn filter_geometries_are_checked_as_written() {
        let wkt = |s: &str| read_geometry(&geozero::wkt::Wkt(s)).map(|_| ());
        assert!(wkt("POLYGON((0 0, 1 0, 1 1, 0 0))").is_ok());
        assert!(wkt("POLYGON((0 0, 1 0))").unwrap_err().contains("2 points"));
        assert!(wkt("POLYGON((0 0, 1 0, 1 1, 0 1))").unwrap_err().contains("does not close"));
        assert!(wkt("POLYGON EMPTY").unwrap_err().contains("empty"));
        assert!(wkt("LINESTRING(0 0)").is_err());
        assert!(
            wkt("GEOMETRYCOLLECTION(POINT(0 0), POLYGON((0 0, 1 1, 1 0, 0 1, 0 0)))")
                .unwrap_err()
                .contains("not valid")
        );
    }
}
