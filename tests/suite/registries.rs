//! The market registries (issue 14): transactions recorded by the accounts allowed to, the unit's
//! status and the statistics following them, a double sale refused, small cells suppressed; the
//! broker registry; the bulk import through the CLI; and the encumbered-parcels layer, seen by
//! the registry's keepers in scope only, on every surface.

use crate::common;

use common::{Content, TestApp};
use serde_json::{Value, json};
use std::time::Duration;

pub(crate) const PASSWORD: &str = "Sàn-giao-dịch 2027";

/// Adds an account of `org` with `role` and `scope`, its password changed from the initial one.
async fn account(app: &TestApp, user: &str, id: &str, role: &str, scope: Option<&str>, org: &str) {
    let mut args =
        vec!["accounts", "add", user, "--name", "Lý Văn Sáu", "--personal-id", id, "--org", org, "--role", role];
    if let Some(s) = scope {
        args.extend(["--scope", s]);
    }
    let out = app.db.cli_input(&args, "Địa-chính 2026!\n");
    assert!(out.status.success(), "{}", common::text(&out));
    assert_eq!(crate::accounts::change_password(app, user, "Địa-chính 2026!", PASSWORD).await.0, 204);
}

pub(crate) async fn send(
    app: &TestApp,
    user: Option<&str>,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = app.http.request(method, format!("{}{path}", app.base));
    if let Some(u) = user {
        req = req.basic_auth(u, Some(PASSWORD));
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.json::<Value>().await.unwrap_or(Value::Null))
}

/// Today in Vietnam, and its quarter as the statistics name it.
fn today() -> (String, String) {
    use chrono::Datelike;
    let now = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).unwrap()).date_naive();
    (now.to_string(), format!("{}-Q{}", now.year(), (now.month() - 1) / 3 + 1))
}

/// The `all` cell of commune 05443 in `quarter`: its number of transactions and unsold units.
async fn all_cell(app: &TestApp, quarter: &str) -> (Value, Value) {
    let (status, stats) = app.get(&format!("/api/market/stats?commune=05443&period={quarter}")).await;
    assert_eq!(status, 200, "{stats}");
    let cell = stats["cells"].as_array().unwrap().iter().find(|c| c["product_kind"] == "all").cloned();
    let cell = cell.unwrap_or(json!({ "transactions": 0, "unsold_units": Value::Null }));
    (cell["transactions"].clone(), cell["unsold_units"].clone())
}

