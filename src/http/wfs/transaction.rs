//! WFS Transaction (POST /wfs): Insert, Update and Delete of parcels by a signed-in account with
//! the right and the scope, all or nothing, through the same editor as OGC API - Features Part 4;
//! a failure is an OWS exception report naming the action, the feature and the reason.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use geozero::ToGeo;
use serde_json::{Map, Value as Json};

use crate::access::Principal;
use crate::catalog::{Audience, FieldType, LayerSpec};
use crate::domain::ParcelId;
use crate::edits::{EditError, EditGeometry, Editor, Grounds, Mode};
use crate::filter::GEOMETRY_NAMES;
use crate::http::AppState;
use crate::http::ogc::editing::{EDITABLE, with_overlay};
use crate::wfs::transaction::{self, Action, Summary, Transaction, Value, Version};
use crate::wfs::{self, DEFAULT_SRS, WfsError};

/// A refusal: its HTTP status and its report.
type Refusal = (StatusCode, WfsError);

pub async fn transaction(State(state): State<AppState>, principal: Principal, body: Bytes) -> Response {
    let bad = |e: String| (StatusCode::BAD_REQUEST, WfsError::invalid("Transaction", e));
    let request = std::str::from_utf8(&body)
        .map_err(|e| bad(format!("the body is not UTF-8: {e}")))
        .and_then(|xml| transaction::parse(xml).map_err(bad));
    let version = request.as_ref().map(|r| r.version).ok();
    let answer = match request {
        Ok(request) => run(&state, principal, request).await,
        Err(e) => Err(e),
    };
    match answer {
        Ok(xml) => ([(header::CONTENT_TYPE, "application/xml")], xml).into_response(),
        Err((status, e)) => {
            tracing::info!("WFS Transaction refused ({status}): {}", e.text);
            // WFS 1.0.0 clients (QGIS) read a refusal from the body of a 200 answer only.
            let status = match version {
                Some(Version::V1_0) if status.is_client_error() && status != StatusCode::UNAUTHORIZED => StatusCode::OK,
                _ => status,
            };
            let mut resp = (status, [(header::CONTENT_TYPE, "application/xml")], e.report()).into_response();
            if status == StatusCode::UNAUTHORIZED {
                let challenge = HeaderValue::from_static("Basic realm=\"diachinh\", charset=\"UTF-8\"");
                resp.headers_mut().insert(header::WWW_AUTHENTICATE, challenge);
            }
            resp
        }
    }
}

fn failed(locator: &str, text: String) -> WfsError {
    WfsError { code: "OperationProcessingFailed", locator: locator.to_owned(), text }
}

async fn run(state: &AppState, principal: Principal, request: Transaction) -> Result<String, Refusal> {
    let Principal::Account(account) = principal else {
        let e = failed("Transaction", "sign in with an account that may edit parcels".into());
        return Err((StatusCode::UNAUTHORIZED, e));
    };
    let what = format!("WFS Transaction{}", request.handle.as_deref().map(|h| format!(" {h}")).unwrap_or_default());
    let mut editor = Editor::begin(&state.pool, &account, &what).await.map_err(|e| refusal("Transaction", e))?;
    let mut summary = Summary { inserted: Vec::new(), updated: 0, deleted: 0 };
    // WFS 1.0.0 (GML 2) puts longitude first whatever the srsName says; QGIS 3.22 sends that.
    let axes = match request.version {
        Version::V1_0 => Axes::EastFirst,
        _ => Axes::AsNamed,
    };
    for (i, action) in request.actions.into_iter().enumerate() {
        let n = i + 1;
        match action {
            Action::Insert { handle, features } => {
                for (j, (type_name, properties)) in features.into_iter().enumerate() {
                    let at = handle.clone().unwrap_or_else(|| format!("Insert {n}, feature {}", j + 1));
                    let spec = editable(state, account.view.audience, &type_name, &at)?;
                    let (properties, geometry) =
                        values(spec, properties, axes).map_err(|e| (StatusCode::BAD_REQUEST, failed(&at, e)))?;
                    let grounds = Grounds { reason: handle.clone(), ..Grounds::default() };
                    let added = match spec.name.as_str() {
                        "parcels" => match geometry {
                            Some(g) => editor.create(&properties, g, &grounds).await.map(|(id, _)| id.to_string()),
                            None => Err(EditError::Invalid("the new feature has no geometry".into())),
                        },
                        other => with_overlay!(other, L => editor.add_feature::<L>(&properties, geometry).await),
                    };
                    let id = added.map_err(|e| refusal(&at, e))?;
                    summary.inserted.push((handle.clone(), format!("{}.{id}", spec.name)));
                }
            }
            Action::Update { handle, type_name, properties, ids } => {
                let at = handle.clone().unwrap_or_else(|| format!("Update {n}"));
                let spec = editable(state, account.view.audience, &type_name, &at)?;
                let (properties, geometry) =
                    values(spec, properties, axes).map_err(|e| (StatusCode::BAD_REQUEST, failed(&at, e)))?;
                let grounds = Grounds { reason: handle.clone(), ..Grounds::default() };
                for id in ids {
                    let fid = fid(spec, &id);
                    let changed = match spec.name.as_str() {
                        "parcels" => {
                            let parcel = parcel(fid, &at)?;
                            let g = geometry.clone();
                            editor.update(&parcel, None, Mode::Patch, &properties, g, &grounds).await.map(|_| ())
                        }
                        other => with_overlay!(other, L => editor
                            .change_feature::<L>(fid, Mode::Patch, &properties, geometry.clone())
                            .await),
                    };
                    changed.map_err(|e| refusal(&format!("{at}, {id}"), e))?;
                    summary.updated += 1;
                }
            }
            Action::Delete { handle, type_name, ids } => {
                let at = handle.clone().unwrap_or_else(|| format!("Delete {n}"));
                let spec = editable(state, account.view.audience, &type_name, &at)?;
                let grounds = Grounds { reason: handle.clone(), ..Grounds::default() };
                for id in ids {
                    let fid = fid(spec, &id);
                    let deleted = match spec.name.as_str() {
                        "parcels" => editor.retire(&parcel(fid, &at)?, None, &grounds).await,
                        other => with_overlay!(other, L => editor.delete_feature::<L>(fid).await),
                    };
                    deleted.map_err(|e| refusal(&format!("{at}, {id}"), e))?;
                    summary.deleted += 1;
                }
            }
        }
    }
    editor.commit().await.map_err(|e| refusal("Transaction", e))?;
    Ok(transaction::response(request.version, &summary))
}

