//! Land-price positions (vị trí) and the explanation of a parcel's price. Provincial tables set
//! the price per road segment, land use and position: VT1 fronts the segment; VT2 opens on an
//! alley at least 3.5 m wide, VT3 on one 2 to 3.5 m wide, VT4 on a narrower one.

use serde::Serialize;

/// A parcel within this distance of a segment's centre line fronts it (half a wide street plus
/// the lot's setback).
pub const FRONTAGE_M: f64 = 10.0;
/// Farther than this from every segment, no segment of the table applies.
pub const REACH_M: f64 = 300.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Position {
    pub vt: u8,
    pub rule: &'static str,
}

/// The position of a parcel `distance_m` from its nearest segment, opening on an alley of
/// `alley_width_m` when it does not front the segment. Err says why it cannot be determined.
pub fn position(distance_m: f64, alley_width_m: Option<f64>) -> Result<Position, String> {
    if distance_m <= FRONTAGE_M {
        return Ok(Position { vt: 1, rule: "fronts the segment (within 10 m of its centre line)" });
    }
    if distance_m > REACH_M {
        return Err(format!("no price segment within {REACH_M} m (nearest {distance_m:.0} m)"));
    }
    match alley_width_m {
        Some(w) if w >= 3.5 => Ok(Position { vt: 2, rule: "opens on an alley at least 3.5 m wide" }),
        Some(w) if w >= 2.0 => Ok(Position { vt: 3, rule: "opens on an alley 2 to 3.5 m wide" }),
        Some(_) => Ok(Position { vt: 4, rule: "opens on an alley narrower than 2 m" }),
        None => Err("it does not front a segment and its alley width is not recorded".into()),
    }
}

/// The price of `area_m2` at `unit_vnd_m2`, to the đồng.
pub fn total(unit_vnd_m2: i64, area_m2: f64) -> i64 {
    (unit_vnd_m2 as f64 * area_m2).round() as i64
}

/// 28000000 → "28.000.000", as Vietnamese documents write sums.
pub fn vnd(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_follow_frontage_and_alley_width() {
        assert_eq!(position(6.0, None).unwrap().vt, 1);
        assert_eq!(position(6.0, Some(1.0)).unwrap().vt, 1);
        assert_eq!(position(40.0, Some(5.0)).unwrap().vt, 2);
        assert_eq!(position(40.0, Some(3.5)).unwrap().vt, 2);
        assert_eq!(position(40.0, Some(3.0)).unwrap().vt, 3);
        assert_eq!(position(40.0, Some(2.0)).unwrap().vt, 3);
        assert_eq!(position(40.0, Some(1.8)).unwrap().vt, 4);
        assert!(position(40.0, None).unwrap_err().contains("alley width is not recorded"));
        assert!(position(500.0, Some(4.0)).unwrap_err().contains("no price segment within"));
    }

    #[test]
    fn sums_in_dong() {
        assert_eq!(total(28_000_000, 120.5), 3_374_000_000);
        assert_eq!(vnd(3_374_000_000), "3.374.000.000");
        assert_eq!(vnd(999), "999");
    }
}

/// How a parcel's price follows from the table, or why it cannot be determined.
#[derive(Debug, Serialize)]
pub struct Explanation {
    pub determined: bool,
    /// The whole reasoning in one sentence.
    pub text: String,
    pub segment: Option<crate::storage::overlays::NearestSegment>,
    pub distance_m: Option<f64>,
    pub position: Option<Position>,
    pub land_use: Option<String>,
    pub unit_price_vnd_m2: Option<i64>,
    pub area_m2: Option<f64>,
    pub total_vnd: Option<i64>,
    pub decision_no: Option<String>,
    pub effective_from: Option<chrono::NaiveDate>,
}

impl Explanation {
    fn undetermined(text: String, segment: Option<crate::storage::overlays::NearestSegment>) -> Self {
        let distance_m = segment.as_ref().map(|s| s.distance_m);
        Explanation {
            determined: false,
            text,
            segment,
            distance_m,
            position: None,
            land_use: None,
            unit_price_vnd_m2: None,
            area_m2: None,
            total_vnd: None,
            decision_no: None,
            effective_from: None,
        }
    }
}

/// The price of `parcel` on date `on`: nearest segment, position, the price of the parcel's
/// first land use (as a 2024 code) at that position, times its legal area.
pub async fn explain(
    pool: &sqlx::PgPool,
    parcel: &crate::index::Parcel,
    on: chrono::NaiveDate,
) -> Result<Explanation, sqlx::Error> {
    use crate::storage::overlays;
    let Some(segment) = overlays::nearest_segment(pool, parcel.parcel_id.as_str()).await? else {
        return Ok(Explanation::undetermined("no land-price table is loaded".into(), None));
    };
    let position = match position(segment.distance_m, parcel.alley_width_m) {
        Ok(p) => p,
        Err(why) => return Ok(Explanation::undetermined(format!("position undetermined: {why}"), Some(segment))),
    };
    let land_use = parcel.land_use.codes()[0].current().as_str();
    let Some(price) = overlays::price_in_force(pool, &segment.code, land_use, position.vt, on).await? else {
        let text = format!("segment {} has no {land_use} price at VT{} in force on {on}", segment.code, position.vt);
        return Ok(Explanation::undetermined(text, Some(segment)));
    };
    let Some(area) = parcel.legal_area_m2 else {
        return Ok(Explanation::undetermined("the parcel has no recorded legal area".into(), Some(segment)));
    };
    let total = total(price.price_vnd_m2, area);
    let text = format!(
        "{} {} ({} – {}) at {:.1} m: the parcel {}, so VT{}; {land_use} at VT{} costs {} VND/m² under decision {} in force from {}; × {area} m² legal area = {} VND",
        segment.code,
        segment.street,
        segment.from_point,
        segment.to_point,
        segment.distance_m,
        position.rule,
        position.vt,
        position.vt,
        vnd(price.price_vnd_m2),
        price.decision_no,
        price.effective_from,
        vnd(total),
    );
    Ok(Explanation {
        determined: true,
        text,
        distance_m: Some(segment.distance_m),
        segment: Some(segment),
        position: Some(position),
        land_use: Some(land_use.to_owned()),
        unit_price_vnd_m2: Some(price.price_vnd_m2),
        area_m2: Some(area),
        total_vnd: Some(total),
        decision_no: Some(price.decision_no),
        effective_from: Some(price.effective_from),
    })
}
