//! Instants and timestamp parsing: RFC 3339 with an offset, or naive local time in the workspace zone.
//!
//! Naive local times that fall in a DST gap are moved forward by the gap's length, and those in a
//! fold take the earlier of the two instants (jiff's "compatible" disambiguation, as RFC 5545 and
//! Temporal do). Both are counted in `data_quality` so nothing is adjusted silently.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Serialize, Serializer};

pub mod syntax;

/// A point in time: microseconds since the Unix epoch, UTC.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(pub i64);

/// Microseconds in one hour.
pub const MICROS_PER_HOUR: i64 = 3_600_000_000;
/// Microseconds in one day.
pub const MICROS_PER_DAY: i64 = 24 * MICROS_PER_HOUR;

impl Instant {
    /// The instant as a jiff timestamp.
    pub fn timestamp(self) -> Timestamp {
        Timestamp::from_microsecond(self.0).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    /// Hours from `self` to `later` (negative when `later` is earlier).
    pub fn hours_until(self, later: Instant) -> f64 {
        (later.0 - self.0) as f64 / MICROS_PER_HOUR as f64
    }

    /// Parses an RFC 3339 instant with an offset (used for `--as-of`).
    pub fn parse_rfc3339(text: &str) -> Result<Instant, TimeError> {
        let written = syntax::parse(text.trim()).ok_or(TimeError::Unparseable)?;
        let offset = written.offset.ok_or(TimeError::Unparseable)?;
        Instant::at_offset(written.civil, offset)
    }

    /// The instant of a civil date-time at a fixed offset, when jiff can represent it (its
    /// timestamps end at 9999-12-30T22:00Z).
    fn at_offset(civil: jiff::civil::DateTime, offset: i32) -> Result<Instant, TimeError> {
        let micros = syntax::micros_at_offset(civil, offset);
        Timestamp::from_microsecond(micros)
            .map(|_| Instant(micros))
            .map_err(|_| TimeError::OutOfRange)
    }
}

impl Instant {
    /// The instant as RFC 3339 in UTC, exactly as `Display` writes it, without going through
    /// jiff's formatter for whole seconds in years 0–9999 (the plugin inputs' hot path).
    pub fn rfc3339(self) -> String {
        let mut buf = [0u8; 20];
        match self.whole_second_rfc3339(&mut buf) {
            Some(text) => text.to_string(),
            None => self.to_string(),
        }
    }

    /// Writes `YYYY-MM-DDTHH:MM:SSZ` into `buf` when the instant is a whole second in years
    /// 0–9999 (what `Display` prints for it); `None` otherwise.
    pub fn whole_second_rfc3339(self, buf: &mut [u8; 20]) -> Option<&str> {
        let secs = self.0.div_euclid(1_000_000);
        if self.0.rem_euclid(1_000_000) != 0 {
            return None;
        }
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        // Civil from days (Howard Hinnant).
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        if !(0..=9999).contains(&y) {
            return None;
        }
        let two = |buf: &mut [u8; 20], at: usize, v: i64| {
            buf[at] = b'0' + (v / 10) as u8;
            buf[at + 1] = b'0' + (v % 10) as u8;
        };
        two(buf, 0, y / 100);
        two(buf, 2, y % 100);
        two(buf, 5, m);
        two(buf, 8, d);
        two(buf, 11, rem / 3600);
        two(buf, 14, rem / 60 % 60);
        two(buf, 17, rem % 60);
        buf[4] = b'-';
        buf[7] = b'-';
        buf[10] = b'T';
        buf[13] = b':';
        buf[16] = b':';
        buf[19] = b'Z';
        std::str::from_utf8(&buf[..]).ok()
    }
}

impl std::fmt::Display for Instant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.timestamp())
    }
}

impl Serialize for Instant {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 20];
        match self.whole_second_rfc3339(&mut buf) {
            Some(text) => serializer.serialize_str(text),
            None => serializer.collect_str(&self.timestamp()),
        }
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Instant {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Instant".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "format": "date-time",
            "description": "An instant in RFC 3339, UTC (e.g. 2026-10-02T04:27:06Z)."
        })
    }
}

