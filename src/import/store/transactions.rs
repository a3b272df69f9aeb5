//! Storing transactions, from an import or an account's submission alike: each product or parcel
//! must exist and have been current on the contract date, a broker's certificate in force then;
//! a second sale of what is already sold (by a seller who is not its buyer) or overlapping
//! leases are refused naming the other contract; the units' status follows.

use sqlx::PgConnection;

use super::overlays::{Store, Write, parcel_ids_of, statement};
use crate::domain::ParcelCode;
use crate::import::overlay::Overlay;
use crate::import::transactions::{Deal, Subject, Transactions};
use crate::import::{Action, ImportError, Report};

/// What the database says of one transaction's subject.
#[derive(sqlx::FromRow)]
struct SubjectCheck {
    parcel_id: Option<String>,
    known: bool,
    current_then: bool,
    broker_in_force: bool,
}

impl Store for Transactions {
    const TABLES: &'static [&'static str] = &["personal.transactions"];

    async fn write(
        conn: &mut PgConnection,
        import_id: Option<i64>,
        rows: &[Deal],
        report: &mut Report,
        mode: Write,
    ) -> Result<u64, ImportError> {
        let insert = statement(mode, include_str!("sql/transactions/insert.sql"), None)?;
        // Parcels named by legacy key are resolved to the current parcel with that key.
        let legacy: Vec<&ParcelCode> = rows
            .iter()
            .filter_map(|d| match &d.subject {
                Subject::Parcel(c @ ParcelCode::Legacy(_)) => Some(c),
                _ => None,
            })
            .collect();
        let mut resolved = parcel_ids_of(&mut *conn, legacy.into_iter()).await?.into_iter();
        // Units named by their place in a project, to their product IDs.
        let places: Vec<(String, String, i32, String)> = rows
            .iter()
            .filter_map(|d| match &d.subject {
                Subject::UnitAt { project, building, floor, unit_no } => {
                    Some((project.to_string(), building.clone(), *floor, unit_no.clone()))
                }
                _ => None,
            })
            .collect();
        let mut placed: std::vec::IntoIter<Option<String>> =
            sqlx::query_scalar(include_str!("sql/transactions/units_at.sql"))
                .bind(places.iter().map(|p| p.0.clone()).collect::<Vec<_>>())
                .bind(places.iter().map(|p| p.1.clone()).collect::<Vec<_>>())
                .bind(places.iter().map(|p| p.2).collect::<Vec<_>>())
                .bind(places.iter().map(|p| p.3.clone()).collect::<Vec<_>>())
                .fetch_all(&mut *conn)
                .await?
                .into_iter();
        let mut products = Vec::with_capacity(rows.len());
        let mut parcels = Vec::with_capacity(rows.len());
        for d in rows {
            let (product, parcel) = match &d.subject {
                Subject::Unit(p) => (Some(p.to_string()), None),
                // An unknown place keeps a product ID no unit has, so it is reported as unknown.
                Subject::UnitAt { .. } => (Some(placed.next().flatten().unwrap_or_default()), None),
                Subject::Parcel(ParcelCode::Id(id)) => (None, Some(id.to_string())),
                Subject::Parcel(ParcelCode::Legacy(_)) => (None, resolved.next().flatten()),
            };
            products.push(product);
            parcels.push(parcel);
        }
        let col = |f: fn(&Deal) -> Option<String>| rows.iter().map(f).collect::<Vec<_>>();
        let dates: Vec<_> = rows.iter().map(|d| d.contract_date).collect();
        let brokers = col(|d| d.broker_certificate.as_ref().map(ToString::to_string));
        let checks: Vec<SubjectCheck> = sqlx::query_as(include_str!("sql/transactions/subjects.sql"))
            .bind(&products)
            .bind(&parcels)
            .bind(&dates)
            .bind(&brokers)
            .fetch_all(&mut *conn)
            .await?;
        let mut refused = false;
        for (d, c) in rows.iter().zip(&checks) {
            let problem = match (&d.subject, c) {
                (Subject::Unit(p), c) if !c.known => Some(format!("no housing unit has product ID {p}")),
                (Subject::UnitAt { .. }, c) if !c.known => {
                    Some("no housing unit is at that place of the project".into())
                }
                (Subject::Parcel(p), SubjectCheck { parcel_id: None, .. }) => {
                    Some(format!("no current parcel has the legacy key {p}"))
                }
                (_, c) if !c.current_then => Some(format!(
                    "parcel {} was not current on the contract date {}",
                    c.parcel_id.as_deref().unwrap_or_default(),
                    d.contract_date
                )),
                (_, c) if !c.broker_in_force => Some(format!(
                    "broker certificate {} was not in force on {}",
                    d.broker_certificate.as_ref().map(ToString::to_string).unwrap_or_default(),
                    d.contract_date
                )),
                _ => None,
            };
            if let Some(p) = problem {
                report.push(Transactions::key(d), Action::Rejected, p);
                refused = true;
            }
        }
        if refused {
            return Ok(0);
        }
        let text = |f: fn(&Deal) -> &str| rows.iter().map(|d| f(d).to_owned()).collect::<Vec<_>>();
        let ids: Vec<i64> = sqlx::query_scalar(insert)
            .bind(text(|d| &d.contract_no))
            .bind(&dates)
            .bind(text(|d| d.kind))
            .bind(text(|d| d.stage))
            .bind(&products)
            .bind(&parcels)
            .bind(rows.iter().map(|d| d.price_vnd).collect::<Vec<_>>())
            .bind(rows.iter().map(|d| d.area_m2).collect::<Vec<_>>())
            .bind(rows.iter().map(|d| d.lease_end).collect::<Vec<_>>())
            .bind(text(|d| &d.seller))
            .bind(text(|d| &d.buyer))
            .bind(col(|d| d.notary_office.clone()))
            .bind(text(|d| d.source.unwrap_or("registration_office")))
            .bind(&brokers)
            .bind(import_id)
            .fetch_all(&mut *conn)
            .await?;
        let conflicts: Vec<(i64, String, chrono::NaiveDate, String)> =
            sqlx::query_as(include_str!("sql/transactions/conflicts.sql")).bind(&ids).fetch_all(&mut *conn).await?;
        for (id, other_no, other_date, rule) in conflicts {
            let Some(d) = ids.iter().position(|i| *i == id).map(|i| &rows[i]) else { continue };
            let detail = match rule.as_str() {
                "sale" => format!(
                    "already sold under contract {other_no} of {other_date}, which is not cancelled: a second sale is refused unless that contract is cancelled or this one's seller (BenBan) is its buyer"
                ),
                _ => format!("leased under contract {other_no} of {other_date} on overlapping dates"),
            };
            report.push(Transactions::key(d), Action::Rejected, detail);
        }
        let units: Vec<String> = products.into_iter().flatten().collect();
        unit_status(conn, &units).await?;
        Ok(ids.len() as u64)
    }
}

/// Sets the status of `units` from their transactions not cancelled.
pub async fn unit_status(conn: &mut PgConnection, units: &[String]) -> Result<(), sqlx::Error> {
    sqlx::query(include_str!("sql/transactions/unit_status.sql")).bind(units).execute(conn).await.map(|_| ())
}
