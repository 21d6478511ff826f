//! The business clock: working time between two instants on the workspace calendar
//! (working days, hours and holidays in the workspace time zone, across DST changes).
//!
//! A table of local days is built once for the data's range; each day holds its opening and
//! closing instants and the working time accumulated before it. Working time between two instants
//! is then two binary searches and a subtraction, whatever the distance between them.

use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::config::Framework;
use crate::time::{Instant, MICROS_PER_HOUR};

/// Working time on the workspace calendar.
#[derive(Debug, Clone)]
pub struct BusinessClock {
    first_day: Date,
    /// Instant of each local midnight; one more entry than days.
    midnights: Vec<i64>,
    /// Opening instant of each day (equal to `close` on non-working days).
    open: Vec<i64>,
    /// Closing instant of each day.
    close: Vec<i64>,
    /// Working microseconds before each day; one more entry than days.
    cumulative: Vec<i64>,
}

fn local_instant(tz: &TimeZone, date: Date, time: jiff::civil::Time) -> i64 {
    date.to_datetime(time)
        .to_zoned(tz.clone())
        .map_or(0, |z| z.timestamp().as_microsecond())
}

impl BusinessClock {
    /// A clock covering every instant from `from` to `to` (and two days either side).
    pub fn new(framework: &Framework, from: Instant, to: Instant) -> Self {
        let tz = &framework.tz;
        let date_of = |i: Instant| i.timestamp().to_zoned(tz.clone()).date();
        // Day by day rather than with a `Span` (whose `days` has a panic path: 2 KB in wasm).
        let first_day = date_of(from)
            .yesterday()
            .and_then(|d| d.yesterday())
            .unwrap_or(date_of(from));
        let last_day = date_of(to.max(from))
            .tomorrow()
            .and_then(|d| d.tomorrow())
            .unwrap_or(date_of(to));
        let mut midnights = Vec::new();
        let mut open = Vec::new();
        let mut close = Vec::new();
        let mut cumulative = vec![0i64];
        let mut day = first_day;
        let midnight = jiff::civil::Time::midnight();
        loop {
            midnights.push(local_instant(tz, day, midnight));
            let weekday = day.weekday().to_monday_zero_offset() as usize;
            let working =
                framework.working_days[weekday] && framework.holidays.binary_search(&day).is_err();
            let o = local_instant(tz, day, framework.day_start);
            let c = if working {
                local_instant(tz, day, framework.day_end)
            } else {
                o
            };
            open.push(o);
            close.push(c.max(o));
            let total = cumulative.last().copied().unwrap_or(0) + (c - o).max(0);
            cumulative.push(total);
            if day >= last_day {
                break;
            }
            match day.tomorrow() {
                Ok(d) => day = d,
                Err(_) => break,
            }
        }
        let after = day.tomorrow().unwrap_or(day);
        midnights.push(local_instant(tz, after, midnight));
        Self {
            first_day,
            midnights,
            open,
            close,
            cumulative,
        }
    }

    /// The first local day the table covers.
    pub fn first_day(&self) -> Date {
        self.first_day
    }

    /// Index of the local day containing `t`, clamped to the table.
    fn day(&self, t: i64) -> usize {
        let days = self.open.len();
        match self.midnights.partition_point(|&m| m <= t) {
            0 => 0,
            n => (n - 1).min(days - 1),
        }
    }

    /// Working microseconds from the table's start to `t`.
    fn elapsed(&self, t: i64) -> i64 {
        if t < self.midnights[0] {
            return 0;
        }
        let d = self.day(t);
        let within = t.clamp(self.open[d], self.close[d]) - self.open[d];
        self.cumulative[d] + within
    }

    /// Working hours between `from` and `to` (0 when `to` is not after `from`).
    pub fn business_hours(&self, from: Instant, to: Instant) -> f64 {
        if to <= from {
            return 0.0;
        }
        (self.elapsed(to.0) - self.elapsed(from.0)) as f64 / MICROS_PER_HOUR as f64
    }

    /// True when `t` falls inside working hours.
    pub fn is_open(&self, t: Instant) -> bool {
        let d = self.day(t.0);
        t.0 >= self.open[d] && t.0 < self.close[d]
    }

    /// The instant `micros` working microseconds after `from`: the earliest one the working
    /// time since `from` reaches `micros` (a deadline falls at a closing time rather than the
    /// next opening); with `micros = 0`, the first working instant at or after `from`. `None`
    /// when it lies beyond the table ([`BusinessClock::new`]'s `to` plus two days).
    pub fn add_business_micros(&self, from: Instant, micros: i64) -> Option<Instant> {
        if micros <= 0 {
            return Some(self.next_opening(from));
        }
        let target = self.elapsed(from.0) + micros;
        // The day whose working span ends at or after the target, starting before it.
        let d = self.cumulative[1..].partition_point(|&c| c < target);
        if d >= self.open.len() {
            return None;
        }
        Some(Instant(self.open[d] + (target - self.cumulative[d])))
    }

    /// The instant `hours` working hours after `from` ([`BusinessClock::add_business_micros`]):
    /// an SLA's deadline.
    pub fn add_business_hours(&self, from: Instant, hours: f64) -> Option<Instant> {
        self.add_business_micros(from, (hours * MICROS_PER_HOUR as f64).round() as i64)
    }

