//! WFS GetPropertyValue: one property of the features a query selects.

use axum::response::Response;

use super::{Kvp, query, xml};
use crate::access::View;
use crate::features::{self};
use crate::filter::{self};
use crate::http::AppState;
use crate::wfs::{self, GML_MEDIA, PREFIX, WfsError};

pub(super) async fn get_property_value(state: &AppState, view: &View, kvp: &Kvp) -> Result<Response, WfsError> {
    let reference = kvp.require("valuereference")?;
    let (source, spec, mut q, srs) = query(state, view, kvp)?;
    let name = reference.trim().rsplit(':').next().unwrap_or_default();
    let geometry = filter::GEOMETRY_NAMES.contains(&name);
    if !geometry {
        let f = spec.visible_field(view.audience, name).ok_or_else(|| {
            WfsError::invalid("valuereference", format!("`{reference}` is not a property of {}", spec.name))
        })?;
        q.properties = Some(vec![f.name.clone()]);
    }
    let (items, matched) =
        features::items(source, spec, view, &q, &srs).await.map_err(|e| WfsError::from_fault("filter", e.fault()))?;
    let mut members = String::new();
    for (i, item) in items.iter().enumerate() {
        members.push_str("<wfs:member>");
        if geometry {
            wfs::geometry(
                &mut members,
                &item.feature["geometry"],
                spec.geometry,
                &srs.uri,
                &format!("{}.v{i}", spec.name),
            );
        } else if let Some(v) = item.feature["properties"].get(name) {
            let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
            members.push_str(&format!("<{PREFIX}:{name}>{}</{PREFIX}:{name}>", quick_xml::escape::escape(&text)));
        }
        members.push_str("</wfs:member>");
    }
    Ok(xml(
        GML_MEDIA,
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<wfs:ValueCollection xmlns:wfs="http://www.opengis.net/wfs/2.0" xmlns:gml="http://www.opengis.net/gml/3.2" xmlns:{PREFIX}="{}" numberMatched="{matched}" numberReturned="{}" timeStamp="{}">{members}</wfs:ValueCollection>"#,
            wfs::NS,
            items.len(),
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ),
    ))
}
