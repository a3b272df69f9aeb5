//! `GET /api/audit`: the audit trail, for the `admin` role alone.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};

use super::error::ApiError;
use super::identity::Admin;
use super::{AppState, params};
use crate::audit;
use crate::storage::gateway::Actor;

/// `?account=USERNAME&since=YYYY-MM-DD&action=PREFIX`: entries as JSON, oldest first.
pub async fn entries(
    State(state): State<AppState>,
    _admin: Admin,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Vec<audit::Shown>>, ApiError> {
    params::only(&q, &["account", "since", "action"])?;
    let actor = q.get("account").map(|a| Actor::account(a).as_str().to_owned());
    let since = q.get("since").map(|d| params::date(d, "since")).transpose()?;
    let since = since.map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc());
    Ok(Json(audit::show(&state.pool, actor.as_deref(), since, q.get("action").map(String::as_str)).await?))
}
