//! `GET /api/audit`: the audit trail, for the `admin` role alone.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};

use super::error::ApiError;
use super::identity::Admin;
use super::{AppState, params};
use crate::audit;
use crate::storage::gateway::Actor;

/// Entries one answer gives at most (page on with `since`).
const DEFAULT_LIMIT: usize = 1_000;
const MAX_LIMIT: usize = 10_000;

/// `?account=USERNAME&since=YYYY-MM-DD&action=PREFIX&limit=N`: entries as JSON, oldest first,
/// at most `limit` (1,000; up to 10,000).
pub async fn entries(
    State(state): State<AppState>,
    _admin: Admin,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Vec<audit::Shown>>, ApiError> {
    params::only(&q, &["account", "since", "action", "limit"])?;
    let limit = params::limit(q.get("limit"), DEFAULT_LIMIT, MAX_LIMIT)?;
    let actor = q.get("account").map(|a| Actor::account(a).as_str().to_owned());
    let since = q.get("since").map(|d| params::date(d, "since")).transpose()?;
    let since = since.map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc());
    let action = q.get("action").map(String::as_str);
    Ok(Json(audit::show(&state.pool, actor.as_deref(), since, action, Some(limit as i64)).await?))
}
