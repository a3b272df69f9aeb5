//! Hostile input, fuzzed (issue 16): every parser and decoder the outside world reaches is fed
//! inputs mutated from valid ones (bytes flipped, cut, repeated, spliced, the format's own tokens
//! inserted, nesting deepened) and must answer with a value or an error, never a panic or a stack
//! overflow; then the HTTP surfaces are fed such inputs against a real PostGIS and must never
//! answer 5xx. Seeded, so a failure replays. `DIACHINH_FUZZ_CASES` sets the inputs per target
//! (2,000 in CI; `scripts/fuzz` runs 1,000,000 per target in a release build).

use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use diachinh::access::View;
use diachinh::catalog::{Audience, Catalog, FieldType};
use diachinh::crs::ApiCrs;
use diachinh::filter::{self, Lang};

/// The most one input may take (a debug build on this 2-core machine; a hostile filter that
/// parses for seconds holds a worker that long).
const MAX_PER_INPUT: Duration = Duration::from_secs(2);

fn cases() -> usize {
    std::env::var("DIACHINH_FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(2_000)
}

/// Inputs mutated from `seeds` with the format's `tokens`, deterministic for `seed`.
struct Mutator {
    rng: ChaCha8Rng,
    seeds: Vec<String>,
    tokens: Vec<&'static str>,
}

const ODD: &[&str] =
    &["\0", "\u{fffd}", "ệ", "𝔸", "\u{202e}", "'", "\"", "\\", "%00", "..", "/", "-1", "1e309", "NaN", " "];

impl Mutator {
    fn new(seed: u64, seeds: &[&str], tokens: &[&'static str]) -> Mutator {
        Mutator {
            rng: ChaCha8Rng::seed_from_u64(seed),
            seeds: seeds.iter().map(|s| s.to_string()).collect(),
            tokens: tokens.to_vec(),
        }
    }

    fn boundary(&mut self, s: &str) -> usize {
        let mut i = self.rng.gen_range(0..=s.len());
        while !s.is_char_boundary(i) {
            i -= 1;
        }
        i
    }

    fn next(&mut self) -> String {
        let mut s = self.seeds[self.rng.gen_range(0..self.seeds.len())].clone();
        for _ in 0..self.rng.gen_range(1..=6) {
            let (a, b) = (self.boundary(&s), self.boundary(&s));
            let (a, b) = (a.min(b), a.max(b));
            match self.rng.gen_range(0..8) {
                0 => s.replace_range(a..b, ""),
                1 => {
                    let t = self.tokens[self.rng.gen_range(0..self.tokens.len())];
                    s.insert_str(a, t);
                }
                2 => {
                    let t = ODD[self.rng.gen_range(0..ODD.len())];
                    s.insert_str(a, t);
                }
                3 => {
                    // A fragment repeated: long literals, deep nesting.
                    let part = s[a..b].to_owned();
                    let times = self.rng.gen_range(2..200);
                    s.insert_str(b, &part.repeat(times));
                }
                4 => {
                    let other = self.seeds[self.rng.gen_range(0..self.seeds.len())].clone();
                    let cut = self.boundary(&other);
                    s.truncate(a);
                    s.push_str(&other[cut..]);
                }
                5 => {
                    let c = char::from_u32(self.rng.gen_range(0..0x3000)).unwrap_or('x');
                    s.insert(a, c);
                }
                6 => {
                    let n = self.rng.gen_range(0..20).to_string();
                    s.insert_str(a, &n);
                }
                _ => {
                    // Open a construct many times without closing it.
                    let t = self.tokens[self.rng.gen_range(0..self.tokens.len())];
                    s.insert_str(a, &t.repeat(self.rng.gen_range(100..5_000)));
                }
            }
            if s.len() > 200_000 {
                let cut = (0..=200_000).rev().find(|i| s.is_char_boundary(*i)).unwrap_or(0);
                s.truncate(cut);
            }
        }
        s
    }
}

/// Feeds `target` the inputs of `m`; fails with the first input that panics. Returns the slowest
/// input's time, for the report.
fn fuzz(name: &str, mut m: Mutator, target: impl Fn(&str)) -> Duration {
    let mut slowest = Duration::ZERO;
    for _ in 0..cases() {
        let input = m.next();
        let started = Instant::now();
        if std::panic::catch_unwind(AssertUnwindSafe(|| target(&input))).is_err() {
            panic!("{name}: panicked on {:?}", input.chars().take(2_000).collect::<String>());
        }
        let took = started.elapsed();
        // A request's parser must answer within its time, whatever it is sent.
        assert!(took < MAX_PER_INPUT, "{name}: took {took:?} on {:?}", input.chars().take(2_000).collect::<String>());
        slowest = slowest.max(took);
    }
    eprintln!("fuzz {name}: {} inputs, slowest {slowest:?}", cases());
    slowest
}

fn catalog() -> Catalog {
    Catalog::load(None).unwrap()
}

#[test]
fn cql2_text_and_json_filters() {
    let catalog = catalog();
    let (_, spec) = catalog.find("parcels", Audience::Public).unwrap();
    let sql = |lang: Lang, text: &str| {
        if let Ok(e) = filter::parse(text, lang) {
            let _ = filter::to_sql(vec![e], spec, &View::open(), &ApiCrs::crs84(), false);
        }
    };
    let text = [
        "land_use_main = 'ODT' AND legal_area_m2 > 100",
        "S_INTERSECTS(geometry, POLYGON((105.8 21.5, 105.9 21.5, 105.9 21.6, 105.8 21.5)))",
        "NOT (commune_code IN ('05443', '11311')) OR address LIKE 'Số%'",
        "legal_area_m2 BETWEEN 50 AND 500 AND parcel_id IS NOT NULL",
        "CASEI(address) = casei('phố') AND T_AFTER(DATE('2026-01-01'), DATE('2025-01-01'))",
    ];
    let tokens = [
        "(",
        ")",
        "AND ",
        "OR ",
        "NOT ",
        "'",
        "POLYGON((",
        ",",
        " = ",
        "S_WITHIN(",
        "LIKE",
        "IN (",
        "1e400",
        "holders",
    ];
    fuzz("cql2-text", Mutator::new(1, &text, &tokens), |s| sql(Lang::Cql2Text, s));
    let json = [
        r#"{"op":"and","args":[{"op":"=","args":[{"property":"land_use_main"},"ODT"]},{"op":">","args":[{"property":"legal_area_m2"},100]}]}"#,
        r#"{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Point","coordinates":[105.8,21.5]}]}"#,
        r#"{"op":"in","args":[{"property":"commune_code"},["05443","11311"]]}"#,
    ];
    let tokens = [
        "{",
        "}",
        "[",
        "]",
        "\"op\":",
        "\"args\":[",
        "\"property\":",
        ",",
        "null",
        "1e999",
        "{\"op\":\"not\",\"args\":[",
    ];
    fuzz("cql2-json", Mutator::new(2, &json, &tokens), |s| sql(Lang::Cql2Json, s));
}

/// The context of an FES filter over the parcels: properties typed as the catalog types them.
struct Parcels<'a>(&'a diachinh::catalog::LayerSpec);

impl filter::fes::Context for Parcels<'_> {
    fn kind_of(&self, property: &str) -> Option<FieldType> {
        self.0.queryable(Audience::Public, property).map(|(_, k)| k)
    }
    fn to_crs84(&self, _: &mut geo::Geometry, _: Option<&str>) -> Result<(), String> {
        Ok(())
    }
    fn resource_id(&self, rid: &str) -> Result<cql2::Expr, String> {
        Ok(filter::equals("parcel_id", cql2::Expr::Literal(rid.to_owned())))
    }
}

