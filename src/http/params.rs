//! Query parameters: parsing with messages that say what was wrong.

use std::collections::HashMap;

use super::error::ApiError;

/// Refuses parameters other than `allowed`, so a typo does not silently change the answer.
pub fn only(q: &HashMap<String, String>, allowed: &[&str]) -> Result<(), ApiError> {
    match q.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => {
            Err(ApiError::bad_request(format!("unknown parameter `{k}`: this endpoint takes {}", allowed.join(", "))))
        }
        None => Ok(()),
    }
}

/// `N` comma-separated numbers.
pub fn numbers<const N: usize>(s: &str, name: &str, shape: &str) -> Result<[f64; N], ApiError> {
    let bad = || ApiError::bad_request(format!("{name} `{s}` must be {shape} in WGS84 degrees"));
    let v: Vec<f64> = s
        .split(',')
        .map(|x| x.trim().parse::<f64>().ok().filter(|f| f.is_finite()))
        .collect::<Option<_>>()
        .ok_or_else(bad)?;
    v.try_into().map_err(|_| bad())
}

pub fn lon_lat(s: &str, name: &str) -> Result<(f64, f64), ApiError> {
    let [lon, lat] = numbers::<2>(s, name, "LON,LAT")?;
    check_lon_lat(lon, lat, name)?;
    Ok((lon, lat))
}

pub fn check_lon_lat(lon: f64, lat: f64, name: &str) -> Result<(), ApiError> {
    if (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!("{name}: ({lon}, {lat}) is outside longitude −180..180 / latitude −90..90")))
    }
}

pub fn date(s: &str, name: &str) -> Result<chrono::NaiveDate, ApiError> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| ApiError::bad_request(format!("{name} `{s}` must be a date written YYYY-MM-DD")))
}

/// `W,S,E,N` in WGS84 degrees, west not past east nor south past north.
pub fn bbox(s: &str) -> Result<[f64; 4], ApiError> {
    let b = numbers::<4>(s, "bbox", "W,S,E,N")?;
    check_lon_lat(b[0], b[1], "bbox")?;
    check_lon_lat(b[2], b[3], "bbox")?;
    if b[0] > b[2] || b[1] > b[3] {
        return Err(ApiError::bad_request(format!("bbox `{s}`: west must not exceed east, nor south north")));
    }
    Ok(b)
}

/// A page size from 1 to `max`.
pub fn limit(s: Option<&String>, default: usize, max: usize) -> Result<usize, ApiError> {
    match s {
        None => Ok(default),
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| ApiError::bad_request(format!("limit `{l}` must be a whole number from 1 to {max}"))),
    }
}

/// An RFC 3339 instant or date, or an interval of two (`..` or empty for an open end).
pub fn datetime(s: &str) -> Result<(), ApiError> {
    let instant = |t: &str| {
        chrono::DateTime::parse_from_rfc3339(t).is_ok() || chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").is_ok()
    };
    let ok = match s.split_once('/') {
        Some((a, b)) => {
            let open = |t: &str| t.is_empty() || t == "..";
            (open(a) || instant(a)) && (open(b) || instant(b)) && !(open(a) && open(b))
        }
        None => instant(s),
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "datetime `{s}` must be an RFC 3339 instant (2026-01-31T10:00:00Z) or date, or an interval a/b with .. for an open end"
        )))
    }
}

/// A moment to read the map at: an RFC 3339 instant, or a date meaning the end of that day in
/// Vietnam (UTC+7), the state its last change left.
pub fn moment(s: &str, name: &str) -> Result<chrono::DateTime<chrono::Utc>, ApiError> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&chrono::Utc));
    }
    let day = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
        ApiError::bad_request(format!(
            "{name} `{s}` must be a date (YYYY-MM-DD) or an instant (RFC 3339, e.g. 2026-11-10T15:00:00+07:00)"
        ))
    })?;
    let vietnam = chrono::FixedOffset::east_opt(7 * 3600).expect("UTC+7 is a valid offset");
    let end = day.and_hms_micro_opt(23, 59, 59, 999_999).expect("a valid time of day");
    end.and_local_timezone(vietnam)
        .single()
        .map(|t| t.with_timezone(&chrono::Utc))
        .ok_or_else(|| ApiError::bad_request(format!("{name} `{s}` is not a day UTC+7 has")))
}

/// The signed-in account a registry needs, or a 401 naming the registry.
pub fn signed_in(
    principal: crate::access::Principal,
    what: &str,
) -> Result<std::sync::Arc<crate::access::Account>, ApiError> {
    match principal {
        crate::access::Principal::Anonymous => Err(ApiError::unauthorized(format!("{what} is for signed-in officers"))),
        crate::access::Principal::Account(a) => Ok(a),
    }
}

/// A JSON body read into `T`, or a 400 saying what shape it must have.
pub fn json_body<T: serde::de::DeserializeOwned>(
    headers: &axum::http::HeaderMap,
    body: &[u8],
    shape: &str,
) -> Result<T, ApiError> {
    super::ogc::editing::media(headers, &["application/json"])?;
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("the body must be {shape}: {e}")))
}

/// A `true`/`false` parameter, false when absent.
pub fn flag(q: &HashMap<String, String>, name: &str) -> Result<bool, ApiError> {
    match q.get(name).map(String::as_str) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(v) => Err(ApiError::bad_request(format!("{name} `{v}` must be true or false"))),
    }
}

/// `?state=…&overdue=true`, what a list of requests or tickets selects.
pub fn selection(q: &HashMap<String, String>) -> Result<crate::services::Selection<'_>, ApiError> {
    only(q, &["state", "overdue"])?;
    Ok(crate::services::Selection { state: q.get("state").map(String::as_str), overdue: flag(q, "overdue")? })
}
