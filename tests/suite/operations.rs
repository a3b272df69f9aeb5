//! Running the service as a system service (issue 16): from any directory, with the built-in
//! catalog and styles or directories given instead.

use std::time::{Duration, Instant};

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

/// A PostgreSQL cluster of the test's own (scripts/lib.sh's, on another port and directory),
/// which the test stops and starts as a restart of the database would.
struct Cluster {
    port: u16,
    data: String,
    /// Server options beyond scripts/lib.sh's (DIACHINH_PG_OPTS).
    options: String,
}

impl Cluster {
    fn bash(&self, function: &str) {
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!("source scripts/lib.sh && {function}"))
            .current_dir(common::repo())
            .env("DIACHINH_PGPORT", self.port.to_string())
            .env("DIACHINH_PGDATA", &self.data)
            .env("DIACHINH_PG_OPTS", &self.options)
            .env_remove("DATABASE_URL")
            .output()
            .unwrap();
        assert!(out.status.success(), "{function}: {}", common::text(&out));
    }

    /// A free port for a cluster.
    fn port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
    }

    fn start() -> Cluster {
        let cluster = Cluster::new();
        cluster.bash("start_postgres");
        cluster
    }

    /// A streaming read replica of this cluster (pg_basebackup), a cluster of its own.
    fn replica(&self) -> Cluster {
        let replica = Cluster::new();
        replica.bash(&format!("start_replica {}", self.port));
        replica
    }

    fn new() -> Cluster {
        let port = Cluster::port();
        Cluster { port, data: format!("/tmp/diachinh-pg-{}-{port}", std::process::id()), options: String::new() }
    }

    fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// A new database `name` on the cluster, migrated and holding the messy pre-reform sample;
    /// its URL.
    async fn database(&self, name: &str) -> String {
        let admin = sqlx::PgPool::connect(&self.url("postgres")).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin).await.unwrap();
        admin.close().await;
        let url = self.url(name);
        for args in [
            vec!["migrate"],
            vec![
                "import",
                "parcels",
                "data-samples/messy-20248.geojson",
                "--on-invalid",
                "repair",
                "--on-duplicate",
                "merge",
            ],
        ] {
            let out = common::cli(&url, &args);
            assert!(out.status.success(), "{args:?}: {}", common::text(&out));
        }
        url
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = std::process::Command::new("bash")
            .arg("-c")
            .arg("source scripts/lib.sh && stop_postgres; rm -rf \"$DIACHINH_PGDATA\"")
            .current_dir(common::repo())
            .env("DIACHINH_PGDATA", &self.data)
            .output();
    }
}

