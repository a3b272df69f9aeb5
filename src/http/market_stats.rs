//! `GET /api/market/stats?commune=CODE|province=CODE[&period=2026-Q1|2026-03][&by=month|quarter][&format=json|csv|html]`:
//! market statistics, open data. Without a period, every month or quarter there is (a series,
//! for charts). Suppressed cells carry no numbers.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use serde_json::json;

use super::error::ApiError;
use super::{AppState, params, report};
use crate::domain::CommuneCode;
use crate::market::stats::{self, Area, Period};

pub async fn stats(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    params::only(&q, &["commune", "province", "period", "by", "format"])?;
    let area = match (q.get("commune"), q.get("province")) {
        (Some(c), None) => Area::Commune(c.parse::<CommuneCode>()?.to_string()),
        (None, Some(p)) if p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()) => Area::Province(p.clone()),
        (None, Some(p)) => {
            return Err(ApiError::bad_request(format!("province `{p}` must be a 2-digit province code")));
        }
        _ => return Err(ApiError::bad_request("give ?commune=CODE or ?province=CODE")),
    };
    let period = q.get("period").map(|p| p.parse::<Period>()).transpose().map_err(ApiError::bad_request)?;
    let by = match q.get("by").map(String::as_str) {
        None | Some("quarter") => "quarter",
        Some("month") => "month",
        Some(other) => return Err(ApiError::bad_request(format!("by `{other}` must be month or quarter"))),
    };
    let cells = stats::cells(state.reads.pool(), &area, period.as_ref(), by).await?;
    let (level, code) = match &area {
        Area::Commune(c) => ("commune", c),
        Area::Province(p) => ("province", p),
    };
    let columns = [
        "period",
        "product_kind",
        "suppressed",
        "transactions",
        "leases",
        "total_value_vnd",
        "median_price_mvnd_m2",
        "mean_price_mvnd_m2",
        "unsold_units",
    ];
    let text = |v: Option<String>| v.unwrap_or_default();
    let rows: Vec<Vec<String>> = cells
        .iter()
        .map(|c| {
            vec![
                c.period.clone(),
                c.product_kind.clone(),
                c.suppressed.to_string(),
                text(c.transactions.map(|v| v.to_string())),
                text(c.leases.map(|v| v.to_string())),
                text(c.total_value_vnd.map(|v| v.to_string())),
                text(c.median_price_mvnd_m2.map(|v| v.to_string())),
                text(c.mean_price_mvnd_m2.map(|v| v.to_string())),
                c.unsold_units.to_string(),
            ]
        })
        .collect();
    let title = format!("Thống kê thị trường bất động sản — {level} {code}");
    let json = json!({ level: code, "period": period.map(|p| p.label), "by": by, "minimum_cell": 3, "cells": cells });
    report::table(q.get("format").map(String::as_str), &title, &columns, &rows, json)
}
