//! Test harness: a fresh PostGIS database per test, cloned from a migrated template, and the
//! service or the CLI run against it as a user would.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use sqlx::{Connection, PgConnection, PgPool};

/// Every layer of the shipped catalog, in order.
pub const LAYERS: [&str; 10] =
    ["addresses", "admin", "holders", "market", "ownership", "parcels", "planning", "pricing", "projects", "units"];

pub fn server_url() -> String {
    std::env::var("DIACHINH_TEST_SERVER_URL")
        .expect("DIACHINH_TEST_SERVER_URL is not set: run the suite with scripts/test, which starts PostgreSQL")
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn samples_dir() -> PathBuf {
    repo().join("data-samples")
}

/// A database of its own for one test.
pub struct TestDb {
    pub url: String,
    pub pool: PgPool,
}

#[derive(Clone, Copy, PartialEq)]
pub enum Content {
    /// Migrated, no parcels.
    Empty,
    /// Migrated, with every sample loaded by `diachinh samples --load`.
    Samples,
}

impl TestDb {
    pub async fn new(content: Content) -> TestDb {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let template = ensure_template(content).await;
        let name = format!("t_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
        let mut admin = admin().await;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name}")).execute(&mut admin).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name} TEMPLATE {template}")).execute(&mut admin).await.unwrap();
        let url = format!("{}/{name}", server_url());
        let pool = PgPool::connect(&url).await.unwrap();
        TestDb { url, pool }
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.pool).await.unwrap()
    }

    /// Waits until the audit entry of the answer `resp` (by its `X-Request-Id`) is in the
    /// database: entries of accesses are written in batches, in order, after the answer.
    pub async fn recorded(&self, resp: &reqwest::Response) {
        let id = resp.headers().get("x-request-id").expect("an audited answer has an X-Request-Id");
        let id = id.to_str().unwrap().to_owned();
        within(Duration::from_secs(10), async || {
            let n: i64 = sqlx::query_scalar("SELECT count(*) FROM audit.log WHERE request_id = $1")
                .bind(&id)
                .fetch_one(&self.pool)
                .await
                .unwrap();
            n == 1
        })
        .await;
    }

    /// Everything a failed import must leave as it was.
    pub async fn fingerprint(&self) -> (i64, i64, i64, String) {
        sqlx::query_as(
            "SELECT (SELECT count(*) FROM parcels), (SELECT count(*) FROM personal.recorded_holders),
                    (SELECT count(*) FROM imports),
                    (SELECT coalesce(md5(string_agg(parcel_id || ST_AsEWKB(geom)::text, ',' ORDER BY uid)), '') FROM parcels)",
        )
        .fetch_one(&self.pool)
        .await
        .unwrap()
    }

    /// Runs the CLI against this database.
    pub fn cli(&self, args: &[&str]) -> Output {
        cli(&self.url, args)
    }

    /// Adds an account with the CLI, as the registration office does (panics if refused):
    /// `scope` is a comma-separated list of codes, or none.
    pub fn add_account(
        &self,
        username: &str,
        name: &str,
        personal_id: &str,
        role: &str,
        scope: Option<&str>,
        password: &str,
    ) {
        let mut args = vec![
            "accounts",
            "add",
            username,
            "--name",
            name,
            "--personal-id",
            personal_id,
            "--org",
            "Sở TNMT",
            "--role",
            role,
        ];
        if let Some(scope) = scope {
            args.extend(["--scope", scope]);
        }
        let out = self.cli_input(&args, &format!("{password}\n"));
        assert!(out.status.success(), "{}", text(&out));
    }

    /// Runs the CLI with `input` on its standard input (passwords are read there).
    pub fn cli_input(&self, args: &[&str], input: &str) -> Output {
        use std::io::Write;
        let mut child = cli_command(&self.url, args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the diachinh binary runs");
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    /// Starts `diachinh serve` on a free port, as a user runs it; returns the process and the
    /// address it says it serves on.
    pub async fn serve(&self) -> (std::process::Child, String) {
        self.serve_in(&repo(), &[]).await
    }

    /// Starts `diachinh serve` with `extra` arguments from directory `dir`.
    pub async fn serve_in(&self, dir: &Path, extra: &[&str]) -> (std::process::Child, String) {
        let args = [&["serve", "--listen", "127.0.0.1:0"][..], extra].concat();
        let mut child = cli_command(&self.url, &args)
            .current_dir(dir)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("the diachinh binary runs");
        let stdout = child.stdout.take().unwrap();
        let line = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
            line
        })
        .await
        .unwrap();
        let base = line.trim().strip_prefix("diachinh serving on ").unwrap_or_else(|| panic!("serve said: {line}"));
        (child, base.to_owned())
    }

    /// Runs the CLI off the test's runtime, which goes on serving a `TestApp` the CLI talks to.
    pub async fn cli_beside_server(&self, args: &[&str]) -> Output {
        run_beside(cli_command(&self.url, args)).await
    }
}

