//! FES 2.0 filters (WFS 2.0's FILTER), read into the same `cql2::Expr` tree as CQL2 so one
//! writer makes SQL of both. Geometries are read by OGR's GML parser and put into CRS84;
//! literals take the type of the property they are compared with.

use cql2::Expr;
use geozero::{ToGeo, ToWkt};

use crate::catalog::FieldType;
use crate::xml::{Limits, Node};

use super::{GEOMETRY_NAMES, MAX_DEPTH, MAX_FILTER_BYTES, MAX_NODES, join, op};

/// What reading a filter needs of the service: property types and CRS handling.
pub trait Context {
    /// The type of a queryable property (`None` for the geometry or an unknown name).
    fn kind_of(&self, property: &str) -> Option<FieldType>;
    /// A geometry in `srs_name` (the request's CRS when None) put into CRS84.
    fn to_crs84(&self, g: &mut geo::Geometry, srs_name: Option<&str>) -> Result<(), String>;
    /// The condition that a feature has id `rid` (`typename.fid` or `fid`).
    fn resource_id(&self, rid: &str) -> Result<Expr, String>;
}

/// The document of a FILTER parameter, within the filter limits.
fn parse_dom(xml: &str) -> Result<Node, String> {
    let limits = Limits { bytes: MAX_FILTER_BYTES, depth: MAX_DEPTH, nodes: MAX_NODES };
    let mut top = crate::xml::parse(xml, "FILTER", &limits)?;
    match top.len() {
        1 => Ok(top.remove(0)),
        _ => Err("FILTER must hold one fes:Filter element".into()),
    }
}

/// Reads a FES 2.0 `fes:Filter`.
pub fn parse(xml: &str, ctx: &dyn Context) -> Result<Expr, String> {
    let root = parse_dom(xml)?;
    if root.name != "Filter" {
        return Err(format!("FILTER must be a fes:Filter, not {}", root.name));
    }
    let reader = Reader { xml, ctx };
    // Several ResourceIds select any of them.
    if !root.children.is_empty() && root.children.iter().all(|c| c.name == "ResourceId") {
        let ids = root.children.iter().map(|c| reader.resource_id(c)).collect::<Result<_, _>>()?;
        return Ok(join("or", ids).expect("one ResourceId at least"));
    }
    match &root.children[..] {
        [one] => reader.expr(one),
        _ => Err("fes:Filter takes one condition (join several with fes:And)".into()),
    }
}

struct Reader<'a> {
    xml: &'a str,
    ctx: &'a dyn Context,
}