/// An edit refused: the caller's mistake named with where it happened, or the server's fault.
fn refusal(at: &str, e: EditError) -> Refusal {
    let status = match &e {
        EditError::NotFound(_) => StatusCode::NOT_FOUND,
        EditError::Forbidden(_) => StatusCode::FORBIDDEN,
        EditError::Stale { .. } | EditError::Conflict(_) => StatusCode::CONFLICT,
        EditError::Invalid(_) => StatusCode::BAD_REQUEST,
        EditError::Database(_) | EditError::Server(_) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, WfsError::internal(format!("WFS Transaction, {at}: {e}")));
        }
    };
    (status, failed(at, format!("{at}: {e}")))
}

fn editable<'a>(state: &'a AppState, audience: Audience, type_name: &str, at: &str) -> Result<&'a LayerSpec, Refusal> {
    let spec = super::find(state, type_name, audience).map_err(|e| (StatusCode::BAD_REQUEST, e))?;
    match EDITABLE.contains(&spec.name.as_str()) {
        true => Ok(spec),
        false => Err((
            StatusCode::BAD_REQUEST,
            failed(at, format!("{at}: feature type {} cannot be edited; {} can", spec.name, EDITABLE.join(", "))),
        )),
    }
}

/// A feature id as GetFeature writes it (`parcels.<parcel ID>`) without its type, or as given.
fn fid<'a>(spec: &LayerSpec, id: &'a str) -> &'a str {
    id.strip_prefix(spec.name.as_str()).and_then(|rest| rest.strip_prefix('.')).unwrap_or(id)
}

fn parcel(fid: &str, at: &str) -> Result<ParcelId, Refusal> {
    fid.parse().map_err(|e: crate::domain::IdError| (StatusCode::BAD_REQUEST, failed(at, format!("{at}: {e}"))))
}

/// How to read a geometry's axes: as its srsName says, or longitude (easting) first always.
#[derive(Clone, Copy)]
enum Axes {
    AsNamed,
    EastFirst,
}

/// The properties as JSON typed by the feature type's fields, and the geometry.
fn values(
    spec: &LayerSpec,
    sent: Vec<(String, Value)>,
    axes: Axes,
) -> Result<(Map<String, Json>, Option<EditGeometry>), String> {
    let mut properties = Map::new();
    let mut geometry = None;
    for (name, value) in sent {
        let kind = spec.fields.iter().find(|f| f.name == name).map(|f| f.kind);
        match value {
            Value::Gml { gml, srs_name } if GEOMETRY_NAMES.contains(&name.as_str()) => {
                geometry = Some(gml_geometry(&gml, srs_name.as_deref(), axes)?);
            }
            Value::Gml { .. } => return Err(format!("{name} holds a geometry; the geometry is `geometry`")),
            _ if GEOMETRY_NAMES.contains(&name.as_str()) => return Err("a parcel's geometry cannot be removed".into()),
            Value::Null => {
                properties.insert(name, Json::Null);
            }
            Value::Text(t) => {
                let json = match kind {
                    _ if t.trim().is_empty() => Json::Null,
                    Some(FieldType::Number | FieldType::Integer) => t
                        .trim()
                        .parse::<f64>()
                        .ok()
                        .and_then(serde_json::Number::from_f64)
                        .map_or(Json::String(t), Json::Number),
                    _ => Json::String(t),
                };
                properties.insert(name, json);
            }
        }
    }
    Ok((properties, geometry))
}

/// A GML geometry (2, 3.1.1 or 3.2) in its srsName (the feature type's default CRS without one).
fn gml_geometry(gml: &str, srs_name: Option<&str>, axes: Axes) -> Result<EditGeometry, String> {
    let crs = wfs::srs(srs_name.unwrap_or(DEFAULT_SRS), "srsName").map_err(|e| e.text)?;
    let crs = match axes {
        Axes::EastFirst => crs.clone().spelled(&crs.uri, false),
        Axes::AsNamed => crs,
    };
    let what = "the geometry is not GML OGR can read";
    let wkb = crate::gdal_errors::attempt(what, || gdal::vector::Geometry::from_gml(gml)?.wkb())?;
    let mut geometry = geozero::wkb::Wkb(wkb).to_geo().map_err(|e| format!("{what}: {e}"))?;
    crs.east_first(&mut geometry);
    Ok(EditGeometry { geometry, crs: crs.crs().clone() })
}
