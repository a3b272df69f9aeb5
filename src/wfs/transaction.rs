//! WFS Transaction documents: Insert, Update and Delete read from the XML a client POSTs (WFS
//! 1.1.0, as QGIS 3.22 sends it even on a 2.0 connection, with GML 3.1.1 geometries; and WFS
//! 2.0), and the TransactionResponse written in the request's version.

use std::fmt::Write;

use quick_xml::escape::escape;

use crate::xml::{Limits, Node};

/// A transaction of a few thousand edited parcels fits; more is refused unread.
pub const MAX_BYTES: usize = 32 * 1024 * 1024;
const LIMITS: Limits = Limits { bytes: MAX_BYTES, depth: 64, nodes: 2_000_000 };

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// WFS 1.0.0 (GML 2, longitude first), answered as 1.1.0 is: QGIS reads either.
    V1_0,
    /// WFS 1.1.0 (namespace `http://www.opengis.net/wfs`, GML 3.1.1).
    V1_1,
    V2,
}

/// A property's value as sent: nothing (nil), text, or a GML geometry (its source text).
#[derive(Debug, PartialEq)]
pub enum Value {
    Null,
    Text(String),
    Gml { gml: String, srs_name: Option<String> },
}

/// One action of a transaction; `handle` is the client's name for it.
#[derive(Debug)]
pub enum Action {
    Insert { handle: Option<String>, features: Vec<(String, Vec<(String, Value)>)> },
    Update { handle: Option<String>, type_name: String, properties: Vec<(String, Value)>, ids: Vec<String> },
    Delete { handle: Option<String>, type_name: String, ids: Vec<String> },
}

#[derive(Debug)]
pub struct Transaction {
    pub version: Version,
    pub handle: Option<String>,
    pub actions: Vec<Action>,
}

/// The name without its prefix.
fn bare(name: &str) -> String {
    name.trim().rsplit(':').next().unwrap_or_default().to_owned()
}

/// Reads a Transaction document; errors say what is wrong and where.
pub fn parse(xml: &str) -> Result<Transaction, String> {
    if xml.contains('\0') {
        return Err("the Transaction holds a NUL character, which XML cannot carry".into());
    }
    let mut top = crate::xml::parse(xml, "the Transaction", &LIMITS)?;
    let root = match top.len() {
        1 => top.remove(0),
        _ => return Err("the body must hold one wfs:Transaction element".into()),
    };
    if root.name != "Transaction" {
        return Err(format!("a POST to /wfs takes a wfs:Transaction, not {}: other requests are GETs", root.name));
    }
    let version = match root.attr("version").unwrap_or("2.0.0") {
        "1.0.0" => Version::V1_0,
        v if v.starts_with("1.") => Version::V1_1,
        v if v.starts_with("2.0") => Version::V2,
        v => return Err(format!("Transaction version `{v}` is not offered: send 1.1.0 or 2.0.0")),
    };
    let actions = root
        .children
        .iter()
        .enumerate()
        .map(|(i, n)| action(xml, n).map_err(|e| format!("{} {} of the Transaction: {e}", n.name, i + 1)))
        .collect::<Result<_, _>>()?;
    Ok(Transaction { version, handle: root.attr("handle").map(str::to_owned), actions })
}

fn action(xml: &str, n: &Node) -> Result<Action, String> {
    let handle = n.attr("handle").map(str::to_owned);
    let type_name = || n.attr("typeName").or(n.attr("typename")).map(bare).ok_or("typeName is missing");
    match n.name.as_str() {
        "Insert" => {
            let features = n
                .children
                .iter()
                .map(|f| Ok((f.name.clone(), properties_of_feature(xml, f)?)))
                .collect::<Result<_, String>>()?;
            Ok(Action::Insert { handle, features })
        }
        "Update" => {
            let properties = n
                .children
                .iter()
                .filter(|c| c.name == "Property")
                .map(|p| {
                    let name = p.child("Name").or(p.child("ValueReference")).ok_or("a Property has no Name")?;
                    let value = match p.child("Value") {
                        None => Value::Null,
                        Some(v) => value(xml, v),
                    };
                    Ok((bare(&name.text), value))
                })
                .collect::<Result<_, String>>()?;
            Ok(Action::Update { handle, type_name: type_name()?, properties, ids: ids(n)? })
        }
        "Delete" => Ok(Action::Delete { handle, type_name: type_name()?, ids: ids(n)? }),
        other => Err(format!("{other} is not offered: a Transaction holds Insert, Update and Delete")),
    }
}

