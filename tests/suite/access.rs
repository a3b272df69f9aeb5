//! The access seam: a view (fields by audience, rows by scope) enters every feature query through
//! the filter's one entry point, the tile cutter and its cache key. Only the anonymous public
//! can call the service yet, so a scoped view is built here through the library, against the
//! samples in PostGIS.

use crate::common;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::{Content, TestDb};
use diachinh::access::{Audience, Principal, Scope, View};
use diachinh::catalog::Catalog;
use diachinh::crs::ApiCrs;
use diachinh::features::{self, ItemQuery};
use diachinh::index::layers::Layers;
use diachinh::tiles::{TileId, render};

fn scoped(communes: &[&str]) -> View {
    let codes: BTreeSet<String> = communes.iter().map(|c| c.to_string()).collect();
    View { audience: Audience::Public, scope: Scope::Communes(Arc::new(codes)) }
}

#[tokio::test]
async fn a_scoped_view_sees_only_its_communes_rows_in_features_and_tiles() {
    let db = TestDb::new(Content::Samples).await;
    let catalog = Arc::new(Catalog::load(&common::repo().join("tiles")).unwrap());
    let layer = |name: &str| catalog.layers.iter().position(|l| l.name == name).unwrap();
    let (parcels, ownership) = (layer("parcels"), layer("ownership"));
    let crs = ApiCrs::crs84();
    let matched = |view: View, spec: usize| {
        let (pool, catalog, crs) = (db.pool.clone(), catalog.clone(), crs.clone());
        async move {
            let spec = &catalog.layers[spec];
            let filter = diachinh::filter::to_sql(Vec::new(), spec, &view, &crs).unwrap();
            let q = ItemQuery { limit: 1000, filter, ..ItemQuery::default() };
            let (items, matched) = features::items(&pool, spec, &view, &q, &crs).await.unwrap();
            (items, matched)
        }
    };
    // The anonymous principal's view is open data: every row.
    assert_eq!(Principal::Anonymous.view(), View::open());
    let all = db.count("SELECT count(*) FROM parcels WHERE valid_to IS NULL").await;
    assert_eq!(matched(View::open(), parcels).await.1, all);
    // Restricted to one commune: exactly its parcels.
    let (items, n) = matched(scoped(&["05443"]), parcels).await;
    assert_eq!(n, db.count("SELECT count(*) FROM parcels WHERE valid_to IS NULL AND commune_code = '05443'").await);
    assert!(n > 0 && n < all);
    assert!(items.iter().all(|i| i.feature["properties"]["commune_code"] == "05443"));
    // A layer that names no commune shows a restricted view nothing.
    assert_eq!(matched(scoped(&["05443"]), ownership).await.1, 0);
    assert!(matched(View::open(), ownership).await.1 > 0);
    // By id: a parcel outside the scope is not found.
    let other: String =
        sqlx::query_scalar("SELECT parcel_id FROM parcels WHERE valid_to IS NULL AND commune_code = '11311' LIMIT 1")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    let spec = &catalog.layers[parcels];
    assert!(features::item(&db.pool, spec, &scoped(&["05443"]), &other, &crs).await.unwrap().is_none());
    assert!(features::item(&db.pool, spec, &View::open(), &other, &crs).await.unwrap().is_some());

    // Tiles: the same z14 tile cut for an open and a scoped view.
    let layers = Layers::new(catalog.clone());
    layers.reload(&db.pool, parcels, None).await.unwrap();
    let (x, y) = common::tile_of(105.833, 21.589, 14);
    let tile = TileId::new(14, x, y).unwrap();
    let open = render(&layers, &[parcels], tile, &View::open());
    let inside = render(&layers, &[parcels], tile, &scoped(&["05443"]));
    let outside = render(&layers, &[parcels], tile, &scoped(&["11311"]));
    assert!(!open.is_empty());
    assert_eq!(inside, open, "every parcel of this tile is in 05443");
    assert!(outside.is_empty(), "none of them is in 11311");
}