    /// The first instant at or after `t` that is inside working hours.
    pub fn next_opening(&self, t: Instant) -> Instant {
        let mut d = self.day(t.0);
        if t.0 < self.close[d] && self.open[d] < self.close[d] {
            return Instant(t.0.max(self.open[d]));
        }
        while d + 1 < self.open.len() {
            d += 1;
            if self.open[d] < self.close[d] {
                return Instant(self.open[d]);
            }
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock(extra: &str) -> (BusinessClock, crate::time::TimeParser) {
        let toml = format!(
            "[workspace]\ntimezone = \"America/New_York\"\n[calendar]\nholidays = [\"2026-07-03\"]\n{extra}"
        );
        let fw = Framework::from_toml("baton.toml", &toml).expect("config");
        let p = crate::time::TimeParser::new(fw.tz.clone());
        let from = p.parse("2026-01-01").expect("t").0;
        let to = p.parse("2026-12-31").expect("t").0;
        (BusinessClock::new(&fw, from, to), p)
    }

    fn t(p: &crate::time::TimeParser, s: &str) -> Instant {
        p.parse(s).expect("time").0
    }

    #[test]
    fn friday_evening_waits_for_monday() {
        let (c, p) = clock("");
        // Fri 2026-03-06 18:00 → Mon 09:30: only Monday's half hour counts.
        assert_eq!(
            c.business_hours(t(&p, "2026-03-06 18:00"), t(&p, "2026-03-09 09:30")),
            0.5
        );
        assert!(!c.is_open(t(&p, "2026-03-06 18:00")));
        assert_eq!(
            c.next_opening(t(&p, "2026-03-06 18:00")),
            t(&p, "2026-03-09 09:00")
        );
    }

    #[test]
    fn dst_weekend_and_holiday() {
        let (c, p) = clock("");
        // DST starts Sun 2026-03-08: Fri 16:00 → Mon 10:00 is 1 + 1 business hours.
        assert_eq!(
            c.business_hours(t(&p, "2026-03-06 16:00"), t(&p, "2026-03-09 10:00")),
            2.0
        );
        // Across the fall change (Sun 2026-11-01): Fri 16:30 → Mon 09:15 = 0.5 + 0.25.
        assert_eq!(
            c.business_hours(t(&p, "2026-10-30 16:30"), t(&p, "2026-11-02 09:15")),
            0.75
        );
        // Thu 2026-07-02 16:00 → Mon 07-06 10:00 skips the Friday holiday: 1 + 1.
        assert_eq!(
            c.business_hours(t(&p, "2026-07-02 16:00"), t(&p, "2026-07-06 10:00")),
            2.0
        );
        // A whole working week is 40 hours.
        assert_eq!(
            c.business_hours(t(&p, "2026-03-09 00:00"), t(&p, "2026-03-16 00:00")),
            40.0
        );
    }

    #[test]
    fn within_a_day_and_reversed() {
        let (c, p) = clock("");
        assert_eq!(
            c.business_hours(t(&p, "2026-03-10 08:00"), t(&p, "2026-03-10 12:30")),
            3.5
        );
        assert_eq!(
            c.business_hours(t(&p, "2026-03-10 12:00"), t(&p, "2026-03-10 11:00")),
            0.0
        );
        assert_eq!(
            c.next_opening(t(&p, "2026-03-10 12:00")),
            t(&p, "2026-03-10 12:00")
        );
    }

    #[test]
    fn adding_business_hours_inverts_counting_them() {
        let (c, p) = clock("");
        let add = |from: &str, h: f64| c.add_business_hours(t(&p, from), h).expect("in range");
        // Fri 16:00 + 4 h: 1 h on Friday, 3 on Monday (over the spring DST weekend) → Mon 12:00.
        assert_eq!(add("2026-03-06 16:00", 4.0), t(&p, "2026-03-09 12:00"));
        // Exactly to a closing time: Friday 17:00, not Monday 09:00.
        assert_eq!(add("2026-03-06 09:00", 8.0), t(&p, "2026-03-06 17:00"));
        // From out of hours the clock starts at the next opening; Friday 07-03 is a holiday:
        // Monday's 8 h, then 1.5 h on Tuesday.
        assert_eq!(add("2026-07-02 18:30", 9.5), t(&p, "2026-07-07 10:30"));
        assert_eq!(add("2026-03-07 12:00", 0.0), t(&p, "2026-03-09 09:00"));
        // Round trip over a year of starts and lengths.
        for day in 0..300 {
            for (hour, h) in [(3, 0.25), (9, 7.5), (12, 40.0), (16, 3.0), (22, 100.0)] {
                let from =
                    Instant(t(&p, "2026-01-02 00:00").0 + (day * 24 + hour) * MICROS_PER_HOUR);
                let to = c.add_business_hours(from, h).expect("in range");
                assert!(
                    (c.business_hours(from, to) - h).abs() < 1e-9,
                    "{from} + {h}"
                );
                assert!(
                    c.business_hours(from, Instant(to.0 - 1)) < h,
                    "earliest: {from} + {h}"
                );
            }
        }
        // Beyond the table.
        assert_eq!(c.add_business_hours(t(&p, "2026-12-30 09:00"), 100.0), None);
    }

    #[test]
    fn a_dst_change_inside_working_hours_counts_real_time() {
        // A calendar open 00:00–06:00 on Sunday 2026-03-08 spans the 02:00 spring-forward: 5 real hours.
        let (c, p) = clock("days = [\"sun\"]\nhours = [\"00:00\", \"06:00\"]\n");
        assert_eq!(
            c.business_hours(t(&p, "2026-03-07 12:00"), t(&p, "2026-03-08 12:00")),
            5.0
        );
        assert_eq!(
            c.business_hours(t(&p, "2026-10-31 12:00"), t(&p, "2026-11-01 12:00")),
            7.0
        );
    }
}