impl Reader<'_> {
    fn resource_id(&self, n: &Node) -> Result<Expr, String> {
        let rid = n.attr("rid").ok_or("fes:ResourceId needs a rid")?;
        self.ctx.resource_id(rid)
    }

    fn expr(&self, n: &Node) -> Result<Expr, String> {
        let kids = &n.children;
        match n.name.as_str() {
            "And" | "Or" => {
                if kids.len() < 2 {
                    return Err(format!("fes:{} takes two or more conditions", n.name));
                }
                Ok(op(&n.name.to_lowercase(), kids.iter().map(|k| self.expr(k)).collect::<Result<_, _>>()?))
            }
            "Not" => match &kids[..] {
                [one] => Ok(op("not", vec![self.expr(one)?])),
                _ => Err("fes:Not takes one condition".into()),
            },
            "ResourceId" => self.resource_id(n),
            "PropertyIsEqualTo"
            | "PropertyIsNotEqualTo"
            | "PropertyIsLessThan"
            | "PropertyIsGreaterThan"
            | "PropertyIsLessThanOrEqualTo"
            | "PropertyIsGreaterThanOrEqualTo" => {
                let symbol = match n.name.as_str() {
                    "PropertyIsEqualTo" => "=",
                    "PropertyIsNotEqualTo" => "<>",
                    "PropertyIsLessThan" => "<",
                    "PropertyIsGreaterThan" => ">",
                    "PropertyIsLessThanOrEqualTo" => "<=",
                    _ => ">=",
                };
                let [a, b] = &kids[..] else {
                    return Err(format!("fes:{} takes two operands", n.name));
                };
                let kind = self.kind_in(kids);
                let (a, b) = (self.operand(a, kind)?, self.operand(b, kind)?);
                // matchCase="false" compares strings case-insensitively.
                let (a, b) = if n.attr("matchCase") == Some("false") && kind == Some(FieldType::String) {
                    (op("casei", vec![a]), op("casei", vec![b]))
                } else {
                    (a, b)
                };
                Ok(op(symbol, vec![a, b]))
            }
            "PropertyIsLike" => {
                let [a, b] = &kids[..] else {
                    return Err("fes:PropertyIsLike takes a ValueReference and a Literal".into());
                };
                let pattern = like_pattern(
                    &b.text,
                    n.attr("wildCard").unwrap_or("*"),
                    n.attr("singleChar").unwrap_or("?"),
                    n.attr("escapeChar").unwrap_or("\\"),
                )?;
                let (a, b) = (self.operand(a, Some(FieldType::String))?, Expr::Literal(pattern));
                let (a, b) = if n.attr("matchCase") == Some("false") {
                    (op("casei", vec![a]), op("casei", vec![b]))
                } else {
                    (a, b)
                };
                Ok(op("like", vec![a, b]))
            }
            "PropertyIsNull" | "PropertyIsNil" => match &kids[..] {
                [one] => Ok(op("isNull", vec![self.operand(one, None)?])),
                _ => Err(format!("fes:{} takes one ValueReference", n.name)),
            },
            "PropertyIsBetween" => {
                let kind = self.kind_in(kids);
                let bound = |name: &str| -> Result<Expr, String> {
                    let b =
                        kids.iter().find(|k| k.name == name).ok_or(format!("fes:PropertyIsBetween needs {name}"))?;
                    match &b.children[..] {
                        [one] => self.operand(one, kind),
                        _ => Err(format!("fes:{name} holds one expression")),
                    }
                };
                let value = kids.first().ok_or("fes:PropertyIsBetween needs a ValueReference")?;
                Ok(op("between", vec![self.operand(value, kind)?, bound("LowerBoundary")?, bound("UpperBoundary")?]))
            }
            "BBOX" => {
                let envelope = kids.iter().find(|k| k.name == "Envelope").ok_or("fes:BBOX needs a gml:Envelope")?;
                Ok(op("s_intersects", vec![Expr::Property { property: "geometry".into() }, self.geometry(envelope)?]))
            }
            "Intersects" | "Within" | "Contains" | "Disjoint" | "Equals" | "Touches" | "Overlaps" | "Crosses" => {
                let geometry = kids
                    .iter()
                    .find(|k| k.name != "ValueReference")
                    .ok_or(format!("fes:{} needs a geometry", n.name))?;
                let name = format!("s_{}", n.name.to_lowercase());
                Ok(op(&name, vec![Expr::Property { property: "geometry".into() }, self.geometry(geometry)?]))
            }
            other => Err(format!(
                "fes:{other} is not supported: use And, Or, Not, ResourceId, PropertyIsEqualTo (and the other comparisons), PropertyIsLike, PropertyIsNull, PropertyIsBetween, BBOX, Intersects, Within, Contains, Disjoint, Equals, Touches, Overlaps, Crosses"
            )),
        }
    }

    /// The type of the first property named among `kids`, which literals beside it take.
    fn kind_in(&self, kids: &[Node]) -> Option<FieldType> {
        kids.iter().filter(|k| k.name == "ValueReference").find_map(|k| self.ctx.kind_of(&property_name(&k.text)))
    }

    fn operand(&self, n: &Node, kind: Option<FieldType>) -> Result<Expr, String> {
        match n.name.as_str() {
            "ValueReference" | "PropertyName" => Ok(Expr::Property { property: property_name(&n.text) }),
            "Literal" => {
                let text = n.text.trim();
                match kind {
                    Some(FieldType::Number | FieldType::Integer) => text
                        .parse::<f64>()
                        .map(Expr::Float)
                        .map_err(|_| format!("`{text}` is compared with a number property and is not a number")),
                    Some(FieldType::Boolean) => match text {
                        "true" | "1" => Ok(Expr::Bool(true)),
                        "false" | "0" => Ok(Expr::Bool(false)),
                        _ => Err(format!("`{text}` is compared with a boolean property and is not true or false")),
                    },
                    _ => Ok(Expr::Literal(n.text.clone())),
                }
            }
            other => Err(format!("fes:{other} is not supported as an operand: use ValueReference or Literal")),
        }
    }

    /// A GML geometry or envelope, read by OGR, in CRS84.
    fn geometry(&self, n: &Node) -> Result<Expr, String> {
        let srs = n.attr("srsName");
        let mut g = if n.name == "Envelope" {
            let corner = |name: &str| -> Result<[f64; 2], String> {
                let c = n.children.iter().find(|c| c.name == name).ok_or(format!("gml:Envelope needs {name}"))?;
                let v: Vec<f64> = c
                    .text
                    .split_whitespace()
                    .map(str::parse)
                    .collect::<Result<_, _>>()
                    .map_err(|_| format!("gml:{name} `{}` is not two numbers", c.text))?;
                v.try_into().map_err(|_| format!("gml:{name} `{}` is not two numbers", c.text))
            };
            let ([x1, y1], [x2, y2]) = (corner("lowerCorner")?, corner("upperCorner")?);
            geo::Geometry::Polygon(geo::Rect::new((x1, y1), (x2, y2)).to_polygon())
        } else {
            check_rings(n)?;
            let gml = &self.xml[n.span.0..n.span.1];
            let what = format!("gml:{} cannot be read", n.name);
            let wkb = crate::gdal_errors::attempt(&what, || gdal::vector::Geometry::from_gml(gml)?.wkb())?;
            geozero::wkb::Wkb(wkb).to_geo().map_err(|e| format!("gml:{}: {e}", n.name))?
        };
        self.ctx.to_crs84(&mut g, srs)?;
        let wkt = g.to_wkt().map_err(|e| e.to_string())?;
        Ok(Expr::Geometry(cql2::Geometry::Wkt(wkt)))
    }
}