pub fn cli(database_url: &str, args: &[&str]) -> Output {
    cli_command(database_url, args).output().expect("the diachinh binary runs")
}

fn cli_command(database_url: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_diachinh"));
    cmd.args(args)
        .env("DATABASE_URL", database_url)
        .env("DIACHINH_AUDIT_DIR", audit_dir(database_url))
        .current_dir(repo());
    cmd
}

/// The audit signing key and checkpoints of the test database at `database_url`, shared by the
/// service a test starts on it and the CLI it runs.
pub fn audit_dir(database_url: &str) -> PathBuf {
    let name = database_url.rsplit('/').next().unwrap();
    repo().join("target/test-audit").join(name)
}

/// Runs a client program off the test's runtime, which goes on serving the `TestApp` it talks to.
pub async fn run_beside(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("the client program is installed")).await.unwrap()
}

pub fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

async fn admin() -> PgConnection {
    PgConnection::connect(&format!("{}/postgres", server_url())).await.unwrap()
}

/// Templates are keyed by what goes into them, so a changed migration or sample makes a new one.
/// An advisory lock keeps concurrent tests from building the same template twice.
async fn ensure_template(content: Content) -> String {
    let mut h = DefaultHasher::new();
    for m in diachinh::storage::MIGRATOR.iter() {
        m.checksum.hash(&mut h);
    }
    if content == Content::Samples {
        for s in diachinh::samples::SAMPLES {
            std::fs::read(samples_dir().join(s.file)).unwrap().hash(&mut h);
        }
        std::fs::metadata(env!("CARGO_BIN_EXE_diachinh")).unwrap().modified().unwrap().hash(&mut h);
    }
    let name = format!("tmpl_{}_{:x}", if content == Content::Samples { "samples" } else { "empty" }, h.finish());
    let mut admin = admin().await;
    sqlx::query("SELECT pg_advisory_lock(7450001)").execute(&mut admin).await.unwrap();
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(&name)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    if !exists {
        let building = format!("{name}_building");
        sqlx::query(&format!("DROP DATABASE IF EXISTS {building}")).execute(&mut admin).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {building}")).execute(&mut admin).await.unwrap();
        let url = format!("{}/{building}", server_url());
        let migrated = cli(&url, &["migrate"]);
        assert!(migrated.status.success(), "{}", text(&migrated));
        if content == Content::Samples {
            let loaded = cli(&url, &["samples", "--load"]);
            assert!(loaded.status.success(), "{}", text(&loaded));
        }
        sqlx::query(&format!("ALTER DATABASE {building} RENAME TO {name}")).execute(&mut admin).await.unwrap();
    }
    sqlx::query("SELECT pg_advisory_unlock(7450001)").execute(&mut admin).await.unwrap();
    name
}

/// The service started in-process on a free port against the database at `url`, with the
/// test's audit directory and the settings `adjust` changes; its base URL, and the operators'
/// one when `metrics_listen` was set.
pub async fn start_service(
    url: &str,
    adjust: impl FnOnce(&mut diachinh::startup::Settings),
) -> (String, Option<String>) {
    let mut settings = diachinh::startup::Settings {
        audit_dir: diachinh::audit::checkpoint::AuditDir::new(audit_dir(url)),
        // Nothing published unless a test does (not the checkout's var/open-data).
        open_data_dir: audit_dir(url).with_extension("open-data"),
        ..diachinh::startup::Settings::new(url, "127.0.0.1:0".parse().unwrap())
    };
    adjust(&mut settings);
    let app = diachinh::startup::Application::build(&settings).await.unwrap();
    let base = format!("http://{}", app.local_addr());
    let operators = app.metrics_addr().map(|a| format!("http://{a}"));
    tokio::spawn(app.run_until_stopped());
    (base, operators)
}

/// The service, started in-process on a random port against a test database.
pub struct TestApp {
    pub base: String,
    pub db: TestDb,
    pub http: reqwest::Client,
}

impl TestApp {
    pub async fn spawn(content: Content) -> TestApp {
        let db = TestDb::new(content).await;
        let (base, _) = start_service(&db.url, |_| {}).await;
        TestApp { base, db, http: reqwest::Client::new() }
    }

