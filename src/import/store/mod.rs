//! Writing what an import prepared: each import one change through the write gateway
//! (`storage::gateway`), checked against what the database holds, all-or-nothing. SQL in `sql/`.

pub mod calendar;
pub mod overlays;
pub mod parcels;
pub mod transactions;
