//! The OGC API's parameters and its OpenAPI 3.0 document, generated from one table: the same
//! table decides which query parameters each endpoint accepts, so the document cannot drift.

use serde_json::{Value, json};

use crate::catalog::{Audience, Catalog};
use crate::features::{DEFAULT_LIMIT, MAX_OFFSET};

pub const CONFORMANCE: &[&str] = &[
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/property-property",
    // Part 4 (draft 20-002r1) on the editable collections.
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/optimistic-locking-etags",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
    // The name QGIS (3.28 onwards) looks for before it sends spatial filters.
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-operators",
];

pub struct Param {
    pub name: &'static str,
    pub description: &'static str,
    schema: fn() -> Value,
}

const CRS: Param = Param {
    name: "crs",
    description: "CRS of the geometries in the response, as a URI from the collection's `crs` list (default CRS84). EPSG 4326 is latitude first.",
    schema: || json!({ "type": "string", "format": "uri" }),
};

const F: Param = Param {
    name: "f",
    description: "Encoding: json (GeoJSON or JSON, the default; a browser asking for text/html gets html) or html.",
    schema: || json!({ "type": "string", "enum": ["json", "html"] }),
};

const F_ITEMS: Param = Param {
    name: "f",
    description: "Encoding: json (the default), html, or a download of every matching feature (at most 100000) made by GDAL: gpkg, shp (zipped Shapefile), kml, csv (WKT geometry), fgb.",
    schema: || json!({ "type": "string", "enum": ["json", "html", "gpkg", "shp", "kml", "csv", "fgb"] }),
};

/// Query parameters of the items endpoint.
pub const ITEMS: &[Param] = &[
    Param {
        name: "bbox",
        description: "Only features meeting this box: W,S,E,N in CRS84 degrees (or W,S,low,E,N,high; heights are ignored).",
        schema: || json!({ "type": "array", "minItems": 4, "maxItems": 6, "items": { "type": "number" } }),
    },
    Param {
        name: "bbox-crs",
        description: "CRS of `bbox`, as a URI from the collection's `crs` list (default CRS84).",
        schema: || json!({ "type": "string", "format": "uri" }),
    },
    CRS,
    Param {
        name: "limit",
        description: "Features per page: 1 to 1000 (larger values are clamped), default 10.",
        schema: || json!({ "type": "integer", "minimum": 1, "default": DEFAULT_LIMIT }),
    },
    Param {
        name: "datetime",
        description: "An instant or interval (RFC 3339, `..` open). On parcels, an instant or a date shows the parcels as they were then (a date: at the end of that day, UTC+7); other layers hold current data, so every feature matches.",
        schema: || json!({ "type": "string" }),
    },
    Param {
        name: "properties",
        description: "Only these properties, comma-separated (see the collection's schema).",
        schema: || json!({ "type": "array", "items": { "type": "string" } }),
    },
    Param {
        name: "sortby",
        description: "Sort by these properties, comma-separated, each with an optional + (ascending) or - (descending); ties go by the feature key, so pages are stable.",
        schema: || json!({ "type": "array", "items": { "type": "string", "pattern": "^[+-]?[a-z0-9_]+$" } }),
    },
    Param {
        name: "offset",
        description: "Paging with sortby: features to skip, at most 100000 (the next link carries it).",
        schema: || json!({ "type": "integer", "minimum": 0, "maximum": MAX_OFFSET }),
    },
    Param {
        name: "filter",
        description: "Only features meeting this CQL2 condition (see /queryables): comparisons, LIKE, BETWEEN, IN, IS NULL, CASEI, AND/OR/NOT, S_INTERSECTS, S_WITHIN, S_CONTAINS and the other spatial functions on `geometry`.",
        schema: || json!({ "type": "string" }),
    },
    Param {
        name: "filter-lang",
        description: "Language of `filter`: cql2-text (default) or cql2-json; cql-text, the draft's name, is read as cql2-text.",
        schema: || json!({ "type": "string", "enum": ["cql2-text", "cql2-json", "cql-text"], "default": "cql2-text" }),
    },
    Param {
        name: "filter-crs",
        description: "CRS of the geometries in `filter`, as a URI from the collection's `crs` list (default CRS84).",
        schema: || json!({ "type": "string", "format": "uri" }),
    },
    Param {
        name: "after",
        description: "Paging: features after this key (the `next` link carries it).",
        schema: || json!({ "type": "integer" }),
    },
    F_ITEMS,
];

/// Query parameters of one item.
pub const ITEM: &[Param] = &[CRS, F];

/// Query parameters of every other endpoint.
pub const OTHER: &[Param] = &[F];

fn parameters(params: &[Param], path: &[&str]) -> Value {
    let path =
        path.iter().map(|p| json!({ "name": p, "in": "path", "required": true, "schema": { "type": "string" } }));
    let query = params.iter().map(|p| {
        json!({ "name": p.name, "in": "query", "required": false, "description": p.description, "schema": (p.schema)(),
                "style": "form", "explode": false })
    });
    path.chain(query).collect()
}