/// Why a timestamp could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimeError {
    /// Not RFC 3339, not a local date-time, not a date.
    #[error("not an RFC 3339 timestamp or local date-time")]
    Unparseable,
    /// Parsed, but outside the supported range.
    #[error("timestamp out of range")]
    OutOfRange,
}

/// What happened to a naive local time when it was placed in the workspace zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalAdjustment {
    /// The local time does not exist (DST gap); it was moved forward by the gap.
    Gap,
    /// The local time exists twice (DST fold); the earlier instant was taken.
    Fold,
}

/// Parses timestamps for one workspace time zone.
#[derive(Debug, Clone)]
pub struct TimeParser {
    tz: TimeZone,
}

impl TimeParser {
    /// A parser for naive local times in `tz`.
    pub fn new(tz: TimeZone) -> Self {
        Self { tz }
    }

    /// The workspace time zone.
    pub fn zone(&self) -> &TimeZone {
        &self.tz
    }

    /// Parses `text` (the documented grammar, [`syntax`]); an offset or `Z` makes it absolute,
    /// otherwise it is local to the workspace zone.
    pub fn parse(&self, text: &str) -> Result<(Instant, Option<LocalAdjustment>), TimeError> {
        let written = syntax::parse(text.trim()).ok_or(TimeError::Unparseable)?;
        if let Some(offset) = written.offset {
            return Ok((Instant::at_offset(written.civil, offset)?, None));
        }
        let ambiguous = self.tz.to_ambiguous_zoned(written.civil);
        let adjustment = if ambiguous.is_ambiguous() {
            use jiff::tz::AmbiguousOffset;
            match ambiguous.offset() {
                AmbiguousOffset::Gap { .. } => Some(LocalAdjustment::Gap),
                AmbiguousOffset::Fold { .. } => Some(LocalAdjustment::Fold),
                AmbiguousOffset::Unambiguous { .. } => None,
            }
        } else {
            None
        };
        let zoned = ambiguous.compatible().map_err(|_| TimeError::OutOfRange)?;
        Ok((Instant(zoned.timestamp().as_microsecond()), adjustment))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parser() -> TimeParser {
        TimeParser::new(TimeZone::get("America/New_York").expect("bundled zone"))
    }

    #[test]
    fn rfc3339_and_local() {
        let p = parser();
        let (utc, _) = p.parse("2024-03-05T15:00:00Z").expect("utc");
        let (local, adj) = p.parse("2024-03-05 10:00:00").expect("local");
        assert_eq!(utc, local);
        assert_eq!(adj, None);
        let (date_only, _) = p.parse("2024-03-05").expect("date");
        assert_eq!(date_only.hours_until(local), 10.0);
        let (sf, _) = p.parse("2024-03-05T15:00:00.000+0000").expect("salesforce");
        assert_eq!(sf, utc);
    }

    #[test]
    fn dst_gap_moves_forward_and_fold_takes_earlier() {
        let p = parser();
        // 2024-03-10 02:30 does not exist in New York: becomes 03:30 EDT = 07:30Z.
        let (gap, adj) = p.parse("2024-03-10T02:30").expect("gap");
        assert_eq!(adj, Some(LocalAdjustment::Gap));
        assert_eq!(gap, p.parse("2024-03-10T07:30:00Z").expect("z").0);
        // 2024-11-03 01:30 happens twice: take the first (EDT) = 05:30Z.
        let (fold, adj) = p.parse("2024-11-03T01:30").expect("fold");
        assert_eq!(adj, Some(LocalAdjustment::Fold));
        assert_eq!(fold, p.parse("2024-11-03T05:30:00Z").expect("z").0);
    }

    #[test]
    fn garbage_is_rejected() {
        let p = parser();
        assert_eq!(p.parse("yesterday"), Err(TimeError::Unparseable));
        assert_eq!(p.parse("2024-13-01"), Err(TimeError::Unparseable));
        assert_eq!(p.parse(""), Err(TimeError::Unparseable));
    }
}

#[cfg(test)]
mod rfc3339_tests {
    use super::Instant;

