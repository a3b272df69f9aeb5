//! Feature pages answered from memory equal PostGIS's: the same random requests (boxes, paging,
//! sorting, property selection, equality parameters and CQL2 filters, as the public and as an
//! officer scoped to one commune) to a service answering from memory and to one started with
//! `--pages-from-database`, over every collection either may see.

use crate::common;

use common::{Content, TestApp};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::Value;

const PASSWORD: &str = "Địa-chính 2026!";
const REQUESTS: usize = 400;

/// A property and what a filter on it may compare it with: values seen on real features.
struct Property {
    name: String,
    kind: String,
    seen: Vec<Value>,
}

/// A random CQL2 condition on `p`, as text.
fn condition(rng: &mut impl Rng, p: &Property) -> String {
    let quote = |v: &Value| match v {
        Value::String(s) => format!("'{}'", s.replace('\'', "''")),
        other => other.to_string(),
    };
    let some = |rng: &mut dyn rand::RngCore| p.seen.choose(rng).map(quote);
    let name = &p.name;
    let Some(v) = some(rng) else { return format!("{name} IS NULL") };
    match (p.kind.as_str(), rng.gen_range(0..7)) {
        (_, 0) => format!("{name} = {v}"),
        (_, 1) => format!("NOT {name} IS NULL"),
        (_, 2) => format!("{name} IN ({v}, {})", some(rng).unwrap()),
        ("string", 3) => {
            let s = v.trim_matches('\'');
            let cut: String = s.chars().take(rng.gen_range(0..4)).collect();
            format!("{name} LIKE '{cut}%'")
        }
        ("string", 4) => {
            format!("{name} LIKE '%{}_'", v.trim_matches('\'').chars().skip(1).take(2).collect::<String>())
        }
        ("boolean", _) => format!("{name} <> {v}"),
        (_, 5) => format!("{name} BETWEEN {v} AND {}", some(rng).unwrap()),
        (_, _) => format!("{name} {} {v}", ["<", "<=", ">", ">="].choose(rng).unwrap()),
    }
}

/// The first position of a GeoJSON geometry.
fn first_point(g: &Value) -> Option<(f64, f64)> {
    match g {
        Value::Array(a) => match (a.first()?, a.get(1)) {
            (Value::Number(x), Some(Value::Number(y))) => Some((x.as_f64()?, y.as_f64()?)),
            (first, _) => first_point(first),
        },
        Value::Object(o) => first_point(o.get("coordinates")?),
        _ => None,
    }
}

/// A random request for a page of `collection`, whose `extent` is W,S,E,N; boxes are mostly
/// around one of `points` (on features), else anywhere in the extent.
fn request(
    rng: &mut impl Rng,
    collection: &str,
    extent: [f64; 4],
    points: &[(f64, f64)],
    props: &[Property],
) -> String {
    let mut q: Vec<String> = vec![format!("limit={}", [1, 3, 10, 50, 200, 1000].choose(rng).unwrap())];
    if rng.gen_bool(0.6) {
        let [w, s, e, n] = extent;
        let (cx, cy) = match points.choose(rng) {
            Some(p) if rng.gen_bool(0.8) => *p,
            _ => (rng.gen_range(w..=e), rng.gen_range(s..=n)),
        };
        let r = [0.0005, 0.002, 0.01, 0.05, 1.0].choose(rng).unwrap();
        q.push(format!("bbox={},{},{},{}", cx - r, cy - r, cx + r, cy + r));
    }
    if rng.gen_bool(0.3) && !props.is_empty() {
        let n = rng.gen_range(1..=2);
        let keys: Vec<String> = props
            .choose_multiple(rng, n)
            .map(|p| format!("{}{}", ["", "-", "+"].choose(rng).unwrap(), p.name))
            .collect();
        q.push(format!("sortby={}", keys.join(",")));
        if rng.gen_bool(0.5) {
            q.push(format!("offset={}", rng.gen_range(0..40)));
        }
    }
    if rng.gen_bool(0.3) && !props.is_empty() {
        let names: Vec<&str> = props.choose_multiple(rng, 2).map(|p| p.name.as_str()).collect();
        q.push(format!("properties={}", names.join(",")));
    }
    if rng.gen_bool(0.5) && !props.is_empty() {
        let p = props.choose(rng).unwrap();
        let mut text = condition(rng, p);
        if rng.gen_bool(0.4) {
            let joint = ["AND", "OR"].choose(rng).unwrap();
            let p = props.choose(rng).unwrap();
            text = format!("({text}) {joint} NOT ({})", condition(rng, p));
        }
        q.push(format!("filter={}", urlencoding(&text)));
    } else if rng.gen_bool(0.2)
        && let Some(p) = props.iter().filter(|p| !p.seen.is_empty()).collect::<Vec<_>>().choose(rng)
    {
        // Part 1: a property named as a parameter must equal it.
        let v = p.seen.choose(rng).unwrap();
        q.push(format!("{}={}", p.name, urlencoding(v.as_str().map_or(v.to_string(), str::to_owned).as_str())));
    }
    format!("/ogc/collections/{collection}/items?{}", q.join("&"))
}

fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The answer with what differs between two servers by design taken out: the time it was
/// made, and the server's own address in links.
fn comparable(base: &str, status: u16, body: &str) -> (u16, Value) {
    let mut v: Value = serde_json::from_str(&body.replace(base, "")).unwrap_or(Value::String(body.to_owned()));
    if let Some(o) = v.as_object_mut() {
        o.remove("timeStamp");
    }
    (status, v)
}

