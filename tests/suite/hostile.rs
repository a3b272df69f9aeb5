//! Requests an attacker would send: long operator chains in every filter language, NUL bytes,
//! degenerate geometries, spoofed Host headers. Each gets a 4xx that says what is wrong, and
//! the service goes on answering everyone else.

use crate::common;

use common::{Content, TestApp};
use serde_json::Value;

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

const ITEMS: &str = "/ogc/collections/parcels/items";
const GET_FEATURE: &str = "/wfs?service=WFS&version=2.0.0&request=GetFeature&typenames=dc:parcels";

/// `n` copies of `unit` around `core`, as `prefix* core` or `core (op core)*`.
fn chains(n: usize) -> Vec<(&'static str, String)> {
    let infix = |op: &str, atom: &str| std::iter::repeat_n(atom, n + 1).collect::<Vec<_>>().join(op);
    vec![
        ("NOT", format!("{}true", "NOT ".repeat(n))),
        ("NOT(", format!("{}true{}", "NOT(".repeat(n), ")".repeat(n))),
        ("=", infix("=", "1")),
        ("<>", infix("<>", "1")),
        ("<", infix("<", "1")),
        ("LIKE", infix(" LIKE ", "'a'")),
        ("+", format!("legal_area_m2 > {}", infix("+", "1"))),
        ("*", format!("legal_area_m2 > {}", infix("*", "1"))),
        ("unary -", format!("legal_area_m2 > {}1", "-".repeat(n))),
        ("AND", infix(" AND ", "true")),
        ("OR", infix(" OR ", "false")),
        ("brackets", format!("{}true{}", "(".repeat(n), ")".repeat(n))),
        ("IS NULL", format!("address{}", " IS NULL".repeat(n))),
        ("CASEI", format!("{}address{} = 'a'", "CASEI(".repeat(n), ")".repeat(n))),
    ]
}

