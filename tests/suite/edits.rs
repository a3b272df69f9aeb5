//! Officers edit parcels (issue 13, first part): OGC API - Features Part 4 PATCH of a parcel's
//! attributes, by right and scope, conditional on its version, each edit a new version through
//! the write gateway.

use crate::common;

use common::{Content, TestApp};
use serde_json::{Value, json};

const PASSWORD: &str = "Sổ-đỏ an toàn 2027";

/// A parcel's versions: how many, how many current, how many pairs overlap in time.
async fn versions_of(pool: &sqlx::PgPool, parcel: &str) -> (i64, i64, i64) {
    sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE valid_to IS NULL),
            (SELECT count(*) FROM parcels a JOIN parcels b ON a.parcel_id = b.parcel_id AND a.uid < b.uid
             WHERE a.parcel_id = $1 AND tstzrange(a.valid_from, a.valid_to) && tstzrange(b.valid_from, b.valid_to))
     FROM parcels WHERE parcel_id = $1",
    )
    .bind(parcel)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_registrar_patches_a_parcel_of_its_scope_and_each_edit_is_a_version() {
    let app = TestApp::spawn(Content::Samples).await;
    for (user, id, role) in [("dangky", "011000000000", "registrar"), ("xem", "011000000001", "viewer")] {
        app.db.add_account(user, "Mai K", id, role, Some("05443"), "Địa-chính 2026!");
        assert_eq!(crate::accounts::change_password(&app, user, "Địa-chính 2026!", PASSWORD).await.0, 204);
    }
    let parcel_of = |commune: &'static str| {
        let pool = app.db.pool.clone();
        async move {
            sqlx::query_scalar::<_, String>(
                "SELECT parcel_id FROM parcels WHERE valid_to IS NULL AND commune_code_recorded = $1 ORDER BY parcel_id LIMIT 1",
            )
            .bind(commune)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let (inside, outside) = (parcel_of("05443").await, parcel_of("11311").await);
    let item = |id: &str| format!("{}/ogc/collections/parcels/items/{id}", app.base);
    let patch = |user: Option<&'static str>, id: String, body: Value, if_match: Option<String>| {
        let mut req = app.http.patch(item(&id)).header("content-type", "application/merge-patch+json").json(&body);
        if let Some(u) = user {
            req = req.basic_auth(u, Some(PASSWORD));
        }
        if let Some(tag) = if_match {
            req = req.header("if-match", tag);
        }
        async move {
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            let tag = resp.headers().get("etag").map(|v| v.to_str().unwrap().to_owned());
            (status, tag, resp.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let versions = |id: String| {
        let pool = app.db.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM parcels WHERE parcel_id = $1")
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let read = app.http.get(item(&inside)).send().await.unwrap();
    let first_tag = read.headers()["etag"].to_str().unwrap().to_owned();
    assert!(first_tag.starts_with('"'), "a strong tag: {first_tag}");

    // Refusals write nothing: anonymous, no right, out of scope, bad values, stale version.
    let change = json!({ "properties": { "land_use": "TMD", "address": "Số 9 phố Mới" } });
    for (user, id, body, if_match, status, says) in [
        (None, inside.clone(), change.clone(), None, 401, "sign in"),
        (Some("xem"), inside.clone(), change.clone(), None, 403, "may not PATCH parcels"),
        (Some("dangky"), outside.clone(), change.clone(), None, 403, "outside the scope of account `dangky`"),
        (Some("dangky"), inside.clone(), json!({ "properties": { "land_use": "XYZ" } }), None, 422, "XYZ"),
        (Some("dangky"), inside.clone(), json!({ "properties": { "legal_area_m2": 0 } }), None, 422, "positive"),
        (Some("dangky"), inside.clone(), json!({ "properties": { "parcel_id": "x" } }), None, 422, "names the parcel"),
        (Some("dangky"), inside.clone(), json!({ "geometry": null }), None, 400, "cannot be removed"),
        (Some("dangky"), inside.clone(), change.clone(), Some("\"0\"".to_owned()), 412, "has changed"),
        (Some("dangky"), "zzzzzzzzzzzz".to_owned(), change.clone(), None, 404, "no current parcel"),
    ] {
        let (got, _, body) = patch(user, id.clone(), body, if_match).await;
        assert_eq!(got, status, "{user:?} {id}: {body}");
        assert!(body["message"].as_str().unwrap_or_default().contains(says), "{user:?}: {body}");
    }
    assert_eq!((versions(inside.clone()).await, versions(outside.clone()).await), (1, 1));

    // The edit: a new version, a new tag; the old tag is stale now.
    let (status, tag, _) = patch(Some("dangky"), inside.clone(), change.clone(), Some(first_tag.clone())).await;
    assert_eq!(status, 204);
    let tag = tag.unwrap();
    assert_ne!(tag, first_tag);
    let (status, ..) = patch(Some("dangky"), inside.clone(), change.clone(), Some(first_tag)).await;
    assert_eq!(status, 412);
    let read = app.http.get(item(&inside)).send().await.unwrap();
    assert_eq!(read.headers()["etag"].to_str().unwrap(), tag);
    let feature: Value = read.json().await.unwrap();
    assert_eq!(feature["properties"]["land_use"], "TMD");
    assert_eq!(feature["properties"]["address"], "Số 9 phố Mới");
    // Without If-Match an edit still applies whole; null clears an attribute.
    let (status, ..) = patch(Some("dangky"), inside.clone(), json!({ "properties": { "address": null } }), None).await;
    assert_eq!(status, 204);
    let (versions_now, current, overlapping) = versions_of(&app.db.pool, &inside).await;
    assert_eq!((versions_now, current, overlapping), (3, 1, 0), "three versions, one current, none overlapping");
    let feature: Value = app.http.get(item(&inside)).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        (feature["properties"]["address"].clone(), feature["properties"]["land_use"].clone()),
        (Value::Null, json!("TMD"))
    );
    // The parcel card (from the in-memory index) follows within a second or so.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (_, card) = app.get(&format!("/api/parcels/{inside}")).await;
        if card["properties"]["land_use"] == json!(["TMD"]) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the card shows the edit: {card}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Each edit is a change by the account, on record.
    let edits = app
        .db
        .count("SELECT count(*) FROM audit.entries WHERE actor = 'account:dangky' AND action = 'edit map data'")
        .await;
    assert_eq!(edits, 2);
    // Each edit is an event naming the account and the versions on each side.
    let kinds: Vec<(String, String, i32, i32)> = sqlx::query_as(
        "SELECT kind, actor, cardinality(closed), cardinality(opened) FROM parcel_events
         WHERE opened && (SELECT array_agg(uid) FROM parcels WHERE parcel_id = $1) ORDER BY id",
    )
    .bind(&inside)
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    let dangky = |k: &str| (k.to_owned(), "dangky".to_owned(), 1, 1);
    assert_eq!(kinds, vec![dangky("attributes"), dangky("attributes")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_editors_lose_no_write_and_one_tag_wins_once() {
    let app = std::sync::Arc::new(TestApp::spawn(Content::Samples).await);
    app.db.add_account("dangky", "Mai K", "012000000000", "registrar", Some("05443"), "Địa-chính 2026!");
    assert_eq!(crate::accounts::change_password(&app, "dangky", "Địa-chính 2026!", PASSWORD).await.0, 204);
    let parcel: String = sqlx::query_scalar(
        "SELECT parcel_id FROM parcels WHERE valid_to IS NULL AND commune_code_recorded = '05443' ORDER BY parcel_id LIMIT 1",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let url = format!("{}/ogc/collections/parcels/items/{parcel}", app.base);
    let tag = app.http.get(&url).send().await.unwrap().headers()["etag"].to_str().unwrap().to_owned();
    // 50 editors at once, each with the tag they read: exactly one wins, the rest learn it changed.
    let edit = |n: usize, if_match: Option<String>| {
        let (app, url) = (app.clone(), url.clone());
        tokio::spawn(async move {
            let mut req = app
                .http
                .patch(&url)
                .basic_auth("dangky", Some(PASSWORD))
                .header("content-type", "application/merge-patch+json")
                .json(&json!({ "properties": { "address": format!("Số {n} phố Mới") } }));
            if let Some(tag) = if_match {
                req = req.header("if-match", tag);
            }
            req.send().await.unwrap().status().as_u16()
        })
    };
    let mut statuses = Vec::new();
    for handle in (0..50).map(|n| edit(n, Some(tag.clone()))).collect::<Vec<_>>() {
        statuses.push(handle.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 204).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 412).count(), 49, "{statuses:?}");
    // 50 more without a tag, each changing the address: each makes a version, none is lost.
    // They wait for each other in the service, not in PostgreSQL on the parcel's locks (its
    // edit lock, `parcel_edit_lock.sql`, or its row) with a pooled connection each: no backend
    // of this database waits on the parcel while they run.
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = tokio::spawn({
        let (pool, done) = (app.db.pool.clone(), done.clone());
        async move {
            let mut most = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let waiting: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                     WHERE NOT l.granted AND a.datname = current_database()
                       AND (l.locktype IN ('transactionid', 'tuple') OR (l.locktype = 'advisory' AND l.classid = 7450013))",
                )
                .fetch_one(&pool)
                .await
                .unwrap();
                most = most.max(waiting);
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            most
        }
    });
    let mut statuses = Vec::new();
    for handle in (50..100).map(|n| edit(n, None)).collect::<Vec<_>>() {
        statuses.push(handle.await.unwrap());
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(statuses.iter().all(|s| *s == 204), "{statuses:?}");
    assert_eq!(watcher.await.unwrap(), 0, "backends waited on the parcel's locks");
    let (versions, current, overlapping) = versions_of(&app.db.pool, &parcel).await;
    assert_eq!((versions, current, overlapping), (52, 1, 0));
}
