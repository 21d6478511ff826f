//! A business calendar for the generator: adds working hours to an instant.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// Working days and hours in one time zone, with holidays.
#[derive(Debug, Clone)]
pub struct BusinessCalendar {
    tz: TimeZone,
    days: [bool; 7],
    open_hour: i8,
    close_hour: i8,
    holidays: Vec<Date>,
}

impl BusinessCalendar {
    /// A calendar open `open_hour`..`close_hour` on `days` (Monday first).
    pub fn new(
        tz: TimeZone,
        days: [bool; 7],
        open_hour: i8,
        close_hour: i8,
        holidays: Vec<Date>,
    ) -> Self {
        Self {
            tz,
            days,
            open_hour,
            close_hour,
            holidays,
        }
    }

    fn is_working_day(&self, d: Date) -> bool {
        self.days[d.weekday().to_monday_zero_offset() as usize] && !self.holidays.contains(&d)
    }

    /// The instant `hours` working hours after `from` (Unix seconds in, Unix seconds out).
    pub fn add_business_hours(&self, from: i64, hours: f64) -> i64 {
        let Ok(ts) = Timestamp::from_second(from) else {
            return from;
        };
        let mut now = ts.to_zoned(self.tz.clone());
        let mut left = (hours.max(0.0) * 3600.0) as i64;
        for _ in 0..3660 {
            let date = now.date();
            let open = date.at(self.open_hour, 0, 0, 0);
            let close = date.at(self.close_hour, 0, 0, 0);
            let next_day = || -> Option<jiff::Zoned> {
                date.tomorrow()
                    .ok()?
                    .at(self.open_hour, 0, 0, 0)
                    .to_zoned(self.tz.clone())
                    .ok()
            };
            if !self.is_working_day(date) || now.datetime() >= close {
                match next_day() {
                    Some(z) => now = z,
                    None => return from,
                }
                continue;
            }
            if now.datetime() < open {
                match open.to_zoned(self.tz.clone()) {
                    Ok(z) => now = z,
                    Err(_) => return from,
                }
            }
            let Ok(close_z) = close.to_zoned(self.tz.clone()) else {
                return from;
            };
            let available = close_z.timestamp().as_second() - now.timestamp().as_second();
            if left <= available {
                return now.timestamp().as_second() + left;
            }
            left -= available.max(0);
            match next_day() {
                Some(z) => now = z,
                None => return from,
            }
        }
        now.timestamp().as_second()
    }
}