/// Polls `url` until it answers 200, for at most 30 s; returns the answer's body.
async fn until_ok(http: &reqwest::Client, url: &str) -> String {
    for _ in 0..150 {
        if let Ok(r) = http.get(url).send().await
            && r.status() == 200
        {
            return r.text().await.unwrap();
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("{url} did not answer 200 within 30 s");
}

/// A GeoJSON file of one new parcel, number `no` of sheet 99 of pre-reform commune 20248, a little
/// north-east of (lon, lat); the file and the parcel's box (W, S, E, N).
fn one_parcel(dir: &tempfile::TempDir, lon: f64, lat: f64, no: u32) -> (String, [f64; 4]) {
    let (x0, y0) = (lon + 0.01 * f64::from(no), lat + 0.01);
    let (x1, y1) = (x0 + 0.0002, y0 + 0.0002);
    let feature = serde_json::json!({ "type": "FeatureCollection", "features": [{ "type": "Feature",
        "properties": { "MaXa": "20248", "SoHieuToBanDo": "99", "SoThuTuThua": no, "KyHieuMucDichSuDung": "ODT", "DienTich": 480 },
        "geometry": { "type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] } }] });
    (common::write_file(dir, &format!("moi-{no}.geojson"), &feature.to_string()), [x0, y0, x1, y1])
}

#[tokio::test]
async fn a_database_restart_is_answered_503_then_everything_resumes_and_the_index_follows() {
    let cluster = Cluster::start();
    let url = cluster.database("outage").await;
    let admin = sqlx::PgPool::connect(&url).await.unwrap();
    let (id, lon, lat): (String, f64, f64) = sqlx::query_as(
        "SELECT parcel_id, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM parcels ORDER BY parcel_id LIMIT 1",
    )
    .fetch_one(&admin)
    .await
    .unwrap();
    admin.close().await;
    let (base, _) = common::start_service(&url, |_| {}).await;
    // No request may hang: each gets an answer within 8 s or the test fails.
    let http = reqwest::Client::builder().timeout(std::time::Duration::from_secs(8)).build().unwrap();
    let (x, y) = common::tile_of(lon, lat, 17);
    let tile = format!("{base}/tiles/parcels/17/{x}/{y}.mvt");
    // What only the database answers: cards, items by id, the layers as they were.
    let paths = [
        format!("/api/parcels/{id}"),
        format!("/ogc/collections/parcels/items/{id}"),
        "/ogc/collections/parcels/items?limit=5&datetime=2026-01-01T00:00:00Z".to_owned(),
        format!(
            "/wfs?service=WFS&version=2.0.0&request=GetFeature&storedQuery_id=urn:ogc:def:query:OGC-WFS::GetFeatureById&id=parcels.{id}"
        ),
    ];
    // What memory answers: pages of the layers as they are.
    let from_memory = [
        "/ogc/collections/parcels/items?limit=5",
        "/wfs?service=WFS&version=2.0.0&request=GetFeature&typeNames=dc:parcels&count=5",
    ];
    for p in paths.iter().map(String::as_str).chain(from_memory) {
        assert_eq!(http.get(format!("{base}{p}")).send().await.unwrap().status(), 200, "{p}");
    }

    cluster.bash("stop_postgres");
    for p in from_memory {
        let resp = http.get(format!("{base}{p}")).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{p} is answered from memory while the database is down");
    }
    for p in &paths {
        let resp = http.get(format!("{base}{p}")).send().await.unwrap();
        assert_eq!(resp.status(), 503, "{p} while the database is down");
        assert_eq!(resp.headers()["retry-after"], "5", "{p}");
        let body = resp.text().await.unwrap();
        assert!(body.contains("the database cannot take this request now"), "{p}: {body}");
    }
    // Tiles go on from memory; health says what is wrong.
    let t = http.get(&tile).send().await.unwrap();
    assert_eq!(t.status(), 200);
    assert!(!t.bytes().await.unwrap().is_empty());
    assert_eq!(http.get(format!("{base}/health")).send().await.unwrap().status(), 503);

    cluster.bash("start_postgres");
    for p in &paths {
        until_ok(&http, &format!("{base}{p}")).await;
    }
    // The change feed is followed again: a parcel imported now reaches the index.
    let dir = tempfile::tempdir().unwrap();
    let out = common::cli(&url, &["import", "parcels", &one_parcel(&dir, lon, lat, 1).0]);
    assert!(out.status.success(), "{}", common::text(&out));
    let health: Value = serde_json::from_str(&until_ok(&http, &format!("{base}/health")).await).unwrap();
    assert_eq!(health["index"]["listening_for_changes"], true, "{health}");
    let found = until_ok(&http, &format!("{base}/api/parcels/20248-99-1")).await;
    assert!(found.contains("\"legacy_key\":\"20248-99-1\""), "{found}");
}

#[tokio::test]
async fn pages_carry_security_headers_reads_are_open_to_other_origins_and_metrics_to_operators() {
    let db = TestDb::new(Content::Samples).await;
    let (base, operators) =
        common::start_service(&db.url, |s| s.metrics_listen = Some("127.0.0.1:0".parse().unwrap())).await;
    let operators = operators.unwrap();
    let http = reqwest::Client::new();

    for page in ["/", "/ogc/api.html", "/ogc/collections?f=html"] {
        let resp = http.get(format!("{base}{page}")).send().await.unwrap();
        let h = resp.headers();
        assert!(h["content-type"].to_str().unwrap().starts_with("text/html"), "{page}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{page}: {csp}");
        assert_eq!(
            (&h["x-content-type-options"], &h["referrer-policy"], &h["x-frame-options"]),
            (&"nosniff".parse().unwrap(), &"same-origin".parse().unwrap(), &"DENY".parse().unwrap()),
            "{page}"
        );
    }
    let json =
        http.get(format!("{base}/ogc/collections")).header("origin", "https://bando.example.vn").send().await.unwrap();
    assert_eq!(json.headers()["x-content-type-options"], "nosniff");
    assert!(json.headers().get("content-security-policy").is_none());
    // Another site's map reads, without the browser's credentials; it writes nothing.
    assert_eq!(json.headers()["access-control-allow-origin"], "*");
    assert!(json.headers().get("access-control-allow-credentials").is_none());
    let preflight = |method: &str| {
        http.request(reqwest::Method::OPTIONS, format!("{base}/ogc/collections/parcels/items"))
            .header("origin", "https://bando.example.vn")
            .header("access-control-request-method", method)
            .send()
    };
    let get = preflight("GET").await.unwrap();
    assert!(get.headers()["access-control-allow-methods"].to_str().unwrap().contains("GET"));
    let post = preflight("POST").await.unwrap();
    let allowed = post.headers().get("access-control-allow-methods").map(|v| v.to_str().unwrap().to_owned());
    assert!(!allowed.unwrap_or_default().contains("POST"), "no cross-origin writes");

    // Metrics: the admin's on the service's address, anyone's on the operators' one (which
    // serves nothing else).
    assert_eq!(http.get(format!("{base}/metrics")).send().await.unwrap().status(), 401);
    let m = http.get(format!("{operators}/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(m.contains("diachinh_index_parcels 3303"), "{m}");
    assert_eq!(http.get(format!("{operators}/health")).send().await.unwrap().status(), 200);
    assert_eq!(http.get(format!("{operators}/api/parcels/05443-1-1")).send().await.unwrap().status(), 404);
}

/// A new empty database on the test server; its URL.
async fn empty_database(app: &common::TestApp, name: &str) -> String {
    let name = format!("t_{name}_{}", std::process::id());
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name}")).execute(&app.db.pool).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&app.db.pool).await.unwrap();
    format!("{}/{name}", common::server_url())
}

#[tokio::test]
async fn a_backup_restores_into_an_empty_database_and_proves_it_and_a_damaged_one_is_refused() {
    let app = common::TestApp::spawn(Content::Samples).await;
    // Some history and audit entries of the service's own before the backup.
    app.db.add_account("dangky", "Mai K", "018000000001", "registrar", Some("05443"), "Địa-chính 2026!");
    assert_eq!(crate::accounts::change_password(&app, "dangky", "Địa-chính 2026!", "Sổ-đỏ an toàn 2027").await.0, 204);
    let parcel = common::parcels_of(&app.db.pool, "05443", 1).await.remove(0);
    let patched = app
        .http
        .patch(format!("{}/ogc/collections/parcels/items/{parcel}", app.base))
        .basic_auth("dangky", Some("Sổ-đỏ an toàn 2027"))
        .header("content-type", "application/merge-patch+json")
        .json(&serde_json::json!({ "properties": { "address": "Số 1 đường Hoàng Văn Thụ" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 204);
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("b1");
    let out = app.db.cli_beside_server(&["backup", "--to", backup.to_str().unwrap()]).await;
    assert!(out.status.success(), "{}", common::text(&out));
    let manifest: Value = serde_json::from_slice(&std::fs::read(backup.join("manifest.json")).unwrap()).unwrap();
    let parcels = manifest["tables"].as_array().unwrap().iter().find(|t| t["table"] == "public.parcels").unwrap();
    assert_eq!(parcels["rows"].as_i64(), Some(app.db.count("SELECT count(*) FROM parcels").await));
    assert!(manifest["audit_entries"].as_i64().unwrap() > 0 && manifest["audit_head"].as_str().unwrap().len() == 64);

    // Restored into an empty database with an audit directory of its own, and proven.
    let target = empty_database(&app, "restored").await;
    let audit = dir.path().join("audit-restored");
    let restore = |from: &std::path::Path, into: &str| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_diachinh"));
        cmd.args(["restore", "--from", from.to_str().unwrap(), "--into", into, "--verify"])
            .env("DIACHINH_AUDIT_DIR", &audit)
            .env_remove("DATABASE_URL")
            .current_dir(common::repo());
        common::run_beside(cmd)
    };
    let out = restore(&backup, &target).await;
    assert!(out.status.success(), "{}", common::text(&out));
    assert!(common::text(&out).contains("verified: rows and checksums"), "{}", common::text(&out));
    let restored = sqlx::PgPool::connect(&target).await.unwrap();
    let address: String = sqlx::query_scalar("SELECT address FROM parcels WHERE parcel_id = $1 AND valid_to IS NULL")
        .bind(&parcel)
        .fetch_one(&restored)
        .await
        .unwrap();
    assert_eq!(address, "Số 1 đường Hoàng Văn Thụ");
    restored.close().await;

    // Refused: into a database that is not empty, a truncated file, an altered manifest.
    let out = restore(&backup, &target).await;
    assert!(!out.status.success() && common::text(&out).contains("not empty"), "{}", common::text(&out));
    let copy = |name: &str| {
        let to = dir.path().join(name);
        let status = std::process::Command::new("cp")
            .args(["-a", backup.to_str().unwrap(), to.to_str().unwrap()])
            .status()
            .unwrap();
        assert!(status.success());
        to
    };
    let truncated = copy("truncated");
    let toc = truncated.join("db/toc.dat");
    let len = std::fs::metadata(&toc).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&toc).unwrap().set_len(len / 2).unwrap();
    let fresh = empty_database(&app, "restored2").await;
    let out = restore(&truncated, &fresh).await;
    assert!(!out.status.success() && common::text(&out).contains("db/toc.dat is truncated"), "{}", common::text(&out));
    let altered = copy("altered");
    let text = std::fs::read_to_string(altered.join("manifest.json")).unwrap();
    std::fs::write(altered.join("manifest.json"), text.replacen("\"rows\": ", "\"rows\": 1", 1)).unwrap();
    let out = restore(&altered, &fresh).await;
    assert!(!out.status.success() && common::text(&out).contains("is corrupted"), "{}", common::text(&out));
    let tables = sqlx::PgPool::connect(&fresh).await.unwrap();
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        .fetch_one(&tables)
        .await
        .unwrap();
    assert_eq!(count, 0, "a refused restore writes nothing");
}

/// Kills `child` with SIGKILL, as a crash or `kill -9` would.
fn kill_9(child: &mut std::process::Child) {
    let status = std::process::Command::new("kill").args(["-9", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    child.wait().unwrap();
}

#[tokio::test]
async fn kill_9_of_the_importer_mid_import_leaves_exactly_the_committed_state() {
    let db = TestDb::new(Content::Empty).await;
    let dir = tempfile::tempdir().unwrap();
    let out =
        common::cli("postgres://unused", &["samples", "--synthetic", "100000", "--dir", dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", common::text(&out));
    let file = dir.path().join("synthetic-100000.gpkg");
    let before = db.fingerprint().await;
    let database = db.url.rsplit('/').next().unwrap().to_owned();
    let mut importer = std::process::Command::new(env!("CARGO_BIN_EXE_diachinh"))
        .args(["import", "parcels", file.to_str().unwrap()])
        .env("DATABASE_URL", &db.url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Killed while it writes: its COPY into the database is under way.
    let writing = "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND query ILIKE 'COPY%'";
    let mut seen = false;
    for _ in 0..600 {
        let n: i64 = sqlx::query_scalar(writing).bind(&database).fetch_one(&db.pool).await.unwrap();
        if n > 0 {
            seen = true;
            break;
        }
        assert!(importer.try_wait().unwrap().is_none(), "the import ended before it was killed");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(seen, "the importer never started writing");
    kill_9(&mut importer);
    // Its session ends and rolls back: nothing of the import, no change, no audit entry.
    for _ in 0..100 {
        let left: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND state <> 'idle'",
        )
        .bind(&database)
        .fetch_one(&db.pool)
        .await
        .unwrap();
        if left == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(db.fingerprint().await, before, "no partial import");
    assert_eq!(db.count("SELECT count(*) FROM imports").await, 0);
    assert_eq!(
        db.count("SELECT count(*) FROM changes").await,
        db.count("SELECT count(*) FROM audit.entries WHERE action LIKE 'import %'").await
    );
    // The same import run again completes.
    let out = db.cli(&["import", "parcels", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", common::text(&out));
    assert_eq!(db.count("SELECT count(*) FROM parcels WHERE valid_to IS NULL").await, 100_000);
    // Parcels go in a COPY per block of uids, each followed by its parcels' holders: every
    // holder the file names arrives, on the parcel that names it.
    let named = std::process::Command::new("ogrinfo")
        .args(["-q", "-ro", file.to_str().unwrap(), "-sql"])
        .arg("SELECT MaXa || '/' || SoHieuToBanDo || '/' || SoThuTuThua || '/' || TenChu AS k FROM thua_dat WHERE TenChu IS NOT NULL")
        .output()
        .unwrap();
    let mut in_file: Vec<String> = String::from_utf8(named.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.trim().strip_prefix("k (String) = ").map(str::to_owned))
        .collect();
    let mut stored: Vec<String> = sqlx::query_scalar(
        "SELECT p.commune_code_recorded || '/' || p.sheet || '/' || p.parcel_no || '/' || h.name
         FROM personal.recorded_holders h JOIN parcels p ON p.uid = h.parcel_uid",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert!(in_file.len() > 50_000, "{}", in_file.len());
    in_file.sort();
    stored.sort();
    assert_eq!(stored.len(), in_file.len());
    assert!(stored == in_file, "holders differ from the file's");
}

/// Edits in a loop: each editor changes its own parcel's address again and again, until `until`
/// passes or an edit is not acknowledged; returns each parcel with its acknowledged addresses
/// and how long each took.
type Edits = Vec<(String, Vec<(String, Duration)>)>;

async fn edit_in_a_loop(base: &str, user: &str, parcels: Vec<String>, until: Instant) -> Edits {
    let http = reqwest::Client::new();
    let editors: Vec<_> = parcels
        .into_iter()
        .map(|parcel| {
            let (http, base, user) = (http.clone(), base.to_owned(), user.to_owned());
            tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                for n in 0.. {
                    if Instant::now() > until {
                        break;
                    }
                    let address = format!("Số {n} đường Thống Nhất");
                    let started = Instant::now();
                    let sent = http
                        .patch(format!("{base}/ogc/collections/parcels/items/{parcel}"))
                        .basic_auth(&user, Some("Sổ-đỏ an toàn 2027"))
                        .header("content-type", "application/merge-patch+json")
                        .json(&serde_json::json!({ "properties": { "address": address } }))
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status() == 204 => acknowledged.push((address, started.elapsed())),
                        Ok(r) if r.status().is_server_error() => panic!("{parcel}: {}", r.status()),
                        _ => break,
                    }
                }
                (parcel, acknowledged)
            })
        })
        .collect();
    let mut done = Vec::new();
    for e in editors {
        done.push(e.await.unwrap());
    }
    done
}

/// Every acknowledged edit is in its parcel's history, each parcel has one current version, and
/// the edits' changes and audit entries are as many; returns how many edits were acknowledged.
async fn no_edit_lost(db: &TestDb, edits: &Edits) -> usize {
    for (parcel, acknowledged) in edits {
        assert!(!acknowledged.is_empty(), "{parcel}: edits were made");
        let history: Vec<Option<String>> =
            sqlx::query_scalar("SELECT address FROM parcels WHERE parcel_id = $1 ORDER BY valid_from")
                .bind(parcel)
                .fetch_all(&db.pool)
                .await
                .unwrap();
        for (a, _) in acknowledged {
            assert!(history.contains(&Some(a.clone())), "{parcel}: acknowledged edit {a} lost");
        }
        let current: i64 = sqlx::query_scalar("SELECT count(*) FROM parcels WHERE parcel_id = $1 AND valid_to IS NULL")
            .bind(parcel)
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(current, 1, "{parcel}: one current version");
    }
    let changes = db.count("SELECT count(*) FROM changes WHERE action = 'edit map data'").await;
    let entries = db.count("SELECT count(*) FROM audit.entries WHERE action = 'edit map data'").await;
    assert_eq!(changes, entries, "each change has its audit entry");
    edits.iter().map(|(_, a)| a.len()).sum()
}

/// An account of the registrar of commune 05443, its password changed to the test's.
async fn registrar(db: &TestDb, base: &str, user: &str, id: &str) {
    db.add_account(user, "Mai K", id, "registrar", Some("05443"), "Địa-chính 2026!");
    let changed = reqwest::Client::new()
        .post(format!("{base}/api/me/password"))
        .basic_auth(user, Some("Địa-chính 2026!"))
        .json(&serde_json::json!({ "current": "Địa-chính 2026!", "new": "Sổ-đỏ an toàn 2027" }))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 204);
}

#[tokio::test]
async fn kill_9_of_the_service_mid_edits_loses_no_acknowledged_edit_and_splits_no_change_from_its_audit_entry() {
    let db = TestDb::new(Content::Samples).await;
    let (mut service, base) = db.serve().await;
    registrar(&db, &base, "dangky", "019000000001").await;
    let parcels = common::parcels_of(&db.pool, "05443", 8).await;
    // Eight editors; the service is killed under them.
    let editing = tokio::spawn({
        let base = base.clone();
        async move { edit_in_a_loop(&base, "dangky", parcels, Instant::now() + Duration::from_secs(60)).await }
    });
    tokio::time::sleep(Duration::from_secs(3)).await;
    kill_9(&mut service);
    let edits = editing.await.unwrap();
    assert!(no_edit_lost(&db, &edits).await >= 8);
}

/// The `q`th quantile of `times`.
fn quantile(times: &mut [Duration], q: f64) -> Duration {
    times.sort();
    times.get(((times.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or_default()
}

#[tokio::test]
async fn a_mixed_load_answers_no_5xx_and_loses_no_write() {
    // 20 s in CI; scripts/bench-mixed runs 300 s in a release build.
    let seconds: u64 = std::env::var("DIACHINH_LOAD_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(20);
    let db = TestDb::new(Content::Samples).await;
    let (base, _) = common::start_service(&db.url, |_| {}).await;
    registrar(&db, &base, "dangky", "021000000001").await;
    let until = Instant::now() + Duration::from_secs(seconds);
    let parcels = common::parcels_of(&db.pool, "05443", 20).await;
    let editing = tokio::spawn({
        let base = base.clone();
        async move { edit_in_a_loop(&base, "dangky", parcels, until).await }
    });
    // Readers: tiles z14-z18 and OGC API pages of 100 over the samples' two cities.
    let readers: Vec<_> = (0..8u64)
        .map(|r| {
            let base = base.clone();
            tokio::spawn(async move {
                use rand::{Rng, SeedableRng};
                let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(r);
                let http = reqwest::Client::new();
                let mut times = Vec::new();
                while Instant::now() < until {
                    let (lon, lat) = if rng.gen_bool(0.5) { (105.833, 21.589) } else { (106.68, 20.86) };
                    let (lon, lat) = (lon + rng.gen_range(-0.01..0.01), lat + rng.gen_range(-0.01..0.01));
                    let url = if r % 2 == 0 {
                        let z = rng.gen_range(14..=18);
                        let (x, y) = common::tile_of(lon, lat, z);
                        format!("{base}/tiles/parcels/{z}/{x}/{y}.mvt")
                    } else {
                        let bbox = format!("{},{},{},{}", lon - 0.002, lat - 0.002, lon + 0.002, lat + 0.002);
                        format!("{base}/ogc/collections/parcels/items?limit=100&bbox={bbox}")
                    };
                    let started = Instant::now();
                    let status = http.get(&url).send().await.unwrap().status();
                    assert!(!status.is_server_error(), "{url}: {status}");
                    times.push(started.elapsed());
                }
                (r % 2 == 0, times)
            })
        })
        .collect();
    // One importer: a sheet of 25 parcels of a pre-reform commune at a time.
    let mut imported = 0;
    let dir = tempfile::tempdir().unwrap();
    while Instant::now() < until {
        let sheet = 500 + imported;
        let features: Vec<Value> = (0..25)
            .map(|i| {
                let (x, y) = (106.60 + (sheet % 50) as f64 * 0.002 + (i % 5) as f64 * 0.0002, 20.70 + (sheet / 50) as f64 * 0.002 + (i / 5) as f64 * 0.0002);
                serde_json::json!({ "type": "Feature",
                    "properties": { "MaXa": "20248", "SoHieuToBanDo": sheet.to_string(), "SoThuTuThua": i + 1, "KyHieuMucDichSuDung": "ODT", "DienTich": 400 },
                    "geometry": { "type": "Polygon", "coordinates": [[[x, y], [x + 0.00018, y], [x + 0.00018, y + 0.00018], [x, y + 0.00018], [x, y]]] } })
            })
            .collect();
        let file = common::write_file(
            &dir,
            &format!("sheet{sheet}.geojson"),
            &serde_json::json!({ "type": "FeatureCollection", "features": features }).to_string(),
        );
        let out = db.cli_beside_server(&["import", "parcels", &file]).await;
        assert!(out.status.success(), "{}", common::text(&out));
        imported += 1;
    }
    let edits = editing.await.unwrap();
    let acknowledged = no_edit_lost(&db, &edits).await;
    // Counts reconcile: every import's parcels are there, every edit is one change.
    assert_eq!(db.count("SELECT count(*) FROM parcels WHERE valid_to IS NULL AND sheet::int >= 500 AND commune_code_recorded = '20248'").await, 25 * imported as i64);
    assert_eq!(db.count("SELECT count(*) FROM changes WHERE action = 'edit map data'").await, acknowledged as i64);
    let (mut tiles, mut pages) = (Vec::new(), Vec::new());
    for r in readers {
        let (tile, times) = r.await.unwrap();
        if tile { tiles.extend(times) } else { pages.extend(times) }
    }
    let mut edit_times: Vec<Duration> = edits.iter().flat_map(|(_, a)| a.iter().map(|(_, t)| *t)).collect();
    eprintln!(
        "mixed load {seconds} s: {} tiles (p50 {:?}, p99 {:?}), {} pages (p50 {:?}, p99 {:?}), {acknowledged} edits by 20 editors (p50 {:?}, p99 {:?}), {imported} imports of 25 parcels",
        tiles.len(),
        quantile(&mut tiles, 0.5),
        quantile(&mut tiles, 0.99),
        pages.len(),
        quantile(&mut pages, 0.5),
        quantile(&mut pages, 0.99),
        quantile(&mut edit_times, 0.5),
        quantile(&mut edit_times, 0.99),
    );
}

/// Runs `pgbackrest` with `args` as the cluster's owner (postgres when the tests run as root).
fn pgbackrest(config: &str, args: &[&str]) {
    let root = running_as_root();
    let mut cmd = if root { std::process::Command::new("runuser") } else { std::process::Command::new("pgbackrest") };
    if root {
        cmd.args(["-u", "postgres", "--", "pgbackrest"]);
    }
    let out = cmd.arg(format!("--config={config}")).args(args).output().unwrap();
    assert!(out.status.success(), "pgbackrest {args:?}: {}", common::text(&out));
}

fn running_as_root() -> bool {
    String::from_utf8(std::process::Command::new("id").arg("-u").output().unwrap().stdout).unwrap().trim() == "0"
}

#[tokio::test]
async fn point_in_time_recovery_with_pgbackrest_finds_the_state_before_an_edit() {
    let port = Cluster::port();
    let base = format!("/tmp/diachinh-pitr-{}-{port}", std::process::id());
    let data = format!("{base}/data");
    let config = format!("{base}/pgbackrest.conf");
    // The socket outside the data directory, or a backup would carry its lock file.
    for dir in ["repo", "sock"] {
        std::fs::create_dir_all(format!("{base}/{dir}")).unwrap();
    }
    std::fs::write(
        &config,
        format!(
            "[global]\nrepo1-path={base}/repo\nlog-path={base}\nlock-path={base}\nstart-fast=y\nlog-level-console=warn\n\n\
             [pitr]\npg1-path={data}\npg1-port={port}\npg1-socket-path={base}/sock\n"
        ),
    )
    .unwrap();
    if running_as_root() {
        let status = std::process::Command::new("chown").args(["-R", "postgres:postgres", &base]).status().unwrap();
        assert!(status.success());
    }
    let options = format!(
        "-c unix_socket_directories={base}/sock -c wal_level=replica -c archive_mode=on -c archive_command='pgbackrest --config={config} --stanza=pitr archive-push %p'"
    );
    let cluster = Cluster { port, data: data.clone(), options };
    cluster.bash("start_postgres");
    let url = cluster.database("pitr").await;
    pgbackrest(&config, &["--stanza=pitr", "stanza-create"]);
    pgbackrest(&config, &["--stanza=pitr", "--type=full", "backup"]);
    // pgBackRest keeps a backup's stop time to the second: the moment comes after it.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM parcels").fetch_one(&pool).await.unwrap();
    let moment: String = sqlx::query_scalar("SELECT now()::text").fetch_one(&pool).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    // The change to undo: a sheet imported after the moment.
    let dir = tempfile::tempdir().unwrap();
    let feature = serde_json::json!({ "type": "FeatureCollection", "features": [{ "type": "Feature",
        "properties": { "MaXa": "20248", "SoHieuToBanDo": "77", "SoThuTuThua": 1, "KyHieuMucDichSuDung": "ODT", "DienTich": 400 },
        "geometry": { "type": "Polygon", "coordinates": [[[106.70, 20.80], [106.7002, 20.80], [106.7002, 20.8002], [106.70, 20.8002], [106.70, 20.80]]] } }] });
    let file = common::write_file(&dir, "sau.geojson", &feature.to_string());
    let out = common::cli(&url, &["import", "parcels", &file]);
    assert!(out.status.success(), "{}", common::text(&out));
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM parcels").fetch_one(&pool).await.unwrap();
    assert_eq!(after, before + 1);
    sqlx::query("SELECT pg_switch_wal()").execute(&pool).await.unwrap();
    pool.close().await;
    // Archived, then stopped and restored to the moment before the import.
    pgbackrest(&config, &["--stanza=pitr", "check"]);
    cluster.bash("stop_postgres");
    pgbackrest(
        &config,
        &[
            "--stanza=pitr",
            "--delta",
            "--type=time",
            &format!("--target={moment}"),
            "--target-action=promote",
            "restore",
        ],
    );
    cluster.bash("start_postgres");
    let mut restored = None;
    for _ in 0..100 {
        if let Ok(p) = sqlx::PgPool::connect(&url).await
            && let Ok(n) = sqlx::query_scalar::<_, i64>("SELECT count(*) FROM parcels").fetch_one(&p).await
        {
            restored = Some(n);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(restored, Some(before), "the state before the import");
    cluster.bash("stop_postgres");
    let _ = std::fs::remove_dir_all(&base);
}

#[tokio::test]
async fn two_instances_behind_a_balancer_answer_alike_and_an_edit_through_one_evicts_tiles_on_both() {
    let db = TestDb::new(Content::Samples).await;
    db.add_account("dangky", "Mai K", "020000000001", "registrar", Some("05443"), "Địa-chính 2026!");
    let mut bases = Vec::new();
    for _ in 0..2 {
        let (base, _) =
            common::start_service(&db.url, |s| s.public_url = Some("https://bando.example.vn".into())).await;
        bases.push(base);
    }
    let http = reqwest::Client::new();
    let password = http
        .post(format!("{}/api/me/password", bases[0]))
        .basic_auth("dangky", Some("Địa-chính 2026!"))
        .json(&serde_json::json!({ "current": "Địa-chính 2026!", "new": "Sổ-đỏ an toàn 2027" }))
        .send()
        .await
        .unwrap();
    assert_eq!(password.status(), 204);
    let (id, lon, lat): (String, f64, f64) = sqlx::query_as(
        "SELECT parcel_id, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM parcels
         WHERE valid_to IS NULL AND commune_code = '05443' ORDER BY parcel_id LIMIT 1",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let (x, y) = common::tile_of(lon, lat, 17);
    let tile = |base: &str| {
        let url = format!("{base}/tiles/parcels/17/{x}/{y}.mvt");
        let http = http.clone();
        async move {
            let r = http.get(url).send().await.unwrap();
            let etag = r.headers()["etag"].to_str().unwrap().to_owned();
            (etag, r.bytes().await.unwrap())
        }
    };
    // The same tile, ETag and page (links included) from either instance.
    let (a, b) = (tile(&bases[0]).await, tile(&bases[1]).await);
    assert_eq!(a, b);
    let page = |base: &str| {
        let url = format!("{base}/ogc/collections/parcels/items?limit=2&bbox=105.8,21.5,105.9,21.6");
        let http = http.clone();
        async move { http.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let (pa, pb) = (page(&bases[0]).await, page(&bases[1]).await);
    let strip = |p: &str| {
        let mut v: Value = serde_json::from_str(p).unwrap();
        v.as_object_mut().unwrap().remove("timeStamp");
        v
    };
    assert_eq!(strip(&pa), strip(&pb));
    assert!(pa.contains("https://bando.example.vn/ogc/collections/parcels/items?"), "{pa}");

    // A land-use change through the first; the second's tile follows.
    let patched = http
        .patch(format!("{}/ogc/collections/parcels/items/{id}", bases[0]))
        .basic_auth("dangky", Some("Sổ-đỏ an toàn 2027"))
        .header("content-type", "application/merge-patch+json")
        .json(&serde_json::json!({ "properties": { "land_use": "TMD" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 204);
    let mut followed = false;
    for _ in 0..100 {
        let (x0, x1) = (tile(&bases[0]).await, tile(&bases[1]).await);
        if x0.0 != a.0 && x1 == x0 {
            followed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(followed, "both instances serve the edited tile");
}

#[tokio::test]
async fn a_read_replica_takes_the_reads_never_behind_the_map_and_changes_show_within_a_second() {
    let primary = Cluster::start();
    let url = primary.database("replicated").await;
    let replica = primary.replica();
    let standby = sqlx::PgPool::connect(&replica.url("replicated")).await.unwrap();
    assert!(sqlx::query_scalar::<_, bool>("SELECT pg_is_in_recovery()").fetch_one(&standby).await.unwrap());
    let (lon, lat): (f64, f64) =
        sqlx::query_as("SELECT ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom)) FROM parcels LIMIT 1")
            .fetch_one(&standby)
            .await
            .unwrap();
    let (base, _) = common::start_service(&url, |s| s.replicas = vec![replica.url("replicated")]).await;
    let http = reqwest::Client::builder().timeout(Duration::from_secs(8)).build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Seen through the service within a second of the import's commit (the CLI returns after it).
    let visible = |key: &'static str| {
        let (http, url) = (http.clone(), format!("{base}/api/parcels/{key}"));
        async move {
            let committed = Instant::now();
            while http.get(&url).send().await.unwrap().status() != 200 {
                assert!(committed.elapsed() < Duration::from_secs(5), "{key} never showed");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            committed.elapsed()
        }
    };
    let (file, _) = one_parcel(&dir, lon, lat, 1);
    assert!(common::cli(&url, &["import", "parcels", &file]).status.success());
    let took = visible("20248-99-1").await;
    assert!(took < Duration::from_secs(1), "an import showed {took:?} after its commit");

    // The replica stops replaying: nothing is read from it that the map has moved past. The new
    // parcel's page is a query, and answers with it (from the primary) while the replica lacks it.
    sqlx::query("SELECT pg_wal_replay_pause()").execute(&standby).await.unwrap();
    let (file, [w, s, e, n]) = one_parcel(&dir, lon, lat, 2);
    assert!(common::cli(&url, &["import", "parcels", &file]).status.success());
    visible("20248-99-2").await;
    // The card may come from PostGIS before the change feed has brought the parcel into the
    // layers that pages are answered from: the page is asked until it has it.
    let page = format!("{base}/ogc/collections/parcels/items?bbox={w},{s},{e},{n}");
    let committed = Instant::now();
    loop {
        let found: Value = http.get(&page).send().await.unwrap().json().await.unwrap();
        if found["numberMatched"] == 1 {
            break;
        }
        assert!(committed.elapsed() < Duration::from_secs(5), "the page never had the new parcel: {found}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let on_replica = "SELECT count(*) FROM parcels WHERE sheet = '99' AND parcel_no = 2";
    assert_eq!(sqlx::query_scalar::<_, i64>(on_replica).fetch_one(&standby).await.unwrap(), 0);

    // Replaying again, it catches up; then reads come from it: with the primary stopped, pages
    // and parcel cards still answer.
    sqlx::query("SELECT pg_wal_replay_resume()").execute(&standby).await.unwrap();
    while sqlx::query_scalar::<_, i64>(on_replica).fetch_one(&standby).await.unwrap() == 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    primary.bash("stop_postgres");
    let found: Value = http.get(&page).send().await.unwrap().json().await.unwrap();
    assert_eq!(found["numberMatched"], 1, "{found}");
    assert_eq!(http.get(format!("{base}/api/parcels/20248-99-2")).send().await.unwrap().status(), 200);
    // Writes need the primary.
    let health = http.get(format!("{base}/health")).send().await.unwrap();
    assert_eq!(health.status(), 503);
}

#[tokio::test]
async fn a_full_pool_slow_queries_and_slow_clients_get_bounded_answers_while_tiles_and_health_stay_fast() {
    use tokio::io::AsyncWriteExt;
    let db = TestDb::new(Content::Samples).await;
    let (base, _) = common::start_service(&db.url, |s| s.time_limit = Duration::from_secs(5)).await;
    let http = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
    let (x, y) = common::tile_of(105.833, 21.589, 16);
    let tile = format!("{base}/tiles/parcels/16/{x}/{y}.mvt");
    // Clients that never read their answer, and others that never finish their request.
    let addr = base.trim_start_matches("http://").to_owned();
    let mut idle = Vec::new();
    for i in 0..20 {
        let mut c = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let request = match i % 2 {
            0 => "GET /ogc/collections/parcels/items?limit=1000 HTTP/1.1\r\nHost: x\r\n\r\n",
            _ => "GET /ogc/collections HTTP/1.1\r\nHost: x\r\nX-Slow: ",
        };
        c.write_all(request.as_bytes()).await.unwrap();
        idle.push(c);
    }
    // Another session holds the parcels locked: every query on them waits (slow queries), and
    // 40 page requests take every connection of the pool and wait for more.
    let mut locker = db.pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE parcels IN ACCESS EXCLUSIVE MODE").execute(&mut *locker).await.unwrap();
    // Pages of the parcels as they were on a date: only PostGIS answers those.
    let pages: Vec<_> = (0..40)
        .map(|i| {
            let url = format!("{base}/ogc/collections/parcels/items?limit=10&offset={i}&datetime=2026-01-01T00:00:00Z");
            let http = http.clone();
            tokio::spawn(async move {
                let started = Instant::now();
                let resp = http.get(url).send().await.unwrap();
                let retry = resp.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
                (resp.status().as_u16(), retry, resp.text().await.unwrap(), started.elapsed())
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Meanwhile tiles come from memory and health answers within its bound.
    let started = Instant::now();
    let t = http.get(&tile).send().await.unwrap();
    assert_eq!(t.status(), 200);
    assert!(!t.bytes().await.unwrap().is_empty());
    assert!(started.elapsed() < Duration::from_secs(2), "a tile took {:?}", started.elapsed());
    let started = Instant::now();
    let health = http.get(format!("{base}/health")).send().await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(2), "health took {:?}", started.elapsed());
    assert!(matches!(health.status().as_u16(), 200 | 503));
    // Pages of the parcels as they are come from memory.
    let started = Instant::now();
    let page = http.get(format!("{base}/ogc/collections/parcels/items?limit=100")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(started.elapsed() < Duration::from_secs(2), "a page took {:?}", started.elapsed());
    // Every page is answered 503 with Retry-After and why, within the time limit.
    for p in pages {
        let (status, retry, body, took) = p.await.unwrap();
        assert_eq!((status, retry.as_deref()), (503, Some("5")), "{body}");
        assert!(body.contains("limit of 5 s") || body.contains("the database cannot take this request now"), "{body}");
        assert!(took < Duration::from_secs(8), "a page was answered after {took:?}");
    }
    locker.rollback().await.unwrap();
    until_ok(&http, &format!("{base}/ogc/collections/parcels/items?limit=10&datetime=2026-01-01T00:00:00Z")).await;
    drop(idle);
}