#[test]
fn fes_filters_wfs_transactions_and_xml() {
    let catalog = catalog();
    let (_, spec) = catalog.find("parcels", Audience::Public).unwrap();
    let ctx = Parcels(spec);
    let fes = [
        r#"<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0"><fes:PropertyIsEqualTo><fes:ValueReference>land_use_main</fes:ValueReference><fes:Literal>ODT</fes:Literal></fes:PropertyIsEqualTo></fes:Filter>"#,
        r#"<Filter><And><PropertyIsGreaterThan><ValueReference>legal_area_m2</ValueReference><Literal>100</Literal></PropertyIsGreaterThan><Not><PropertyIsNull><ValueReference>address</ValueReference></PropertyIsNull></Not></And></Filter>"#,
        r#"<Filter><BBOX><ValueReference>geometry</ValueReference><gml:Envelope xmlns:gml="http://www.opengis.net/gml/3.2" srsName="EPSG:4326"><gml:lowerCorner>21.5 105.8</gml:lowerCorner><gml:upperCorner>21.6 105.9</gml:upperCorner></gml:Envelope></BBOX></Filter>"#,
    ];
    let tokens = [
        "<And>",
        "</And>",
        "<Not>",
        "<Or>",
        "<Literal>",
        "</Literal>",
        "&amp;",
        "&lt;",
        "&#0;",
        "&#x110000;",
        "<![CDATA[",
        "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>",
        "&e;",
        "<?xml version=\"1.0\"?>",
    ];
    fuzz("fes", Mutator::new(3, &fes, &tokens), |s| {
        if let Ok(e) = filter::fes::parse(s, &ctx) {
            let _ = filter::to_sql(vec![e], spec, &View::open(), &ApiCrs::crs84(), false);
        }
    });
    let transactions = [
        r#"<wfs:Transaction xmlns:wfs="http://www.opengis.net/wfs/2.0" xmlns:fes="http://www.opengis.net/fes/2.0" service="WFS" version="2.0.0"><wfs:Update typeName="dc:parcels"><wfs:Property><wfs:ValueReference>address</wfs:ValueReference><wfs:Value>Số 1</wfs:Value></wfs:Property><fes:Filter><fes:ResourceId rid="parcels.w7g6b61hne87"/></fes:Filter></wfs:Update></wfs:Transaction>"#,
        r#"<Transaction service="WFS" version="1.1.0"><Insert><parcels><geometry><gml:Polygon xmlns:gml="http://www.opengis.net/gml"><gml:exterior><gml:LinearRing><gml:posList>0 0 0 1 1 1 0 0</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></geometry><land_use>ODT</land_use></parcels></Insert><Delete typeName="parcels"><Filter><FeatureId fid="parcels.1"/></Filter></Delete></Transaction>"#,
    ];
    let tokens = [
        "<wfs:Insert>",
        "</wfs:Insert>",
        "<gml:posList>",
        "1e308 ",
        "<wfs:Delete typeName=\"x\">",
        "&#65;",
        "<!DOCTYPE t SYSTEM \"http://x/\">",
        "<a>",
    ];
    fuzz("wfs-transaction", Mutator::new(4, &transactions, &tokens), |s| {
        let _ = diachinh::wfs::transaction::parse(s);
    });
    // No DTD is read: no entity expands, none reaches a file or the network.
    let billion = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]><Filter>&lol2;</Filter>"#;
    let external = r#"<!DOCTYPE f [<!ENTITY x SYSTEM "file:///etc/passwd">]><Filter><Literal>&x;</Literal></Filter>"#;
    for doc in [billion, external] {
        let refused = filter::fes::parse(doc, &ctx).unwrap_err();
        assert!(refused.contains("DTD"), "{refused}");
        assert!(diachinh::wfs::transaction::parse(doc).unwrap_err().contains("DTD"));
    }
}

