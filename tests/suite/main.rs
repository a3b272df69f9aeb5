//! The integration suite, one binary so GDAL, PROJ, sqlx and axum are linked once: each module
//! tests one surface through the service or the CLI, against a real PostGIS.

mod common;

mod access;
mod accounts;
mod api;
mod audit;
mod crs;
mod downloads;
mod edits;
mod features;
mod fuzz;
mod hostile;
mod import;
mod index_sync;
mod market;
mod mortgages;
mod operations;
mod outlines;
mod overlays;
mod pages;
mod procedures;
mod registries;
mod services;
mod sessions;
mod tiles;
mod web;
mod wfs;
