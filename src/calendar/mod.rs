//! Working days and the one deadline calculator every workflow uses. Holidays, bridge days and
//! Saturdays worked in exchange change every year (the lunar ones are announced by the
//! government), so they are data (`calendar_days`, loaded from `data-samples/calendar.csv` and
//! edited by the admin); this module only counts. A year the table says nothing of is unknown,
//! and no deadline is counted through it rather than guessed.

pub mod edit;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDate, NaiveTime, TimeZone, Weekday};
use serde::Serialize;
use sqlx::PgPool;

/// What a listed day is instead of what its weekday says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum DayKind {
    /// A public holiday (it may fall on a weekend).
    Holiday,
    /// A weekday off: a bridge day, or the compensatory day of a holiday on a weekend.
    Off,
    /// A Saturday or Sunday worked in exchange for a bridge day.
    Worked,
}

impl std::str::FromStr for DayKind {
    type Err = String;
    fn from_str(s: &str) -> Result<DayKind, String> {
        match s.trim() {
            "holiday" => Ok(DayKind::Holiday),
            "off" => Ok(DayKind::Off),
            "worked" => Ok(DayKind::Worked),
            _ => Err(format!("`{s}` is not a kind of day: use holiday, off or worked")),
        }
    }
}

/// Whether `kind` can be given to `day`: only a weekend day is worked in exchange, only a
/// weekday is a day off (a holiday may be either).
pub fn check_day(day: NaiveDate, kind: DayKind) -> Result<(), String> {
    let weekend = is_weekend(day);
    match kind {
        DayKind::Worked if !weekend => {
            Err(format!("{day} is a {}: only a weekend day is worked in exchange", day.weekday()))
        }
        DayKind::Off if weekend => Err(format!("{day} is a {}, off anyway: a day off is a weekday", day.weekday())),
        _ => Ok(()),
    }
}

fn is_weekend(day: NaiveDate) -> bool {
    matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Vietnam's time (UTC+7, no daylight saving), in which days and the 15:00 rule are read.
pub fn vietnam() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("UTC+7 is a valid offset")
}

/// A request received after this time counts from the next working day (Decree 101/2024
/// Art. 62.5a; seed 004: "Trường hợp nhận được yêu cầu sau 15 giờ").
pub const CUTOFF: NaiveTime = NaiveTime::from_hms_opt(15, 0, 0).expect("a valid time");

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CalendarError {
    #[error(
        "the working-day calendar holds no holidays for {0}: load that year's (diachinh import calendar FILE) before counting deadlines into it"
    )]
    UnknownYear(i32),
}

/// The days off and worked of the years it knows.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    days: BTreeMap<NaiveDate, DayKind>,
    years: BTreeSet<i32>,
}

impl Calendar {
    /// A calendar of `days`; the years known are those with a holiday.
    pub fn new(days: impl IntoIterator<Item = (NaiveDate, DayKind)>) -> Calendar {
        let days: BTreeMap<_, _> = days.into_iter().collect();
        let years = days.iter().filter(|(_, k)| **k == DayKind::Holiday).map(|(d, _)| d.year()).collect();
        Calendar { days, years }
    }

    pub async fn load(pool: &PgPool) -> Result<Calendar, sqlx::Error> {
        let rows: Vec<(NaiveDate, DayKind)> = sqlx::query_as(include_str!("sql/days.sql")).fetch_all(pool).await?;
        Ok(Calendar::new(rows))
    }

    pub fn is_working(&self, day: NaiveDate) -> Result<bool, CalendarError> {
        if !self.years.contains(&day.year()) {
            return Err(CalendarError::UnknownYear(day.year()));
        }
        Ok(match self.days.get(&day) {
            Some(DayKind::Worked) => true,
            Some(DayKind::Holiday | DayKind::Off) => false,
            None => !is_weekend(day),
        })
    }

    /// The first working day after `day`.
    pub fn next_working(&self, day: NaiveDate) -> Result<NaiveDate, CalendarError> {
        let mut d = day;
        loop {
            // Every known year has weekdays that are not off, and an unknown one stops the loop.
            d = d + Days::new(1);
            if self.is_working(d)? {
                return Ok(d);
            }
        }
    }

    /// The working day a moment counts from: its own day when that is a working day and the
    /// moment is not past `cutoff` (when one applies), else the next working day.
    pub fn counted_from<Tz: TimeZone>(
        &self,
        at: &DateTime<Tz>,
        cutoff: Option<NaiveTime>,
    ) -> Result<NaiveDate, CalendarError> {
        let local = at.with_timezone(&vietnam());
        let day = local.date_naive();
        let late = cutoff.is_some_and(|c| local.time() > c);
        if self.is_working(day)? && !late { Ok(day) } else { self.next_working(day) }
    }

    /// The last day of "within `days` working days from `at`": the day it counts from when
    /// `days` is 0 (the same working day), else that many working days after it.
    pub fn deadline<Tz: TimeZone>(
        &self,
        at: &DateTime<Tz>,
        days: u32,
        cutoff: Option<NaiveTime>,
    ) -> Result<NaiveDate, CalendarError> {
        self.add_working_days(self.counted_from(at, cutoff)?, days)
    }

    /// The `n`th working day after `day`.
    pub fn add_working_days(&self, day: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        (0..n).try_fold(day, |d, _| self.next_working(d))
    }
}

