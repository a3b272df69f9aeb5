//! The write gateway: every change to the database (imports now; edits, account changes and
//! requests next) goes through a [`Change`], which records who made it, what and why, hands out
//! its one transaction, and appends the change's audit entry in the same transaction (so there
//! is no entry without its change, nor a change without its entry). After committing it
//! refreshes what is derived from the change: the administrative outlines it touched (unless a
//! service in this process does that on notice), the
//! planner's statistics of the tables it bulk-loaded.

use sqlx::{PgConnection, PgPool, Postgres, Transaction};

/// Who makes a change: an account, or the operator running the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor(String);

impl Actor {
    /// The operator of the command line, by their login name.
    pub fn operator() -> Actor {
        let user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "unknown".into());
        Actor(format!("cli:{user}"))
    }

    /// A signed-in account.
    pub fn account(username: &str) -> Actor {
        Actor(format!("account:{username}"))
    }

    /// A caller who did not sign in (a refused sign-in is recorded as one).
    pub fn anonymous() -> Actor {
        Actor("anonymous".into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A change under way: one transaction, recorded in `changes` from its start.
pub struct Change {
    tx: Transaction<'static, Postgres>,
    id: i64,
    /// Tables bulk-loaded, with how many rows each took.
    bulk_loaded: Vec<(&'static str, u64)>,
    actor: Actor,
    action: String,
    reason: Option<String>,
}

impl Change {
    /// Opens a change by `actor`: `action` says what it is (`import parcels`), `reason` why.
    pub async fn begin(
        pool: &PgPool,
        actor: &Actor,
        action: &str,
        reason: Option<&str>,
    ) -> Result<Change, sqlx::Error> {
        let mut tx = pool.begin().await?;
        let id = sqlx::query_scalar(include_str!("sql/change_begin.sql"))
            .bind(actor.as_str())
            .bind(action)
            .bind(reason)
            .fetch_one(&mut *tx)
            .await?;
        Ok(Change {
            tx,
            id,
            bulk_loaded: Vec::new(),
            actor: actor.clone(),
            action: action.to_owned(),
            reason: reason.map(str::to_owned),
        })
    }

    /// The change's record in `changes`.
    pub fn id(&self) -> i64 {
        self.id
    }

    /// The change's transaction.
    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    /// Marks tables as bulk-loaded with `rows` rows each: the statistics of those the load
    /// grew by a tenth or more are refreshed after the commit, so that the first queries after a
    /// load do not run on plans made for empty tables (at half the default statistics target:
    /// see `sql/analyse_target.sql`). Only the columns the table's indexes name are analysed
    /// then, those the planner weighs an index against a scan on (a 100,000-parcel import's
    /// analyse: 95 → 60–70 ms, on one core after everything else): an analyse of some columns leaves
    /// the table's count of changes as it was, so autovacuum, which analyses a table a tenth of
    /// which changed, still analyses every column within its next round (a minute by default).
    /// A smaller load is left to autovacuum alone (an officer's sheet of 25 parcels analysed
    /// 3,000 others: 74 ms of the database each time). The outlines a load marks are left to the
    /// service (its feed's notice, or its start-up): recomputing them here would double an
    /// import's time.
    pub fn bulk_loaded(&mut self, tables: &[&'static str], rows: u64) {
        self.bulk_loaded.extend(tables.iter().map(|t| (*t, rows)));
    }

    /// Commits, then analyses the bulk-loaded tables (the store's own names, never input), each
    /// on a connection of its own at once.
    pub async fn commit(mut self, pool: &PgPool) -> Result<(), sqlx::Error> {
        let object =
            format!("change {}{}", self.id, self.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default());
        let entry = crate::audit::Entry {
            actor: self.actor.as_str(),
            roles: &[],
            action: &self.action,
            object: &object,
            outcome: 0,
            request_id: None,
            address: None,
        };
        crate::audit::append(&mut self.tx, &entry).await?;
        self.tx.commit().await?;
        if self.bulk_loaded.is_empty() {
            super::outlines::after_commit(pool).await;
        }
        let analyses = self.bulk_loaded.iter().map(|&(table, rows)| async move {
            let estimate: f64 =
                sqlx::query_scalar(include_str!("sql/table_rows.sql")).bind(table).fetch_one(pool).await?;
            if estimate < 0.0 || rows as f64 >= estimate / 10.0 {
                let mut tx = pool.begin().await?;
                sqlx::query(include_str!("sql/analyse_target.sql")).execute(&mut *tx).await?;
                let columns: Option<String> =
                    sqlx::query_scalar(include_str!("sql/indexed_columns.sql")).bind(table).fetch_one(&mut *tx).await?;
                // Names from the catalogue, quoted there.
                let columns = columns.map(|c| format!(" ({c})")).unwrap_or_default();
                sqlx::query(&format!("ANALYZE {table}{columns}")).execute(&mut *tx).await?;
                tx.commit().await?;
            }
            Ok::<_, sqlx::Error>(())
        });
        futures_util::future::try_join_all(analyses).await?;
        Ok(())
    }

    /// Undoes everything, its record included.
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}
