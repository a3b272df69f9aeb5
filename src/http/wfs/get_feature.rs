//! WFS GetFeature: features as GML 3.2 or GeoJSON, hits, and downloads through GDAL.

use axum::response::Response;
use serde_json::{Value, json};

use super::{Kvp, find, query, xml};
use crate::access::View;
use crate::export::{self, Format};
use crate::features::{self, MAX_OFFSET};
use crate::http::AppState;
use crate::http::paging::page_url;
use crate::wfs::{self, GET_FEATURE_BY_ID, GML_MEDIA, PREFIX, WfsError};

/// What OUTPUTFORMAT asks for.
#[derive(PartialEq)]
enum Output {
    Gml,
    Json,
    File(Format),
}

fn output(kvp: &Kvp) -> Result<Output, WfsError> {
    let Some(asked) = kvp.get("outputformat") else { return Ok(Output::Gml) };
    let f = asked.to_ascii_lowercase().replace(' ', "");
    if f.contains("json") {
        return Ok(Output::Json);
    }
    if f.contains("gml/3.2")
        || f.contains("version=3.2")
        || ["gml32", "text/xml", "application/xml"].contains(&f.as_str())
    {
        return Ok(Output::Gml);
    }
    Format::parse(asked).map(Output::File).ok_or_else(|| {
        WfsError::invalid(
            "outputformat",
            format!(
                "outputFormat `{asked}` is not offered: use {GML_MEDIA}, application/json or a download: {}",
                Format::NAMES
            ),
        )
    })
}

pub(super) async fn get_feature(state: &AppState, view: &View, url: &str, kvp: &Kvp) -> Result<Response, WfsError> {
    let output = output(kvp)?;
    let json = output == Output::Json;
    if let Some(id) = kvp.get("storedquery_id") {
        if id != GET_FEATURE_BY_ID {
            return Err(WfsError::invalid(
                "storedquery_id",
                format!("no stored query `{id}`; there is {GET_FEATURE_BY_ID}"),
            ));
        }
        let rid = kvp.require("id")?;
        let (layer, fid) = rid
            .split_once('.')
            .ok_or_else(|| WfsError::invalid("id", format!("id `{rid}` must be layer.featureid")))?;
        let spec = find(state, layer, view.audience)?;
        let srs = wfs::srs(kvp.get("srsname").unwrap_or(wfs::DEFAULT_SRS), "srsname")?;
        let item = features::item(state.reads.pool(), spec, view, fid, &srs)
            .await
            .map_err(|e| WfsError::from_fault("filter", e.fault()))?;
        let item = item.ok_or_else(|| WfsError {
            code: "NotFound",
            locator: "id".into(),
            text: format!("no feature `{rid}`"),
        })?;
        return Ok(if json {
            xml("application/geo+json", item.feature.to_string())
        } else {
            xml(
                GML_MEDIA,
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}",
                    wfs::feature(spec, &item.feature, &srs.uri, true)
                ),
            )
        });
    }
    let (source, spec, mut q, srs) = query(state, view, kvp)?;
    let hits = match kvp.get("resulttype").map(str::to_ascii_lowercase).as_deref() {
        None | Some("results") => false,
        Some("hits") => true,
        Some(r) => return Err(WfsError::invalid("resulttype", format!("resultType `{r}` must be results or hits"))),
    };
    if hits {
        q.limit = 0;
    }
    if let Output::File(format) = output {
        let crs = srs.clone().spelled(&srs.uri, false);
        let file = export::export(source, spec, view, q, &crs, format)
            .await
            .map_err(|e| WfsError::from_fault("outputformat", e.fault()))?;
        return Ok(crate::http::download(file, &spec.name, format));
    }
    let (items, matched) =
        features::items(source, spec, view, &q, &srs).await.map_err(|e| WfsError::from_fault("filter", e.fault()))?;
    let next = (!hits
        && items.len() == q.limit
        && ((q.offset + q.limit) as i64) < matched
        && q.offset + q.limit <= MAX_OFFSET)
        .then(|| page_url(url, &kvp.0, &["startindex"], &[("startindex", (q.offset + q.limit).to_string())]));
    if json {
        let body = json!({
            "type": "FeatureCollection",
            "numberMatched": matched,
            "numberReturned": items.len(),
            "features": items.into_iter().map(|i| i.feature).collect::<Vec<Value>>(),
            "links": next.map(|n| vec![json!({ "href": n, "rel": "next", "type": "application/json" })]).unwrap_or_default(),
        });
        return Ok(xml("application/geo+json", body.to_string()));
    }
    let schema_url =
        format!("{url}?service=WFS&version=2.0.0&request=DescribeFeatureType&typenames={PREFIX}:{}", spec.name);
    let mut body = wfs::collection_start(matched, items.len(), next.as_deref(), &schema_url);
    for item in &items {
        body.push_str("<wfs:member>");
        body.push_str(&wfs::feature(spec, &item.feature, &srs.uri, false));
        body.push_str("</wfs:member>");
    }
    body.push_str(wfs::COLLECTION_END);
    Ok(xml(GML_MEDIA, body))
}
