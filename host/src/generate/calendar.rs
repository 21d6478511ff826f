//! The generator's business calendar: the workspace's own ([`BusinessClock`] over the
//! `[calendar]` it writes), in the Unix seconds the generator counts in.

use baton_core::calendar::BusinessClock;
use baton_core::{Framework, Instant};

/// Days of table past the generation window: the longest chain of business-hour delays
/// (qualification, opportunity, close) ends well inside it.
const MARGIN_DAYS: i64 = 400;

const MICROS: i64 = 1_000_000;

/// Working days and hours of the generated workspace.
#[derive(Debug, Clone)]
pub struct BusinessCalendar {
    clock: BusinessClock,
}

impl BusinessCalendar {
    /// The calendar of `framework` from `start` to `end` (Unix seconds), and a margin after.
    pub fn new(framework: &Framework, start: i64, end: i64) -> Self {
        let to = Instant((end + MARGIN_DAYS * 86_400) * MICROS);
        Self {
            clock: BusinessClock::new(framework, Instant(start * MICROS), to),
        }
    }

    /// The instant `hours` working hours after `from`, to the second (Unix seconds in and out).
    pub fn add_business_hours(&self, from: i64, hours: f64) -> i64 {
        let seconds = (hours.max(0.0) * 3600.0) as i64;
        self.clock
            .add_business_micros(Instant(from * MICROS), seconds * MICROS)
            .map_or(from, |t| t.0.div_euclid(MICROS))
    }
}
