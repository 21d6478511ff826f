//! The program's bytes: `BTNP`, a format version, then the scoring rules and the criteria sets,
//! little-endian and length-prefixed. Read without any serialization library, so the widget build stays small;
//! documented in docs/widget.md.

use crate::conditions::{Cond, Literal, LiteralKind, Op};
use crate::config::{Policy, RuleKind};

use super::{
    CriterionProgram, Program, ProgramRule, QualificationProgram, ScoringProgram, SetProgram,
};

/// The program format this build writes and reads. A change to the bytes' meaning bumps it.
pub const FORMAT_VERSION: u16 = 1;

const MAGIC: &[u8; 4] = b"BTNP";
/// Conditions nested deeper than this are refused (a hostile program must not exhaust the stack).
const MAX_DEPTH: usize = 64;

/// Why bytes are not a program this build can run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProgramError {
    /// The bytes do not start with `BTNP`.
    #[error("not a Baton scoring program (it does not start with BTNP)")]
    NotAProgram,
    /// Another format version.
    #[error(
        "scoring program format {found}, but this widget reads format {FORMAT_VERSION}: build the program and the widget with the same Baton version"
    )]
    Version {
        /// The program's version.
        found: u16,
    },
    /// The bytes end early or hold a value out of range.
    #[error("corrupt scoring program at byte {at}: {what}")]
    Corrupt {
        /// Byte offset.
        at: usize,
        /// What was wrong.
        what: &'static str,
    },
}

impl Program {
    /// The program's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer(Vec::with_capacity(256));
        w.0.extend_from_slice(MAGIC);
        w.0.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        let s = &self.scoring;
        w.f64(s.mql_threshold);
        w.opt(s.max_score);
        w.opt(s.min_score);
        w.len(s.rules.len());
        for r in &s.rules {
            w.str(&r.name);
            w.0.push(match r.kind {
                RuleKind::Fit => 0,
                RuleKind::Engagement => 1,
            });
            w.f64(r.points);
            w.opt(r.half_life_days);
            w.opt(r.max_points);
            w.cond(&r.when);
        }
        w.len(self.qualification.sets.len());
        for set in &self.qualification.sets {
            w.str(&set.name);
            match set.policy {
                Policy::All => w.0.push(0),
                Policy::Any => w.0.push(1),
                Policy::AtLeast(n) => {
                    w.0.push(2);
                    w.len(n);
                }
                Policy::Weighted(t) => {
                    w.0.push(3);
                    w.f64(t);
                }
            }
            w.len(set.criteria.len());
            for c in &set.criteria {
                w.str(&c.name);
                w.opt_str(c.ask.as_deref());
                w.f64(c.weight);
                match &c.when {
                    Some(cond) => {
                        w.0.push(1);
                        w.cond(cond);
                    }
                    None => w.0.push(0),
                }
                w.opt_str(c.plugin.as_deref());
            }
        }
        w.0
    }

    /// Reads a program's bytes; another format version is refused with both versions named.
    pub fn from_bytes(bytes: &[u8]) -> Result<Program, ProgramError> {
        if bytes.len() < 6 || &bytes[..4] != MAGIC {
            return Err(ProgramError::NotAProgram);
        }
        let found = u16::from_le_bytes([bytes[4], bytes[5]]);
        if found != FORMAT_VERSION {
            return Err(ProgramError::Version { found });
        }
        let mut r = Reader { bytes, at: 6 };
        let mql_threshold = r.f64()?;
        let max_score = r.opt()?;
        let min_score = r.opt()?;
        let count = r.len()?;
        let mut rules = Vec::with_capacity(count.min(1024));
        for _ in 0..count {
            let name = r.str()?;
            let kind = match r.byte()? {
                0 => RuleKind::Fit,
                1 => RuleKind::Engagement,
                _ => return Err(r.corrupt("rule kind")),
            };
            rules.push(ProgramRule {
                name,
                kind,
                points: r.f64()?,
                half_life_days: r.opt()?,
                max_points: r.opt()?,
                when: r.cond(0)?,
            });
        }
        let qualification = r.qualification()?;
        if r.at != bytes.len() {
            return Err(r.corrupt("bytes after the last criteria set"));
        }
        Ok(Program {
            scoring: ScoringProgram {
                mql_threshold,
                max_score,
                min_score,
                rules,
            },
            qualification,
        })
    }
}

struct Writer(Vec<u8>);

