//! Market statistics (open data): per commune or province, per month or quarter, per product
//! kind, from the `market_stats` view, which suppresses cells of fewer than 3 transactions (and
//! the cells that would give them away).

use serde::Serialize;
use sqlx::PgPool;

use crate::edits::EditError;

/// Where statistics are asked for.
#[derive(Debug, Clone)]
pub enum Area {
    Commune(String),
    Province(String),
}

/// A period: a month `2026-03` or a quarter `2026-Q1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub granularity: &'static str,
    pub label: String,
}

impl std::str::FromStr for Period {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("period `{s}` must be a month (2026-03) or a quarter (2026-Q1)");
        let (year, rest) = s.split_once('-').ok_or_else(bad)?;
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let granularity = match rest.strip_prefix('Q') {
            Some(q) if ["1", "2", "3", "4"].contains(&q) => "quarter",
            None if rest.len() == 2 && rest.parse::<u8>().is_ok_and(|m| (1..=12).contains(&m)) => "month",
            _ => return Err(bad()),
        };
        Ok(Period { granularity, label: s.to_owned() })
    }
}

/// One cell: a period and product kind; the numbers are absent when it is suppressed.
#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct Cell {
    pub period: String,
    pub product_kind: String,
    pub suppressed: bool,
    pub transactions: Option<i64>,
    pub leases: Option<i64>,
    pub total_value_vnd: Option<i64>,
    pub median_price_mvnd_m2: Option<f64>,
    pub mean_price_mvnd_m2: Option<f64>,
    pub unsold_units: i64,
}

/// The cells of `area`, for one period or (None) every month or quarter there is.
pub async fn cells(
    pool: &PgPool,
    area: &Area,
    period: Option<&Period>,
    granularity: &str,
) -> Result<Vec<Cell>, EditError> {
    let (level, code) = match area {
        Area::Commune(c) => ("commune", c),
        Area::Province(p) => ("province", p),
    };
    let granularity = period.map_or(granularity, |p| p.granularity);
    Ok(sqlx::query_as(include_str!("sql/stats.sql"))
        .bind(level)
        .bind(code)
        .bind(granularity)
        .bind(period.map(|p| p.label.as_str()))
        .fetch_all(pool)
        .await?)
}
