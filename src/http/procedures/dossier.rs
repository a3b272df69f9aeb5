//! An event's scanned dossier: `POST /api/events/{id}/files?name=FILE` (the file as the body,
//! PDF or an image) by an account that may edit the event's parcels; `GET
//! /api/events/{id}/files/{file}` by the roles that may see those parcels' records (personal
//! data in scope). A file whose content no longer has its recorded SHA-256 is not served.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::access::{Audience, Principal};
use crate::edits::{Editor, dossier};
use crate::http::error::ApiError;
use crate::http::ogc::editing;
use crate::http::{AppState, params};

pub async fn attach(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(event): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    params::only(&q, &["name"])?;
    let account = editing::editor(principal, "parcels", "PATCH", true)?;
    let name = q.get("name").ok_or_else(|| ApiError::bad_request("name the file: ?name=FILE.pdf"))?;
    editing::media(&headers, dossier::MEDIA)?;
    let media = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let media = media.split(';').next().unwrap_or("").trim();
    let sha256 = dossier::sha256(&body);
    let what = format!("attach {name} (SHA-256 {sha256}) to event {event}");
    let mut editor = Editor::begin(&state.pool, &account, &what).await?;
    let file = editor.attach(event, name, media, &body, &sha256).await?;
    editor.commit().await?;
    let body = json!({ "event": event, "file": file, "file_name": name, "size_bytes": body.len(), "sha256": sha256 });
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

pub async fn download(
    State(state): State<AppState>,
    principal: Principal,
    Path((event, file)): Path<(i64, i64)>,
) -> Result<Response, ApiError> {
    let view = principal.view();
    let communes = dossier::communes(&state.pool, event).await?;
    if !communes.iter().any(|c| view.audience_for(Some(c)) >= Audience::Personal) {
        return Err(match principal {
            Principal::Anonymous => ApiError::unauthorized("a dossier is personal data: sign in"),
            Principal::Account(_) => ApiError::forbidden(format!(
                "the dossier of event {event} is for roles that see personal data in communes {}",
                communes.join(", ")
            )),
        });
    }
    let found = dossier::file(&state.pool, event, file).await?;
    let f = found.ok_or_else(|| ApiError::not_found(format!("event {event} has no file {file}")))?;
    let disposition = format!("attachment; filename=\"{}\"", f.name.replace(['"', '\\'], "_"));
    let mut resp = ([(header::CONTENT_TYPE, f.media_type.clone())], f.content).into_response();
    for (name, value) in [("content-disposition", disposition), ("x-sha256", f.sha256)] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            resp.headers_mut().insert(name, v);
        }
    }
    Ok(resp)
}
