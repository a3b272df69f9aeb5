//! Running the service as a system service (issue 16): from any directory, with the built-in
//! catalog and styles or directories given instead.

use crate::common;

use common::{Content, TestDb};
use serde_json::Value;

async fn get(base: &str, path: &str) -> (u16, Value) {
    let resp = reqwest::get(format!("{base}{path}")).await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_service_runs_from_any_directory_with_its_built_in_catalog_and_styles() {
    let db = TestDb::new(Content::Samples).await;
    let elsewhere = tempfile::tempdir().unwrap();
    let (mut child, base) = db.serve_in(elsewhere.path(), &[]).await;
    let (status, tiles) = get(&base, "/tiles").await;
    assert_eq!(status, 200, "{tiles}");
    let names: Vec<&str> = tiles["layers"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(names, common::LAYERS, "{tiles}");
    let (status, style) = get(&base, "/styles/cadastral.json").await;
    assert_eq!((status, style["version"].as_i64()), (200, Some(8)), "{style}");
    assert_eq!(reqwest::get(format!("{base}/")).await.unwrap().status(), 200, "the web map");
    child.kill().unwrap();
    child.wait().unwrap();

    // A directory given instead: a catalog of the parcels alone, no styles.
    let catalog = tempfile::tempdir().unwrap();
    std::fs::copy(common::repo().join("tiles/parcels.toml"), catalog.path().join("parcels.toml")).unwrap();
    let styles = tempfile::tempdir().unwrap();
    let dirs = ["--tiles-dir", catalog.path().to_str().unwrap(), "--styles-dir", styles.path().to_str().unwrap()];
    let (mut child, base) = db.serve_in(elsewhere.path(), &dirs).await;
    let (_, tiles) = get(&base, "/tiles").await;
    assert_eq!(tiles["layers"].as_array().unwrap().len(), 1, "{tiles}");
    assert_eq!(get(&base, "/styles/cadastral.json").await.0, 404);
    child.kill().unwrap();
    child.wait().unwrap();
}