fn properties_of_feature(xml: &str, f: &Node) -> Result<Vec<(String, Value)>, String> {
    Ok(f.children.iter().map(|p| (p.name.clone(), value(xml, p))).collect())
}

/// A property element's value: a geometry when it holds an element, else its text.
fn value(xml: &str, n: &Node) -> Value {
    match n.children.first() {
        Some(g) => {
            Value::Gml { gml: xml[g.span.0..g.span.1].to_owned(), srs_name: g.attr("srsName").map(str::to_owned) }
        }
        None if n.attr("nil") == Some("true") => Value::Null,
        None => Value::Text(n.text.clone()),
    }
}

/// The feature ids a Filter names: only identifier filters select what a transaction changes.
fn ids(n: &Node) -> Result<Vec<String>, String> {
    let filter = n.child("Filter").ok_or("a Filter naming the features is missing")?;
    let ids: Vec<String> = filter
        .children
        .iter()
        .map(|c| {
            match c.name.as_str() {
                "FeatureId" => c.attr("fid"),
                "GmlObjectId" => c.attr("id"),
                "ResourceId" => c.attr("rid"),
                _ => None,
            }
            .map(str::to_owned)
            .ok_or_else(|| {
                format!("{} cannot select features to change here: name them with FeatureId or ResourceId", c.name)
            })
        })
        .collect::<Result<_, _>>()?;
    if ids.is_empty() {
        return Err("the Filter names no feature".into());
    }
    Ok(ids)
}

/// What a committed transaction did.
pub struct Summary {
    pub inserted: Vec<(Option<String>, String)>,
    pub updated: usize,
    pub deleted: usize,
}

