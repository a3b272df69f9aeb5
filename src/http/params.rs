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
