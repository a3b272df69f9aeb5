//! The web map's sessions over HTTP: sign in with a form, a cookie scripts cannot read and other
//! sites' requests do not carry, CSRF tokens on every change, sign out.

use crate::common;

use common::{Content, TestApp};
use serde_json::{Value, json};

const INITIAL: &str = "Địa-chính 2026!";
const CHANGED: &str = "Sổ-đỏ an toàn 2027";

#[tokio::test]
async fn the_web_map_signs_in_with_a_session_cookie_and_every_change_needs_its_csrf_token() {
    let app = TestApp::spawn(Content::Samples).await;
    // A parcel of commune 11311 with a holder recorded.
    let (parcel, holder) = common::parcel_with_holder(&app.db.pool, "11311").await;
    let card_path = format!("/api/parcels/{parcel}");
    app.db.add_account("canbo", "Vũ Thị E", "005000000000", "commune_officer", Some("11311"), INITIAL);
    let post = |body: Value| app.http.post(format!("{}/api/session", app.base)).json(&body).send();

    // A wrong password: 401 without a Basic challenge (a browser would pop up its own dialog),
    // and an audit entry for the refused sign-in.
    let refused = post(json!({ "username": "canbo", "password": "guess" })).await.unwrap();
    assert_eq!(refused.status(), 401);
    assert!(refused.headers().get("www-authenticate").is_none());
    assert!(refused.headers().get("set-cookie").is_none());
    app.db.recorded(&refused).await;
    let entries = app.db.count("SELECT count(*) FROM audit.log WHERE actor = 'anonymous' AND object = 'sign in as canbo' AND outcome = 401").await;
    assert_eq!(entries, 1);
    let malformed = post(json!({ "user": "canbo" })).await.unwrap();
    assert_eq!(malformed.status(), 400);
    // A username no one could have, control characters and all, is refused and recorded legibly.
    let odd = post(json!({ "username": "can\u{0}bo\n", "password": "guess" })).await.unwrap();
    assert_eq!(odd.status(), 401);
    app.db.recorded(&odd).await;
    let shown = app.db.cli(&["audit", "show", "--action", "POST /api/session"]);
    assert!(
        shown.status.success() && common::text(&shown).contains("sign in as can\u{fffd}bo\u{fffd}"),
        "{}",
        common::text(&shown)
    );

    let signed = post(json!({ "username": "canbo", "password": INITIAL })).await.unwrap();
    assert_eq!(signed.status(), 200);
    let cookie = signed.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("; HttpOnly; SameSite=Strict;") && !cookie.contains("Secure"), "{cookie}");
    let pair = cookie.split(';').next().unwrap().to_owned();
    let me: Value = signed.json().await.unwrap();
    assert_eq!((me["account"].as_str(), me["name"].as_str()), (Some("canbo"), Some("Vũ Thị E")));
    assert_eq!((me["roles"].clone(), me["scope"].clone()), (json!(["commune_officer"]), json!(["11311"])));
    let csrf = me["csrf"].as_str().unwrap().to_owned();
    assert_eq!(app.db.count("SELECT count(*) FROM audit.entries WHERE action = 'sessions start'").await, 1);
    assert_eq!(app.db.count("SELECT count(*) FROM personal.sessions").await, 1);
    // Kept as the secret's digest, never the secret.
    let secret = pair.strip_prefix("diachinh_session=").unwrap();
    let kept = format!("SELECT count(*) FROM personal.sessions WHERE digest = sha256(convert_to('{secret}', 'UTF8'))");
    assert_eq!(app.db.count(&kept).await, 1);

    let with_cookie = |method: reqwest::Method, path: &str| {
        app.http.request(method, format!("{}{path}", app.base)).header("cookie", &pair)
    };
    let me: Value = with_cookie(reqwest::Method::GET, "/api/me").send().await.unwrap().json().await.unwrap();
    assert_eq!((me["account"].as_str(), me["csrf"].as_str()), (Some("canbo"), Some(csrf.as_str())));
    // The initial password keeps the session to changing it: elsewhere it sees open data only.
    let card: Value = with_cookie(reqwest::Method::GET, &card_path).send().await.unwrap().json().await.unwrap();
    assert!(card["properties"].get("holders").is_none(), "{card}");

    // Changes made with the cookie: refused without the token, with a wrong one, or from
    // another site even with the right one.
    let change = json!({ "current": INITIAL, "new": CHANGED });
    for (headers, says) in [
        (vec![], "X-CSRF-Token"),
        (vec![("x-csrf-token", "0".repeat(64))], "X-CSRF-Token"),
        (vec![("x-csrf-token", csrf.clone()), ("sec-fetch-site", "cross-site".into())], "another site"),
    ] {
        let mut req = with_cookie(reqwest::Method::POST, "/api/me/password").json(&change);
        for (k, v) in &headers {
            req = req.header(*k, v);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 403, "{headers:?}");
        let body: Value = resp.json().await.unwrap();
        assert!(body["message"].as_str().unwrap().contains(says), "{body}");
    }
    let changed = with_cookie(reqwest::Method::POST, "/api/me/password")
        .header("x-csrf-token", &csrf)
        .header("sec-fetch-site", "same-origin")
        .json(&change)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 204);
    // Now the session sees holders in its scope.
    let card: Value = with_cookie(reqwest::Method::GET, &card_path).send().await.unwrap().json().await.unwrap();
    assert_eq!(card["properties"]["holders"][0]["name"], holder.as_str(), "{card}");

    // Sign out: needs the token too; then the cookie is cleared and the old one is worth nothing.
    assert_eq!(with_cookie(reqwest::Method::DELETE, "/api/session").send().await.unwrap().status(), 403);
    let out = with_cookie(reqwest::Method::DELETE, "/api/session").header("x-csrf-token", &csrf).send().await.unwrap();
    assert_eq!(out.status(), 204);
    assert!(out.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    let me: Value = with_cookie(reqwest::Method::GET, "/api/me").send().await.unwrap().json().await.unwrap();
    assert_eq!(me["anonymous"], true);
    let card: Value = with_cookie(reqwest::Method::GET, &card_path).send().await.unwrap().json().await.unwrap();
    assert!(card["properties"].get("holders").is_none(), "{card}");
    assert_eq!(app.db.count("SELECT count(*) FROM audit.entries WHERE action = 'sessions end'").await, 1);
    // Without a session there is nothing to sign out of.
    let none = app.http.delete(format!("{}/api/session", app.base)).send().await.unwrap();
    assert_eq!(none.status(), 400);
}