/// The answer in the request's version: WFS 1.0.0's TransactionResult with the new ids in
/// InsertResult; 1.1.0's and 2.0's TransactionSummary totals with InsertResults under handles.
pub fn response(version: Version, s: &Summary) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let fid = |id: &str| format!(r#"<ogc:FeatureId fid="{}"/>"#, escape(id));
    if version == Version::V1_0 {
        out.push_str(r#"<wfs:WFS_TransactionResponse xmlns:wfs="http://www.opengis.net/wfs" xmlns:ogc="http://www.opengis.net/ogc" version="1.0.0">"#);
        if !s.inserted.is_empty() {
            let ids: String = s.inserted.iter().map(|(_, id)| fid(id)).collect();
            let _ = write!(out, "<wfs:InsertResult>{ids}</wfs:InsertResult>");
        }
        out.push_str("<wfs:TransactionResult><wfs:Status><wfs:SUCCESS/></wfs:Status></wfs:TransactionResult></wfs:WFS_TransactionResponse>");
        return out;
    }
    let (ns, replaced) = match version {
        Version::V2 => (
            r#"xmlns:wfs="http://www.opengis.net/wfs/2.0" xmlns:fes="http://www.opengis.net/fes/2.0" version="2.0.0""#,
            "<wfs:totalReplaced>0</wfs:totalReplaced>",
        ),
        _ => (r#"xmlns:wfs="http://www.opengis.net/wfs" xmlns:ogc="http://www.opengis.net/ogc" version="1.1.0""#, ""),
    };
    let _ = write!(
        out,
        "<wfs:TransactionResponse {ns}><wfs:TransactionSummary><wfs:totalInserted>{}</wfs:totalInserted><wfs:totalUpdated>{}</wfs:totalUpdated>{replaced}<wfs:totalDeleted>{}</wfs:totalDeleted></wfs:TransactionSummary>",
        s.inserted.len(),
        s.updated,
        s.deleted
    );
    if !s.inserted.is_empty() {
        out.push_str("<wfs:InsertResults>");
        for (handle, id) in &s.inserted {
            let handle = handle.as_deref().map(|h| format!(r#" handle="{}""#, escape(h))).unwrap_or_default();
            let id = match version {
                Version::V2 => format!(r#"<fes:ResourceId rid="{}"/>"#, escape(id)),
                _ => fid(id),
            };
            let _ = write!(out, "<wfs:Feature{handle}>{id}</wfs:Feature>");
        }
        out.push_str("</wfs:InsertResults>");
    }
    out.push_str("</wfs:TransactionResponse>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_qgis_transaction_reads_into_actions() {
        let xml = r#"<Transaction xmlns="http://www.opengis.net/wfs" service="WFS" version="1.1.0"
            xmlns:gml="http://www.opengis.net/gml" xmlns:ogc="http://www.opengis.net/ogc" xmlns:dc="urn:diachinh">
          <Insert><dc:parcels><dc:legacy_key>05443-1-9001</dc:legacy_key><dc:address/>
            <dc:geometry><gml:Polygon srsName="EPSG:4326"><gml:exterior><gml:LinearRing><gml:posList>105 21 105.1 21 105.1 21.1 105 21</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></dc:geometry>
          </dc:parcels></Insert>
          <Update typeName="dc:parcels"><Property><Name>land_use</Name><Value>TMD</Value></Property>
            <ogc:Filter><ogc:FeatureId fid="parcels.w7g6b61ktcse"/></ogc:Filter></Update>
          <Delete typeName="dc:parcels" handle="gone"><ogc:Filter><ogc:FeatureId fid="parcels.w7g6b61hne87"/></ogc:Filter></Delete>
        </Transaction>"#;
        let t = parse(xml).unwrap();
        assert_eq!(t.version, Version::V1_1);
        let Action::Insert { features, .. } = &t.actions[0] else { panic!("{:?}", t.actions) };
        assert_eq!(features[0].0, "parcels");
        assert_eq!(features[0].1[0], ("legacy_key".into(), Value::Text("05443-1-9001".into())));
        assert_eq!(features[0].1[1], ("address".into(), Value::Text(String::new())));
        let Value::Gml { gml, srs_name } = &features[0].1[2].1 else { panic!() };
        assert!(gml.starts_with("<gml:Polygon") && gml.ends_with("</gml:Polygon>"), "{gml}");
        assert_eq!(srs_name.as_deref(), Some("EPSG:4326"));
        let Action::Update { type_name, properties, ids, .. } = &t.actions[1] else { panic!() };
        assert_eq!((type_name.as_str(), ids[0].as_str()), ("parcels", "parcels.w7g6b61ktcse"));
        assert_eq!(properties[0], ("land_use".into(), Value::Text("TMD".into())));
        let Action::Delete { handle, .. } = &t.actions[2] else { panic!() };
        assert_eq!(handle.as_deref(), Some("gone"));
    }

    #[test]
    fn what_cannot_be_done_is_named() {
        for (xml, says) in [
            ("<GetFeature/>", "not GetFeature"),
            (r#"<Transaction version="3.0"/>"#, "version `3.0`"),
            (r#"<Transaction><Native/></Transaction>"#, "Native 1 of the Transaction"),
            (r#"<Transaction><Delete typeName="parcels"/></Transaction>"#, "Filter naming"),
            (
                r#"<Transaction><Delete typeName="parcels"><Filter><PropertyIsEqualTo/></Filter></Delete></Transaction>"#,
                "FeatureId or ResourceId",
            ),
            ("<Transaction>", "not well-formed"),
        ] {
            let e = parse(xml).unwrap_err();
            assert!(e.contains(says), "{xml}: {e}");
        }
    }

    #[test]
    fn the_response_gives_totals_and_new_ids_in_the_request_version() {
        let s = Summary { inserted: vec![(Some("new".into()), "parcels.w7g6b61ktcse".into())], updated: 2, deleted: 1 };
        let v1 = response(Version::V1_1, &s);
        assert!(
            v1.contains(
                "<wfs:totalInserted>1</wfs:totalInserted><wfs:totalUpdated>2</wfs:totalUpdated><wfs:totalDeleted>1"
            ),
            "{v1}"
        );
        assert!(v1.contains(r#"<wfs:Feature handle="new"><ogc:FeatureId fid="parcels.w7g6b61ktcse"/>"#), "{v1}");
        assert!(response(Version::V2, &s).contains(r#"<fes:ResourceId rid="parcels.w7g6b61ktcse"/>"#));
        let v10 = response(Version::V1_0, &s);
        assert!(
            v10.contains(r#"<wfs:InsertResult><ogc:FeatureId fid="parcels.w7g6b61ktcse"/></wfs:InsertResult>"#),
            "{v10}"
        );
        assert!(v10.contains("<wfs:Status><wfs:SUCCESS/></wfs:Status>"), "{v10}");
    }
}
