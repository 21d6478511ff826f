//! The instant a live answer is computed at: the caller's, read in the workspace zone, or the
//! data's latest timestamp (with the row that set it, when it lies far beyond the rest).

use crate::model::FarTimestamp;
use crate::time::TimeParser;
use crate::{Instant, Workspace};

/// A latest timestamp more than this many days after all the others is warned about.
pub const FAR_TIMESTAMP_DAYS: i64 = 366;

/// The resolved `as_of`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AsOf {
    /// The instant.
    pub at: Instant,
    /// Whether it was taken from the data (no `as_of` given).
    pub from_data: bool,
}

impl AsOf {
    /// Taken from the data, and that latest timestamp lies [`FAR_TIMESTAMP_DAYS`] beyond the
    /// rest: the row that set it (asked for separately, so callers that never warn skip it).
    pub fn far(&self, ws: &Workspace) -> Option<FarTimestamp> {
        self.from_data
            .then(|| ws.far_latest_timestamp(FAR_TIMESTAMP_DAYS))
            .flatten()
    }
}

/// Why `as_of` could not be resolved (each caller words it with its own parameter's name).
#[derive(Debug, Clone, PartialEq)]
pub enum AsOfError {
    /// The text given is not a timestamp.
    Unreadable(String),
    /// None was given and the data has no timestamps.
    NoTimestamps,
}

/// Parses `as_of` (RFC 3339, or local time in the workspace zone), or takes the data's latest
/// timestamp.
pub fn resolve_as_of(ws: &Workspace, as_of: Option<&str>) -> Result<AsOf, AsOfError> {
    match as_of {
        Some(text) => TimeParser::new(ws.framework.tz.clone())
            .parse(text)
            .map(|(at, _)| AsOf {
                at,
                from_data: false,
            })
            .map_err(|_| AsOfError::Unreadable(text.into())),
        None => Ok(AsOf {
            at: ws.latest_timestamp().ok_or(AsOfError::NoTimestamps)?,
            from_data: true,
        }),
    }
}
