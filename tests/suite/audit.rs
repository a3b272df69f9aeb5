//! The audit trail: every change and every signed-in access is an entry, append-only, and a
//! chain that `diachinh audit verify` recomputes, naming the first entry altered, removed or
//! reordered even with the triggers disabled.

use crate::common;

use common::{Content, TestApp, text};
use serde_json::Value;

/// Entries 4 and 5 change places (through negative numbers: the key is checked row by row).
const SWAP_4_AND_5: &str = "DO $$ BEGIN
    UPDATE audit.entries SET seq = -seq WHERE seq IN (4, 5);
    UPDATE audit.entries SET seq = CASE seq WHEN -4 THEN 5 ELSE 4 END WHERE seq IN (-4, -5);
END $$";

#[tokio::test]
async fn changes_and_signed_in_accesses_are_chained_entries_and_tampering_is_named() {
    let app = TestApp::spawn(Content::Samples).await;
    let password = "Địa-chính 2026!";
    let out = app.db.cli_input(
        &[
            "accounts",
            "add",
            "auditor",
            "--name",
            "Trần B",
            "--personal-id",
            "003000000000",
            "--org",
            "Sở TNMT",
            "--role",
            "viewer",
        ],
        &format!("{password}\n"),
    );
    assert!(out.status.success(), "{}", text(&out));
    let resp =
        app.http.get(format!("{}/api/me?x=1", app.base)).basic_auth("auditor", Some(password)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let request_id = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(app.get("/api/me").await.0, 200, "anonymous reads of open data are not entries");

    let shown = |args: &[&str]| -> Vec<Value> {
        let out = app.db.cli(&[&["audit", "show"][..], args].concat());
        assert!(out.status.success(), "{}", text(&out));
        text(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    };
    // The samples' imports and the account's creation, each by the CLI's operator.
    let imports = shown(&["--action", "import"]);
    assert!(imports.len() >= 7 && imports.iter().all(|e| e["actor"].as_str().unwrap().starts_with("cli:")));
    assert_eq!(shown(&["--action", "accounts add"]).len(), 1);
    // The signed-in access: who, what, on what, outcome, the request id it was answered with.
    let accesses = shown(&["--account", "auditor"]);
    assert_eq!(accesses.len(), 1, "{accesses:?}");
    let a = &accesses[0];
    assert_eq!(
        (a["action"].as_str(), a["object"].as_str(), a["outcome"].as_i64()),
        (Some("GET /api/me"), Some("/api/me?x=1"), Some(200))
    );
    assert_eq!(
        (a["roles"].clone(), a["request_id"].as_str()),
        (serde_json::json!(["viewer"]), Some(request_id.as_str()))
    );

    // The admin reads the trail over HTTP; others may not.
    let out = app.db.cli_input(
        &[
            "accounts",
            "add",
            "office",
            "--name",
            "Lê C",
            "--personal-id",
            "003000000001",
            "--org",
            "VPĐK",
            "--role",
            "admin",
        ],
        &format!("{password}\n"),
    );
    assert!(out.status.success(), "{}", text(&out));
    let new = "Văn-phòng 2027 mới";
    assert_eq!(crate::accounts::change_password(&app, "office", password, new).await.0, 204);
    let read = |user: &'static str, pass: &'static str| {
        let app = &app;
        async move {
            let resp = app
                .http
                .get(format!("{}/api/audit?account=auditor&action=GET", app.base))
                .basic_auth(user, Some(pass))
                .send()
                .await
                .unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        }
    };
    let (status, trail) = read("office", new).await;
    assert_eq!(status, 200, "{trail}");
    assert_eq!(trail.as_array().unwrap().len(), 1, "{trail}");
    assert_eq!(trail[0]["request_id"], request_id.as_str());
    assert_eq!(crate::accounts::change_password(&app, "auditor", password, new).await.0, 204);
    let (status, refused) = read("auditor", new).await;
    assert_eq!(status, 403);
    assert!(refused["message"].as_str().unwrap().contains("admin role"), "{refused}");
    assert_eq!(app.get("/api/audit").await.0, 401);

    let verify = || {
        let out = app.db.cli(&["audit", "verify"]);
        (out.status.success(), text(&out))
    };
    let (ok, said) = verify();
    assert!(ok && said.contains("audit chain intact"), "{said}");
    // Append-only, whoever asks.
    for sql in [
        "UPDATE audit.entries SET outcome = 1 WHERE seq = 1",
        "DELETE FROM audit.entries WHERE seq = 1",
        "TRUNCATE audit.entries",
    ] {
        let refused = sqlx::query(sql).execute(&app.db.pool).await.unwrap_err().to_string();
        assert!(refused.contains("append-only"), "{sql}: {refused}");
    }
    // A superuser who disables the triggers is still found out.
    let tamper = |sql: &'static str| {
        let pool = app.db.pool.clone();
        async move {
            let mut tx = pool.begin().await.unwrap();
            sqlx::query("ALTER TABLE audit.entries DISABLE TRIGGER USER").execute(&mut *tx).await.unwrap();
            sqlx::query(sql).execute(&mut *tx).await.unwrap();
            sqlx::query("ALTER TABLE audit.entries ENABLE TRIGGER USER").execute(&mut *tx).await.unwrap();
            tx.commit().await.unwrap();
        }
    };
    tamper("UPDATE audit.entries SET object = object || ' (edited)' WHERE seq = 3").await;
    let (ok, said) = verify();
    assert!(!ok && said.contains("entry 3") && said.contains("altered"), "{said}");
    tamper("UPDATE audit.entries SET object = replace(object, ' (edited)', '') WHERE seq = 3").await;
    assert!(verify().0, "restored");
    tamper(SWAP_4_AND_5).await;
    let (ok, said) = verify();
    assert!(!ok && said.contains("entry 4") && said.contains("does not follow"), "{said}");
    tamper(SWAP_4_AND_5).await;
    assert!(verify().0, "restored");
    tamper("DELETE FROM audit.entries WHERE seq = 6").await;
    let (ok, said) = verify();
    assert!(!ok && said.contains("entry 7") && said.contains("entry 6 is missing"), "{said}");
}
