//! The working-day calendar as a table (`data-samples/calendar.csv`): one row per holiday, day
//! off or Saturday worked, read like every other attribute table. Importing a file replaces the
//! calendar of the years it covers, so next year's announcement is loaded by importing its file.

use chrono::NaiveDate;

use super::overlay::{Attributes, Context, GeometryRule, Overlay, Shape, date, required};
use super::source::Field;
use crate::calendar::{DayKind, check_day};

pub const DAY: Field = Field { name: "Ngay", aliases: &["day", "date"] };
pub const KIND: Field = Field { name: "Loai", aliases: &["kind"] };
pub const NAME: Field = Field { name: "Ten", aliases: &["name"] };

pub struct CalendarDays;

#[derive(Debug, Clone)]
pub struct Day {
    pub day: NaiveDate,
    pub kind: DayKind,
    pub name: String,
}

impl Overlay for CalendarDays {
    const KIND: &'static str = "calendar";
    const FIELDS: &'static [Field] = &[DAY, KIND, NAME];
    const GEOMETRY: GeometryRule = GeometryRule::None;
    type Row = Day;

    fn row(a: &Attributes, _: Shape, _: &Context) -> Result<Day, String> {
        let day = date(a, &DAY)?.ok_or("missing field Ngay")?;
        let kind: DayKind = required(a, &KIND)?.parse()?;
        check_day(day, kind)?;
        let name = required(a, &NAME)?.trim().to_owned();
        if name.is_empty() || name.contains('\0') {
            return Err("Ten must name the day".into());
        }
        Ok(Day { day, kind, name })
    }

    fn key(row: &Day) -> String {
        row.day.to_string()
    }
}
