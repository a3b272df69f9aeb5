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
    app.db.add_account("auditor", "Trần B", "003000000000", "viewer", None, password);
    let resp =
        app.http.get(format!("{}/api/me?x=1", app.base)).basic_auth("auditor", Some(password)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    app.db.recorded(&resp).await;
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
    app.db.add_account("office", "Lê C", "003000000001", "admin", None, password);
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
    // At most `limit` entries an answer (page on with `since`).
    for (limit, expected) in [("1", 200), ("0", 400), ("10001", 400), ("many", 400)] {
        let resp = app
            .http
            .get(format!("{}/api/audit?limit={limit}", app.base))
            .basic_auth("office", Some(new))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), expected, "limit={limit}");
        if expected == 200 {
            assert_eq!(resp.json::<Value>().await.unwrap().as_array().unwrap().len(), 1);
        }
    }
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

/// As a superuser with the triggers off: `sql` on the audit tables, in one transaction.
async fn as_superuser(pool: &sqlx::PgPool, sql: &str) {
    let mut tx = pool.begin().await.unwrap();
    for table in ["audit.entries", "audit.checkpoints"] {
        sqlx::query(&format!("ALTER TABLE {table} DISABLE TRIGGER USER")).execute(&mut *tx).await.unwrap();
    }
    sqlx::raw_sql(sql).execute(&mut *tx).await.unwrap();
    for table in ["audit.entries", "audit.checkpoints"] {
        sqlx::query(&format!("ALTER TABLE {table} ENABLE TRIGGER USER")).execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
}

/// Entry `seq` altered, and every hash from it on recomputed, as a careful superuser would.
fn rewrite_from(seq: i64) -> String {
    format!(
        "DO $$
        DECLARE r audit.entries; prev bytea;
        BEGIN
            SELECT hash INTO prev FROM audit.entries WHERE seq = {seq} - 1;
            UPDATE audit.entries SET object = 'nothing to see' WHERE seq = {seq};
            FOR r IN SELECT * FROM audit.entries WHERE seq >= {seq} ORDER BY seq LOOP
                r.prev_hash := prev;
                r.hash := sha256('\\x00'::bytea || audit.content(r) || prev);
                UPDATE audit.entries SET prev_hash = r.prev_hash, hash = r.hash WHERE seq = r.seq;
                prev := r.hash;
            END LOOP;
        END $$"
    )
}

#[tokio::test]
async fn signed_checkpoints_catch_a_superuser_who_rewrites_the_chain_and_its_hashes() {
    use std::os::unix::fs::PermissionsExt;
    let app = TestApp::spawn(Content::Samples).await;
    let dir = common::audit_dir(&app.db.url);
    let mode = |name: &str| std::fs::metadata(dir.join(name)).unwrap().permissions().mode() & 0o777;
    assert_eq!((mode(""), mode("signing.key")), (0o700, 0o600), "the key is the service's alone");
    let password = "Địa-chính 2026!";
    app.db.add_account("kiemtra", "Phạm D", "004000000000", "viewer", None, password);
    let checkpoint = || {
        let out = app.db.cli(&["audit", "checkpoint"]);
        assert!(out.status.success(), "{}", text(&out));
    };
    checkpoint();
    // A refused sign-in is an entry too: anonymous, with the caller's address.
    let wrong = app.http.get(format!("{}/api/me", app.base)).basic_auth("kiemtra", Some("guess")).send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    app.db.recorded(&wrong).await;
    let refused = &app.db.cli(&["audit", "show", "--action", "GET /api/me"]);
    let refused: Value = serde_json::from_str(text(refused).lines().last().unwrap()).unwrap();
    assert_eq!(
        (refused["actor"].as_str(), refused["outcome"].as_i64(), refused["address"].as_str()),
        (Some("anonymous"), Some(401), Some("127.0.0.1")),
        "{refused}"
    );
    for _ in 0..3 {
        let ok = app.http.get(format!("{}/api/me", app.base)).basic_auth("kiemtra", Some(password)).send().await;
        let ok = ok.unwrap();
        assert_eq!(ok.status(), 200);
        app.db.recorded(&ok).await;
    }
    checkpoint();
    let entries = app.db.count("SELECT count(*) FROM audit.entries").await;
    let verify = || {
        let out = app.db.cli(&["audit", "verify"]);
        (out.status.success(), text(&out))
    };
    let (ok, said) = verify();
    assert!(ok && said.contains("signed checkpoint(s) agree"), "{said}");

    // One access inside a batch altered (the refused sign-in made to look answered): the entry
    // holding it no longer matches its hash.
    let batch = app.db.count("SELECT min(seq) FROM audit.entries WHERE accesses LIKE '%\"outcome\":401%'").await;
    as_superuser(
        &app.db.pool,
        "UPDATE audit.entries SET accesses = replace(accesses, '\"outcome\":401', '\"outcome\":200')",
    )
    .await;
    let (ok, said) = verify();
    assert!(!ok && said.contains(&format!("entry {batch}: its content does not match its hash")), "{said}");
    as_superuser(&app.db.pool, &format!("UPDATE audit.entries SET accesses = replace(accesses, '\"outcome\":200', '\"outcome\":401') WHERE seq = {batch}")).await;
    assert!(verify().0, "restored");

    // The last entry removed: the chain still links, but a checkpoint counted it.
    as_superuser(
        &app.db.pool,
        &format!(
            "CREATE TABLE public.kept AS SELECT * FROM audit.entries WHERE seq = {entries};
             DELETE FROM audit.entries WHERE seq = {entries}"
        ),
    )
    .await;
    let (ok, said) = verify();
    assert!(!ok && said.contains(&format!("entry {entries}: entries {entries} to {entries} were removed")), "{said}");
    as_superuser(&app.db.pool, "INSERT INTO audit.entries SELECT * FROM public.kept").await;
    assert!(verify().0, "restored");

    // An entry after the first checkpoint rewritten with every hash after it recomputed, and the
    // database's checkpoints deleted: the chain is consistent, but the file still holds the
    // signed heads.
    let target = entries - 2;
    let held = app
        .db
        .count(&format!("SELECT coalesce(max(entries), 0) FROM audit.checkpoints WHERE entries < {target}"))
        .await;
    as_superuser(&app.db.pool, &format!("{}; DELETE FROM audit.checkpoints", rewrite_from(target))).await;
    let (ok, said) = verify();
    assert!(
        !ok && said.contains(&format!("broken at entry {}: entries {} to", held + 1, held + 1))
            && said.contains("were rewritten"),
        "{said}"
    );
    assert!(said.contains("audit chain broken"), "{said}");

    // A checkpoint whose signature was copied onto another moment is not the service's.
    let app = TestApp::spawn(Content::Samples).await;
    let out = app.db.cli(&["audit", "checkpoint"]);
    assert!(out.status.success(), "{}", text(&out));
    as_superuser(
        &app.db.pool,
        "INSERT INTO audit.checkpoints SELECT at + interval '1 second', entries, head, public_key, signature
         FROM audit.checkpoints ORDER BY entries DESC LIMIT 1",
    )
    .await;
    let out = app.db.cli(&["audit", "verify"]);
    assert!(!out.status.success() && text(&out).contains("is not signed by the service's key"), "{}", text(&out));
}

#[tokio::test]
async fn anonymous_reads_are_counted_per_minute_route_and_address_and_written_when_the_service_stops() {
    let db = common::TestDb::new(Content::Samples).await;
    let (mut child, base) = db.serve().await;
    let http = reqwest::Client::new();
    for path in [
        "/api/parcels?bbox=105,20,106,21&limit=1",
        "/api/parcels?bbox=105,20,106,21&limit=2",
        "/api/parcels?at=105.8,21.0",
        "/ogc/collections",
    ] {
        assert_eq!(http.get(format!("{base}{path}")).send().await.unwrap().status(), 200, "{path}");
    }
    let before = db.count("SELECT count(*) FROM audit.entries").await;
    // systemd stops a service with SIGTERM: the counts still reach the database.
    let stopped = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(stopped.success());
    let exit = tokio::task::spawn_blocking(move || child.wait().unwrap()).await.unwrap();
    assert!(exit.success(), "serve exits cleanly on SIGTERM: {exit}");
    let out = db.cli(&["audit", "reads"]);
    assert!(out.status.success(), "{}", text(&out));
    let reads: Vec<Value> = text(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let requests = |route: &str| -> i64 {
        reads.iter().filter(|r| r["route"] == route).map(|r| r["requests"].as_i64().unwrap()).sum()
    };
    assert_eq!((requests("/api/parcels"), requests("/ogc/collections")), (3, 1), "{reads:?}");
    assert!(reads.iter().all(|r| r["address"] == "127.0.0.1"), "{reads:?}");
    // Anonymous reads are counts, not chained entries; the service signed the chain's head on its
    // way out.
    assert_eq!(db.count("SELECT count(*) FROM audit.entries").await, before);
    let covered = db.count("SELECT coalesce(max(entries), 0) FROM audit.checkpoints").await;
    assert_eq!(covered, before);
    let verify = db.cli(&["audit", "verify"]);
    assert!(verify.status.success() && text(&verify).contains("1 signed checkpoint(s) agree"), "{}", text(&verify));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_audit_trail_cannot_keep_up_requests_are_refused_not_answered_unaudited() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
    let app = Arc::new(TestApp::spawn(Content::Samples).await);
    let password = "Địa-chính 2026!";
    app.db.add_account("dongbo", "Hồ G", "007000000000", "viewer", None, password);
    // The writer blocks behind a lock, as behind a database that stopped answering.
    let mut lock = app.db.pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE audit.entries IN EXCLUSIVE MODE").execute(&mut *lock).await.unwrap();
    let (answered, refused) = (Arc::new(AtomicI64::new(0)), Arc::new(AtomicBool::new(false)));
    let mut clients = Vec::new();
    for _ in 0..16 {
        let (app, answered, refused) = (app.clone(), answered.clone(), refused.clone());
        clients.push(tokio::spawn(async move {
            while !refused.load(Ordering::SeqCst) && answered.load(Ordering::SeqCst) < 20_000 {
                let resp = app.http.get(format!("{}/api/me", app.base)).basic_auth("dongbo", Some(password)).send();
                let resp = resp.await.unwrap();
                match resp.status().as_u16() {
                    200 => {
                        answered.fetch_add(1, Ordering::SeqCst);
                    }
                    503 => {
                        assert_eq!(resp.headers()["retry-after"], "1");
                        let body: Value = resp.json().await.unwrap();
                        assert!(body["message"].as_str().unwrap().contains("audit trail"), "{body}");
                        refused.store(true, Ordering::SeqCst);
                    }
                    other => panic!("unexpected {other}"),
                }
            }
        }));
    }
    for c in clients {
        c.await.unwrap();
    }
    assert!(refused.load(Ordering::SeqCst), "a full queue refuses requests");
    lock.commit().await.unwrap();
    // Every request answered has its entry, once the database takes them.
    let answered = answered.load(Ordering::SeqCst);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let entries = loop {
        let n = app.db.count("SELECT count(*) FROM audit.log WHERE actor = 'account:dongbo'").await;
        if n >= answered || std::time::Instant::now() > deadline {
            break n;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(entries, answered);
    let verify = app.db.cli(&["audit", "verify"]);
    assert!(verify.status.success(), "{}", text(&verify));
}
