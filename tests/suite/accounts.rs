//! Officers' accounts: made by the registration office with the CLI, signed in over HTTP Basic
//! (as GIS clients send it), locked by the rules of seed 002 Art. 10.4 with time moved by
//! changing the recorded dates.

use crate::common;

use common::{Content, TestApp, text};
use serde_json::{Value, json};

const GOOD: &str = "Địa-chính 2026!";
const NEWER: &str = "Sổ-đỏ an toàn 2027";

fn add(app: &TestApp, username: &str, personal_id: &str, extra: &[&str], password: &str) -> std::process::Output {
    let args = [
        &[
            "accounts",
            "add",
            username,
            "--name",
            "Nguyễn Văn A",
            "--personal-id",
            personal_id,
            "--org",
            "VPĐK Thái Nguyên",
        ][..],
        extra,
    ]
    .concat();
    app.db.cli_input(&args, &format!("{password}\n"))
}

/// GET with Basic credentials; status and JSON body.
async fn get_as(app: &TestApp, path: &str, user: &str, password: &str) -> (u16, Value, Option<String>) {
    let resp = app.http.get(format!("{}{path}", app.base)).basic_auth(user, Some(password)).send().await.unwrap();
    let status = resp.status().as_u16();
    let challenge = resp.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned());
    (status, resp.json().await.unwrap_or(Value::Null), challenge)
}

async fn change_password(app: &TestApp, user: &str, current: &str, new: &str) -> (u16, Value) {
    let resp = app
        .http
        .post(format!("{}/api/me/password", app.base))
        .basic_auth(user, Some(current))
        .json(&json!({ "current": current, "new": new }))
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_registration_office_makes_accounts_and_officers_sign_in_with_basic() {
    let app = TestApp::spawn(Content::Samples).await;
    let registrar = ["--role", "registrar", "--scope", "05443"];
    // Refusals say what is wrong; none echoes the password.
    for (args, password, says) in [
        (&registrar[..], "short", "12 characters"),
        (&["--role", "registrar"][..], "nguyenvana-Pass-1", "must not contain the username"),
        (&["--role", "king"][..], GOOD, "no role `king`"),
        (&["--role", "registrar", "--scope", "99999"][..], GOOD, "neither a province nor a commune"),
    ] {
        let out = add(&app, "nguyenvana", "001234567890", args, password);
        assert!(!out.status.success(), "{}", text(&out));
        assert!(text(&out).contains(says), "{says}: {}", text(&out));
        assert!(!text(&out).contains(password), "{}", text(&out));
    }
    let out = add(&app, "nguyenvana", "00123456789", &registrar, GOOD);
    assert!(text(&out).contains("12 digits"), "{}", text(&out));
    let out = add(&app, "nguyenvana", "001234567890", &registrar, GOOD);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains(GOOD));
    let out = add(&app, "tranthib", "001234567890", &registrar, GOOD);
    assert!(text(&out).contains("exists already"), "{}", text(&out));
    // A province scope covers its 2025 communes and the pre-reform ones now part of it.
    let out = add(&app, "lethic", "001234567891", &["--role", "viewer", "--scope", "19"], GOOD);
    assert!(out.status.success(), "{}", text(&out));
    let listed = app.db.cli(&["accounts", "list"]);
    let lines: Vec<Value> = text(&listed).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!((lines[1]["roles"].clone(), lines[1]["scope"].clone()), (json!(["registrar"]), json!(["05443"])));
    assert!(!text(&listed).contains("argon2"));
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM personal.accounts WHERE username = 'nguyenvana'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2id$"));

    // Anonymous, wrong and unknown credentials.
    assert_eq!(app.get("/api/me").await.1["anonymous"], true);
    let (status, wrong, challenge) = get_as(&app, "/api/me", "nguyenvana", "Wrong-password 1").await;
    assert_eq!((status, challenge.as_deref()), (401, Some("Basic realm=\"diachinh\", charset=\"UTF-8\"")));
    let (status, unknown, _) = get_as(&app, "/api/me", "nobody", GOOD).await;
    assert_eq!((status, &unknown["message"]), (401, &wrong["message"]));

    // The initial password only opens /api/me and the password change.
    let (status, me, _) = get_as(&app, "/api/me", "nguyenvana", GOOD).await;
    assert_eq!((status, me["initial_password"].clone()), (200, json!(true)));
    let (status, refused, _) = get_as(&app, "/ogc/collections", "nguyenvana", GOOD).await;
    assert_eq!(status, 403);
    assert!(refused["message"].as_str().unwrap().contains("initial password"), "{refused}");
    assert_eq!(change_password(&app, "nguyenvana", GOOD, "weak").await.0, 400);
    assert_eq!(change_password(&app, "nguyenvana", GOOD, NEWER).await.0, 204);
    assert_eq!(get_as(&app, "/api/me", "nguyenvana", GOOD).await.0, 401, "the old password is gone");
    let (status, me, _) = get_as(&app, "/api/me", "nguyenvana", NEWER).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["account"], "nguyenvana");
    assert_eq!((me["roles"].clone(), me["scope"].clone()), (json!(["registrar"]), json!(["05443"])));
    assert_eq!((me["personal_data"].clone(), me["initial_password"].clone()), (json!(true), json!(false)));
    assert_eq!(get_as(&app, "/ogc/collections", "nguyenvana", NEWER).await.0, 200);
    assert_eq!(change_password(&app, "lethic", GOOD, NEWER).await.0, 204);
    let (_, viewer, _) = get_as(&app, "/api/me", "lethic", NEWER).await;
    assert!(viewer["scope_communes"].as_i64().unwrap() > 100, "{viewer}");
    assert_eq!(viewer["personal_data"], false);

    // GDAL's WFS client sends Basic credentials: the right ones open the service, wrong ones not.
    let wfs = format!("WFS:{}/wfs", app.base);
    let as_user = |password: &str| {
        let mut cmd = std::process::Command::new("ogrinfo");
        cmd.args(["-ro", "-so", &wfs, "dc:parcels", "--config", "GDAL_HTTP_AUTH", "BASIC"]).args([
            "--config",
            "GDAL_HTTP_USERPWD",
            &format!("nguyenvana:{password}"),
        ]);
        cmd
    };
    let opened = common::run_beside(as_user(NEWER)).await;
    assert!(opened.status.success() && text(&opened).contains("Feature Count"), "{}", text(&opened));
    let refused = common::run_beside(as_user("Wrong-password 1")).await;
    assert!(!refused.status.success(), "{}", text(&refused));

    // Every change went through the gateway: who and what.
    let changes: Vec<(String, String)> =
        sqlx::query_as("SELECT actor, action FROM changes WHERE action LIKE 'accounts%' ORDER BY id")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert!(changes.iter().any(|(a, x)| a.starts_with("cli:") && x == "accounts add"), "{changes:?}");
    assert!(changes.contains(&("account:nguyenvana".into(), "accounts password".into())), "{changes:?}");
}

