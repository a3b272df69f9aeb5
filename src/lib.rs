//! diachinh: a GIS spatial data service for Vietnam's land database and housing & real-estate
//! market database. The `diachinh` binary is a thin shell over this library.

pub mod access;
pub mod accounts;
pub mod audit;
pub mod backup;
pub mod bundled;
pub mod calendar;
pub mod catalog;
pub mod compression;
pub mod crs;
pub mod domain;
pub mod edits;
pub mod export;
pub mod fault;
pub mod features;
pub mod filter;
pub mod gdal_errors;
pub mod http;
pub mod import;
pub mod index;
pub mod market;
pub mod open_data;
pub mod parcel_id;
pub mod pricing;
pub mod progress;
pub mod quality;
pub mod samples;
pub mod services;
pub mod startup;
pub mod storage;
pub mod tiles;
pub mod wfs;
pub mod xml;