/// Each `gml:LinearRing` as written (OGR would close an open one silently): at least 4
/// positions, the last repeating the first.
fn check_rings(n: &Node) -> Result<(), String> {
    if n.name == "LinearRing" {
        let dim: usize =
            n.attr("srsDimension").and_then(|d| d.parse().ok()).filter(|d| (2..=3).contains(d)).unwrap_or(2);
        let text: String = n
            .children
            .iter()
            .filter(|c| matches!(c.name.as_str(), "posList" | "pos" | "coordinates"))
            .map(|c| c.text.replace(',', " ") + " ")
            .collect();
        let numbers = text
            .split_whitespace()
            .map(|v| v.parse::<f64>().map_err(|_| format!("a gml:LinearRing position `{v}` is not a number")))
            .collect::<Result<Vec<f64>, String>>()?;
        let points: Vec<&[f64]> = numbers.chunks(dim).collect();
        if points.len() < 4 {
            return Err(format!(
                "a gml:LinearRing has {} positions; a ring needs at least 4 (the last repeating the first)",
                points.len()
            ));
        }
        if points.first() != points.last() {
            return Err("a gml:LinearRing does not close: its last position must repeat its first".into());
        }
    }
    n.children.iter().try_for_each(check_rings)
}

/// `dc:land_use` or `dc:parcels/dc:land_use` → `land_use`; any geometry name → `geometry`.
fn property_name(reference: &str) -> String {
    let last = reference.trim().rsplit('/').next().unwrap_or_default();
    let name = last.rsplit(':').next().unwrap_or_default();
    if GEOMETRY_NAMES.contains(&name) { "geometry".into() } else { name.to_owned() }
}

/// A FES LIKE pattern as SQL LIKE: the wildcards become % and _, everything else is literal.
fn like_pattern(pattern: &str, wild: &str, single: &str, escape: &str) -> Result<String, String> {
    let (wild, single, escape) = match (wild.chars().next(), single.chars().next(), escape.chars().next()) {
        (Some(w), Some(s), Some(e)) => (w, s, e),
        _ => return Err("fes:PropertyIsLike needs one-character wildCard, singleChar and escapeChar".into()),
    };
    let mut out = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        let literal = match c {
            c if c == escape => chars.next().ok_or("fes:PropertyIsLike pattern ends with its escape character")?,
            c if c == wild => {
                out.push('%');
                continue;
            }
            c if c == single => {
                out.push('_');
                continue;
            }
            c => c,
        };
        if matches!(literal, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(literal);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_keep_sql_wildcards_literal() {
        assert_eq!(like_pattern("05443-1-*", "*", "?", "\\").unwrap(), "05443-1-%");
        assert_eq!(like_pattern("a?b%c_\\*", "*", "?", "\\").unwrap(), "a_b\\%c\\_*");
        assert!(like_pattern("abc!", "*", "?", "!").is_err());
    }

    #[test]
    fn references_lose_their_prefix_and_path() {
        assert_eq!(property_name(" dc:parcels/dc:land_use "), "land_use");
        assert_eq!(property_name("geom"), "geometry");
    }
}
