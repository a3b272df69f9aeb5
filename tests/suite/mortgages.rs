//! The security-interest registry (issue 14): registration, priority, amendment and release by
//! the roles that keep it, in their scope; what others see of it; transfers of an encumbered
//! parcel refused until release.

use crate::common;

use common::{Content, TestApp};
use serde_json::{Value, json};

const PASSWORD: &str = "Sổ-đỏ an toàn 2027";

#[tokio::test]
async fn mortgages_are_registered_in_priority_amended_and_released_by_their_keepers_only() {
    let app = TestApp::spawn(Content::Samples).await;
    for (user, id, role, scope) in [
        ("tuphap", "011000000080", "justice_officer", "05443"),
        ("dangky", "011000000081", "registrar", "05443"),
        ("xem", "011000000082", "viewer", "05443"),
        ("tuphap.xa", "011000000083", "justice_officer", "11311"),
        ("tinh", "011000000084", "justice_officer", "19"),
    ] {
        app.db.add_account(user, "Phạm Thị Tư", id, role, Some(scope), "Địa-chính 2026!");
        assert_eq!(crate::accounts::change_password(&app, user, "Địa-chính 2026!", PASSWORD).await.0, 204);
    }
    let (parcel, _) = common::parcel_with_holder(&app.db.pool, "05443").await;
    let send = |user: Option<&str>, method: reqwest::Method, path: String, body: Option<Value>| {
        let mut req = app.http.request(method, format!("{}{path}", app.base));
        if let Some(u) = user {
            req = req.basic_auth(u, Some(PASSWORD));
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        async move {
            let resp = req.send().await.unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let registration = |amount: i64| {
        json!({ "parcels": [parcel], "certificates": ["CS5669138666"], "secured_party": "Ngân hàng TMCP Công Thương",
                "secured_party_tax_code": "0100111948", "giver_name": "Đỗ Thị Hạnh", "giver_id": "031093653654",
                "amount_vnd": amount, "contract_ref": "HĐTC 15/2026" })
    };
    let post = reqwest::Method::POST;
    for (user, body, status, says) in [
        (None, registration(1), 401, "signed-in"),
        (Some("xem"), registration(1), 403, "does not keep"),
        (Some("tuphap.xa"), registration(1), 403, "outside the scope"),
        (
            Some("tuphap"),
            json!({ "parcels": [parcel], "secured_party": "x", "giver_name": "y", "contract_ref": "z", "amount_vnd": -5 }),
            422,
            "positive",
        ),
        (
            Some("tuphap"),
            json!({ "parcels": ["zzzzzzzzzzzz"], "secured_party": "x", "giver_name": "y", "contract_ref": "z" }),
            404,
            "no current parcel",
        ),
        (
            Some("tuphap"),
            json!({ "parcels": [parcel], "secured_party": "x", "giver_name": "y", "contract_ref": "z", "secured_party_tax_code": "12" }),
            422,
            "10 or 13 digits",
        ),
        (Some("tuphap"), json!({ "parcel": parcel }), 400, "the body must be"),
    ] {
        let (got, answer) = send(user, post.clone(), "/api/mortgages".into(), Some(body)).await;
        assert_eq!(got, status, "{user:?}: {answer}");
        assert!(answer["message"].as_str().unwrap_or_default().contains(says), "{says}: {answer}");
    }
    let (status, first) =
        send(Some("tuphap"), post.clone(), "/api/mortgages".into(), Some(registration(2_000_000_000))).await;
    assert_eq!(status, 201, "{first}");
    let first_no = first["registration_no"].as_str().unwrap().to_owned();
    assert!(first_no.starts_with("TC-19-") && first_no.ends_with("-000001"), "{first_no}");
    let (_, second) =
        send(Some("dangky"), post.clone(), "/api/mortgages".into(), Some(registration(500_000_000))).await;
    let second_no = second["registration_no"].as_str().unwrap().to_owned();
    assert!(second_no.ends_with("-000002"), "{second_no}");

    // Priority follows registration time; only keepers in scope read the registry.
    let list = format!("/api/mortgages?parcel={parcel}");
    let (status, listed) = send(Some("dangky"), reqwest::Method::GET, list.clone(), None).await;
    assert_eq!(status, 200);
    let order: Vec<&str> =
        listed["registrations"].as_array().unwrap().iter().map(|r| r["registration_no"].as_str().unwrap()).collect();
    assert_eq!(order, [first_no.as_str(), second_no.as_str()]);
    assert_eq!(listed["registrations"][0]["giver_name"], "Đỗ Thị Hạnh");
    assert_eq!(send(None, reqwest::Method::GET, list.clone(), None).await.0, 401);
    assert_eq!(send(Some("xem"), reqwest::Method::GET, list.clone(), None).await.0, 403);
    assert_eq!(send(Some("tuphap.xa"), reqwest::Method::GET, list.clone(), None).await.0, 403);
    // The card says "encumbered since" to keepers only.
    let card = |user: Option<&'static str>| send(user, reqwest::Method::GET, format!("/api/parcels/{parcel}"), None);
    assert_eq!(card(Some("tuphap")).await.1["properties"]["encumbered_since"], first["registered_at"]);
    for user in [None, Some("xem")] {
        let (_, seen) = card(user).await;
        assert!(seen["properties"].get("encumbered_since").is_none(), "{user:?}: {seen}");
        assert!(!seen.to_string().contains("Công Thương"), "{seen}");
    }

    // Amendment; a transfer of the encumbered parcel is refused naming the registration.
    let (status, _) = send(
        Some("tuphap"),
        post.clone(),
        format!("/api/mortgages/{first_no}/amend"),
        Some(json!({ "amount_vnd": 2_500_000_000_i64, "reason": "Phụ lục 1" })),
    )
    .await;
    assert_eq!(status, 200);
    let transfer = json!({ "holders": [{ "holder_code": "CN-001099000333", "holder_kind": "individual", "name": "Ngô Văn Mua",
                                        "personal_id": "001099000333", "share": 1 }], "legal_basis": "HĐ 77/2026" });
    let (status, refused) =
        send(Some("dangky"), post.clone(), format!("/api/parcels/{parcel}/transfer"), Some(transfer.clone())).await;
    assert_eq!(status, 409, "{refused}");
    assert!(refused["message"].as_str().unwrap().contains(&first_no), "{refused}");
    for no in [&first_no, &second_no] {
        let (status, released) = send(
            Some("tuphap"),
            post.clone(),
            format!("/api/mortgages/{no}/release"),
            Some(json!({ "reason": "Trả nợ" })),
        )
        .await;
        assert_eq!(status, 200, "{released}");
    }
    let (status, again) = send(Some("tuphap"), post.clone(), format!("/api/mortgages/{first_no}/release"), None).await;
    assert_eq!((status, again["message"].as_str().unwrap().contains("was released")), (409, true), "{again}");
    let (status, done) =
        send(Some("dangky"), post.clone(), format!("/api/parcels/{parcel}/transfer"), Some(transfer)).await;
    assert_eq!(status, 201, "{done}");
    assert!(card(Some("tuphap")).await.1["properties"].get("encumbered_since").is_none());

    // Nothing deleted; every change an event with the account, and an audit entry.
    let (_, listed) = send(Some("dangky"), reqwest::Method::GET, list, None).await;
    assert!(listed["registrations"].as_array().unwrap().iter().all(|r| !r["released_at"].is_null()));
    let events: Vec<(String, String)> =
        sqlx::query_as("SELECT kind, actor FROM personal.security_interest_events ORDER BY id")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    let kinds: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["registration", "registration", "amendment", "release", "release"]);
    let audited = app.db.count("SELECT count(*) FROM audit.entries WHERE action LIKE '% security interest'").await;
    assert_eq!(audited, 5);

    // The registry's report for the province (Thái Nguyên, 19), month by month, for officers whose
    // scope is the province: the events, and the information provided (the successful reads).
    let now = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).unwrap());
    let report = format!("/api/reports/security-interests?province=19&year={}", chrono::Datelike::year(&now));
    assert_eq!(send(Some("tuphap"), reqwest::Method::GET, report.clone(), None).await.0, 403, "a commune's officer");
    assert_eq!(send(Some("xem"), reqwest::Method::GET, report.clone(), None).await.0, 403);
    let month = chrono::Datelike::month(&now) as usize - 1;
    // The sample transactions of the province, recorded when the samples were loaded.
    let sample_transactions = app
        .db
        .count(
            "SELECT count(*) FROM personal.transactions t LEFT JOIN units u ON u.product_id = t.product_id
             JOIN parcels p ON p.parcel_id = coalesce(t.parcel_id, u.parcel_id) AND p.valid_to IS NULL
             JOIN communes c ON c.code = p.commune_code WHERE c.province_code = '19'",
        )
        .await;
    assert!(sample_transactions > 0);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let row = loop {
        let (status, body) = send(Some("tinh"), reqwest::Method::GET, report.clone(), None).await;
        assert_eq!(status, 200, "{body}");
        let row = body["months"][month].clone();
        // Reads reach the audit trail in batches, a moment after they are answered.
        if row["information_provided"] == 2 || std::time::Instant::now() > deadline {
            break row;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(
        row,
        json!({ "month": month + 1, "registrations": 2, "amendments": 1, "releases": 2,
                "transactions_recorded": sample_transactions, "information_provided": 2 })
    );
    let csv = app
        .http
        .get(format!("{}{report}&format=csv", app.base))
        .basic_auth("tinh", Some(PASSWORD))
        .send()
        .await
        .unwrap();
    let csv = csv.text().await.unwrap();
    assert!(
        csv.starts_with("month,registrations,amendments,releases,transactions_recorded,information_provided\n")
            && csv.lines().count() == 13,
        "{csv}"
    );
    let page = app
        .http
        .get(format!("{}{report}&format=html", app.base))
        .basic_auth("tinh", Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("<h1>Báo cáo đăng ký biện pháp bảo đảm và giao dịch bất động sản — tỉnh 19")
    );
}