/// Today in Vietnam.
pub fn today() -> NaiveDate {
    chrono::Utc::now().with_timezone(&vietnam()).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    /// The announced days around Tết 2026 and 2027, 2 September 2025 and the swaps of 2025, as
    /// the sample calendar has them.
    fn calendar() -> Calendar {
        use DayKind::*;
        Calendar::new([
            (d("2025-01-01"), Holiday),
            (d("2025-01-27"), Off),
            (d("2025-01-28"), Holiday),
            (d("2025-01-29"), Holiday),
            (d("2025-01-30"), Holiday),
            (d("2025-01-31"), Holiday),
            (d("2025-02-08"), Worked),
            (d("2025-09-01"), Holiday),
            (d("2025-09-02"), Holiday),
            (d("2026-01-01"), Holiday),
            (d("2026-02-16"), Holiday),
            (d("2026-02-17"), Holiday),
            (d("2026-02-18"), Holiday),
            (d("2026-02-19"), Holiday),
            (d("2026-02-20"), Holiday),
            (d("2026-04-30"), Holiday),
            (d("2026-05-01"), Holiday),
            (d("2027-02-05"), Holiday),
            (d("2027-02-06"), Holiday),
            (d("2027-02-07"), Holiday),
            (d("2027-02-08"), Holiday),
            (d("2027-02-09"), Holiday),
            (d("2027-02-10"), Off),
            (d("2027-02-11"), Off),
        ])
    }

    #[test]
    fn the_same_working_day_before_15_00_and_the_next_after_it() {
        let c = calendar();
        // The Friday before Tết 2026: the next working day is the Monday after it.
        assert_eq!(c.deadline(&at("2026-02-13T14:59:00+07:00"), 0, Some(CUTOFF)), Ok(d("2026-02-13")));
        assert_eq!(c.deadline(&at("2026-02-13T15:00:00+07:00"), 0, Some(CUTOFF)), Ok(d("2026-02-13")));
        assert_eq!(c.deadline(&at("2026-02-13T15:01:00+07:00"), 0, Some(CUTOFF)), Ok(d("2026-02-23")));
        // Without the cutoff rule, the afternoon counts as the day itself.
        assert_eq!(c.deadline(&at("2026-02-13T16:00:00+07:00"), 0, None), Ok(d("2026-02-13")));
        // The day before 30 April 2026: Thursday and Friday are holidays.
        assert_eq!(c.deadline(&at("2026-04-29T15:01:00+07:00"), 0, Some(CUTOFF)), Ok(d("2026-05-04")));
        assert_eq!(c.deadline(&at("2026-04-29T14:59:00+07:00"), 3, Some(CUTOFF)), Ok(d("2026-05-06")));
        assert_eq!(c.deadline(&at("2026-04-29T15:01:00+07:00"), 3, Some(CUTOFF)), Ok(d("2026-05-07")));
    }

    #[test]
    fn moments_are_read_in_vietnam_time() {
        let c = calendar();
        // 08:30 UTC is 15:30 in Hà Nội: past the cutoff.
        let utc = chrono::Utc.with_ymd_and_hms(2026, 11, 10, 8, 30, 0).unwrap();
        assert_eq!(c.deadline(&utc, 0, Some(CUTOFF)), Ok(d("2026-11-11")));
        // 20:00 UTC on the 9th is already the 10th in Vietnam.
        let utc = chrono::Utc.with_ymd_and_hms(2026, 11, 9, 20, 0, 0).unwrap();
        assert_eq!(c.counted_from(&utc, Some(CUTOFF)), Ok(d("2026-11-10")));
    }

    #[test]
    fn tet_2027_with_its_compensatory_days() {
        let c = calendar();
        // Thursday 4 February counts itself; 5–11 February are off; Friday 12 is the first
        // working day after, Monday 15 the second.
        assert_eq!(c.deadline(&at("2027-02-04T09:00:00+07:00"), 2, Some(CUTOFF)), Ok(d("2027-02-15")));
        assert_eq!(c.deadline(&at("2027-02-06T09:00:00+07:00"), 0, Some(CUTOFF)), Ok(d("2027-02-12")));
    }

    #[test]
    fn national_day_and_a_worked_saturday() {
        let c = calendar();
        // Friday 29 August 2025 after 15:00: 30–31 are the weekend, 1–2 September holidays.
        assert_eq!(c.deadline(&at("2025-08-29T16:00:00+07:00"), 1, Some(CUTOFF)), Ok(d("2025-09-04")));
        // Saturday 8 February 2025 was worked in exchange for 27 January.
        assert_eq!(c.is_working(d("2025-02-08")), Ok(true));
        assert_eq!(c.is_working(d("2025-01-27")), Ok(false));
        assert_eq!(c.deadline(&at("2025-02-07T16:00:00+07:00"), 0, Some(CUTOFF)), Ok(d("2025-02-08")));
        // Five working days from Friday 24 January 2025 run through Tết to the worked Saturday.
        assert_eq!(c.deadline(&at("2025-01-24T10:00:00+07:00"), 5, None), Ok(d("2025-02-07")));
        assert_eq!(c.deadline(&at("2025-01-24T10:00:00+07:00"), 6, None), Ok(d("2025-02-08")));
    }

    #[test]
    fn an_unknown_year_is_refused_not_guessed() {
        let c = calendar();
        assert_eq!(c.deadline(&at("2027-12-29T10:00:00+07:00"), 5, None), Err(CalendarError::UnknownYear(2028)));
        assert_eq!(c.is_working(d("2024-06-03")), Err(CalendarError::UnknownYear(2024)));
    }

    #[test]
    fn only_a_weekend_day_is_worked_and_only_a_weekday_is_off() {
        assert!(check_day(d("2025-02-08"), DayKind::Worked).is_ok());
        assert!(check_day(d("2025-02-07"), DayKind::Worked).unwrap_err().contains("Fri"));
        assert!(check_day(d("2025-02-08"), DayKind::Off).is_err());
        assert!(check_day(d("2026-04-26"), DayKind::Holiday).is_ok());
    }
}
