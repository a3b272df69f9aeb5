//! `/open-data` (a page) and `/api/open-data` (the same as JSON): the open datasets with their
//! licence, extent, last update and bulk files, which `/open-data/files/{file}` serves. Open
//! data needs no request and no identification.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use super::AppState;
use super::error::ApiError;
use crate::open_data::{self, Catalogue};

fn catalogue(state: &AppState) -> Result<Catalogue, ApiError> {
    open_data::read(&state.open_data_dir)
        .ok_or_else(|| ApiError::unavailable("the open data has not been published yet (diachinh open-data publish)"))
}

fn file_url(state: &AppState, file: &str) -> String {
    format!("{}/open-data/files/{file}", state.public_url)
}

/// `GET /api/open-data`.
pub async fn list(State(state): State<AppState>) -> Result<Response, ApiError> {
    let c = catalogue(&state)?;
    let mut body = serde_json::to_value(&c).map_err(|e| ApiError::internal(e.to_string()))?;
    for (d, published) in body["datasets"].as_array_mut().into_iter().flatten().zip(&c.datasets) {
        for (f, file) in d["files"].as_array_mut().into_iter().flatten().zip(&published.files) {
            f["href"] = json!(file_url(&state, &file.file));
        }
        d["collection"] = json!(format!("{}/ogc/collections/{}", state.public_url, published.layer));
        d["tiles"] = json!(format!("{}/tiles/{}", state.public_url, published.layer));
    }
    Ok(axum::Json(body).into_response())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// `GET /open-data`: the catalogue as a page.
pub async fn page(State(state): State<AppState>) -> Result<Response, ApiError> {
    let c = catalogue(&state)?;
    let mut rows = String::new();
    for d in &c.datasets {
        let files: Vec<String> = d
            .files
            .iter()
            .map(|f| {
                format!("<a href=\"{}\">{} ({} kB)</a>", escape(&file_url(&state, &f.file)), f.format, f.bytes / 1024)
            })
            .collect();
        let extent =
            d.extent.map_or("—".to_owned(), |e| format!("{:.4}, {:.4}, {:.4}, {:.4}", e[0], e[1], e[2], e[3]));
        let updated = d.last_update.map_or("—".to_owned(), |t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{extent}</td><td>{updated}</td><td>{}</td></tr>\n",
            escape(&d.title),
            escape(&d.licence),
            d.features,
            files.join(" · ")
        ));
    }
    let html = format!(
        "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>Dữ liệu mở — open data</title>\
         <link rel=\"stylesheet\" href=\"/web/app.css\"></head><body class=\"page\"><h1>Dữ liệu mở — open data</h1>\
         <p>Không cần yêu cầu hay định danh. No request or identification needed. Published {}; \
         machine-readable list: <a href=\"/api/open-data\">/api/open-data</a>.</p>\
         <table><thead><tr><th>Dataset</th><th>Licence</th><th>Features</th><th>Extent (W, S, E, N)</th>\
         <th>Last update</th><th>Bulk downloads</th></tr></thead><tbody>\n{rows}</tbody></table></body></html>",
        c.published_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    Ok(Html(html).into_response())
}

/// `GET /open-data/files/{file}`: a file the catalogue lists (no other name is served).
pub async fn file(State(state): State<AppState>, Path(name): Path<String>) -> Result<Response, ApiError> {
    let c = catalogue(&state)?;
    let listed = c.datasets.iter().flat_map(|d| &d.files).find(|f| f.file == name);
    let f = listed.ok_or_else(|| ApiError::not_found(format!("the open data has no file `{name}`")))?;
    let media = match f.format.as_str() {
        "gpkg" => "application/geopackage+sqlite3",
        "pmtiles" => "application/vnd.pmtiles",
        _ => "application/octet-stream",
    };
    let opened = tokio::fs::File::open(state.open_data_dir.join(&f.file))
        .await
        .map_err(|e| ApiError::internal(format!("open data file {}: {e}", f.file)))?;
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(opened));
    let disposition = format!("attachment; filename=\"{}\"", f.file);
    Ok(([(header::CONTENT_TYPE, media.to_owned()), (header::CONTENT_DISPOSITION, disposition)], body).into_response())
}