fn operation(summary: &str, params: &[Param], path: &[&str], media: &str) -> Value {
    json!({ "get": {
        "summary": summary,
        "parameters": parameters(params, path),
        "responses": {
            "200": { "description": summary, "content": { media: { "schema": { "type": "object" } } } },
            "400": { "description": "A parameter is wrong; the message says which and why." },
            "404": { "description": "No such collection or feature." }
        }
    }})
}

/// The OpenAPI 3.0 document of `/ogc`, with each collection's own items path listing the
/// properties `audience` may filter by equality.
pub fn openapi(base: &str, catalog: &Catalog, audience: Audience) -> Value {
    let geojson = "application/geo+json";
    let mut doc = json!({
        "openapi": "3.0.3",
        "info": { "title": "diachinh OGC API - Features", "version": env!("CARGO_PKG_VERSION"),
                  "description": "Land parcels, administrative units, planning, land prices, ownership categories, projects and housing units of Vietnam's land database (open data view)." },
        "servers": [{ "url": format!("{base}/ogc") }],
        "paths": {
            "/": operation("Landing page", OTHER, &[], "application/json"),
            "/conformance": operation("Conformance classes", OTHER, &[], "application/json"),
            "/api": operation("This document", OTHER, &[], "application/vnd.oai.openapi+json;version=3.0"),
            "/collections": operation("Collections", OTHER, &[], "application/json"),
            "/collections/{collectionId}": operation("A collection", OTHER, &["collectionId"], "application/json"),
            "/collections/{collectionId}/schema": operation("The features' properties (JSON Schema)", OTHER, &["collectionId"], "application/schema+json"),
            "/collections/{collectionId}/queryables": operation("The properties a filter may name (JSON Schema)", OTHER, &["collectionId"], "application/schema+json"),
            "/collections/{collectionId}/items": operation("Features", ITEMS, &["collectionId"], geojson),
            "/collections/{collectionId}/items/{featureId}": operation("A feature", ITEM, &["collectionId", "featureId"], geojson),
        }
    });
    for layer in &catalog.layers {
        let mut op = operation(&layer.title, ITEMS, &[], geojson);
        let params = op["get"]["parameters"].as_array_mut().expect("operation() lists parameters");
        params.extend(layer.visible_fields(audience).map(|(_, f)| {
            json!({ "name": f.name, "in": "query", "required": false, "style": "form", "explode": false,
                    "description": format!("Only features whose {} equals this value: {}", f.name, f.description),
                    "schema": { "type": f.kind.json_type() } })
        }));
        doc["paths"][format!("/collections/{}/items", layer.name)] = op;
    }
    for name in super::editing::EDITABLE {
        editing(&mut doc["paths"], name);
    }
    doc
}

/// Part 4 on an editable collection: POST to its items; PUT, PATCH and DELETE on an item.
fn editing(paths: &mut Value, collection: &str) {
    let geojson = json!({ "application/geo+json": { "schema": { "type": "object" } } });
    let refusals = json!({
        "400": { "description": "The body is not what the operation takes." },
        "401": { "description": "Sign in." },
        "403": { "description": "The account may not make this edit, or the feature lies outside its scope." },
        "409": { "description": "A current feature already holds the key or ID." },
        "412": { "description": "If-Match names another version than the current one." },
        "415": { "description": "The body's media type is not accepted." },
        "422": { "description": "The values break a rule (the same rules and messages as an import)." }
    });
    let with = |extra: Value| {
        let mut r = refusals.clone();
        r.as_object_mut().expect("an object").extend(extra.as_object().expect("an object").clone());
        r
    };
    let crs = json!({ "name": "Content-Crs", "in": "header", "required": false, "schema": { "type": "string" },
                      "description": "The CRS of the body's geometry, as <URI>; CRS84 without it." });
    let if_match = json!({ "name": "If-Match", "in": "header", "required": false, "schema": { "type": "string" },
                           "description": "The ETag of the version the edit is made on." });
    let fid = json!({ "name": "featureId", "in": "path", "required": true, "schema": { "type": "string" } });
    paths[format!("/collections/{collection}/items")]["post"] = json!({
        "summary": format!("Add a feature to {collection}"), "parameters": [crs],
        "requestBody": { "required": true, "content": geojson },
        "responses": with(json!({ "201": { "description": "Added: Location and ETag name it." } }))
    });
    let item = &mut paths[format!("/collections/{collection}/items/{{featureId}}")];
    *item = operation("A feature", ITEM, &["featureId"], "application/geo+json");
    item["put"] = json!({
        "summary": "Replace a feature", "parameters": [fid, crs, if_match],
        "requestBody": { "required": true, "content": geojson },
        "responses": with(json!({ "204": { "description": "Replaced; ETag names the new version." } }))
    });
    item["patch"] = json!({
        "summary": "Change a feature (JSON merge patch)", "parameters": [fid, crs, if_match],
        "requestBody": { "required": true, "content": { "application/merge-patch+json": { "schema": { "type": "object" } } } },
        "responses": with(json!({ "204": { "description": "Changed; ETag names the new version." } }))
    });
    item["delete"] = json!({
        "summary": "Retire a feature (its history stays)", "parameters": [fid, if_match],
        "responses": with(json!({ "204": { "description": "Retired." } }))
    });
}

/// The names of `params`, for refusing others.
pub fn names(params: &[Param]) -> Vec<&'static str> {
    params.iter().map(|p| p.name).collect()
}