    /// GET a path; returns the status and the body parsed as JSON.
    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let resp = self.http.get(format!("{}{path}", self.base)).send().await.unwrap();
        let status = resp.status().as_u16();
        let body = resp.text().await.unwrap();
        let json = serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: body is not JSON ({e}): {body}"));
        (status, json)
    }

    /// Each GET answers with its status and a JSON message that contains the given words.
    pub async fn expect_errors(&self, cases: &[(&str, u16, &str)]) {
        for (path, status, message) in cases {
            let (got, body) = self.get(path).await;
            assert_eq!(got, *status, "{path}: {body}");
            assert!(body["message"].as_str().unwrap().contains(message), "{path}: {body}");
        }
    }

    /// The body of a GET that must succeed.
    pub async fn get_text_owned(&self, path: String) -> String {
        let (status, body) = self.get_text(&path).await;
        assert_eq!(status, 200, "{path}: {body}");
        body
    }

    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let resp = self.http.get(format!("{}{path}", self.base)).send().await.unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }
}

/// Converts a file with GDAL's own ogr2ogr, as a user would to test another format.
pub fn ogr2ogr(out: &Path, src: &Path, extra: &[&str]) {
    let o = Command::new("ogr2ogr").arg(out).arg(src).args(extra).output().expect("ogr2ogr is installed (gdal-bin)");
    assert!(o.status.success(), "ogr2ogr failed: {}", text(&o));
}

/// The legacy keys of a FeatureCollection's features, in order.
pub fn legacy_keys(fc: &serde_json::Value) -> Vec<String> {
    fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["legacy_key"].as_str().unwrap().to_owned())
        .collect()
}

/// Writes `body` to `name` in `dir`; returns the path as the CLI takes it.
pub fn write_file(dir: &tempfile::TempDir, name: &str, body: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, body).unwrap();
    path.to_str().unwrap().to_owned()
}

/// Every holder's name, personal ID and certificate number in the database.
pub async fn personal_data(pool: &sqlx::PgPool) -> Vec<String> {
    let secrets: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM personal.recorded_holders
         UNION SELECT name FROM personal.holders WHERE kind IN ('individual', 'household')
         UNION SELECT personal_id FROM personal.holders WHERE personal_id IS NOT NULL
         UNION SELECT certificate_no FROM personal.rights WHERE certificate_no IS NOT NULL",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(secrets.len() > 3000, "{}", secrets.len());
    secrets
}

/// One pass over `haystack` for all the secrets at once.
pub fn assert_none_of(secrets: &[String], haystack: &[u8]) {
    let found = aho_corasick::AhoCorasick::new(secrets)
        .unwrap()
        .find(haystack)
        .map(|m| secrets[m.pattern().as_usize()].clone());
    assert_eq!(found, None, "a response carries personal data");
}

/// Runs one of the Node.js clients in tests/js (installed by scripts/test) and returns its stdout.
pub fn node(script: &str, args: &[&Path]) -> String {
    let js = repo().join("tests/js");
    let o = Command::new("node")
        .arg(js.join(script))
        .args(args)
        .output()
        .expect("node is installed (scripts/test installs it and runs npm ci in tests/js)");
    assert!(o.status.success(), "{script} failed: {}", text(&o));
    String::from_utf8(o.stdout).unwrap()
}

/// Runs one of the Python clients in tests/py (in the venv scripts/test makes) beside the
/// running server; returns its stdout.
pub async fn python(script: &str, args: &[&str]) -> String {
    let py = repo().join("tests/py");
    let mut cmd = Command::new(py.join(".venv/bin/python"));
    cmd.arg(py.join(script)).args(args);
    let o = run_beside(cmd).await;
    assert!(o.status.success(), "{script} failed: {}", text(&o));
    String::from_utf8(o.stdout).unwrap()
}

/// Runs a script of tests/py with Debian's python3 and its QGIS (python3-qgis), headless.
pub async fn qgis(script: &str, args: &[&str]) -> String {
    let mut cmd = Command::new("/usr/bin/python3");
    cmd.arg(repo().join("tests/py").join(script)).args(args).env("QT_QPA_PLATFORM", "offscreen");
    let o = run_beside(cmd).await;
    assert!(o.status.success(), "{script} failed: {}", text(&o));
    // QGIS may print warnings of its own before the JSON line.
    String::from_utf8(o.stdout).unwrap().lines().last().unwrap_or_default().to_owned()
}

/// The first `n` current parcels of 2025 commune `commune`, by parcel ID.
pub async fn parcels_of(pool: &PgPool, commune: &str, n: i64) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT parcel_id FROM parcels WHERE valid_to IS NULL AND commune_code = $1 ORDER BY parcel_id LIMIT $2",
    )
    .bind(commune)
    .bind(n)
    .fetch_all(pool)
    .await
    .unwrap()
}

