//! Export timestamps to RFC 3339 UTC, with the DST cases `baton analyze` reports said the same
//! way in the importer's notes: a local time in a gap is moved forward, one in a fold takes the
//! earlier instant.

use jiff::tz::TimeZone;

use baton_core::time::{LocalAdjustment, TimeParser};

use super::ImportSummary;

/// Reads an export's timestamps in one zone and counts the DST adjustments it made.
pub(crate) struct LocalTimes {
    parser: TimeParser,
    zone: String,
    gaps: (u64, Option<String>),
    folds: (u64, Option<String>),
}

impl LocalTimes {
    /// Naive times read in `tz` (named `zone` in messages).
    pub(crate) fn new(tz: TimeZone, zone: &str) -> Self {
        LocalTimes {
            parser: TimeParser::new(tz),
            zone: zone.into(),
            gaps: (0, None),
            folds: (0, None),
        }
    }

    /// RFC 3339 UTC of an export timestamp; a value it cannot read is returned unchanged, so
    /// that `baton analyze` reports it with its line.
    pub(crate) fn normalize(&mut self, text: &str) -> String {
        let text = text.trim();
        if text.is_empty() {
            return String::new();
        }
        if let Ok((instant, adjustment)) = self.parser.parse(text) {
            self.count(adjustment, text);
            return instant.to_string();
        }
        let tz = self.parser.zone().clone();
        // US-style exports: 03/05/2024 10:00 AM, 03/05/2024 10:00, 03/05/2024.
        for format in ["%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S"] {
            if let Ok(dt) = jiff::civil::DateTime::strptime(format, text) {
                return self.place(dt, &tz, text).unwrap_or_else(|| text.into());
            }
        }
        if let Ok(d) = jiff::civil::Date::strptime("%m/%d/%Y", text) {
            let midnight = d.to_datetime(jiff::civil::Time::midnight());
            return self
                .place(midnight, &tz, text)
                .unwrap_or_else(|| text.into());
        }
        // Unix milliseconds (HubSpot API-style exports and warehouse syncs).
        if text.len() >= 12
            && text.bytes().all(|b| b.is_ascii_digit())
            && let Ok(ms) = text.parse::<i64>()
            && let Ok(ts) = jiff::Timestamp::from_millisecond(ms)
        {
            return ts.to_string();
        }
        text.to_string()
    }

    fn place(&mut self, dt: jiff::civil::DateTime, tz: &TimeZone, text: &str) -> Option<String> {
        let ambiguous = tz.to_ambiguous_zoned(dt);
        let adjustment = match ambiguous.offset() {
            jiff::tz::AmbiguousOffset::Gap { .. } => Some(LocalAdjustment::Gap),
            jiff::tz::AmbiguousOffset::Fold { .. } => Some(LocalAdjustment::Fold),
            jiff::tz::AmbiguousOffset::Unambiguous { .. } => None,
        };
        let z = ambiguous.compatible().ok()?;
        self.count(adjustment, text);
        Some(z.timestamp().to_string())
    }

    fn count(&mut self, adjustment: Option<LocalAdjustment>, text: &str) {
        let slot = match adjustment {
            Some(LocalAdjustment::Gap) => &mut self.gaps,
            Some(LocalAdjustment::Fold) => &mut self.folds,
            None => return,
        };
        slot.0 += 1;
        slot.1.get_or_insert_with(|| text.to_string());
    }

    /// Says in the summary how many local times a DST change moved, as `baton analyze` would.
    pub(crate) fn note(&self, summary: &mut ImportSummary) {
        if let (n @ 1.., Some(example)) = &self.gaps {
            summary.caveats.push(format!(
                "{n} local times fall in a DST gap in {} (e.g. {example}): moved forward by the gap, as `baton analyze` does (local_time_in_gap)",
                self.zone
            ));
        }
        if let (n @ 1.., Some(example)) = &self.folds {
            summary.caveats.push(format!(
                "{n} local times are repeated by a DST change in {} (e.g. {example}): the earlier instant is taken, as `baton analyze` does (local_time_in_fold)",
                self.zone
            ));
        }
    }
}