    #[test]
    fn fast_rfc3339_matches_jiff() {
        let mut x: i64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Instants from 1900 to 2100, whole seconds and not.
            let micros = x.rem_euclid(6_311_390_400_000_000) - 2_208_988_800_000_000;
            for i in [
                Instant(micros),
                Instant(micros - micros.rem_euclid(1_000_000)),
            ] {
                assert_eq!(i.rfc3339(), i.to_string());
            }
        }
        assert_eq!(Instant(0).rfc3339(), "1970-01-01T00:00:00Z");
        assert_eq!(
            Instant(951_782_400_000_000).rfc3339(),
            "2000-02-29T00:00:00Z"
        );
    }
}

#[cfg(test)]
mod grammar_tests {
    use super::{Instant, LocalAdjustment, TimeError, TimeParser};
    use jiff::tz::TimeZone;
    use jiff::{Timestamp, civil::DateTime};

    /// The parser this one replaced: jiff's Temporal grammar (the reference on documented forms).
    fn jiff_parse(
        tz: &TimeZone,
        text: &str,
    ) -> Result<(Instant, Option<LocalAdjustment>), TimeError> {
        let text = text.trim();
        let bytes = text.as_bytes();
        let has_offset = bytes.len() > 11
            && bytes[11..]
                .iter()
                .any(|&b| matches!(b, b'Z' | b'z' | b'+' | b'-' | b'['));
        if has_offset {
            let ts: Timestamp = text.parse().map_err(|_| TimeError::Unparseable)?;
            return Ok((Instant(ts.as_microsecond()), None));
        }
        let dt: DateTime = text.parse().map_err(|_| TimeError::Unparseable)?;
        let ambiguous = tz.to_ambiguous_zoned(dt);
        let adjustment = match ambiguous.offset() {
            jiff::tz::AmbiguousOffset::Gap { .. } => Some(LocalAdjustment::Gap),
            jiff::tz::AmbiguousOffset::Fold { .. } => Some(LocalAdjustment::Fold),
            jiff::tz::AmbiguousOffset::Unambiguous { .. } => None,
        };
        let zoned = ambiguous.compatible().map_err(|_| TimeError::OutOfRange)?;
        Ok((Instant(zoned.timestamp().as_microsecond()), adjustment))
    }

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.below(items.len() as u64) as usize]
        }
    }

    /// A timestamp in the documented grammar, some with out-of-range fields.
    fn documented(r: &mut Rng) -> String {
        let year = match r.below(10) {
            0 => r.below(10_000),
            1 => 1969 + r.below(2),
            _ => 1900 + r.below(200),
        };
        let month = if r.below(30) == 0 {
            r.below(14)
        } else {
            1 + r.below(12)
        };
        let day = if r.below(30) == 0 {
            r.below(33)
        } else {
            1 + r.below(28) + r.below(4)
        };
        let mut s = format!("{year:04}-{month:02}-{day:02}");
        if r.below(6) == 0 {
            return s;
        }
        s.push_str(r.pick(&["T", "t", " "]));
        // DST nights in New York (2024-03-10, 2024-11-03) now and then.
        if r.below(8) == 0 {
            s = format!("{}{}", r.pick(&["2024-03-10", "2024-11-03"]), &s[10..]);
        }
        let hour = if r.below(40) == 0 {
            24 + r.below(2)
        } else {
            r.below(24)
        };
        s.push_str(&format!("{hour:02}:{:02}", r.below(60)));
        if r.below(3) > 0 {
            let second = if r.below(40) == 0 {
                60 + r.below(2)
            } else {
                r.below(60)
            };
            s.push_str(&format!(":{second:02}"));
            if r.below(3) == 0 {
                s.push_str(r.pick(&[".", ","]));
                let digits = 1 + r.below(9) as usize;
                for _ in 0..digits {
                    s.push(char::from(b'0' + r.below(10) as u8));
                }
            }
        }
        match r.below(6) {
            0 | 1 => {}
            2 => s.push_str(r.pick(&["Z", "z"])),
            n => {
                s.push_str(r.pick(&["+", "-"]));
                let top = if r.below(20) == 0 { 27 } else { 15 };
                let (h, m) = (r.below(top), r.below(60));
                match n {
                    3 => s.push_str(&format!("{h:02}:{m:02}")),
                    4 => s.push_str(&format!("{h:02}{m:02}")),
                    _ => s.push_str(&format!("{h:02}")),
                }
                if r.below(10) == 0 {
                    s.push_str(r.pick(&["[America/New_York]", "[u-ca=iso8601]", "[!UTC]"]));
                }
            }
        }
        if r.below(10) == 0 {
            s = format!("  {s}\t");
        }
        s
    }

    #[test]
    fn documented_forms_read_as_jiff_read_them() {
        let tz = TimeZone::get("America/New_York").expect("bundled zone");
        let ours = TimeParser::new(tz.clone());
        let mut r = Rng(0x9E37_79B9_7F4A_7C15);
        let mut accepted = 0;
        for _ in 0..200_000 {
            let text = documented(&mut r);
            let (got, want) = (ours.parse(&text), jiff_parse(&tz, &text));
            accepted += usize::from(want.is_ok());
            // Both refuse what they refuse; ours says "out of range" where jiff could not parse.
            let same = match (&got, &want) {
                (Ok(a), Ok(b)) => a == b,
                (Err(_), Err(_)) => true,
                _ => false,
            };
            assert!(same, "{text:?}: ours {got:?}, jiff {want:?}");
        }
        assert!(
            accepted > 150_000,
            "the generator mostly makes valid forms: {accepted}"
        );
    }

    #[test]
    fn what_jiff_read_beyond_the_documented_grammar() {
        let tz = TimeZone::get("America/New_York").expect("bundled zone");
        let ours = TimeParser::new(tz.clone());
        // Temporal forms the docs never promised: basic format, hour-only times, six-digit
        // years, a time zone annotation standing in for an offset.
        for text in [
            "20240305T150000Z",
            "2024-03-05T15Z",
            "2024-03-05T15",
            "+002024-03-05T15:00:00Z",
            "2024-03-05T15:00:00[America/New_York]",
        ] {
            assert!(
                jiff_parse(&tz, text).is_ok() || text.ends_with(']'),
                "{text}: jiff read it"
            );
            assert_eq!(ours.parse(text), Err(TimeError::Unparseable), "{text}");
        }
        // Beyond jiff's last instant: out of range, not a wrong answer.
        assert_eq!(
            ours.parse("9999-12-31T23:00:00Z"),
            Err(TimeError::OutOfRange)
        );
        assert_eq!(
            Instant::parse_rfc3339("2026-01-01T00:00:00.5+01:00"),
            Ok(Instant(1_767_222_000_500_000))
        );
        assert_eq!(
            Instant::parse_rfc3339("2026-01-01T00:00:00"),
            Err(TimeError::Unparseable)
        );
    }

    #[test]
    fn mutated_text_never_panics() {
        let tz = TimeZone::get("America/New_York").expect("bundled zone");
        let ours = TimeParser::new(tz);
        let mut r = Rng(7);
        let alphabet = b"0123456789-:T tZz+.,[]!x";
        for _ in 0..50_000 {
            let mut bytes = documented(&mut r).into_bytes();
            for _ in 0..1 + r.below(3) {
                let at = r.below(bytes.len() as u64 + 1) as usize;
                let b = alphabet[r.below(alphabet.len() as u64) as usize];
                match r.below(3) {
                    0 if at < bytes.len() => bytes[at] = b,
                    1 if at < bytes.len() => {
                        bytes.remove(at);
                    }
                    _ => bytes.insert(at, b),
                }
            }
            let text = String::from_utf8(bytes).expect("ascii");
            let _ = ours.parse(&text);
        }
    }
}
