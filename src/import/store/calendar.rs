//! Storing the working-day calendar: a file's rows replace the calendar of the years it covers.

use sqlx::PgConnection;

use super::overlays::{Store, Write, statement};
use crate::import::calendar::{CalendarDays, Day};
use crate::import::{ImportError, Report};

impl Store for CalendarDays {
    const TABLES: &'static [&'static str] = &["calendar_days"];

    async fn write(
        conn: &mut PgConnection,
        import_id: Option<i64>,
        rows: &[Day],
        _: &mut Report,
        mode: Write,
    ) -> Result<u64, ImportError> {
        let insert = statement(mode, include_str!("sql/calendar/insert.sql"), None)?;
        let days: Vec<_> = rows.iter().map(|r| r.day).collect();
        sqlx::query(include_str!("sql/calendar/clear_years.sql")).bind(&days).execute(&mut *conn).await?;
        let done = sqlx::query(insert)
            .bind(&days)
            .bind(rows.iter().map(|r| r.kind).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.name.clone()).collect::<Vec<_>>())
            .bind(import_id)
            .execute(conn)
            .await?;
        Ok(done.rows_affected())
    }
}