#[tokio::test]
async fn accounts_lock_by_rule_and_unlock() {
    let app = TestApp::spawn(Content::Empty).await;
    let set = |sql: &'static str| {
        let pool = app.db.pool.clone();
        async move { sqlx::query(sql).execute(&pool).await.unwrap() }
    };
    let says = |body: &Value, words: &str| body["message"].as_str().unwrap().contains(words);
    for (i, user) in ["lost", "ended", "initial", "unused", "forced"].iter().enumerate() {
        let username = format!("user.{user}");
        let out = add(&app, &username, &format!("00000000000{i}"), &["--role", "viewer"], GOOD);
        assert!(out.status.success(), "{}", text(&out));
    }
    // Locked by the admin: 403 saying why; unlocked: in again.
    let out = app.db.cli(&["accounts", "lock", "user.lost", "--reason", "lost"]);
    assert!(out.status.success(), "{}", text(&out));
    let (status, body, _) = get_as(&app, "/api/me", "user.lost", GOOD).await;
    assert!(status == 403 && says(&body, "reported lost"), "{body}");
    assert!(app.db.cli(&["accounts", "unlock", "user.lost"]).status.success());
    assert_eq!(get_as(&app, "/api/me", "user.lost", GOOD).await.0, 200);
    // Past its end date; an initial password older than 7 days; unused for 91 days.
    set("UPDATE personal.accounts SET valid_until = current_date - 1 WHERE username = 'user.ended'").await;
    set("UPDATE personal.accounts SET password_set_at = now() - interval '8 days' WHERE username = 'user.initial'")
        .await;
    set("UPDATE personal.accounts SET created_at = now() - interval '91 days' WHERE username = 'user.unused'").await;
    for (user, words) in [
        ("user.ended", "past its end date"),
        ("user.initial", "initial password was not changed within 7 days"),
        ("user.unused", "unused for more than 90 days"),
    ] {
        let (status, body, _) = get_as(&app, "/api/me", user, GOOD).await;
        assert!(status == 403 && says(&body, words), "{user}: {body}");
    }
    // Guessing: after 5 wrong passwords the right one is refused too, with the same words as an
    // unknown username, until the pause ends.
    for _ in 0..5 {
        assert_eq!(get_as(&app, "/api/me", "user.forced", "Guess-password 123").await.0, 401);
    }
    let (status, body, _) = get_as(&app, "/api/me", "user.forced", GOOD).await;
    let (_, unknown, _) = get_as(&app, "/api/me", "user.nobody", GOOD).await;
    assert_eq!((status, &body["message"]), (401, &unknown["message"]));
    set("UPDATE personal.accounts SET throttled_until = now() - interval '1 second' WHERE username = 'user.forced'")
        .await;
    assert_eq!(get_as(&app, "/api/me", "user.forced", GOOD).await.0, 200);
}