impl Writer {
    fn f64(&mut self, v: f64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    fn opt(&mut self, v: Option<f64>) {
        match v {
            Some(v) => {
                self.0.push(1);
                self.f64(v);
            }
            None => self.0.push(0),
        }
    }

    fn len(&mut self, n: usize) {
        self.0.extend_from_slice(&(n as u32).to_le_bytes());
    }

    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => {
                self.0.push(1);
                self.str(s);
            }
            None => self.0.push(0),
        }
    }

    fn str(&mut self, s: &str) {
        self.len(s.len());
        self.0.extend_from_slice(s.as_bytes());
    }

    fn cond(&mut self, c: &Cond) {
        match c {
            Cond::All(parts) | Cond::Any(parts) => {
                self.0.push(if matches!(c, Cond::All(_)) { 0 } else { 1 });
                self.len(parts.len());
                parts.iter().for_each(|p| self.cond(p));
            }
            Cond::Not(part) => {
                self.0.push(2);
                self.cond(part);
            }
            Cond::Fact { fact, op, value } => {
                self.0.push(3);
                self.str(fact);
                self.0
                    .push(Op::ALL.iter().position(|o| o == op).unwrap_or(0) as u8);
                match value {
                    Some(v) => {
                        self.0.push(1);
                        self.literal(v);
                    }
                    None => self.0.push(0),
                }
            }
        }
    }

    fn literal(&mut self, v: &Literal) {
        self.str(&v.shown);
        match &v.kind {
            LiteralKind::Bool(b) => {
                self.0.push(0);
                self.0.push(u8::from(*b));
            }
            LiteralKind::Number(n) => {
                self.0.push(1);
                self.f64(*n);
            }
            LiteralKind::Text(t) => {
                self.0.push(2);
                self.str(t);
            }
            LiteralKind::List(items) => {
                self.0.push(3);
                self.len(items.len());
                items.iter().for_each(|i| self.literal(i));
            }
            LiteralKind::Other => self.0.push(4),
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn corrupt(&self, what: &'static str) -> ProgramError {
        ProgramError::Corrupt { at: self.at, what }
    }

    fn take(&mut self, n: usize) -> Result<&[u8], ProgramError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or(ProgramError::Corrupt {
                at: self.at,
                what: "the bytes end early",
            })?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn byte(&mut self) -> Result<u8, ProgramError> {
        Ok(self.take(1)?[0])
    }

    fn f64(&mut self) -> Result<f64, ProgramError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(f64::from_le_bytes(a))
    }

    fn opt(&mut self) -> Result<Option<f64>, ProgramError> {
        match self.byte()? {
            0 => Ok(None),
            1 => Ok(Some(self.f64()?)),
            _ => Err(self.corrupt("optional number flag")),
        }
    }

    fn len(&mut self) -> Result<usize, ProgramError> {
        let b = self.take(4)?;
        let n = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
        // Every counted item takes at least a byte: a count past the bytes left is corrupt.
        if n > self.bytes.len() - self.at {
            return Err(self.corrupt("a count larger than the bytes left"));
        }
        Ok(n)
    }

    fn str(&mut self) -> Result<String, ProgramError> {
        let n = self.len()?;
        let at = self.at;
        let b = self.take(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| ProgramError::Corrupt {
            at,
            what: "text that is not UTF-8",
        })
    }

    fn opt_str(&mut self) -> Result<Option<String>, ProgramError> {
        match self.byte()? {
            0 => Ok(None),
            1 => Ok(Some(self.str()?)),
            _ => Err(self.corrupt("optional text flag")),
        }
    }

    fn qualification(&mut self) -> Result<QualificationProgram, ProgramError> {
        let count = self.len()?;
        let mut sets = Vec::with_capacity(count);
        for _ in 0..count {
            let name = self.str()?;
            let policy = match self.byte()? {
                0 => Policy::All,
                1 => Policy::Any,
                2 => Policy::AtLeast(self.len()?),
                3 => Policy::Weighted(self.f64()?),
                _ => return Err(self.corrupt("policy")),
            };
            let n = self.len()?;
            let mut criteria = Vec::with_capacity(n);
            for _ in 0..n {
                criteria.push(CriterionProgram {
                    name: self.str()?,
                    ask: self.opt_str()?,
                    weight: self.f64()?,
                    when: match self.byte()? {
                        0 => None,
                        1 => Some(self.cond(0)?),
                        _ => return Err(self.corrupt("condition flag")),
                    },
                    plugin: self.opt_str()?,
                });
            }
            sets.push(SetProgram {
                name,
                policy,
                criteria,
            });
        }
        Ok(QualificationProgram { sets })
    }

    fn cond(&mut self, depth: usize) -> Result<Cond, ProgramError> {
        if depth > MAX_DEPTH {
            return Err(self.corrupt("conditions nested too deep"));
        }
        match self.byte()? {
            tag @ (0 | 1) => {
                let n = self.len()?;
                let mut parts = Vec::with_capacity(n);
                for _ in 0..n {
                    parts.push(self.cond(depth + 1)?);
                }
                Ok(if tag == 0 {
                    Cond::All(parts)
                } else {
                    Cond::Any(parts)
                })
            }
            2 => Ok(Cond::Not(Box::new(self.cond(depth + 1)?))),
            3 => {
                let fact = self.str()?;
                let op = *Op::ALL
                    .get(self.byte()? as usize)
                    .ok_or_else(|| self.corrupt("operator"))?;
                let value = match self.byte()? {
                    0 => None,
                    1 => Some(self.literal(depth + 1)?),
                    _ => return Err(self.corrupt("value flag")),
                };
                Ok(Cond::Fact { fact, op, value })
            }
            _ => Err(self.corrupt("condition kind")),
        }
    }

    fn literal(&mut self, depth: usize) -> Result<Literal, ProgramError> {
        if depth > MAX_DEPTH {
            return Err(self.corrupt("values nested too deep"));
        }
        let shown = self.str()?;
        let kind = match self.byte()? {
            0 => LiteralKind::Bool(self.byte()? != 0),
            1 => LiteralKind::Number(self.f64()?),
            2 => LiteralKind::Text(self.str()?),
            3 => {
                let n = self.len()?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.literal(depth + 1)?);
                }
                LiteralKind::List(items)
            }
            4 => LiteralKind::Other,
            _ => return Err(self.corrupt("value kind")),
        };
        Ok(Literal { kind, shown })
    }
}