#[tokio::test]
async fn pages_from_memory_equal_pages_from_postgis_for_every_collection_and_view() {
    let app = TestApp::spawn(Content::Samples).await;
    // An officer of the Thái Nguyên commune the samples hold (holders and registrations there).
    app.db.add_account("sosanh", "Vũ H", "008000000000", "registrar", Some("05443"), "Tạm-thời 2026!");
    let changed = app
        .http
        .post(format!("{}/api/me/password", app.base))
        .basic_auth("sosanh", Some("Tạm-thời 2026!"))
        .json(&serde_json::json!({ "current": "Tạm-thời 2026!", "new": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 204);
    let dir = tempfile::tempdir().unwrap();
    let (database, db_base) = app.db.serve_in(dir.path(), &["--pages-from-database"]).await;
    // Stopped however the test ends.
    struct Stop(std::process::Child);
    impl Drop for Stop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _database = Stop(database);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(17);
    let get = |base: String, path: String, signed_in: bool| {
        let http = app.http.clone();
        async move {
            let mut req = http.get(format!("{base}{path}"));
            if signed_in {
                req = req.basic_auth("sosanh", Some(PASSWORD));
            }
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            comparable(&base, status, &resp.text().await.unwrap())
        }
    };
    let (mut compared, mut with_features, mut next_pages) = (0, 0, 0);
    for signed_in in [false, true] {
        let (_, collections) = get(app.base.clone(), "/ogc/collections".into(), signed_in).await;
        for c in collections["collections"].as_array().unwrap_or_else(|| panic!("{collections}")) {
            let id = c["id"].as_str().unwrap();
            // A collection with no features yet declares none: boxes anywhere in Việt Nam.
            let extent: Vec<f64> = c["extent"]["spatial"]["bbox"][0]
                .as_array()
                .map_or(vec![102.0, 8.0, 110.0, 24.0], |b| b.iter().map(|n| n.as_f64().unwrap()).collect());
            // What the view may filter on, with values seen on a page of real features.
            let (_, schema) = get(app.base.clone(), format!("/ogc/collections/{id}/schema"), signed_in).await;
            let (_, sample) = get(app.base.clone(), format!("/ogc/collections/{id}/items?limit=200"), signed_in).await;
            let props: Vec<Property> = schema["properties"]
                .as_object()
                .unwrap()
                .iter()
                .filter_map(|(name, s)| {
                    let kind = s["type"].as_str()?.to_owned();
                    let mut seen: Vec<Value> = sample["features"]
                        .as_array()?
                        .iter()
                        .filter_map(|f| f["properties"].get(name).cloned())
                        .collect();
                    seen.dedup();
                    Some(Property { name: name.clone(), kind, seen })
                })
                .collect();
            let points: Vec<(f64, f64)> = sample["features"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| first_point(&f["geometry"]))
                .collect();
            for _ in 0..REQUESTS / 20 {
                let path = request(&mut rng, id, [extent[0], extent[1], extent[2], extent[3]], &points, &props);
                let memory = get(app.base.clone(), path.clone(), signed_in).await;
                let postgis = get(db_base.clone(), path.clone(), signed_in).await;
                assert_eq!(memory, postgis, "{path} (signed in: {signed_in})");
                compared += 1;
                if memory.1["numberReturned"].as_i64().unwrap_or(0) > 0 {
                    with_features += 1;
                }
                // The next page, by the link each gave.
                if let Some(next) = memory.1["links"]
                    .as_array()
                    .and_then(|l| l.iter().find(|l| l["rel"] == "next"))
                    .and_then(|l| l["href"].as_str())
                {
                    let (a, b) = (
                        get(app.base.clone(), next.to_owned(), signed_in).await,
                        get(db_base.clone(), next.to_owned(), signed_in).await,
                    );
                    assert_eq!(a, b, "{next} (signed in: {signed_in})");
                    next_pages += 1;
                }
            }
        }
    }
    assert!(compared >= REQUESTS, "{compared} requests compared");
    assert!(with_features * 2 > compared, "most requests find features: {with_features} of {compared}");
    assert!(next_pages > 20, "next pages compared: {next_pages}");
}

/// Pages go out compressed in the coding the client prefers, and decode to the plain page.
#[tokio::test]
async fn a_page_compressed_on_the_way_decodes_to_the_plain_page() {
    let app = TestApp::spawn(Content::Samples).await;
    for path in [
        "/ogc/collections/parcels/items?limit=100",
        "/wfs?service=WFS&version=2.0.0&request=GetFeature&typeNames=parcels&count=50",
    ] {
        let plain = app.get_with(path, &[]).await.bytes().await.unwrap();
        assert!(plain.len() > 10_000, "{path}: {} bytes", plain.len());
        for (accept, coding) in [("gzip, deflate, br", "br"), ("gzip", "gzip")] {
            let resp = app.get_with(path, &[("accept-encoding", accept)]).await;
            assert_eq!(resp.status(), 200);
            assert_eq!(resp.headers()["content-encoding"], coding, "{path}");
            let body = resp.bytes().await.unwrap();
            let decoded = common::decoded(Some(coding), &body);
            assert_eq!(undated(&decoded), undated(&plain), "{path} {coding}: not the plain page");
            assert!(body.len() * 4 < plain.len(), "{path} {coding}: {} of {} bytes", body.len(), plain.len());
        }
    }
}

/// A page with its `timeStamp` (to the second) blanked, to compare pages asked for apart.
fn undated(page: &[u8]) -> String {
    let mut page = String::from_utf8(page.to_vec()).unwrap();
    let key = page.find("timeStamp").expect("a page has a timeStamp");
    let at = key + page[key..].find(|c: char| c.is_ascii_digit()).unwrap();
    page.replace_range(at..at + "2026-01-01T00:00:00Z".len(), "");
    page
}
