//! Public-service workflows (issue 15) through HTTP and the CLI: the working-day calendar on real
//! dates, data-provision requests with their deadlines, refusals, extensions and the provision's
//! exact scope, error reports becoming correction tickets, quality checks on planted errors,
//! notices of interruptions, and the open-data catalogue.

use crate::common;
use crate::registries::{PASSWORD, send};

use common::{Content, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

/// Adds an account of `role` over `scope`, its initial password changed.
async fn officer(app: &TestApp, user: &str, id: &str, role: &str, scope: Option<&str>) {
    app.db.add_account(user, "Đỗ Thị Tâm", id, role, scope, "Địa-chính 2026!");
    assert_eq!(crate::accounts::change_password(app, user, "Địa-chính 2026!", PASSWORD).await.0, 204);
}

/// `diachinh calendar deadline`: whether it succeeded, and what it printed.
fn deadline(app: &TestApp, from: &str, days: &str, extra: &[&str]) -> (bool, String) {
    let mut args = vec!["calendar", "deadline", "--from", from, "--days", days];
    args.extend(extra);
    let out = app.db.cli(&args);
    (out.status.success(), common::text(&out).trim().to_owned())
}

#[tokio::test]
async fn deadlines_are_counted_on_the_loaded_calendar_and_the_admin_edits_it() {
    let app = TestApp::spawn(Content::Samples).await;
    for (from, days, expected) in [
        // Tết 2026: the Friday before it, before and after 15:00.
        ("2026-02-13T14:59:00+07:00", "0", "2026-02-13"),
        ("2026-02-13T15:01:00+07:00", "0", "2026-02-23"),
        ("2026-02-13T15:01:00+07:00", "3", "2026-02-26"),
        // Tết 2027: 5–9 February and the two compensatory days after it.
        ("2027-02-04T09:00:00+07:00", "2", "2027-02-15"),
        // 2 September 2025 and the day next to it.
        ("2025-08-29T16:00:00+07:00", "1", "2025-09-04"),
        // Saturdays worked in exchange for a bridge day.
        ("2025-02-07T16:00:00+07:00", "0", "2025-02-08"),
        ("2025-04-25T16:00:00+07:00", "0", "2025-04-26"),
        // The day before 30 April 2026.
        ("2026-04-29T14:59:00+07:00", "0", "2026-04-29"),
        ("2026-04-29T15:01:00+07:00", "0", "2026-05-04"),
        ("2026-11-10T15:01:00+07:00", "3", "2026-11-16"),
    ] {
        assert_eq!(deadline(&app, from, days, &[]), (true, expected.to_owned()), "{from} + {days}");
    }
    assert_eq!(deadline(&app, "2026-02-13T15:01:00+07:00", "0", &["--no-cutoff"]), (true, "2026-02-13".into()));
    let (ok, said) = deadline(&app, "2027-12-30T10:00:00+07:00", "5", &[]);
    assert!(!ok && said.contains("no holidays for 2028"), "{said}");

    // The same calculator over HTTP.
    let (status, body) = app.get("/api/calendar/deadline?from=2026-04-29T15:01:00%2B07:00&days=3").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["counted_from"].as_str(), body["deadline"].as_str()), (Some("2026-05-04"), Some("2026-05-07")));
    let (status, year) = app.get("/api/calendar?year=2027").await;
    assert_eq!((status, year["known"].as_bool()), (200, Some(true)));
    assert!(year["days"].as_array().unwrap().iter().any(|d| d["day"] == "2027-02-10" && d["kind"] == "off"));
    app.expect_errors(&[
        ("/api/calendar/deadline?from=yesterday&days=1", 400, "RFC 3339"),
        ("/api/calendar/deadline?days=-1", 400, "whole number"),
        ("/api/calendar?year=20x6", 400, "year"),
    ])
    .await;

    // The admin edits a day (a bridge day announced late); others may not.
    officer(&app, "quantri", "012000000001", "admin", None).await;
    officer(&app, "xem", "012000000002", "viewer", Some("05443")).await;
    let day = |kind: &str| json!({ "kind": kind, "name": "Nghỉ bù thử nghiệm" });
    for (user, path, body, status) in [
        (None, "/api/calendar/2026-11-13", day("off"), 401),
        (Some("xem"), "/api/calendar/2026-11-13", day("off"), 403),
        (Some("quantri"), "/api/calendar/2026-11-13", day("worked"), 422),
        (Some("quantri"), "/api/calendar/2026-11-14", day("off"), 422),
        (Some("quantri"), "/api/calendar/2026-13-01", day("off"), 400),
        (Some("quantri"), "/api/calendar/2026-11-13", day("someday"), 400),
    ] {
        let (got, answer) = send(&app, user, Method::PUT, path, Some(body)).await;
        assert_eq!(got, status, "{user:?} {path}: {answer}");
    }
    let (status, _) = send(&app, Some("quantri"), Method::PUT, "/api/calendar/2026-11-13", Some(day("off"))).await;
    assert_eq!(status, 204);
    assert_eq!(deadline(&app, "2026-11-10T15:01:00+07:00", "3", &[]), (true, "2026-11-17".into()));
    let (status, _) = send(&app, Some("quantri"), Method::DELETE, "/api/calendar/2026-11-13", None).await;
    assert_eq!(status, 204);
    assert_eq!(deadline(&app, "2026-11-10T15:01:00+07:00", "3", &[]), (true, "2026-11-16".into()));
    let edits =
        app.db.count("SELECT count(*) FROM changes WHERE action LIKE '% calendar day' AND actor = 'account:quantri'");
    assert_eq!(edits.await, 2);

    // A calendar file is all or nothing: a Friday cannot be a worked day.
    let dir = tempfile::tempdir().unwrap();
    let bad = common::write_file(&dir, "lich.csv", "Ngay,Loai,Ten\n2028-01-01,holiday,Tết\n2028-01-07,worked,Sai\n");
    let out = app.db.cli(&["import", "calendar", &bad]);
    assert!(!out.status.success() && common::text(&out).contains("only a weekend day"), "{}", common::text(&out));
    assert_eq!(app.db.count("SELECT count(*) FROM calendar_days WHERE day >= '2028-01-01'").await, 0);
    let good = common::write_file(&dir, "lich2028.csv", "Ngay,Loai,Ten\n2028-01-01,holiday,Tết Dương lịch\n");
    let out = app.db.cli(&["import", "calendar", &good]);
    assert!(out.status.success(), "{}", common::text(&out));
    assert_eq!(deadline(&app, "2027-12-30T10:00:00+07:00", "2", &[]), (true, "2028-01-03".into()));
}

