//! Tables as the registries' reports and statistics give them: JSON, CSV, or a printable page.

use axum::http::header;
use axum::response::{Html, IntoResponse, Response};

use super::error::ApiError;
use super::ogc::escape;

/// A table of `columns` and `rows` in `format` (`json`, the default, answers `json`).
pub fn table(
    format: Option<&str>,
    title: &str,
    columns: &[&str],
    rows: &[Vec<String>],
    json: serde_json::Value,
) -> Result<Response, ApiError> {
    match format {
        None | Some("json") => Ok(axum::Json(json).into_response()),
        Some("csv") => {
            let quote = |c: &String| match c.contains([',', '"', '\n']) {
                true => format!("\"{}\"", c.replace('"', "\"\"")),
                false => c.clone(),
            };
            let mut csv = columns.join(",") + "\n";
            for r in rows {
                csv.push_str(&r.iter().map(quote).collect::<Vec<_>>().join(","));
                csv.push('\n');
            }
            Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv).into_response())
        }
        Some("html") => {
            let head: String = columns.iter().map(|c| format!("<th>{}</th>", escape(c))).collect();
            let body: String = rows
                .iter()
                .map(|r| {
                    format!("<tr>{}</tr>", r.iter().map(|c| format!("<td>{}</td>", escape(c))).collect::<String>())
                })
                .collect();
            let title = escape(title);
            Ok(Html(format!(
                "<!doctype html><meta charset=utf-8><title>{title}</title><h1>{title}</h1><table border=1><tr>{head}</tr>{body}</table>"
            ))
            .into_response())
        }
        Some(other) => Err(ApiError::bad_request(format!("format `{other}` is not offered: json, csv or html"))),
    }
}
