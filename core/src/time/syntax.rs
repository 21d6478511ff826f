//! The documented timestamp grammar (docs/data-format.md, "Timestamps"), read by hand: a date,
//! an optional time of day, an optional UTC offset and RFC 9557 annotations. jiff's Temporal
//! parser reads a wider grammar (basic format, extended years, hour-only times) and is most of the
//! browser widget's size through its error texts; this one reads exactly what the docs promise,
//! faster, and both builds use it.

use jiff::civil::{Date, DateTime, Time};

/// A timestamp as written: a civil date-time and, when the text has one, its offset in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// The civil date-time (local to the offset, or to the workspace zone without one).
    pub civil: DateTime,
    /// `Z` or `±HH[:MM[:SS]]` in seconds east of UTC.
    pub offset: Option<i32>,
}

/// A cursor over the text's bytes.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    /// Reads all of `text` with `read`: `None` if it fails or leaves something unread.
    fn whole<T>(text: &'a str, read: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        let mut c = Cursor {
            bytes: text.as_bytes(),
            at: 0,
        };
        let value = read(&mut c)?;
        c.done().then_some(value)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        self.at += usize::from(hit);
        hit
    }

    /// Exactly `n` ASCII digits as a number.
    fn digits(&mut self, n: usize) -> Option<u32> {
        let part = self.bytes.get(self.at..self.at + n)?;
        let mut v = 0u32;
        for &b in part {
            if !b.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(b - b'0');
        }
        self.at += n;
        Some(v)
    }

    fn done(&self) -> bool {
        self.at == self.bytes.len()
    }
}

/// `YYYY-MM-DD` with a real day of its month.
fn date(c: &mut Cursor<'_>) -> Option<Date> {
    let year = c.digits(4)?;
    if !c.eat(b'-') {
        return None;
    }
    let month = c.digits(2)?;
    if !c.eat(b'-') {
        return None;
    }
    let day = c.digits(2)?;
    Date::new(year as i16, month as i8, day as i8).ok()
}

/// `HH:MM[:SS[(.|,)fraction]]`; a leap second (`:60`) reads as `:59`, as jiff reads it.
fn time(c: &mut Cursor<'_>) -> Option<Time> {
    let hour = c.digits(2)?;
    if !c.eat(b':') {
        return None;
    }
    let minute = c.digits(2)?;
    let (mut second, mut nanos) = (0, 0);
    if c.eat(b':') {
        second = c.digits(2)?;
        if second == 60 {
            second = 59;
        }
        if c.eat(b'.') || c.eat(b',') {
            let start = c.at;
            while c.peek().is_some_and(|b| b.is_ascii_digit()) && c.at - start < 9 {
                nanos = nanos * 10 + u32::from(c.bytes[c.at] - b'0');
                c.at += 1;
            }
            let len = c.at - start;
            if len == 0 {
                return None;
            }
            nanos *= 10u32.pow(9 - len as u32);
        }
    }
    Time::new(hour as i8, minute as i8, second as i8, nanos as i32).ok()
}

/// `Z`, or `±HH`, `±HH:MM`, `±HHMM`, `±HH:MM:SS`, `±HHMMSS`, up to ±25:59:59.
fn offset(c: &mut Cursor<'_>) -> Option<Option<i32>> {
    let sign = match c.peek() {
        Some(b'Z' | b'z') => {
            c.at += 1;
            return Some(Some(0));
        }
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return Some(None),
    };
    c.at += 1;
    let hours = c.digits(2)?;
    let (mut minutes, mut seconds) = (0, 0);
    let colon = c.eat(b':');
    if colon || c.peek().is_some_and(|b| b.is_ascii_digit()) {
        minutes = c.digits(2)?;
        if (colon && c.eat(b':')) || (!colon && c.peek().is_some_and(|b| b.is_ascii_digit())) {
            seconds = c.digits(2)?;
        }
    }
    if hours > 25 || minutes > 59 || seconds > 59 {
        return None;
    }
    Some(Some(sign * (hours * 3600 + minutes * 60 + seconds) as i32))
}

/// RFC 9557 annotations after an offset (`[America/New_York]`, `[u-ca=iso8601]`): read, not used;
/// the offset fixes the instant, as it does for jiff's timestamps.
fn annotations(c: &mut Cursor<'_>) -> Option<()> {
    while c.eat(b'[') {
        let start = c.at;
        while c.peek().is_some_and(|b| b != b']' && b != b'[') {
            c.at += 1;
        }
        if c.at == start || !c.eat(b']') {
            return None;
        }
    }
    Some(())
}

/// Reads `text` (already trimmed) in the documented grammar: `YYYY-MM-DD`, then optionally `T`,
/// `t` or a space and a time, then optionally an offset and annotations (only after a time).
pub fn parse(text: &str) -> Option<Written> {
    Cursor::whole(text, |c| {
        let day = date(c)?;
        if c.done() {
            return Some(Written {
                civil: day.to_datetime(Time::midnight()),
                offset: None,
            });
        }
        if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ')) {
            return None;
        }
        let clock = time(c)?;
        let offset = offset(c)?;
        if offset.is_some() {
            annotations(c)?;
        }
        Some(Written {
            civil: day.to_datetime(clock),
            offset,
        })
    })
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`):
/// integer arithmetic, no calendar tables (a few hundred bytes in the widget build).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Microseconds since the epoch of a civil date-time at a fixed offset (sub-microsecond digits
/// truncated toward zero, as jiff's `as_microsecond` does).
pub fn micros_at_offset(civil: DateTime, offset_seconds: i32) -> i64 {
    let date = civil.date();
    let days = days_from_civil(
        i64::from(date.year()),
        i64::from(date.month()),
        i64::from(date.day()),
    );
    let t = civil.time();
    let seconds = days * 86_400
        + i64::from(t.hour()) * 3600
        + i64::from(t.minute()) * 60
        + i64::from(t.second())
        - i64::from(offset_seconds);
    let nanos = i128::from(seconds) * 1_000_000_000 + i128::from(t.subsec_nanosecond());
    (nanos / 1000) as i64
}

/// A time of day `HH:MM` or `HH:MM:SS` (the calendar's working hours).
pub fn parse_clock(text: &str) -> Option<Time> {
    Cursor::whole(text, time)
}

/// A date `YYYY-MM-DD` (the calendar's holidays).
pub fn parse_date(text: &str) -> Option<Date> {
    Cursor::whole(text, date)
}
