//! The service's clock (core never reads one): the system's, or — for tests and replays — an
//! instant read from a file, so a day of webhooks can be driven at the speed the test writes it
//! and a restarted service goes on at the same instant.

use std::path::PathBuf;
use std::sync::Mutex;

use baton_core::Instant;

/// Where the time comes from.
#[derive(Debug)]
pub enum Clock {
    /// The system's wall clock, in whole seconds.
    System,
    /// An RFC 3339 instant in a file, read at every call (the last good one while it is being
    /// rewritten).
    File(PathBuf, Mutex<Instant>),
}

impl Clock {
    /// `system` or `file:PATH`.
    pub fn parse(spec: &str) -> Result<Clock, String> {
        match spec.split_once(':') {
            _ if spec == "system" => Ok(Clock::System),
            Some(("file", path)) if !path.is_empty() => {
                let clock = Clock::File(PathBuf::from(path), Mutex::new(Instant(0)));
                clock
                    .read_file()
                    .map_err(|e| format!("--clock {spec}: {e}"))?;
                Ok(clock)
            }
            _ => Err(format!(
                "--clock {spec:?}: expected `system` or `file:PATH` (a file holding an RFC 3339 instant)"
            )),
        }
    }

    /// Now.
    pub fn now(&self) -> Instant {
        match self {
            Clock::System => system_now(),
            Clock::File(_, last) => match self.read_file() {
                Ok(t) => t,
                Err(_) => last.lock().map_or(Instant(0), |l| *l),
            },
        }
    }

    /// How often the automation looks for due work: a test clock can jump, the system's cannot.
    pub fn tick(&self) -> std::time::Duration {
        match self {
            Clock::System => std::time::Duration::from_secs(1),
            Clock::File(..) => std::time::Duration::from_millis(50),
        }
    }

    fn read_file(&self) -> Result<Instant, String> {
        let Clock::File(path, last) = self else {
            return Ok(system_now());
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let ts: jiff::Timestamp = text.trim().parse().map_err(|e| {
            format!(
                "{} holds {:?}, not an RFC 3339 instant: {e}",
                path.display(),
                text.trim()
            )
        })?;
        let t = Instant(ts.as_microsecond());
        if let Ok(mut l) = last.lock() {
            *l = t;
        }
        Ok(t)
    }
}

/// The system's wall clock, in whole seconds.
pub fn system_now() -> Instant {
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64 * 1_000_000);
    Instant(micros)
}