/// A current parcel of `commune` with holders recorded (the first by ID), and its holders'
/// first name.
pub async fn parcel_with_holder(pool: &PgPool, commune: &str) -> (String, String) {
    sqlx::query_as(
        "SELECT r.parcel_id, min(h.name) FROM personal.rights r JOIN personal.holders h ON h.id = r.holder_id
         JOIN parcels p ON p.parcel_id = r.parcel_id AND p.valid_to IS NULL AND p.commune_code_recorded = $1
         GROUP BY r.parcel_id ORDER BY r.parcel_id LIMIT 1",
    )
    .bind(commune)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// The z/x/y of the tile holding a point.
pub fn tile_of(lon: f64, lat: f64, z: u8) -> (u32, u32) {
    let n = (1u32 << z) as f64;
    let x = ((lon + 180.0) / 360.0 * n).floor() as u32;
    let lat = lat.to_radians();
    let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor() as u32;
    (x, y)
}

impl TestApp {
    /// A GET with extra request headers, answered as it came.
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut req = self.http.get(format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.unwrap()
    }

    /// A tile, decoded by @mapbox/vector-tile: its layers by name.
    pub async fn tile(&self, path: &str) -> serde_json::Value {
        let resp = self.get_with(path, &[]).await;
        assert_eq!(resp.status(), 200, "{path}");
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), resp.bytes().await.unwrap()).unwrap();
        let decoded: serde_json::Value = serde_json::from_str(&node("decode-tile.mjs", &[file.path()])).unwrap();
        decoded[0].clone()
    }
}

/// `cs2cs` from `from` to `to`, in each CRS's authority axis order.
pub fn cs2cs(from: &str, to: &str, a: f64, b: f64) -> (f64, f64) {
    cs2cs_args(&[from, to], a, b)
}

/// `cs2cs` with its arguments as given (e.g. classic `+proj ... +to +proj ...` lists).
pub fn cs2cs_args(args: &[&str], a: f64, b: f64) -> (f64, f64) {
    let mut child = Command::new("cs2cs")
        .args(["-f", "%.10f"])
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("cs2cs is installed (proj-bin)");
    use std::io::Write;
    writeln!(child.stdin.take().unwrap(), "{a} {b}").unwrap();
    let out = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap();
    let v: Vec<f64> = out.split_whitespace().take(2).map(|s| s.parse().unwrap()).collect();
    (v[0], v[1])
}

/// A small box in Phường Phan Đình Phùng, W,S,E,N.
pub const TEST_BOX: [f64; 4] = [105.832, 21.588, 105.834, 21.590];

/// `TEST_BOX` as `bbox=` writes it.
pub fn test_box() -> String {
    TEST_BOX.map(|v| v.to_string()).join(",")
}

/// Current parcels meeting `TEST_BOX`, as PostGIS counts them.
pub async fn parcels_in_test_box(app: &TestApp) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM parcels WHERE valid_to IS NULL
         AND ST_Intersects(geom, ST_MakeEnvelope($1, $2, $3, $4, 4326))",
    )
    .bind(TEST_BOX[0])
    .bind(TEST_BOX[1])
    .bind(TEST_BOX[2])
    .bind(TEST_BOX[3])
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
}

/// Runs one of GDAL's programs against the running server; returns what it printed.
pub async fn gdal(program: &str, args: &[&str]) -> String {
    let mut cmd = Command::new(program);
    cmd.args(args);
    let o = run_beside(cmd).await;
    let said = text(&o);
    assert!(o.status.success(), "{program} {args:?}: {said}");
    said
}

/// Parcel IDs of current parcels meeting `condition` (SQL over `parcels p`), as PostGIS finds them.
pub async fn parcels_where(app: &TestApp, condition: &str) -> std::collections::BTreeSet<String> {
    let sql = format!("SELECT p.parcel_id FROM parcels p WHERE p.valid_to IS NULL AND ({condition})");
    sqlx::query_scalar::<_, String>(&sql).fetch_all(&app.db.pool).await.unwrap().into_iter().collect()
}

/// A body as sent in `Content-Encoding` `coding` (`br`, `gzip`, or none), decoded.
pub fn decoded(coding: Option<&str>, body: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    match coding {
        Some("br") => brotli::Decompressor::new(body, 4096).read_to_end(&mut out).unwrap(),
        Some("gzip") => flate2::read::GzDecoder::new(body).read_to_end(&mut out).unwrap(),
        Some(other) => panic!("no decoder for {other}"),
        None => return body.to_vec(),
    };
    out
}

/// Polls until `check` holds. The bound only catches a change that never arrives (a loaded CI
/// machine must not fail it); how fast changes arrive is printed, not asserted.
pub async fn within(limit: Duration, mut check: impl AsyncFnMut() -> bool) -> Duration {
    let start = Instant::now();
    loop {
        if check().await {
            return start.elapsed();
        }
        assert!(start.elapsed() < limit, "not seen within {limit:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