#[test]
fn codes_ids_parameters_geojson_and_tile_addresses() {
    use diachinh::domain::{ParcelCode, ProductId, ProjectCode};
    use diachinh::http::params;
    let codes = ["w7g6b61hne87", "05443-1-12", "20248-A-1/2-3", "DA05443", "DA05443A01F05U01", "YC-2026-000001"];
    let tokens = ["-", "0", "z", "/", "99999999999999999999"];
    fuzz("codes", Mutator::new(5, &codes, &tokens), |s| {
        let _ = s.parse::<ParcelCode>();
        let _ = s.parse::<ProductId>();
        let _ = s.parse::<ProjectCode>();
        let _ = s.parse::<diachinh::domain::market_ids::BrokerCertificateId>();
        let _ = s.parse::<diachinh::calendar::DayKind>();
    });
    let parameters = ["105.8,21.5,105.9,21.6", "2026-01-31T10:00:00Z/..", "2026-11-10", "105.83,21.59", "1000"];
    let tokens = [",", "..", "/", "T", "Z", "+07:00", "-", "e", "inf"];
    fuzz("parameters", Mutator::new(6, &parameters, &tokens), |s| {
        let _ = params::bbox(s);
        let _ = params::datetime(s);
        let _ = params::moment(s, "on");
        let _ = params::date(s, "day");
        let _ = params::lon_lat(s, "at");
        let _ = params::limit(Some(&s.to_owned()), 10, 1000);
    });
    let geojson = [
        r#"{"type":"Polygon","coordinates":[[[105.83,21.58],[105.84,21.58],[105.84,21.59],[105.83,21.58]]]}"#,
        r#"{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]},"properties":{"land_use":"ODT"}}"#,
    ];
    let tokens = ["[", "]", "[[[", "{", "}", "\"type\":", "1e999", "null", "\"GeometryCollection\",\"geometries\":["];
    fuzz("geojson", Mutator::new(7, &geojson, &tokens), |s| {
        use geo::Validation;
        use geozero::ToGeo;
        if let Ok(g) = geozero::geojson::GeoJson(s).to_geo() {
            let _ = g.is_valid();
        }
        let _ = serde_json::from_str::<serde_json::Value>(s);
    });
    let tiles = ["14/13021/7130", "0/0/0", "20/1048575/1048575"];
    fuzz("tile-addresses", Mutator::new(8, &tiles, &["/", "9", "-", "4294967296"]), |s| {
        let n: Vec<Option<u32>> = s.split('/').map(|p| p.parse().ok()).collect();
        if let [Some(z), Some(x), Some(y)] = n[..]
            && let Ok(t) = diachinh::tiles::TileId::new(z, x, y)
        {
            let _ = t.bounds();
        }
    });
}

