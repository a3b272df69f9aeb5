//! Domain types of the land database: identifiers and land-use codes.

pub mod ids;
pub mod land_use;
pub mod market_ids;

pub use ids::{
    CommuneCode, DigitalAddress, IdError, LegacyKey, ParcelCode, ParcelId, ParcelNo, ProductId, ProjectCode, SheetNo,
};
pub use land_use::{LandUse, LandUseCode, LandUseGroup};