#[tokio::test]
async fn transactions_are_recorded_by_their_accounts_and_move_status_and_statistics() {
    let app = TestApp::spawn(Content::Samples).await;
    let pool = &app.db.pool;
    let investor: String =
        sqlx::query_scalar("SELECT investor FROM projects WHERE code = 'DA05443'").fetch_one(pool).await.unwrap();
    account(&app, "thitruong", "011000000090", "market_officer", Some("05443"), "Sở Xây dựng").await;
    account(&app, "thitruong.tinh", "011000000097", "market_officer", Some("19"), "Sở Xây dựng").await;
    account(&app, "thitruong.hp", "011000000091", "market_officer", Some("11311"), "Sở Xây dựng").await;
    account(&app, "chudautu", "011000000092", "investor", None, &investor).await;
    account(&app, "khac", "011000000093", "investor", None, "Công ty khác").await;
    account(&app, "moigioi", "011000000094", "broker", None, "Sàn giao dịch ABC").await;
    account(&app, "congchung", "011000000095", "notary", None, "Văn phòng công chứng Số 1").await;
    account(&app, "xem", "011000000096", "viewer", Some("05443"), "Sở TNMT").await;
    let unit: String = sqlx::query_scalar(
        "SELECT product_id FROM units u WHERE project_code = 'DA05443' AND status = 'available'
           AND NOT EXISTS (SELECT 1 FROM personal.transactions t WHERE t.product_id = u.product_id)
         ORDER BY product_id LIMIT 1",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let (day, quarter) = today();
    let deal = |kind: &str, stage: &str, seller: &str, buyer: &str, price: i64| {
        json!({ "SoHopDong": format!("HĐ-{kind}-{stage}-{price}"), "NgayHopDong": day, "LoaiGiaoDich": kind,
                "TrangThai": stage, "MaSanPham": unit, "GiaTri": price, "DienTich": 70.0,
                "BenBan": seller, "BenMua": buyer })
    };
    let status_of = async |unit: &str| app.get(&format!("/api/units/{unit}")).await.1["status"].clone();
    let post = reqwest::Method::POST;
    let (before, unsold_before) = all_cell(&app, &quarter).await;

    // Who may record: refusals say why.
    for (user, body, status, says) in [
        (None, deal("mua_ban", "dat_coc", &investor, "Ngô Thị Mua", 2_000_000_000), 401, "signed-in"),
        (Some("xem"), deal("mua_ban", "dat_coc", &investor, "Ngô Thị Mua", 2_000_000_000), 403, "does not record"),
        (Some("khac"), deal("mua_ban", "dat_coc", &investor, "Ngô Thị Mua", 2_000_000_000), 403, "its own projects"),
        (
            Some("thitruong.hp"),
            deal("mua_ban", "dat_coc", &investor, "Ngô Thị Mua", 2_000_000_000),
            403,
            "outside the scope",
        ),
        (
            Some("moigioi"),
            deal("mua_ban", "dat_coc", &investor, "Ngô Thị Mua", 2_000_000_000),
            403,
            "no broker's certificate",
        ),
        (Some("congchung"), deal("mua_ban", "da_ky", &investor, "Ngô Thị Mua", 2_000_000_000), 403, "notarised"),
        (Some("chudautu"), deal("mua_ban", "dat_coc", &investor, "Ngô Thị Mua", -5), 422, "positive"),
        (Some("chudautu"), deal("thue", "da_ky", &investor, "Ngô Thị Mua", 5), 422, "end date"),
        (Some("chudautu"), json!({ "SoHopDong": "x" }), 422, "missing field"),
        (
            Some("chudautu"),
            json!({ "SoHopDong": "x", "NgayHopDong": day, "LoaiGiaoDich": "mua_ban", "MaSanPham": "ZZ99", "GiaTri": 1, "DienTich": 1, "BenBan": "a", "BenMua": "b" }),
            404,
            "no housing unit",
        ),
    ] {
        let (got, answer) = send(&app, user, post.clone(), "/api/transactions", Some(body)).await;
        assert_eq!(got, status, "{user:?}: {answer}");
        assert!(answer["message"].as_str().unwrap_or_default().contains(says), "{says}: {answer}");
    }

    // The investor's deposit reserves the unit; a broker with a certificate in force sells it.
    let (status, deposit) = send(
        &app,
        Some("chudautu"),
        post.clone(),
        "/api/transactions",
        Some(deal("mua_ban", "dat_coc", &investor, "Ngô Thị Mua", 2_100_000_000)),
    )
    .await;
    assert_eq!(status, 201, "{deposit}");
    assert_eq!(status_of(&unit).await, "reserved");
    let certificate = json!({ "province": "19", "holder_id": "011000000094", "full_name": "Lý Văn Sáu",
                              "issued_on": "2025-01-15", "account": "moigioi" });
    assert_eq!(send(&app, Some("moigioi"), post.clone(), "/api/brokers", Some(certificate.clone())).await.0, 403);
    let (status, issued) = send(&app, Some("thitruong"), post.clone(), "/api/brokers", Some(certificate)).await;
    assert_eq!(status, 201, "{issued}");
    let cert = issued["certificate_id"].as_str().unwrap().to_owned();
    assert_eq!(cert, "1901100000009420250115000001".to_owned() + "0");
    let (status, sold) = send(
        &app,
        Some("moigioi"),
        post.clone(),
        "/api/transactions",
        Some(deal("mua_ban", "da_ky", &investor, "Ngô Thị Mua", 2_450_000_000)),
    )
    .await;
    assert_eq!(status, 201, "{sold}");
    assert_eq!(status_of(&unit).await, "sold");

    // A second sale by the same seller is refused naming the first contract; a resale by its buyer is not.
    let (status, refused) = send(
        &app,
        Some("chudautu"),
        post.clone(),
        "/api/transactions",
        Some(deal("mua_ban", "da_ky", &investor, "Đinh Văn Khác", 2_500_000_000)),
    )
    .await;
    assert_eq!(status, 409, "{refused}");
    let says = refused["message"].as_str().unwrap();
    assert!(
        says.contains("already sold under contract HĐ-mua_ban-da_ky-2450000000") && !says.contains("Ngô Thị Mua"),
        "{says}"
    );
    let mut resale = deal("chuyen_nhuong", "da_ky", "Ngô Thị Mua", "Đinh Văn Sau", 2_600_000_000);
    resale["CongChung"] = json!("có");
    resale["VanPhongCongChung"] = json!("Văn phòng công chứng Số 1");
    let (status, resold) = send(&app, Some("congchung"), post.clone(), "/api/transactions", Some(resale)).await;
    assert_eq!(status, 201, "{resold}");

    // The statistics count the two signed sales in this quarter; the unit is no longer unsold.
    let (after, unsold_after) = all_cell(&app, &quarter).await;
    assert_eq!(after.as_i64().unwrap(), before.as_i64().unwrap_or(0) + 2, "{before} → {after}");
    if let (Some(b), Some(a)) = (unsold_before.as_i64(), unsold_after.as_i64()) {
        assert_eq!(a, b - 1);
    }

    // Reading: the market officer in scope sees all with the parties; the broker only its own;
    // others are refused.
    let list = format!("/api/transactions?unit={unit}");
    let (status, all) = send(&app, Some("thitruong"), reqwest::Method::GET, &list, None).await;
    assert_eq!(status, 200, "{all}");
    let sources: Vec<&str> =
        all["transactions"].as_array().unwrap().iter().map(|t| t["source"].as_str().unwrap()).collect();
    assert_eq!(sources, ["investor", "broker", "notary"]);
    assert_eq!(all["transactions"][1]["broker_certificate"], cert.as_str());
    assert_eq!(all["transactions"][1]["buyer"], "Ngô Thị Mua");
    let (_, own) = send(&app, Some("moigioi"), reqwest::Method::GET, &list, None).await;
    assert_eq!(own["transactions"].as_array().unwrap().len(), 1, "{own}");
    assert_eq!(send(&app, None, reqwest::Method::GET, &list, None).await.0, 401);
    assert_eq!(send(&app, Some("xem"), reqwest::Method::GET, &list, None).await.0, 403);
    assert_eq!(send(&app, Some("thitruong.hp"), reqwest::Method::GET, &list, None).await.0, 403);

    // Cancelling the resale by its notary puts the first buyer back; the broker is revoked and
    // can record no more; anyone may verify the certificate and sees the revoked ID.
    let resale_id = resold["id"].as_i64().unwrap();
    let (status, _) = send(
        &app,
        Some("congchung"),
        post.clone(),
        &format!("/api/transactions/{resale_id}/cancel"),
        Some(json!({ "reason": "Hai bên thỏa thuận hủy" })),
    )
    .await;
    assert_eq!(status, 200);
    let (status, again) = send(
        &app,
        Some("congchung"),
        post.clone(),
        &format!("/api/transactions/{resale_id}/cancel"),
        Some(json!({ "reason": "x" })),
    )
    .await;
    assert_eq!((status, again["message"].as_str().unwrap().contains("was cancelled")), (409, true));
    let (status, revoked) = send(
        &app,
        Some("thitruong"),
        post.clone(),
        &format!("/api/brokers/{cert}/revoke"),
        Some(json!({ "on": "2026-01-01", "reason": "Vi phạm" })),
    )
    .await;
    assert_eq!(status, 200, "{revoked}");
    let revoked_id = revoked["certificate_id"].as_str().unwrap();
    assert_eq!(&revoked_id[..28], &cert[..28]);
    assert!(revoked_id.ends_with('1'));
    let (status, verified) = app.get(&format!("/api/brokers/{cert}")).await;
    assert_eq!(
        (status, verified["in_force"].clone(), verified["certificate_id"].as_str()),
        (200, json!(false), Some(revoked_id))
    );
    assert!(verified.get("full_name").is_none(), "the public verification carries no personal data: {verified}");
    let mut other = deal("mua_ban", "da_ky", "Ngô Thị Mua", "Phan Văn Tám", 2_700_000_000);
    other["SoHopDong"] = json!("HĐ sau thu hồi");
    let (status, answer) = send(&app, Some("moigioi"), post.clone(), "/api/transactions", Some(other)).await;
    assert_eq!(status, 403, "{answer}");

    // Every change is in the audit trail.
    let recorded = app.db.count("SELECT count(*) FROM audit.entries WHERE action IN ('record transaction', 'cancel transaction', 'register broker certificate', 'revoke broker certificate')").await;
    assert_eq!(recorded, 6);

    // The registries' report counts the transactions recorded this month in the province.
    let (_, report) = send(
        &app,
        Some("thitruong.tinh"),
        reqwest::Method::GET,
        &format!("/api/reports/registries?province=19&year={}", &day[..4]),
        None,
    )
    .await;
    let month: usize = day[5..7].parse().unwrap();
    assert!(report["months"][month - 1]["transactions_recorded"].as_i64().unwrap() >= 3, "{report}");
}

#[tokio::test]
async fn market_statistics_suppress_small_cells_on_every_surface() {
    let app = TestApp::spawn(Content::Samples).await;
    // Raw counts of signed sales by commune and month, straight from the registry.
    let raw: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT coalesce(p.commune_code, p.commune_code_recorded), to_char(t.contract_date, 'YYYY-MM'), count(*)
         FROM personal.transactions t LEFT JOIN units u ON u.product_id = t.product_id
         JOIN parcels p ON p.parcel_id = coalesce(t.parcel_id, u.parcel_id) AND p.valid_to IS NULL
         WHERE t.stage = 'signed' AND t.kind <> 'lease' AND t.cancelled_at IS NULL GROUP BY 1, 2",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert!(raw.iter().any(|(.., n)| *n < 3), "the samples hold small months: {raw:?}");
    for commune in ["05443", "11311"] {
        let (status, stats) = app.get(&format!("/api/market/stats?commune={commune}&by=month")).await;
        assert_eq!(status, 200, "{stats}");
        let cells = stats["cells"].as_array().unwrap();
        for c in cells.iter().filter(|c| c["product_kind"] == "all") {
            let n = raw.iter().find(|(k, m, _)| k == commune && *m == c["period"]).map(|r| r.2).unwrap_or(0);
            assert_eq!(c["suppressed"], n < 3, "{commune} {}: {n} sales, {c}", c["period"]);
            if n >= 3 {
                assert_eq!(c["transactions"], n);
            }
        }
        // No suppressed cell carries a number that could be read back.
        for c in cells.iter().filter(|c| c["suppressed"] == true) {
            for field in ["transactions", "total_value_vnd", "median_price_mvnd_m2", "mean_price_mvnd_m2"] {
                assert!(c[field].is_null(), "{c}");
            }
        }
        // The same cells as CSV.
        let csv = app.get_text_owned(format!("/api/market/stats?commune={commune}&by=month&format=csv")).await;
        assert_eq!(csv.lines().count(), cells.len() + 1);
        assert!(csv.starts_with("period,product_kind,suppressed,transactions"), "{csv}");
    }
    app.expect_errors(&[
        ("/api/market/stats?commune=05443&period=2026-Q5", 400, "quarter"),
        ("/api/market/stats?province=1", 400, "2-digit"),
        ("/api/market/stats", 400, "commune=CODE"),
    ])
    .await;

    // As an OGC API collection and a WFS feature type, open to all, suppressed cells without numbers.
    let (status, items) = app.get("/ogc/collections/market/items?limit=1000").await;
    assert_eq!(status, 200, "{items}");
    let features = items["features"].as_array().unwrap();
    assert!(features.iter().any(|f| f["properties"]["latest"] == true && f["properties"]["product_kind"] == "all"));
    for f in features.iter().filter(|f| f["properties"]["suppressed"] == true) {
        assert!(f["properties"].get("median_price_mvnd_m2").is_none(), "{f}");
    }
    // A commune without a surveyed boundary is drawn by its outline (the union of its parcels
    // that the gateway keeps), not by a hull computed at each reload.
    for f in features.iter().filter(|f| f["properties"]["latest"] == true && f["properties"]["product_kind"] == "all") {
        let (drawn, outline): (f64, f64) = sqlx::query_as(
            "SELECT ST_Area(ST_GeomFromGeoJSON($2)), ST_Area(geom) FROM admin_outlines WHERE kind = 'commune' AND code = $1",
        )
        .bind(f["properties"]["commune_code"].as_str().unwrap())
        .bind(f["geometry"].to_string())
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        assert!(
            (drawn - outline).abs() <= outline * 1e-6,
            "{}: drawn {drawn}, outline {outline}",
            f["properties"]["cell"]
        );
    }
    let wfs = app
        .get_text_owned("/wfs?service=WFS&version=2.0.0&request=GetFeature&typeNames=dc:market&count=5".into())
        .await;
    assert!(wfs.contains("<dc:median_price_mvnd_m2>"), "{wfs}");
    // As tiles for the `market` style, coloured by median price.
    let style = app.get("/styles/market.json").await.1;
    assert!(style["sources"]["diachinh"]["url"].as_str().unwrap().contains("market"));
    let (lon, lat) = (
        features[0]["geometry"]["coordinates"][0][0][0].as_f64(),
        features[0]["geometry"]["coordinates"][0][0][1].as_f64(),
    );
    let (lon, lat) = match (lon, lat) {
        (Some(a), Some(b)) => (a, b),
        _ => (
            features[0]["geometry"]["coordinates"][0][0][0][0].as_f64().unwrap(),
            features[0]["geometry"]["coordinates"][0][0][0][1].as_f64().unwrap(),
        ),
    };
    let (x, y) = common::tile_of(lon, lat, 12);
    let tile = app.tile(&format!("/tiles/market/12/{x}/{y}.mvt")).await;
    let cells = tile["market"]["features"].as_array().unwrap();
    assert!(cells.iter().any(|f| f["properties"]["latest"] == true && f["properties"]["product_kind"] == "all"));

    // A parcel moved to the other commune (by SQL, as a writer outside the service may) takes
    // its sale with it: the map's cells follow through the two communes' outlines, which the
    // service redraws, to what the registry counts.
    let (uid, quarter): (i64, String) = sqlx::query_as(
        "SELECT p.uid, to_char(t.contract_date, 'YYYY-\"Q\"Q') FROM personal.transactions t
         JOIN parcels p ON p.parcel_id = t.parcel_id AND p.valid_to IS NULL
         WHERE t.stage = 'signed' AND t.kind <> 'lease' AND t.cancelled_at IS NULL AND p.commune_code = '05443'
         ORDER BY 1 LIMIT 1",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let cell = format!("11311-{quarter}-all");
    let on_map = async || {
        let items = app.get("/ogc/collections/market/items?limit=1000").await.1;
        let found = items["features"].as_array().unwrap().iter().find(|f| f["properties"]["cell"] == cell).cloned();
        found.map(|f| f["properties"]["transactions"].clone())
    };
    let registry = async || {
        let stats = app.get("/api/market/stats?commune=11311").await.1;
        let cells = stats["cells"].as_array().unwrap().clone();
        cells.into_iter().find(|c| c["period"] == quarter && c["product_kind"] == "all").unwrap()["transactions"]
            .clone()
    };
    let before = on_map().await.expect("the commune's cell is on the map");
    assert_eq!(before, registry().await);
    sqlx::query("UPDATE parcels SET commune_code = '11311' WHERE uid = $1")
        .bind(uid)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let counted = registry().await;
    assert_eq!(counted.as_i64(), before.as_i64().map(|n| n + 1), "the registry counts the sale in its new commune");
    common::within(Duration::from_secs(15), async || on_map().await == Some(counted.clone())).await;
}

#[tokio::test]
async fn a_transactions_file_imports_all_or_nothing_through_the_cli() {
    let db = common::TestDb::new(Content::Samples).await;
    let before = db.count("SELECT count(*) FROM personal.transactions").await;
    let dir = tempfile::tempdir().unwrap();
    let parcel: String = sqlx::query_scalar(
        "SELECT commune_code_recorded || '-' || sheet || '-' || parcel_no FROM parcels p
         WHERE valid_to IS NULL AND commune_code_recorded = '11311'
           AND NOT EXISTS (SELECT 1 FROM personal.transactions t WHERE t.parcel_id = p.parcel_id)
         ORDER BY uid LIMIT 1",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let header =
        "SoHopDong,NgayHopDong,LoaiGiaoDich,MaThua,GiaTri,DienTich,CongChung,VanPhongCongChung,BenBan,BenMua\n";
    // The second row sells the same parcel again by the same seller: the whole file is refused.
    let twice = format!(
        "{header}CN-1,2026-02-01,chuyen_nhuong,{parcel},5000000000,100,có,Phòng công chứng Số 2,Trần Văn Bán,Lê Thị Mua\n\
         CN-2,2026-03-01,chuyen_nhuong,{parcel},5200000000,100,có,Phòng công chứng Số 2,Trần Văn Bán,Hồ Văn Khác\n"
    );
    let file = common::write_file(&dir, "twice.csv", &twice);
    let out = db.cli(&["import", "transactions", &file]);
    assert!(!out.status.success());
    let said = common::text(&out);
    assert!(said.contains("CN-2") && said.contains("already sold under contract CN-1"), "{said}");
    assert_eq!(db.count("SELECT count(*) FROM personal.transactions").await, before);
    // Bad values are named with their field.
    let bad = format!("{header}CN-3,2026-13-01,chuyen_nhuong,{parcel},abc,100,không,,A,B\n");
    let out = db.cli(&["import", "transactions", &common::write_file(&dir, "bad.csv", &bad)]);
    let said = common::text(&out);
    assert!(!out.status.success() && said.contains("NgayHopDong `2026-13-01` is not a date"), "{said}");
    // The resale by the buyer goes in.
    let chain = twice.replace("Trần Văn Bán,Hồ Văn Khác", "Lê Thị Mua,Hồ Văn Khác");
    let out = db.cli(&["import", "transactions", &common::write_file(&dir, "chain.csv", &chain)]);
    assert!(out.status.success(), "{}", common::text(&out));
    assert_eq!(db.count("SELECT count(*) FROM personal.transactions").await, before + 2);
}

#[tokio::test]
async fn the_encumbered_parcels_layer_is_for_the_registry_keepers_in_scope_only() {
    let app = TestApp::spawn(Content::Samples).await;
    account(&app, "tuphap", "011000000070", "justice_officer", Some("05443"), "Sở Tư pháp").await;
    account(&app, "tuphap.hp", "011000000071", "justice_officer", Some("11311"), "Sở Tư pháp").await;
    account(&app, "canbo.xa", "011000000072", "commune_officer", Some("05443"), "UBND xã").await;
    let (parcel, _) = common::parcel_with_holder(&app.db.pool, "05443").await;
    let registration = json!({ "parcels": [parcel], "secured_party": "Ngân hàng TMCP Ngoại thương", "giver_name": "Đỗ Văn Giao",
                               "contract_ref": "HĐTC 9/2026", "amount_vnd": 900000000 });
    let (status, registered) =
        send(&app, Some("tuphap"), reqwest::Method::POST, "/api/mortgages", Some(registration)).await;
    assert_eq!(status, 201, "{registered}");
    let no = registered["registration_no"].as_str().unwrap();
    let items = "/ogc/collections/encumbrances/items?f=json";
    // The keeper in scope sees it (after the change feed brings the registration to memory).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let seen = loop {
        let (status, seen) = send(&app, Some("tuphap"), reqwest::Method::GET, items, None).await;
        assert_eq!(status, 200, "{seen}");
        if seen["numberMatched"] == 1 || std::time::Instant::now() > deadline {
            break seen;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(seen["features"][0]["properties"]["registration_nos"], no, "{seen}");
    let (lon, lat) = {
        let ring = &seen["features"][0]["geometry"]["coordinates"][0][0];
        (ring[0][0].as_f64().unwrap(), ring[0][1].as_f64().unwrap())
    };
    let (x, y) = common::tile_of(lon, lat, 16);
    let tile_path = format!("/tiles/parcels,encumbrances/16/{x}/{y}.mvt");
    let tile_of = async |user: Option<&str>| {
        let mut req = app.http.get(format!("{}{tile_path}", app.base));
        if let Some(u) = user {
            req = req.basic_auth(u, Some(PASSWORD));
        }
        let resp = req.send().await.unwrap();
        (resp.status().as_u16(), resp.bytes().await.unwrap())
    };
    // Tiles come from memory, which the change feed refreshes a moment after the commit.
    let has_layer = |tile: &[u8]| tile.windows(b"encumbrances".len()).any(|w| w == b"encumbrances");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !has_layer(&tile_of(Some("tuphap")).await.1) {
        assert!(std::time::Instant::now() < deadline, "the keeper's tile holds the layer");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let wfs = "/wfs?service=WFS&version=2.0.0&request=GetFeature&typeNames=dc:encumbrances";
    let (status, _) = send(&app, Some("tuphap"), reqwest::Method::GET, "/ogc/collections", None).await;
    assert_eq!(status, 200);
    let text_of = async |user: Option<&str>, path: &str| {
        let mut req = app.http.get(format!("{}{path}", app.base));
        if let Some(u) = user {
            req = req.basic_auth(u, Some(PASSWORD));
        }
        let resp = req.send().await.unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    };
    assert!(text_of(Some("tuphap"), wfs).await.1.contains(no));

    // A change of the parcel reloads just its feature (the layer is keyed by parcel): still there,
    // with the parcel's new shape.
    sqlx::query("UPDATE parcels SET geom = ST_Translate(geom, 0.00001, 0) WHERE parcel_id = $1 AND valid_to IS NULL")
        .bind(&parcel)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (_, moved) = send(&app, Some("tuphap"), reqwest::Method::GET, items, None).await;
        assert_eq!(moved["numberMatched"], 1, "the encumbrance stays through the parcel's change: {moved}");
        let x = moved["features"][0]["geometry"]["coordinates"][0][0][0][0].as_f64().unwrap();
        if (x - lon - 0.00001).abs() < 1e-9 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the layer has the parcel's new shape: {moved}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // A keeper outside the parcel's scope sees the layer but not the parcel.
    let (_, other) = send(&app, Some("tuphap.hp"), reqwest::Method::GET, items, None).await;
    assert_eq!(other["numberMatched"], 0, "{other}");
    assert!(!text_of(Some("tuphap.hp"), wfs).await.1.contains(no));
    let (status, tile) = tile_of(Some("tuphap.hp")).await;
    assert_eq!(status, 200);
    assert!(!has_layer(&tile));

    // The public, and officers who do not keep the registry, see no trace of it anywhere.
    for user in [None, Some("canbo.xa")] {
        let (status, body) = text_of(user, items).await;
        assert_eq!(status, 404, "{user:?}: {body}");
        assert!(!body.contains("encumbrances,") && !body.contains(", encumbrances"), "{body}");
        assert_eq!(tile_of(user).await.0, 404);
        for path in [
            "/ogc/collections".to_owned(),
            "/tiles".to_owned(),
            "/wfs?service=WFS&request=GetCapabilities".to_owned(),
            "/wfs?service=WFS&version=2.0.0&request=DescribeFeatureType".to_owned(),
        ] {
            let (_, body) = text_of(user, &path).await;
            assert!(!body.contains("encumbrances"), "{user:?} {path}");
        }
        let (status, body) = text_of(user, wfs).await;
        assert!(status == 400 && !body.contains(no), "{user:?}: {status} {body}");
        let (status, _) = text_of(user, "/ogc/collections/encumbrances/items?f=gpkg").await;
        assert_eq!(status, 404);
        assert_eq!(text_of(user, "/tiles/encumbrances.json").await.0, 404);
    }
}
