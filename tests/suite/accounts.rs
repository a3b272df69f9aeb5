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

pub async fn change_password(app: &TestApp, user: &str, current: &str, new: &str) -> (u16, Value) {
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

#[tokio::test]
async fn requests_arriving_together_with_one_password_share_one_sign_in() {
    let app = TestApp::spawn(Content::Empty).await;
    let out = add(&app, "user.many", "000000000009", &["--role", "viewer"], GOOD);
    assert!(out.status.success(), "{}", text(&out));
    let failed = || async {
        sqlx::query_scalar::<_, i32>("SELECT failed_attempts FROM personal.accounts WHERE username = 'user.many'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap()
    };
    // A GIS client retrying one wrong password on 16 connections at once made one guess, not 16:
    // the account is not paused, and the right password still signs in.
    let wrong =
        futures_util::future::join_all((0..16).map(|_| get_as(&app, "/api/me", "user.many", "Wrong-password 123")))
            .await;
    assert!(wrong.iter().all(|(status, _, _)| *status == 401), "{:?}", wrong.iter().map(|r| r.0).collect::<Vec<_>>());
    let guesses = failed().await;
    assert!((1..5).contains(&guesses), "{guesses} failed attempts counted for one password sent 16 times at once");
    let right = futures_util::future::join_all((0..16).map(|_| get_as(&app, "/api/me", "user.many", GOOD))).await;
    assert!(right.iter().all(|(status, body, _)| *status == 200 && body["account"] == "user.many"), "{right:?}");
    assert_eq!(failed().await, 0);
}

/// A parcel with recorded rights in `commune`: its ID, its first holder, and where it lies.
async fn parcel(app: &TestApp, commune: &str) -> (String, String, f64, f64) {
    sqlx::query_as(
        "SELECT p.parcel_id, min(h.name), ST_X(ST_PointOnSurface(p.geom)), ST_Y(ST_PointOnSurface(p.geom))
         FROM parcels p JOIN personal.rights r ON r.parcel_id = p.parcel_id
         JOIN personal.holders h ON h.id = r.holder_id
         WHERE p.valid_to IS NULL AND p.commune_code = $1 GROUP BY p.parcel_id, p.geom ORDER BY p.parcel_id LIMIT 1",
    )
    .bind(commune)
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn personal_data_shows_where_role_and_scope_allow_it_on_every_surface() {
    let app = TestApp::spawn(Content::Samples).await;
    // Every role the registration office can give, each scoped to commune 05443, and whether it
    // sees personal data there (the admin everywhere).
    let roles = [
        ("admin", "everywhere"),
        ("registrar", "scope"),
        ("commune_officer", "scope"),
        ("justice_officer", "scope"),
        ("market_officer", "none"),
        ("investor", "none"),
        ("broker", "none"),
        ("notary", "none"),
        ("viewer", "none"),
    ];
    let known: Vec<String> =
        sqlx::query_scalar("SELECT name FROM roles ORDER BY name").fetch_all(&app.db.pool).await.unwrap();
    let mut listed: Vec<String> = roles.iter().map(|(r, _)| r.to_string()).collect();
    listed.sort();
    assert_eq!(known, listed, "the matrix covers every role");
    for (i, (role, _)) in roles.iter().enumerate() {
        let user = format!("{}.tn", role.replace('_', "-"));
        let out = add(&app, &user, &format!("00100000000{i}"), &["--role", role, "--scope", "05443"], GOOD);
        assert!(out.status.success(), "{}", text(&out));
        assert_eq!(change_password(&app, &user, GOOD, NEWER).await.0, 204);
    }
    let (inside, outside) = (parcel(&app, "05443").await, parcel(&app, "11311").await);
    // Every surface a parcel's holder could leave by, as the caller sees it; `true` for those
    // that name the personal field itself (refused to whoever may not see it).
    let surfaces = |id: &str, lon: f64, lat: f64| {
        let (x, y) = common::tile_of(lon, lat, 16);
        let wfs = "/wfs?service=WFS&version=2.0.0&typenames=dc:holders";
        vec![
            (format!("/api/parcels/{id}"), false),
            (format!("/ogc/collections/holders/items/{id}"), false),
            (format!("/ogc/collections/holders/items?parcel_id={id}"), false),
            (format!("/ogc/collections/holders/items?parcel_id={id}&f=csv"), false),
            (format!("/ogc/collections/holders/items?parcel_id={id}&f=gpkg"), false),
            (format!("/ogc/collections/holders/items?filter=parcel_id='{id}'%20AND%20holders%20IS%20NOT%20NULL"), true),
            (format!("{wfs}&request=GetFeature&resourceid=holders.{id}"), false),
            (format!("{wfs}&request=GetPropertyValue&valueReference=holders&resourceid=holders.{id}"), true),
            (format!("/tiles/holders/16/{x}/{y}.mvt"), false),
        ]
    };
    let body = |user: Option<String>, path: String| {
        let app = &app;
        async move {
            let mut req = app.http.get(format!("{}{path}", app.base));
            if let Some(u) = user {
                req = req.basic_auth(u, Some(NEWER));
            }
            let resp = req.send().await.unwrap();
            (resp.status().as_u16(), resp.bytes().await.unwrap())
        }
    };
    let holds = |bytes: &[u8], name: &str| bytes.windows(name.len()).any(|w| w == name.as_bytes());
    let callers = std::iter::once((None, "none"))
        .chain(roles.iter().map(|(role, sees)| (Some(format!("{}.tn", role.replace('_', "-"))), *sees)));
    for (user, sees) in callers {
        for (parcel, in_scope) in [(&inside, true), (&outside, false)] {
            let (id, name, lon, lat) = parcel;
            for (path, names_personal_field) in surfaces(id, *lon, *lat) {
                let (status, got) = body(user.clone(), path.clone()).await;
                let expected = if names_personal_field && sees == "none" { 400 } else { 200 };
                assert_eq!(status, expected, "{user:?} {path}");
                let visible = sees == "everywhere" || (sees == "scope" && in_scope);
                assert_eq!(holds(&got, name), visible, "{user:?} {path}: holder {name}");
            }
        }
    }
    // The registrar's schema names the holders field; the public's does not.
    let (_, public) = app.get("/ogc/collections/holders/queryables").await;
    assert!(public["properties"].get("holders").is_none());
    let (_, registrar, _) = get_as(&app, "/ogc/collections/holders/queryables", "registrar.tn", NEWER).await;
    assert!(registrar["properties"].get("holders").is_some(), "{registrar}");
}

#[tokio::test]
async fn api_tokens_are_shown_once_narrow_the_scope_and_end() {
    let app = TestApp::spawn(Content::Samples).await;
    let out = add(&app, "reg.both", "002000000000", &["--role", "registrar", "--scope", "05443,11311"], GOOD);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(change_password(&app, "reg.both", GOOD, NEWER).await.0, 204);
    let issue = |args: &[&str]| {
        let out = app.db.cli(&[&["tokens", "issue", "reg.both"][..], args].concat());
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    let narrowed = issue(&["--days", "30", "--scope", "05443"]);
    let bearer = |token: &str, path: &str| {
        let (app, token, path) = (&app, token.to_owned(), path.to_owned());
        async move {
            let resp = app.http.get(format!("{}{path}", app.base)).bearer_auth(token).send().await.unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };
    let (status, me) = bearer(&narrowed, "/api/me").await;
    assert_eq!(status, 200, "{me}");
    let me: Value = serde_json::from_str(&me).unwrap();
    assert_eq!((me["account"].clone(), me["scope"].clone()), (json!("reg.both"), json!(["05443"])));
    // The token sees holders in its own part of the scope only; the password sees both.
    let (tn, hp) = (parcel(&app, "05443").await, parcel(&app, "11311").await);
    for (parcel, through_token) in [(&tn, true), (&hp, false)] {
        let path = format!("/api/parcels/{}", parcel.0);
        assert_eq!(bearer(&narrowed, &path).await.1.contains(&parcel.1), through_token, "{path}");
        let (_, card, _) = get_as(&app, &path, "reg.both", NEWER).await;
        assert!(card.to_string().contains(&parcel.1), "{path}");
    }
    // Listed without the secret, which is kept as a digest only.
    let listed = text(&app.db.cli(&["tokens", "list"]));
    assert!(listed.contains("\"reg.both\"") && !listed.contains(&narrowed[3..]), "{listed}");
    // Expired, revoked and unknown tokens are refused.
    let expired = issue(&["--days", "1"]);
    sqlx::query("UPDATE personal.api_tokens SET expires_at = now() - interval '1 second' WHERE id = (SELECT max(id) FROM personal.api_tokens)")
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(bearer(&expired, "/api/me").await.0, 401);
    let revoked = issue(&[]);
    let id: i64 = sqlx::query_scalar("SELECT max(id) FROM personal.api_tokens").fetch_one(&app.db.pool).await.unwrap();
    assert!(app.db.cli(&["tokens", "revoke", &id.to_string()]).status.success());
    assert_eq!(bearer(&revoked, "/api/me").await.0, 401);
    assert_eq!(bearer("dc_not-a-token", "/api/me").await.0, 401);
    assert_eq!(bearer(&narrowed, "/api/me").await.0, 200);
}

#[tokio::test]
async fn the_admin_manages_accounts_over_http_as_with_the_cli() {
    let app = TestApp::spawn(Content::Samples).await;
    for (user, id, role) in [("office", "006000000000", "admin"), ("staff", "006000000001", "viewer")] {
        let out = add(&app, user, id, &["--role", role], GOOD);
        assert!(out.status.success(), "{}", text(&out));
        assert_eq!(change_password(&app, user, GOOD, NEWER).await.0, 204);
    }
    let call = |method: reqwest::Method, path: &str, user: Option<&str>, password: &str, body: Option<Value>| {
        let mut req = app.http.request(method, format!("{}{path}", app.base));
        if let Some(user) = user {
            req = req.basic_auth(user, Some(password));
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        async move {
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            let location = resp.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
            (status, resp.json::<Value>().await.unwrap_or(Value::Null), location)
        }
    };
    let admin = |method: reqwest::Method, path: &'static str, body: Option<Value>| {
        call(method, path, Some("office"), NEWER, body)
    };
    use reqwest::Method;
    assert_eq!(call(Method::GET, "/api/accounts", None, "", None).await.0, 401);
    let (status, body, _) = call(Method::GET, "/api/accounts", Some("staff"), NEWER, None).await;
    assert!(status == 403 && body["message"].as_str().unwrap().contains("admin role"), "{body}");

    let new = json!({
        "username": "thanhtra", "name": "Đinh Văn F", "personal_id": "006000000002", "org": "Thanh tra Sở",
        "roles": ["viewer"], "scope": ["05443"], "password": GOOD,
    });
    // Refusals name what is wrong and write nothing.
    for (field, value, says) in [
        ("password", json!("short"), "12 characters"),
        ("personal_id", json!("12345"), "12 digits"),
        ("roles", json!(["king"]), "no role `king`"),
        ("scope", json!(["99999"]), "99999"),
    ] {
        let mut bad = new.clone();
        bad[field] = value;
        let (status, body, _) = admin(Method::POST, "/api/accounts", Some(bad)).await;
        assert_eq!(status, 400, "{field}: {body}");
        assert!(body["message"].as_str().unwrap().contains(says), "{field}: {body}");
    }
    let (status, body, _) = admin(Method::POST, "/api/accounts", Some(json!({ "username": "x" }))).await;
    assert!(status == 400 && body["message"].as_str().unwrap().contains("personal_id"), "{body}");
    let (status, _, location) = admin(Method::POST, "/api/accounts", Some(new)).await;
    assert_eq!((status, location.as_deref()), (201, Some("/api/accounts/thanhtra")));
    let (_, listed, _) = admin(Method::GET, "/api/accounts", None).await;
    let row = listed.as_array().unwrap().iter().find(|a| a["username"] == "thanhtra").unwrap().clone();
    assert_eq!((row["full_name"].as_str(), row["initial_password"].as_bool()), (Some("Đinh Văn F"), Some(true)));
    assert!(row.get("password_hash").is_none() && !listed.to_string().contains("argon2"));
    assert_eq!(change_password(&app, "thanhtra", GOOD, NEWER).await.0, 204);
    let me = || get_as(&app, "/api/me", "thanhtra", NEWER);
    assert_eq!(me().await.1["roles"], json!(["viewer"]));

    // Grants and revocations hold from the next request.
    assert_eq!(admin(Method::PUT, "/api/accounts/thanhtra/roles/registrar", None).await.0, 204);
    assert_eq!(admin(Method::PUT, "/api/accounts/thanhtra/scopes/11311", None).await.0, 204);
    let (_, seen, _) = me().await;
    assert_eq!(
        (seen["roles"].clone(), seen["scope"].clone()),
        (json!(["registrar", "viewer"]), json!(["05443", "11311"]))
    );
    assert_eq!(admin(Method::DELETE, "/api/accounts/thanhtra/roles/viewer", None).await.0, 204);
    assert_eq!(admin(Method::DELETE, "/api/accounts/thanhtra/scopes/05443", None).await.0, 204);
    let (_, seen, _) = me().await;
    assert_eq!((seen["roles"].clone(), seen["scope"].clone()), (json!(["registrar"]), json!(["11311"])));
    assert_eq!(admin(Method::PUT, "/api/accounts/thanhtra/hats/red", None).await.0, 404);

    // A lock holds at once, says why; unlocking lifts it.
    let (status, body, _) =
        admin(Method::POST, "/api/accounts/thanhtra/lock", Some(json!({ "reason": "stolen" }))).await;
    assert!(status == 400 && body["message"].as_str().unwrap().contains("lost, left or other"), "{body}");
    assert_eq!(admin(Method::POST, "/api/accounts/thanhtra/lock", Some(json!({ "reason": "lost" }))).await.0, 204);
    let (status, body, _) = me().await;
    assert!(status == 403 && body["message"].as_str().unwrap().contains("reported lost"), "{body}");
    assert_eq!(admin(Method::POST, "/api/accounts/thanhtra/unlock", None).await.0, 204);
    assert_eq!(me().await.0, 200);
    assert_eq!(admin(Method::POST, "/api/accounts/nobody/unlock", None).await.0, 400);

    // A reset gives a new initial password; the old one no longer opens anything.
    let reset = Some(json!({ "password": "Mật-khẩu mới 2028" }));
    assert_eq!(admin(Method::POST, "/api/accounts/thanhtra/password", reset).await.0, 204);
    assert_eq!(me().await.0, 401);
    let (status, seen, _) = get_as(&app, "/api/me", "thanhtra", "Mật-khẩu mới 2028").await;
    assert_eq!((status, seen["initial_password"].as_bool()), (200, Some(true)));

    // Every change is the admin's, in the audit trail (after its own password change); refusals
    // changed nothing and left no change entry.
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit.entries WHERE actor = 'account:office' AND action LIKE 'accounts %' ORDER BY seq",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    let expected = ["password", "add", "grant", "grant", "revoke", "revoke", "lock", "unlock", "password"];
    assert_eq!(actions, expected.map(|a| format!("accounts {a}")));
}

/// Holders by parcel ID, as a client read the `holders` layer: `(commune, holders and their
/// IDs)` per parcel.
type Seen = std::collections::BTreeMap<String, (String, Option<String>)>;

fn seen_from(rows: &[Value]) -> Seen {
    rows.iter()
        .map(|r| {
            let personal = [&r["holders"], &r["holder_ids"]].map(|v| v.as_str().filter(|h| !h.is_empty()));
            let holders = match personal {
                [Some(names), ids] => Some(format!("{names} / {}", ids.unwrap_or_default())),
                [None, None] => None,
                [None, Some(_)] => panic!("IDs without names: {r}"),
            };
            (r["parcel_id"].as_str().unwrap().to_owned(), (r["commune_code"].as_str().unwrap().to_owned(), holders))
        })
        .collect()
}

#[tokio::test]
async fn gis_clients_sign_in_with_basic_and_see_the_holders_of_their_scope_only() {
    let app = TestApp::spawn(Content::Samples).await;
    let out = add(&app, "dangky", "008000000000", &["--role", "registrar", "--scope", "05443"], GOOD);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(change_password(&app, "dangky", GOOD, NEWER).await.0, 204);
    // What PostGIS says each parcel of the layer holds.
    let expected: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT p.parcel_id, coalesce(p.commune_code, p.commune_code_recorded),
                string_agg(h.name, '; ' ORDER BY h.name, r.id) || ' / '
                || string_agg(coalesce(h.personal_id, h.organisation_id, ''), '; ' ORDER BY h.name, r.id)
         FROM parcels p JOIN personal.rights r ON r.parcel_id = p.parcel_id JOIN personal.holders h ON h.id = r.holder_id
         WHERE p.valid_to IS NULL GROUP BY p.uid, p.parcel_id, p.commune_code, p.commune_code_recorded",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert!(expected.iter().any(|e| e.1 == "05443") && expected.iter().any(|e| e.1 != "05443"));
    let check = |client: &str, seen: Seen, signed_in: bool| {
        assert_eq!(seen.len(), expected.len(), "{client}: every feature of the layer");
        for (id, commune, holders) in &expected {
            let (c, h) = &seen[id];
            assert_eq!(c, commune, "{client}: {id}");
            let visible = signed_in && commune == "05443";
            assert_eq!(h.as_deref(), visible.then_some(holders.as_str()), "{client}: {id} of {commune}");
        }
    };

    // QGIS's WFS and OAPIF providers, with the credentials in the layer's URI as QGIS keeps them.
    for provider in ["WFS", "OAPIF"] {
        let typename = if provider == "WFS" { "dc:holders" } else { "holders" };
        for signed_in in [true, false] {
            let creds: &[&str] = if signed_in { &["dangky", NEWER] } else { &[] };
            let args = [&[app.base.as_str(), provider, typename][..], creds].concat();
            let layer: Value = serde_json::from_str(&common::qgis("qgis_layer.py", &args).await).unwrap();
            assert_eq!(layer["valid"], true, "QGIS {provider}: {layer}");
            check(&format!("QGIS {provider}"), seen_from(layer["features"].as_array().unwrap()), signed_in);
        }
    }
    // GDAL's WFS and OGC API drivers.
    for source in [format!("WFS:{}/wfs", app.base), format!("OAPIF:{}/ogc", app.base)] {
        let layer = if source.starts_with("WFS") { "dc:holders" } else { "holders" };
        let said = common::gdal(
            "ogr2ogr",
            &[
                "-f",
                "GeoJSON",
                "/vsistdout/",
                &source,
                layer,
                "--config",
                "GDAL_HTTP_AUTH",
                "BASIC",
                "--config",
                "GDAL_HTTP_USERPWD",
                &format!("dangky:{NEWER}"),
            ],
        )
        .await;
        let fc: Value = serde_json::from_str(&said[said.find('{').unwrap()..]).unwrap();
        let rows: Vec<Value> = fc["features"].as_array().unwrap().iter().map(|f| f["properties"].clone()).collect();
        check(&source, seen_from(&rows), true);
    }
    // OWSLib with username and password.
    let wfs = format!("{}/wfs", app.base);
    let rows: Vec<Value> =
        serde_json::from_str(&common::python("owslib_signed_in.py", &[&wfs, "dc:holders", "dangky", NEWER]).await)
            .unwrap();
    check("OWSLib", seen_from(&rows), true);
}

#[tokio::test]
async fn sorting_by_a_personal_field_keeps_to_the_rows_where_it_is_visible() {
    let app = TestApp::spawn(Content::Samples).await;
    let out = add(&app, "dangky", "008000000000", &["--role", "registrar", "--scope", "05443"], GOOD);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(change_password(&app, "dangky", GOOD, NEWER).await.0, 204);
    let in_scope = app
        .db
        .count(
            "SELECT count(DISTINCT p.uid) FROM parcels p JOIN personal.rights r ON r.parcel_id = p.parcel_id
             WHERE p.valid_to IS NULL AND coalesce(p.commune_code, p.commune_code_recorded) = '05443'",
        )
        .await;
    let features = |path: &'static str| {
        let app = &app;
        async move {
            let (status, body, _) = get_as(app, path, "dangky", NEWER).await;
            assert_eq!(status, 200, "{path}: {body}");
            let list = if body["features"].is_array() { body["features"].clone() } else { body["member"].clone() };
            list.as_array().unwrap().iter().map(|f| f["properties"].clone()).collect::<Vec<Value>>()
        }
    };
    // Unsorted, the page holds other communes' parcels (without holders).
    let all = features("/ogc/collections/holders/items?limit=1000&offset=1000").await;
    assert!(all.iter().any(|p| p["commune_code"] != "05443"));
    // Sorted by holders: only the rows whose holders the account sees, in PostgreSQL's order of
    // their names; the order of hidden names cannot be read from the pages.
    let (first, last): (String, String) = sqlx::query_as(
        "SELECT min(names), max(names) FROM (
             SELECT string_agg(h.name, '; ' ORDER BY h.name, r.id) AS names
             FROM parcels p JOIN personal.rights r ON r.parcel_id = p.parcel_id JOIN personal.holders h ON h.id = r.holder_id
             WHERE p.valid_to IS NULL AND coalesce(p.commune_code, p.commune_code_recorded) = '05443'
             GROUP BY p.uid) AS s",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    for (path, expected_first) in [
        ("/ogc/collections/holders/items?sortby=holders&limit=1000", &first),
        ("/ogc/collections/holders/items?sortby=-holders&limit=1000", &last),
    ] {
        let sorted = features(path).await;
        assert_eq!(sorted.len() as i64, in_scope.min(1000), "{path}");
        assert!(sorted.iter().all(|p| p["commune_code"] == "05443"), "{path}");
        assert_eq!(sorted[0]["holders"].as_str(), Some(expected_first.as_str()), "{path}");
    }
    let wfs = "/wfs?service=WFS&version=2.0.0&request=GetFeature&typenames=dc:holders&sortby=holders%20DESC&count=1000&outputFormat=application/json";
    let (status, body, _) = get_as(&app, wfs, "dangky", NEWER).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["numberMatched"].as_i64(), Some(in_scope), "{}", body["numberMatched"]);
    // Anonymous callers cannot name the field at all.
    let (status, body) = app.get("/ogc/collections/holders/items?sortby=holders").await;
    assert!(status == 400 && body["message"].as_str().unwrap().contains("`holders` is not a property"), "{body}");
}
