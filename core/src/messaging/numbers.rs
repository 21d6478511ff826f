//! Numbers stated in a text: percentages, multiples, durations and counts, written in digits
//! (`40%`, `3x`, `30 days`) or in words (`forty percent`, `three times`, `twice`, `half`).

use crate::text::{Token, is_number};

/// What kind of number a claim states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NumberKind {
    /// `40%`, `40 percent`, `half`.
    Percent,
    /// `3x`, `3 times`, `twice`.
    Multiple,
    /// `30 days`, `4 weeks`, `2 months`, in days.
    DurationDays,
    /// Any other number: a count of the word after it.
    Count,
}

impl NumberKind {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            NumberKind::Percent => "percent",
            NumberKind::Multiple => "multiple",
            NumberKind::DurationDays => "duration_days",
            NumberKind::Count => "count",
        }
    }
}

/// One number found: kind, value, unit (counts), and the tokens it spans (first, last).
#[derive(Debug, Clone, PartialEq)]
pub struct Stated {
    /// Kind.
    pub kind: NumberKind,
    /// Value (percent as 40 for 40%, durations in days).
    pub value: f64,
    /// For counts: the stem of the counted word.
    pub unit: String,
    /// First token.
    pub first: usize,
    /// Last token (inclusive).
    pub last: usize,
}

/// Numbers written as words; they count only with a unit after them (`forty percent`), never as
/// bare counts (`one platform`).
fn cardinal(word: &str) -> Option<f64> {
    const WORDS: [&str; 20] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ];
    const TENS: [&str; 8] = [
        "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    ];
    if let Some(i) = WORDS.iter().position(|w| *w == word) {
        return Some(i as f64);
    }
    if let Some(i) = TENS.iter().position(|w| *w == word) {
        return Some(20.0 + 10.0 * i as f64);
    }
    (word == "hundred").then_some(100.0)
}

/// Ratio words that state a number on their own.
fn ratio_word(word: &str) -> Option<(NumberKind, f64)> {
    match word {
        "half" | "halve" | "halves" | "halved" | "halving" => Some((NumberKind::Percent, 50.0)),
        "double" | "twice" | "doubles" | "doubled" | "doubling" => {
            Some((NumberKind::Multiple, 2.0))
        }
        "triple" | "triples" | "tripled" | "tripling" | "thrice" => {
            Some((NumberKind::Multiple, 3.0))
        }
        "quadruple" | "quadruples" | "quadrupled" => Some((NumberKind::Multiple, 4.0)),
        _ => None,
    }
}

/// Every number in the tokens of `text`.
pub fn numbers(tokens: &[Token], text: &str) -> Vec<Stated> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if let Some(s) = number_at(tokens, text, i) {
            i = s.last + 1;
            out.push(s);
        } else {
            i += 1;
        }
    }
    out
}

fn number_at(tokens: &[Token], text: &str, i: usize) -> Option<Stated> {
    let t = &tokens[i];
    let word = t.word.as_str();
    let at = |k: usize| tokens.get(k).map(|n| n.word.as_str()).unwrap_or("");
    if let Some((kind, value)) = ratio_word(word) {
        return Some(Stated {
            kind,
            value,
            unit: String::new(),
            first: i,
            last: i,
        });
    }
    // A written-out number: "forty five percent" adds up; "a hundred" is 100.
    let (value, mut last, in_words) = if is_number(word) {
        let digits = word.trim_end_matches(['x', '×']).replace(',', "");
        (digits.parse::<f64>().ok()?, i, false)
    } else {
        let mut v = cardinal(word)?;
        let mut k = i;
        while let Some(more) = cardinal(at(k + 1)) {
            v = if more == 100.0 { v * 100.0 } else { v + more };
            k += 1;
        }
        (v, k, true)
    };
    let next = at(last + 1);
    let after = text[tokens[last].byte_end..].chars().next();
    let kind = if !in_words && (word.ends_with('x') || word.ends_with('×') || after == Some('×'))
    {
        NumberKind::Multiple
    } else if matches!(next, "times" | "x" | "fold") {
        last += 1;
        NumberKind::Multiple
    } else if !in_words && after == Some('%') {
        NumberKind::Percent
    } else if matches!(next, "percent" | "pct" | "percentage") {
        last += 1;
        NumberKind::Percent
    } else if next == "per" && at(last + 2) == "cent" {
        last += 2;
        NumberKind::Percent
    } else if let Some(days) = days_of(next) {
        last += 1;
        return Some(Stated {
            kind: NumberKind::DurationDays,
            value: value * days,
            unit: String::new(),
            first: i,
            last,
        });
    } else if in_words {
        return None;
    } else {
        // A count: the unit is the last content word among the next three
        // ("200 native integrations" → integr).
        let unit = tokens[i + 1..(i + 4).min(tokens.len())]
            .iter()
            .rev()
            .find(|n| !n.stop && !is_number(&n.word) && cardinal(&n.word).is_none())
            .map(|n| n.stem.clone())
            .unwrap_or_default();
        return Some(Stated {
            kind: NumberKind::Count,
            value,
            unit,
            first: i,
            last,
        });
    };
    Some(Stated {
        kind,
        value,
        unit: String::new(),
        first: i,
        last,
    })
}

/// Days in one of a duration's units.
fn days_of(word: &str) -> Option<f64> {
    match word {
        "day" | "days" => Some(1.0),
        "week" | "weeks" => Some(7.0),
        "month" | "months" => Some(30.0),
        _ => None,
    }
}