/// Requests mutated from valid ones against a real PostGIS: every answer is below 500, and the
/// service is still serving after them (a tenth as many as the parsers get: each is a request).
#[tokio::test]
async fn no_request_is_answered_5xx() {
    let app = crate::common::TestApp::spawn(crate::common::Content::Samples).await;
    let paths = [
        "/api/parcels/05443-1-12",
        "/api/parcels?bbox=105.83,21.58,105.84,21.59&limit=5",
        "/api/parcels?at=105.833,21.589&on=2026-01-01",
        "/ogc/collections/parcels/items?limit=3&filter=land_use_main%20%3D%20'ODT'&sortby=-legal_area_m2",
        "/ogc/collections/parcels/items?bbox=105.8,21.5,105.9,21.6&datetime=2026-01-01T00:00:00Z&crs=http://www.opengis.net/def/crs/EPSG/0/9213",
        "/ogc/collections/planning/items/1?f=json",
        "/wfs?service=WFS&version=2.0.0&request=GetFeature&typeNames=dc:parcels&count=2&filter=%3CFilter%3E%3C/Filter%3E",
        "/wfs?service=WFS&request=GetCapabilities",
        "/tiles/parcels,planning/16/52087/28524.mvt",
        "/tiles/parcels.json",
        "/api/market/stats?commune=05443&period=2026-Q1&f=csv",
        "/api/calendar/deadline?from=2026-11-10T15:01:00%2B07:00&days=3",
        "/api/requests/YC-2026-000001",
        "/api/tickets/SS-2026-000001",
        "/api/units/DA05443A01F05U01",
        "/styles/cadastral.json",
    ];
    let tokens = [
        "%00",
        "%2F",
        "..",
        "&",
        "=",
        "?",
        "%27",
        "%22",
        "%3C",
        "%28",
        "-1",
        "99999999999",
        "&limit=0",
        "&f=gpkg",
        "&bbox=",
        "%E1%BB%87",
    ];
    let mut m = Mutator::new(9, &paths, &tokens);
    let requests = (cases() / 10).max(100);
    let mut seen = std::collections::BTreeMap::<u16, usize>::new();
    for _ in 0..requests {
        let path = m.next();
        let Ok(url) = reqwest::Url::parse(&format!(
            "{}{}",
            app.base,
            if path.starts_with('/') { path.clone() } else { format!("/{path}") }
        )) else {
            continue;
        };
        let status = match app.http.get(url).send().await {
            Ok(r) => r.status().as_u16(),
            // A URL no client sends (too long for an HTTP request line) never reaches the service.
            Err(e) if e.is_builder() => continue,
            Err(e) => panic!("{path}: {e}"),
        };
        assert!(status < 500, "{path}: {status}");
        *seen.entry(status).or_default() += 1;
    }
    eprintln!("fuzz http: {requests} requests, statuses {seen:?}");
    let (status, _) = app.get("/ogc/collections/parcels/items?limit=1").await;
    assert_eq!(status, 200, "still serving");
}