/// A request for `body`'s extent, filed by `user` (anonymous with None).
async fn file(app: &TestApp, user: Option<&str>, extent: Value, extra: Value) -> (u16, Value) {
    let mut body = json!({
        "requester_kind": "organisation",
        "requester_name": "Công ty Đo đạc Bắc Thái",
        "requester_id": "4600123456",
        "contact": "lienhe@dodac.vn",
        "purpose": "Lập hồ sơ thiết kế đường nội bộ",
        "layers": ["parcels"],
        "format": "gpkg",
        "delivery": "download",
    });
    for (k, v) in extent.as_object().unwrap().iter().chain(extra.as_object().unwrap()) {
        body[k] = v.clone();
    }
    send(app, user, Method::POST, "/api/requests", Some(body)).await
}

async fn step(app: &TestApp, user: &str, no: &str, body: Value) -> (u16, Value) {
    send(app, Some(user), Method::POST, &format!("/api/requests/{no}/steps"), Some(body)).await
}

#[tokio::test]
async fn data_requests_run_on_working_day_deadlines_and_provide_exactly_their_scope() {
    let app = TestApp::spawn(Content::Samples).await;
    officer(&app, "dangky", "013000000001", "registrar", Some("05443")).await;
    officer(&app, "haiphong", "013000000002", "registrar", Some("11311")).await;
    officer(&app, "xem", "013000000003", "viewer", Some("05443")).await;
    let (held, holder) = common::parcel_with_holder(&app.db.pool, "05443").await;
    let other = common::parcels_of(&app.db.pool, "05443", 2).await.into_iter().find(|p| *p != held).unwrap();
    let parcels = json!({ "parcels": [held, other] });

    // Bad requests are refused with what is wrong.
    for (extent, extra, status, says) in [
        (json!({}), json!({}), 422, "exactly one of"),
        (parcels.clone(), json!({ "commune": "05443" }), 422, "exactly one of"),
        (parcels.clone(), json!({ "layers": ["encumbrances"] }), 422, "no layer `encumbrances`"),
        (parcels.clone(), json!({ "format": "docx" }), 422, "format"),
        (parcels.clone(), json!({ "owner_info": true }), 422, "written consent"),
        (parcels.clone(), json!({ "owner_basis": "consent" }), 422, "go with owner_info"),
        (parcels.clone(), json!({ "received_at": "2026-04-29T14:59:00+07:00" }), 422, "only the registration office"),
        (json!({ "parcels": ["w7g6b61zzzzz"] }), json!({}), 404, "no current parcel"),
        (json!({ "parcels": ["not a code"] }), json!({}), 422, ""),
        (json!({ "commune": "99999" }), json!({}), 404, "99999"),
        (json!({ "area": { "type": "Point", "coordinates": [105.8, 21.5] } }), json!({}), 422, "Polygon"),
        (
            json!({ "area": { "type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]] } }),
            json!({}),
            422,
            "km²",
        ),
        (
            json!({ "area": { "type": "Polygon", "coordinates": [[[100, 10], [100.001, 10], [100.001, 10.001], [100, 10]]] } }),
            json!({}),
            422,
            "no parcel",
        ),
        (json!({ "commune": "05443" }), json!({ "format": "pdf" }), 422, "PDF"),
        (
            json!({ "area": { "type": "Polygon", "coordinates": [[[105.83, 21.58], [105.84, 21.59], [105.84, 21.58], [105.83, 21.59], [105.83, 21.58]]] } }),
            json!({}),
            422,
            "not a valid polygon",
        ),
        (
            json!({ "area": { "type": "Polygon", "coordinates": [[[105.83, 21.58], [105.84, 21.59]]] } }),
            json!({}),
            422,
            "area",
        ),
        (
            json!({ "area": { "type": "Polygon", "coordinates": [[[205.83, 21.58], [105.84, 21.59], [105.84, 21.58], [205.83, 21.58]]] } }),
            json!({}),
            422,
            "longitude",
        ),
        (parcels.clone(), json!({ "purpose": "a\u{0}b" }), 422, "NUL"),
    ] {
        let (got, body) = file(&app, None, extent.clone(), extra.clone()).await;
        assert_eq!(got, status, "{extent} {extra}: {body}");
        assert!(body["message"].as_str().unwrap_or_default().contains(says), "{body}");
    }

    // 14:59 and 15:01 on the day before 30 April 2026, data in the database (same working day)
    // and not in it (3 working days); the registration office enters paper requests.
    let mut filed = Vec::new();
    for (at, other_data, due, refuse_by) in [
        ("2026-04-29T14:59:00+07:00", None, "2026-04-29", "2026-05-05"),
        ("2026-04-29T15:01:00+07:00", None, "2026-05-04", "2026-05-06"),
        ("2026-04-29T14:59:00+07:00", Some("Bản đồ địa chính giấy năm 1994"), "2026-05-06", "2026-05-05"),
        ("2026-04-29T15:01:00+07:00", Some("Bản đồ địa chính giấy năm 1994"), "2026-05-07", "2026-05-06"),
    ] {
        let (status, r) =
            file(&app, Some("dangky"), parcels.clone(), json!({ "received_at": at, "other_data": other_data })).await;
        assert_eq!(status, 201, "{r}");
        assert_eq!((r["due"].as_str(), r["refuse_by"].as_str()), (Some(due), Some(refuse_by)), "{at} {other_data:?}");
        filed.push(r["no"].as_str().unwrap().to_owned());
    }
    // Those are overdue now; their refusal time is past.
    let (status, list) = send(&app, Some("dangky"), Method::GET, "/api/requests?overdue=true", None).await;
    assert_eq!(status, 200, "{list}");
    let overdue: Vec<&str> = list["requests"].as_array().unwrap().iter().map(|r| r["no"].as_str().unwrap()).collect();
    assert!(filed.iter().all(|n| overdue.contains(&n.as_str())), "{overdue:?}");
    let (status, body) =
        step(&app, "dangky", &filed[0], json!({ "step": "refuse", "reason": "invalid_request" })).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["message"].as_str().unwrap().contains("within 2 working days, by 2026-05-05"), "{body}");

    // Filed now by anyone: due today or on the next working day, never overdue yet.
    let (status, fresh) = file(&app, None, parcels.clone(), json!({})).await;
    assert_eq!(status, 201, "{fresh}");
    let no = fresh["no"].as_str().unwrap().to_owned();
    assert!(no.starts_with("YC-"), "{no}");
    let received = fresh["received_at"].as_str().unwrap();
    let expected = deadline(&app, received, "0", &[]).1;
    assert_eq!(fresh["due"].as_str(), Some(expected.as_str()));
    assert!(!overdue.contains(&no.as_str()));

    // The requester follows it by number and sees no one's personal data; the office sees it all.
    let (status, public) = app.get(&format!("/api/requests/{no}")).await;
    assert_eq!((status, public["state"].as_str()), (200, Some("received")));
    assert!(public.get("requester_name").is_none() && public.get("contact").is_none(), "{public}");
    let (status, full) = send(&app, Some("dangky"), Method::GET, &format!("/api/requests/{no}"), None).await;
    assert_eq!((status, full["requester_name"].as_str()), (200, Some("Công ty Đo đạc Bắc Thái")), "{full}");
    // Outside its scope an office can neither see nor work it; a viewer does not work requests.
    let (status, _) = send(&app, Some("haiphong"), Method::GET, &format!("/api/requests/{no}"), None).await;
    assert_eq!(status, 403);
    let (status, list) = send(&app, Some("haiphong"), Method::GET, "/api/requests", None).await;
    assert_eq!((status, list["requests"].as_array().map(Vec::len)), (200, Some(0)));
    assert_eq!(step(&app, "xem", &no, json!({ "step": "notify_fee", "fee_vnd": 1 })).await.0, 403);
    assert_eq!(send(&app, None, Method::GET, "/api/requests", None).await.0, 401);

    // Each refusal reason, on requests of its own; unpaid_fee only after a fee was notified.
    for reason in ["state_secret", "owner_without_consent", "invalid_request"] {
        let (_, r) = file(&app, None, parcels.clone(), json!({})).await;
        let n = r["no"].as_str().unwrap();
        let (status, body) =
            step(&app, "dangky", n, json!({ "step": "refuse", "reason": reason, "note": "Lý do" })).await;
        assert_eq!((status, body["state"].as_str()), (200, Some("refused")), "{reason}: {body}");
        let (_, seen) = app.get(&format!("/api/requests/{n}")).await;
        assert_eq!(seen["refusal_reason"].as_str(), Some(reason));
    }
    let (_, r) = file(&app, None, parcels.clone(), json!({})).await;
    let unpaid = r["no"].as_str().unwrap();
    let (status, body) = step(&app, "dangky", unpaid, json!({ "step": "refuse", "reason": "unpaid_fee" })).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(step(&app, "dangky", unpaid, json!({ "step": "notify_fee", "fee_vnd": 120000 })).await.0, 200);
    let (status, body) = step(&app, "dangky", unpaid, json!({ "step": "refuse", "reason": "unpaid_fee" })).await;
    assert_eq!((status, body["state"].as_str()), (200, Some("refused")), "{body}");
    let (status, _) = step(&app, "dangky", unpaid, json!({ "step": "refuse", "reason": "lazy" })).await;
    assert_eq!(status, 422);

    // Extensions: at most 15 working days in all, each with a reason.
    let (status, body) =
        step(&app, "dangky", &no, json!({ "step": "extend", "days": 10, "reason": "Tổng hợp hồ sơ" })).await;
    assert_eq!(status, 200, "{body}");
    let extended = body["due"].as_str().unwrap().to_owned();
    let from_due = format!("{}T08:00:00+07:00", fresh["due"].as_str().unwrap());
    assert_eq!(extended, deadline(&app, &from_due, "10", &[]).1);
    let (status, body) = step(&app, "dangky", &no, json!({ "step": "extend", "days": 6, "reason": "Thêm" })).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["message"].as_str().unwrap().contains("at most 15"), "{body}");
    assert_eq!(step(&app, "dangky", &no, json!({ "step": "extend", "days": 5, "reason": "Lấy ý kiến" })).await.0, 200);
    let (_, seen) = app.get(&format!("/api/requests/{no}")).await;
    assert_eq!(
        (seen["extended_days"].as_i64(), seen["extension_reason"].as_str()),
        (Some(15), Some("Tổng hợp hồ sơ; Lấy ý kiến"))
    );

    // Fee, payment, provision; the link gives exactly the two parcels, without holders' names.
    assert_eq!(step(&app, "dangky", &no, json!({ "step": "provide" })).await.0, 409);
    assert_eq!(step(&app, "dangky", &no, json!({ "step": "record_payment", "reference": "x" })).await.0, 409);
    assert_eq!(step(&app, "dangky", &no, json!({ "step": "notify_fee", "fee_vnd": 50000 })).await.0, 200);
    let (status, body) = step(&app, "dangky", &no, json!({ "step": "record_payment", "reference": "BL-0001" })).await;
    assert_eq!((status, body["state"].as_str()), (200, Some("paid")), "{body}");
    let (status, provided) = step(&app, "dangky", &no, json!({ "step": "provide" })).await;
    assert_eq!((status, provided["state"].as_str()), (200, Some("provided")), "{provided}");
    let link = provided["downloads"][0].as_str().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let got = app.http.get(&link).send().await.unwrap();
    assert_eq!(got.status(), 200);
    let gpkg = dir.path().join("provision.gpkg");
    std::fs::write(&gpkg, got.bytes().await.unwrap()).unwrap();
    let info = common::gdal("ogrinfo", &["-al", "-q", gpkg.to_str().unwrap()]).await;
    assert_eq!(info.matches("OGRFeature").count(), 2, "{info}");
    assert!(info.contains(&held) && info.contains(&other), "{info}");
    common::assert_none_of(&common::personal_data(&app.db.pool).await, std::fs::read(&gpkg).unwrap().as_slice());
    // The link is the secret: without it, or with another, nothing; each download is audited.
    let wrong = link.replace("token=dl_", "token=dl_0");
    assert_eq!(app.http.get(&wrong).send().await.unwrap().status(), 404);
    let no_token = link.split('?').next().unwrap().to_owned();
    assert_eq!(app.http.get(&no_token).send().await.unwrap().status(), 401);
    assert_eq!(app.http.get(link.replace("/parcels?", "/holders?")).send().await.unwrap().status(), 404);
    let extractions =
        format!("SELECT count(*) FROM audit.entries WHERE action = 'extract data' AND actor = 'request:{no}'");
    assert_eq!(app.db.count(&extractions).await, 1);
    let steps = format!("SELECT count(*) FROM changes WHERE reason = '{no}' AND actor = 'account:dangky'");
    assert_eq!(app.db.count(&steps).await, 5, "two extensions, fee, payment, provision; refused steps leave nothing");

    // A PDF extract of one parcel, free of charge.
    let (status, r) = file(&app, None, json!({ "parcels": [other] }), json!({ "format": "pdf" })).await;
    assert_eq!(status, 201, "{r}");
    let pdf_no = r["no"].as_str().unwrap();
    assert_eq!(step(&app, "dangky", pdf_no, json!({ "step": "notify_fee", "fee_vnd": 0 })).await.1["state"], "paid");
    let (_, provided) = step(&app, "dangky", pdf_no, json!({ "step": "provide" })).await;
    let got = app.http.get(provided["downloads"][0].as_str().unwrap()).send().await.unwrap();
    assert_eq!(got.headers()["content-type"], "application/pdf");
    let pdf = dir.path().join("extract.pdf");
    std::fs::write(&pdf, got.bytes().await.unwrap()).unwrap();
    let info = common::gdal("ogrinfo", &["-al", "-q", pdf.to_str().unwrap()]).await;
    assert!(info.matches("OGRFeature").count() == 1 && info.contains(&other), "{info}");

    // Owner information with the owner's consent: the holders layer carries the names, for the
    // requested parcels only.
    let consent = json!({
        "layers": ["holders"], "owner_info": true, "owner_basis": "consent",
        "owner_basis_document": "Văn bản đồng ý của chủ sử dụng ngày 02/12/2026",
    });
    let (status, r) = file(&app, None, json!({ "parcels": [held] }), consent).await;
    assert_eq!(status, 201, "{r}");
    let owner = r["no"].as_str().unwrap();
    assert_eq!(step(&app, "dangky", owner, json!({ "step": "notify_fee", "fee_vnd": 0 })).await.1["state"], "paid");
    let (_, provided) = step(&app, "dangky", owner, json!({ "step": "provide" })).await;
    let got = app.http.get(provided["downloads"][0].as_str().unwrap()).send().await.unwrap();
    assert_eq!(got.status(), 200);
    let file_path = dir.path().join("owner.gpkg");
    std::fs::write(&file_path, got.bytes().await.unwrap()).unwrap();
    let info = common::gdal("ogrinfo", &["-al", "-q", file_path.to_str().unwrap()]).await;
    assert_eq!(info.matches("OGRFeature").count(), 1, "{info}");
    assert!(info.contains(&holder), "the consented holder's name: {info}");
}

#[tokio::test]
async fn reports_become_tickets_due_in_5_working_days_and_a_correction_closes_them() {
    let app = TestApp::spawn(Content::Samples).await;
    officer(&app, "dangky", "014000000001", "registrar", Some("05443")).await;
    officer(&app, "haiphong", "014000000002", "registrar", Some("11311")).await;
    officer(&app, "quantri", "014000000003", "admin", None).await;
    let parcel = common::parcels_of(&app.db.pool, "05443", 1).await.remove(0);
    let report = |p: &str, message: &str| json!({ "parcel": p, "message": message, "contact": "0912 345 678" });
    for (body, status, says) in [
        (report("w7g6b61zzzzz", "Sai"), 404, "no current parcel"),
        (report("x", "Sai"), 422, ""),
        (report(&parcel, "  "), 422, "message"),
        (report(&parcel, "a\u{0}b"), 422, "NUL"),
        (json!({ "parcel": parcel, "message": "Sai", "extra": 1 }), 400, "unknown field `extra`"),
    ] {
        let (got, answer) = send(&app, None, Method::POST, "/api/reports", Some(body.clone())).await;
        assert_eq!(got, status, "{body}: {answer}");
        assert!(answer["message"].as_str().unwrap_or_default().contains(says), "{answer}");
    }
    let (status, filed) =
        send(&app, None, Method::POST, "/api/reports", Some(report(&parcel, "Ranh giới thửa lệch sang đường"))).await;
    assert_eq!(status, 201, "{filed}");
    let ticket = filed["ticket"].as_str().unwrap().to_owned();
    let notified: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT notified_at FROM personal.correction_tickets WHERE no = $1")
            .bind(&ticket)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    let expected = deadline(&app, &notified.to_rfc3339(), "5", &["--no-cutoff"]).1;
    assert_eq!(filed["due"].as_str(), Some(expected.as_str()));
    let by_legacy_key: String = sqlx::query_scalar(
        "SELECT commune_code_recorded || '-' || sheet || '-' || parcel_no FROM parcels WHERE parcel_id = $1 AND valid_to IS NULL",
    )
    .bind(&parcel)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let (status, second) =
        send(&app, Some("dangky"), Method::POST, "/api/reports", Some(report(&by_legacy_key, "Diện tích sai"))).await;
    assert_eq!((status, second["parcel"].as_str()), (201, Some(parcel.as_str())), "{second}");

    // The public sees the state, not the contact; the commune's office sees it all, others not.
    let (status, public) = app.get(&format!("/api/tickets/{ticket}")).await;
    assert_eq!((status, public["state"].as_str()), (200, Some("open")));
    assert!(public.get("contact").is_none() && public.get("message").is_none(), "{public}");
    let (status, full) = send(&app, Some("dangky"), Method::GET, &format!("/api/tickets/{ticket}"), None).await;
    assert_eq!((status, full["contact"].as_str()), (200, Some("0912 345 678")), "{full}");
    // What a signed-in caller is answered stays out of every cache.
    let officer_read = app.http.get(format!("{}/api/tickets/{ticket}", app.base)).basic_auth("dangky", Some(PASSWORD));
    assert_eq!(officer_read.send().await.unwrap().headers()["cache-control"], "private, no-store");
    assert_eq!(send(&app, Some("haiphong"), Method::GET, &format!("/api/tickets/{ticket}"), None).await.0, 403);
    let answer = |state: &str, event: Option<i64>| json!({ "state": state, "answer": "Đã đo đạc lại", "event": event });
    let path = format!("/api/tickets/{ticket}/answer");
    assert_eq!(send(&app, Some("haiphong"), Method::POST, &path, Some(answer("explained", None))).await.0, 403);
    assert_eq!(send(&app, Some("dangky"), Method::POST, &path, Some(answer("closed", None))).await.0, 409);
    let (status, body) = send(&app, Some("dangky"), Method::POST, &path, Some(answer("corrected", None))).await;
    assert_eq!(status, 422, "{body}");

    // The correcting edit: a PATCH of the parcel, whose event the ticket then names.
    let earlier: i64 = app.db.count("SELECT coalesce(max(id), 0) FROM parcel_events").await;
    let (status, body) =
        send(&app, Some("dangky"), Method::POST, &path, Some(answer("corrected", Some(earlier.max(1))))).await;
    assert_eq!(status, 422, "an event from before the ticket: {body}");
    let patched = app
        .http
        .patch(format!("{}/ogc/collections/parcels/items/{parcel}", app.base))
        .basic_auth("dangky", Some(PASSWORD))
        .header("content-type", "application/merge-patch+json")
        .json(&json!({ "properties": { "address": "Số 12 đường Bến Tượng" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 204);
    let event: i64 = app.db.count("SELECT max(id) FROM parcel_events").await;
    assert!(event > earlier);
    let (status, body) = send(&app, Some("dangky"), Method::POST, &path, Some(answer("corrected", Some(event)))).await;
    assert_eq!((status, body["state"].as_str()), (200, Some("corrected")), "{body}");
    let (status, _) = send(&app, Some("dangky"), Method::POST, &path, Some(json!({ "state": "closed" }))).await;
    assert_eq!(status, 200);
    let (_, public) = app.get(&format!("/api/tickets/{ticket}")).await;
    assert_eq!((public["state"].as_str(), public["answer"].as_str()), (Some("closed"), Some("Đã đo đạc lại")));

    // A ticket past its due date is flagged to the admin; answering needs a reason.
    let late = second["ticket"].as_str().unwrap();
    sqlx::query("UPDATE personal.correction_tickets SET due = DATE '2026-01-05' WHERE no = $1")
        .bind(late)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let (status, flagged) = send(&app, Some("quantri"), Method::GET, "/api/tickets?overdue=true", None).await;
    assert_eq!(status, 200, "{flagged}");
    let nos: Vec<&str> = flagged["tickets"].as_array().unwrap().iter().map(|t| t["no"].as_str().unwrap()).collect();
    assert_eq!(nos, [late]);
    let path = format!("/api/tickets/{late}/answer");
    assert_eq!(send(&app, Some("dangky"), Method::POST, &path, Some(json!({ "state": "rejected" }))).await.0, 422);
    let (status, _) =
        send(&app, Some("dangky"), Method::POST, &path, Some(json!({ "state": "rejected", "answer": "Số liệu đúng" })))
            .await;
    assert_eq!(status, 200);
    // Every step is a change with its audit entry.
    for action in ["report an error", "ticket corrected", "ticket closed", "ticket rejected"] {
        let sql = format!("SELECT count(*) FROM audit.entries WHERE action = '{action}'");
        assert!(app.db.count(&sql).await >= 1, "{action}");
    }
}

/// A GeoJSON parcel: the ring of `[west, south, east, north]` in metres from an origin near
/// Thái Nguyên, on `sheet`, numbered `no`, with a legal area.
fn parcel(sheet: u32, no: u32, box_m: [f64; 4], legal: f64) -> Value {
    let (lon0, lat0): (f64, f64) = (105.8400, 21.5900);
    let per_lat = 1.0 / 110_760.0;
    let per_lon = 1.0 / (111_320.0 * lat0.to_radians().cos());
    let at = |x: f64, y: f64| json!([lon0 + x * per_lon, lat0 + y * per_lat]);
    let [w, s, e, n] = box_m;
    json!({
        "type": "Feature",
        "properties": { "MaXa": "05443", "SoHieuToBanDo": sheet.to_string(), "SoThuTuThua": no,
                        "KyHieuMucDichSuDung": "ODT", "DienTich": legal },
        "geometry": { "type": "Polygon", "coordinates": [[at(w, s), at(e, s), at(e, n), at(w, n), at(w, s)]] }
    })
}

/// A block of 5 × 5 parcels of 20 m × 20 m, the grid's (x, y) square changed by `edit`.
fn block(sheet: u32, offset: f64, edit: impl Fn(u32, u32) -> Option<([f64; 4], f64)>) -> Vec<Value> {
    let mut features = Vec::new();
    for y in 0..5 {
        for x in 0..5 {
            let (x0, y0) = (offset + x as f64 * 20.0, y as f64 * 20.0);
            let (b, legal) = edit(x, y).unwrap_or(([x0, y0, x0 + 20.0, y0 + 20.0], 400.0));
            features.push(parcel(sheet, y * 5 + x + 1, b, legal));
        }
    }
    features
}

fn quality(app: &TestApp) -> Vec<Value> {
    let out = app.db.cli(&["quality", "check", "--commune", "05443"]);
    assert!(out.status.success(), "{}", common::text(&out));
    String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[tokio::test]
async fn quality_checks_find_planted_errors_and_nothing_in_clean_data() {
    let app = TestApp::spawn(Content::Empty).await;
    let calendar = common::samples_dir().join("calendar.csv");
    assert!(app.db.cli(&["import", "calendar", calendar.to_str().unwrap()]).status.success());
    let dir = tempfile::tempdir().unwrap();
    let import = |name: &str, features: Vec<Value>| {
        let path =
            common::write_file(&dir, name, &json!({ "type": "FeatureCollection", "features": features }).to_string());
        let out = app.db.cli(&["import", "parcels", &path, "--crs", "EPSG:4326"]);
        assert!(out.status.success(), "{}", common::text(&out));
    };
    // A clean block: no finding.
    import("sach.geojson", block(1, 0.0, |_, _| None));
    assert_eq!(quality(&app), Vec::<Value>::new());

    // A block with planted errors: parcel 7 reaches 1 m into parcel 8 (an overlap of 20 m²),
    // parcel 13 is 0.5 m short of parcel 14 inside the block (a gap of 10 m²), parcel 19 is
    // recorded as 500 m² (25% off).
    import(
        "loi.geojson",
        block(2, 200.0, |x, y| match (x, y) {
            (1, 1) => Some(([220.0, 20.0, 241.0, 40.0], 420.0)),
            (2, 2) => Some(([240.0, 40.0, 259.5, 60.0], 390.0)),
            (3, 3) => Some(([260.0, 60.0, 280.0, 80.0], 500.0)),
            _ => None,
        }),
    );
    let found = quality(&app);
    let kinds: std::collections::BTreeMap<&str, usize> = found.iter().fold(Default::default(), |mut m, f| {
        *m.entry(f["kind"].as_str().unwrap()).or_default() += 1;
        m
    });
    assert_eq!(kinds, [("area_mismatch", 1), ("gap", 1), ("overlap", 1)].into(), "{found:#?}");
    let id_of = |no: u32| {
        let pool = app.db.pool.clone();
        async move {
            sqlx::query_scalar::<_, String>(
                "SELECT parcel_id FROM parcels WHERE sheet = '2' AND parcel_no = $1 AND valid_to IS NULL",
            )
            .bind(no as i32)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let finding = |kind: &str| found.iter().find(|f| f["kind"] == kind).unwrap().clone();
    let overlap = finding("overlap");
    let mut pair = vec![id_of(7).await, id_of(8).await];
    pair.sort();
    assert_eq!(overlap["parcels"], json!(pair));
    assert!((overlap["measure"].as_f64().unwrap() - 20.0).abs() < 1.0, "{overlap}");
    let gap = finding("gap");
    assert!((gap["measure"].as_f64().unwrap() - 10.0).abs() < 1.0, "{gap}");
    assert!(gap["parcels"].as_array().unwrap().contains(&json!(id_of(13).await)), "{gap}");
    let area = finding("area_mismatch");
    assert_eq!(area["parcels"], json!([id_of(19).await]));
    assert!((area["measure"].as_f64().unwrap() - 0.2).abs() < 0.01, "{area}");
    // Each finding is on the map where it is, and opened a ticket due in 5 working days.
    let (lon, lat) = (overlap["lon"].as_f64().unwrap(), overlap["lat"].as_f64().unwrap());
    assert!((105.84..105.85).contains(&lon) && (21.59..21.60).contains(&lat), "{overlap}");
    assert!(found.iter().all(|f| f["ticket"].as_str().is_some_and(|t| t.starts_with("SS-"))), "{found:#?}");
    assert_eq!(app.db.count("SELECT count(*) FROM personal.correction_tickets WHERE source = 'finding'").await, 3);
    // A second run finds the same, opens nothing new.
    let again = quality(&app);
    assert_eq!(
        again.iter().map(|f| f["id"].clone()).collect::<Vec<_>>(),
        found.iter().map(|f| f["id"].clone()).collect::<Vec<_>>()
    );
    assert_eq!(app.db.count("SELECT count(*) FROM personal.correction_tickets").await, 3);

    // The findings layer: for officers of the commune (OGC API, WFS, tiles, the list), for no one else.
    officer(&app, "dangky", "015000000001", "registrar", Some("05443")).await;
    officer(&app, "haiphong", "015000000002", "registrar", Some("11311")).await;
    let (status, items) =
        send(&app, Some("dangky"), Method::GET, "/ogc/collections/findings/items?limit=50", None).await;
    assert_eq!((status, items["features"].as_array().map(Vec::len)), (200, Some(3)), "{items}");
    let (status, items) = send(&app, Some("haiphong"), Method::GET, "/ogc/collections/findings/items", None).await;
    assert_eq!((status, items["features"].as_array().map(Vec::len)), (200, Some(0)), "{items}");
    assert_eq!(app.get("/ogc/collections/findings/items").await.0, 404);
    let (status, list) = send(&app, Some("dangky"), Method::GET, "/api/quality/findings?kind=gap", None).await;
    assert_eq!((status, list["findings"].as_array().map(Vec::len)), (200, Some(1)), "{list}");
    assert_eq!(send(&app, None, Method::GET, "/api/quality/findings", None).await.0, 401);
    let wfs = app
        .http
        .get(format!("{}/wfs?service=WFS&version=2.0.0&request=GetFeature&typeNames=dc:findings", app.base))
        .basic_auth("dangky", Some(PASSWORD))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(wfs.matches("<wfs:member><dc:findings ").count(), 3, "{wfs}");
    let (status, tilejson) = send(&app, Some("dangky"), Method::GET, "/tiles/findings.json", None).await;
    assert_eq!(status, 200, "{tilejson}");
    assert_eq!(app.get("/tiles/findings.json").await.0, 404);
    let (x, y) = common::tile_of(lon, lat, 16);
    let tile = format!("{}/tiles/findings/16/{x}/{y}.mvt", app.base);
    let officers = app.http.get(&tile).basic_auth("dangky", Some(PASSWORD)).send().await.unwrap();
    assert_eq!(officers.status(), 200);
    assert!(!officers.bytes().await.unwrap().is_empty(), "the finding is in its tile");
    let others = app.http.get(&tile).basic_auth("haiphong", Some(PASSWORD)).send().await.unwrap();
    assert!(others.bytes().await.unwrap().is_empty(), "out of scope, the tile is empty");
    assert_eq!(app.http.get(&tile).send().await.unwrap().status(), 404);

    // A clean block beside them adds nothing; correcting the legal area clears its finding,
    // and its ticket stays.
    import("dung.geojson", block(3, 400.0, |_, _| None));
    assert_eq!(quality(&app).len(), 3);
    let patched = app
        .http
        .patch(format!("{}/ogc/collections/parcels/items/{}", app.base, id_of(19).await))
        .basic_auth("dangky", Some(PASSWORD))
        .header("content-type", "application/merge-patch+json")
        .json(&json!({ "properties": { "legal_area_m2": 400.0 } }))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 204);
    let left: Vec<Value> = quality(&app).into_iter().map(|f| f["kind"].clone()).collect();
    assert_eq!(left, [json!("gap"), json!("overlap")]);
    assert_eq!(app.db.count("SELECT count(*) FROM personal.correction_tickets WHERE finding_id IS NULL").await, 1);
}

#[tokio::test]
async fn notices_are_announced_7_working_days_ahead_and_sent_as_a_header() {
    let app = TestApp::spawn(Content::Samples).await;
    officer(&app, "quantri", "016000000001", "admin", None).await;
    officer(&app, "dangky", "016000000002", "registrar", Some("05443")).await;
    let now = chrono::Utc::now();
    let notice = |days: i64| {
        let start = now + chrono::Duration::days(days);
        // Whole seconds: the header carries them so.
        let start = start - chrono::Duration::nanoseconds(start.timestamp_subsec_nanos() as i64);
        json!({ "kind": "service", "starts_at": start.to_rfc3339(), "ends_at": (start + chrono::Duration::hours(4)).to_rfc3339(),
                "message": "Bảo trì hệ thống cơ sở dữ liệu đất đai" })
    };
    // Too soon (5 calendar days are fewer than 7 working days), not the admin, malformed.
    let (status, body) = send(&app, Some("quantri"), Method::POST, "/api/notices", Some(notice(5))).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["message"].as_str().unwrap().contains("7 working days"), "{body}");
    assert_eq!(send(&app, Some("dangky"), Method::POST, "/api/notices", Some(notice(30))).await.0, 403);
    assert_eq!(send(&app, None, Method::POST, "/api/notices", Some(notice(30))).await.0, 401);
    let mut reversed = notice(20);
    reversed["ends_at"] = json!(now.to_rfc3339());
    assert_eq!(send(&app, Some("quantri"), Method::POST, "/api/notices", Some(reversed)).await.0, 422);
    assert!(app.get_with("/api/parcels?limit=1", &[]).await.headers().get("diachinh-notice").is_none());

    let (status, created) = send(&app, Some("quantri"), Method::POST, "/api/notices", Some(notice(30))).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    let (_, listed) = app.get("/api/notices").await;
    assert_eq!(listed["notices"][0]["message"], "Bảo trì hệ thống cơ sở dữ liệu đất đai");
    for path in ["/api/notices", "/ogc/collections", "/tiles/parcels"] {
        let resp = app.get_with(path, &[]).await;
        let header = resp.headers().get("diachinh-notice").map(|v| v.to_str().unwrap().to_owned());
        assert!(
            header.as_deref().is_some_and(|h| h.starts_with(&format!("id={id}; kind=service; start="))),
            "{path}: {header:?}"
        );
    }
    let (status, _) = send(&app, Some("quantri"), Method::DELETE, &format!("/api/notices/{id}"), None).await;
    assert_eq!(status, 204);
    assert!(app.get_with("/api/notices", &[]).await.headers().get("diachinh-notice").is_none());
    assert_eq!(send(&app, Some("quantri"), Method::DELETE, &format!("/api/notices/{id}"), None).await.0, 404);
}

#[tokio::test]
async fn the_open_data_catalogue_lists_published_files_without_personal_data() {
    let app = TestApp::spawn(Content::Samples).await;
    // Nothing published yet: the service says so.
    assert_eq!(app.get("/api/open-data").await.0, 503);
    let dir = tempfile::tempdir().unwrap();
    let out = app.db.cli(&[
        "open-data",
        "publish",
        "--to",
        dir.path().to_str().unwrap(),
        "--tiles-dir",
        common::repo().join("tiles").to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", common::text(&out));
    let (base, _) = common::start_service(&app.db.url, |s| s.open_data_dir = dir.path().to_owned()).await;
    let catalogue: Value = reqwest::get(format!("{base}/api/open-data")).await.unwrap().json().await.unwrap();
    let names: Vec<&str> =
        catalogue["datasets"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["planning", "prices", "parcels", "market"]);
    let parcels = &catalogue["datasets"][2];
    assert_eq!(parcels["features"].as_u64(), Some(3303));
    assert!(parcels["licence"].as_str().unwrap().starts_with("CC BY 4.0"));
    assert!(parcels["last_update"].as_str().is_some() && parcels["extent"].as_array().map(Vec::len) == Some(4));
    let secrets = common::personal_data(&app.db.pool).await;
    for f in parcels["files"].as_array().unwrap() {
        let resp = reqwest::get(f["href"].as_str().unwrap()).await.unwrap();
        assert_eq!(resp.status(), 200, "{f}");
        let bytes = resp.bytes().await.unwrap();
        assert_eq!(bytes.len() as u64, f["bytes"].as_u64().unwrap());
        common::assert_none_of(&secrets, &bytes);
    }
    let gpkg = dir.path().join("parcels.gpkg");
    let info = common::gdal("ogrinfo", &["-so", "-al", gpkg.to_str().unwrap()]).await;
    assert!(info.contains("Feature Count: 3303"), "{info}");
    let page = reqwest::get(format!("{base}/open-data")).await.unwrap().text().await.unwrap();
    assert!(page.contains("parcels.pmtiles") && page.contains("CC BY 4.0"), "{page}");
    for bad in ["../catalogue.json", "catalogue.json", "x.gpkg"] {
        let resp = reqwest::get(format!("{base}/open-data/files/{bad}")).await.unwrap();
        assert_eq!(resp.status(), 404, "{bad}");
    }
}