/// The service still answers an ordinary request.
async fn still_serving(app: &TestApp) {
    let (status, page) = app.get(&format!("{ITEMS}?limit=1")).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["features"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn operator_chains_of_every_kind_are_refused_and_the_service_stays_up() {
    let app = TestApp::spawn(Content::Samples).await;
    // 900 is the length that overflowed a worker's stack; 1,990 is just under the bound on
    // operators (the parser's stack is sized for it); 5,000 is past it. A chain that reads as
    // an ordinary filter (`true AND true …`) may be answered; any other is a 400 with a message.
    for n in [900, 1_990, 5_000] {
        for (name, text) in chains(n) {
            let (status, body) = app.get(&format!("{ITEMS}?limit=1&filter={}", enc(&text))).await;
            match status {
                200 => assert!(n < 2_000 && body["features"].is_array(), "{name} x{n}: {body}"),
                400 => assert!(!body["message"].as_str().unwrap().is_empty(), "{name} x{n}: {body}"),
                _ => panic!("{name} x{n}: {status} {body}"),
            }
        }
        still_serving(&app).await;
    }
    let (status, body) = app.get(&format!("{ITEMS}?filter={}", enc(&chains(900)[0].1))).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().unwrap().contains("levels deep"), "{body}");
    // A long chain of conditions that nest flat is an ordinary filter, answered.
    let flat = std::iter::repeat_n("legal_area_m2 > 0", 100).collect::<Vec<_>>().join(" AND ");
    let (status, body) = app.get(&format!("{ITEMS}?limit=1&filter={}", enc(&flat))).await;
    assert_eq!(status, 200, "{body}");
    // The bound on operators is told as such.
    let (_, body) = app.get(&format!("{ITEMS}?filter={}", enc(&chains(5_000)[0].1))).await;
    assert!(body["message"].as_str().unwrap().contains("operators"), "{body}");
}

#[tokio::test]
async fn deep_cql2_json_and_fes_are_refused_whatever_their_strings_hold() {
    let app = TestApp::spawn(Content::Samples).await;
    let json_not = |n: usize| {
        format!(
            r#"{}{{"op":"isNull","args":[{{"property":"address"}}]}}{}"#,
            r#"{"op":"not","args":["#.repeat(n),
            "]}".repeat(n)
        )
    };
    // An escaped quote inside a string must not hide the brackets after it.
    let escaped =
        format!(r#"{{"op":"and","args":[{{"op":"=","args":[{{"property":"address"}},"a\"b"]}},{}]}}"#, json_not(100));
    for (name, filter) in [("not x30", json_not(30)), ("not x200", json_not(200)), ("escaped quote", escaped)] {
        let path = format!("{ITEMS}?filter-lang=cql2-json&filter={}", enc(&filter));
        let (status, body) = app.get(&path).await;
        assert_eq!(status, 400, "{name}: {body}");
        assert!(body["message"].as_str().unwrap().contains("deep"), "{name}: {body}");
    }
    still_serving(&app).await;
    // FES: nested Not and nested And, far past the bound; GML nested inside a geometry.
    let fes = |open: &str, close: &str, n: usize| {
        format!(
            r#"<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0">{}<fes:PropertyIsNull><fes:ValueReference>address</fes:ValueReference></fes:PropertyIsNull>{}</fes:Filter>"#,
            open.repeat(n),
            close.repeat(n)
        )
    };
    let gml = format!(
        r#"<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0" xmlns:gml="http://www.opengis.net/gml/3.2"><fes:Intersects><fes:ValueReference>geometry</fes:ValueReference>{}<gml:Point><gml:pos>105 21</gml:pos></gml:Point>{}</fes:Intersects></fes:Filter>"#,
        "<gml:MultiGeometry><gml:geometryMember>".repeat(300),
        "</gml:geometryMember></gml:MultiGeometry>".repeat(300)
    );
    for filter in [fes("<fes:Not>", "</fes:Not>", 500), fes("<fes:And>", "</fes:And>", 500), gml] {
        let (status, body) = app.get_text(&format!("{GET_FEATURE}&filter={}", enc(&filter))).await;
        assert_eq!(status, 400, "{body}");
        assert!(body.contains("too large"), "{body}");
    }
    still_serving(&app).await;
}

#[tokio::test]
async fn nul_bytes_degenerate_geometries_and_odd_literals_are_caller_mistakes() {
    let app = TestApp::spawn(Content::Samples).await;
    let json_nul = r#"{"op":"=","args":[{"property":"address"},"a\u0000b"]}"#;
    let cases: Vec<(String, &str)> = vec![
        ("/api/parcels?address=%00".into(), "NUL"),
        (format!("{ITEMS}/%00"), "NUL"),
        (format!("{ITEMS}?filter=address%3D'a%00b'"), "NUL"),
        (format!("{ITEMS}?filter-lang=cql2-json&filter={}", enc(json_nul)), "NUL"),
        (format!("{ITEMS}?filter={}", enc("S_INTERSECTS(geometry, POLYGON((105 21, 106 21)))")), "ring"),
        (format!("{ITEMS}?filter={}", enc("S_INTERSECTS(geometry, POLYGON EMPTY)")), "empty"),
        (
            format!("{ITEMS}?filter={}", enc("S_INTERSECTS(geometry, POLYGON((105 21, 106 21, 106 22, 105 22)))")),
            "does not close",
        ),
        (
            format!(
                "{ITEMS}?filter={}",
                enc(
                    "S_INTERSECTS(geometry, GEOMETRYCOLLECTION(POINT(105 21), POLYGON((105 21, 106 22, 106 21, 105 22, 105 21))))"
                )
            ),
            "not valid",
        ),
        (format!("{ITEMS}?filter={}", enc(r"address LIKE 'abc\'")), "escape"),
        (format!("{ITEMS}?filter={}", enc("address LIKE address")), "pattern"),
    ];
    for (path, words) in &cases {
        let (status, body) = app.get(path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert!(body["message"].as_str().unwrap().contains(words), "{path}: {body}");
    }
    // Two literals compare as SQL would: `true = true` holds for every feature.
    let (status, all) = app.get(&format!("{ITEMS}?limit=1&filter={}", enc("true = true"))).await;
    assert_eq!(status, 200, "{all}");
    let (_, none) = app.get(&format!("{ITEMS}?limit=1&filter={}", enc("1 = 2"))).await;
    assert_eq!(none["numberMatched"], 0, "{none}");
    assert_eq!(all["numberMatched"], app.get(ITEMS).await.1["numberMatched"]);
    // WFS: NUL in a RESOURCEID, and degenerate GML rings.
    let (status, body) = app.get_text(&format!("{GET_FEATURE}&resourceid=parcels.%00")).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("<ows:ExceptionReport") && body.contains("NUL"), "{body}");
    let ring = |pos: &str| {
        format!(
            r#"<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0" xmlns:gml="http://www.opengis.net/gml/3.2"><fes:Intersects><fes:ValueReference>geometry</fes:ValueReference><gml:Polygon gml:id="p" srsName="EPSG:4326"><gml:exterior><gml:LinearRing><gml:posList>{pos}</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></fes:Intersects></fes:Filter>"#
        )
    };
    for pos in ["105 21 106 21", "105 21 106 21 106 22 105 22", "", "105 21 106 22 106 21 105 22 105 21"] {
        let (status, body) = app.get_text(&format!("{GET_FEATURE}&filter={}", enc(&ring(pos)))).await;
        let head = &body[..body.len().min(400)];
        assert_eq!(status, 400, "{pos}: {head}");
        assert!(body.contains("InvalidParameterValue"), "{pos}: {head}");
    }
    still_serving(&app).await;
}

#[tokio::test]
async fn gml_errors_name_only_what_this_request_sent() {
    let app = TestApp::spawn(Content::Samples).await;
    let bad = |marker: &str| {
        format!(
            r#"<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0" xmlns:gml="http://www.opengis.net/gml/3.2"><fes:Intersects><fes:ValueReference>geometry</fes:ValueReference><gml:{marker}><gml:pos>105 21</gml:pos></gml:{marker}></fes:Intersects></fes:Filter>"#
        )
    };
    // Many requests, spread over the runtime's worker threads, each with its own bad element.
    let mut answers = Vec::new();
    for i in 0..40 {
        let marker = format!("Bogus{i}");
        let (status, body) = app.get_text(&format!("{GET_FEATURE}&filter={}", enc(&bad(&marker)))).await;
        answers.push((marker, status, body));
    }
    for (marker, status, body) in &answers {
        assert_eq!(*status, 400, "{body}");
        for (other, _, _) in &answers {
            if other != marker {
                assert!(
                    !body.contains(&format!("{other}<")) && !body.contains(&format!("{other}>")),
                    "{marker}: {body}"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_disjunction_of_ids_answers_as_the_same_ids_in_a_list() {
    let app = TestApp::spawn(Content::Samples).await;
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT parcel_id FROM parcels WHERE valid_to IS NULL ORDER BY parcel_id LIMIT 500")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    let or = ids.iter().map(|id| format!("\"@fid\" = '{id}'")).collect::<Vec<_>>().join(" OR ");
    let list = format!("\"@fid\" IN ({})", ids.iter().map(|id| format!("'{id}'")).collect::<Vec<_>>().join(", "));
    let matched = |body: &Value| body["numberMatched"].as_i64().unwrap();
    let (status, by_or) = app.get(&format!("{ITEMS}?limit=1&filter={}", enc(&or))).await;
    assert_eq!(status, 200, "{by_or}");
    let (_, by_list) = app.get(&format!("{ITEMS}?limit=1&filter={}", enc(&list))).await;
    assert_eq!(matched(&by_or), ids.len() as i64);
    assert_eq!(matched(&by_or), matched(&by_list));
}

#[tokio::test]
async fn links_come_from_the_configured_url_whatever_host_the_caller_sends() {
    let app = TestApp::spawn(Content::Empty).await;
    let spoofed = [("host", "evil.example\"onmouseover=\"alert(1)"), ("x-forwarded-proto", "javascript")];
    for path in ["/ogc", "/ogc/collections", "/ogc/collections/parcels", "/tiles", "/tiles/parcels.json"] {
        let resp = app.get_with(path, &spoofed).await;
        assert_eq!(resp.status(), 200, "{path}");
        let body = resp.text().await.unwrap();
        assert!(!body.contains("evil.example") && !body.contains("javascript:"), "{path}: {body}");
        assert!(body.contains(&app.base), "{path} links to {}: {body}", app.base);
    }
    let resp = app.get_with("/wfs?service=WFS&request=GetCapabilities", &spoofed).await;
    let body = resp.text().await.unwrap();
    assert!(!body.contains("evil.example") && body.contains(&app.base), "{body}");
    let resp = app.get_with("/styles/cadastral.json", &spoofed).await;
    assert!(!resp.text().await.unwrap().contains("evil.example"));
    // The page and the JSON of one URL differ by Accept, and say so to caches.
    let resp = app.get_with("/ogc/collections?f=html", &spoofed).await;
    assert!(resp.headers()["vary"].to_str().unwrap().to_ascii_lowercase().contains("accept"));
    let html = resp.text().await.unwrap();
    assert!(!html.contains("evil.example") && !html.contains("onmouseover"), "{html}");
}
