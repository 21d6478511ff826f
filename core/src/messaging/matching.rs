//! Phrase matching: a phrase's content stems found within a small window of a text's content
//! words, in any order (an exact phrase is the tightest case), and the spans that cover them.

use rustc_hash::FxHashMap;

use super::Span;
use crate::text::{Analyzer, Token};

/// How many content words beyond a phrase's own a match may spread over ("cut onboarding time"
/// matches "we cut the time it takes to onboard": 3 stems within 4 content words).
pub const SLOP: usize = 2;

/// The most content words a phrase may have (matches are tracked in a 64-bit mask).
const MAX_STEMS: usize = 64;

/// A phrase reduced to its content stems.
#[derive(Debug, Clone)]
pub struct Phrase {
    /// Content stems (stop words and numbers dropped), in the phrase's order.
    pub stems: Vec<String>,
    /// The phrase as configured.
    pub label: String,
    /// Whose phrase it is: a pillar's index, or a claim's.
    pub owner: usize,
}

/// A list of phrases indexed by every stem they contain.
pub struct PhraseSet {
    /// The phrases.
    pub phrases: Vec<Phrase>,
    by_stem: FxHashMap<String, Vec<u32>>,
}

/// One match: which phrase, and the content words (first, last) it covers.
#[derive(Debug, Clone, Copy)]
pub struct Match {
    /// Index into [`PhraseSet::phrases`].
    pub phrase: usize,
    /// First content word (index into the content words).
    pub first: usize,
    /// Last content word, inclusive.
    pub last: usize,
}

impl PhraseSet {
    /// Indexes phrases; phrases without content stems are left out.
    pub fn new(phrases: Vec<Phrase>) -> Self {
        let phrases: Vec<Phrase> = phrases
            .into_iter()
            .filter(|p| !p.stems.is_empty() && p.stems.len() <= MAX_STEMS)
            .collect();
        let mut by_stem: FxHashMap<String, Vec<u32>> = FxHashMap::default();
        for (i, p) in phrases.iter().enumerate() {
            for (k, s) in p.stems.iter().enumerate() {
                if !p.stems[..k].contains(s) {
                    by_stem.entry(s.clone()).or_default().push(i as u32);
                }
            }
        }
        PhraseSet { phrases, by_stem }
    }

    /// Every match in the content words, by the word where the search started; one phrase's
    /// matches do not overlap.
    /// A match starts at a word of the phrase, takes the phrase's stems as they come (a stem
    /// counted once per time the phrase has it), stays within one sentence and within
    /// `stems + SLOP` content words, and is then tightened to the shortest run ending where
    /// it completed.
    pub fn find(&self, content: &[&Token]) -> Vec<Match> {
        let mut next_free = vec![0usize; self.phrases.len()];
        let mut out = Vec::new();
        for i in 0..content.len() {
            let Some(candidates) = self.by_stem.get(content[i].stem.as_str()) else {
                continue;
            };
            for &p in candidates {
                let p = p as usize;
                if next_free[p] > i {
                    continue;
                }
                if let Some(m) = self.match_at(p, content, i) {
                    next_free[p] = m.last + 1;
                    out.push(m);
                }
            }
        }
        out
    }

    fn match_at(&self, p: usize, content: &[&Token], i: usize) -> Option<Match> {
        let stems = &self.phrases[p].stems;
        let n = stems.len();
        let full: u64 = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
        let sentence = content[i].sentence;
        let mut covered = 0u64;
        let end = (i + n + SLOP).min(content.len());
        for j in i..end {
            if content[j].sentence != sentence {
                return None;
            }
            covered |= take(stems, covered, &content[j].stem);
            if covered == full {
                // Tighten: the latest start from which the words up to j still cover the phrase.
                let mut back = 0u64;
                let mut s = j;
                loop {
                    back |= take(stems, back, &content[s].stem);
                    if back == full || s == i {
                        break;
                    }
                    s -= 1;
                }
                return Some(Match {
                    phrase: p,
                    first: s,
                    last: j,
                });
            }
        }
        None
    }
}

/// The bit of the first slot of `stems` equal to `stem` not yet in `covered` (0 if none).
fn take(stems: &[String], covered: u64, stem: &str) -> u64 {
    stems
        .iter()
        .enumerate()
        .find(|(k, s)| covered & (1 << k) == 0 && s.as_str() == stem)
        .map_or(0, |(k, _)| 1 << k)
}

/// A phrase of the configuration: its content stems.
pub fn phrase(analyzer: &Analyzer, text: &str, owner: usize) -> Phrase {
    Phrase {
        stems: analyzer.phrase(text),
        label: text.to_string(),
        owner,
    }
}

/// The parts of a pillar's description that serve as its terms: the description split at
/// sentence and clause ends, commas, `and` and `plus`, keeping the parts of two or more content
/// words (single words belong in `synonyms`).
pub fn description_terms<'a>(analyzer: &Analyzer, description: &'a str) -> Vec<&'a str> {
    let mut parts = vec![description];
    for sep in [".", ";", ":", ",", "!", "?", " and ", " plus "] {
        parts = parts.into_iter().flat_map(|p| p.split(sep)).collect();
    }
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| analyzer.phrase(p).len() >= 2)
        .collect()
}

/// The span of the text from content word `first` to `last`.
pub fn span_of(content: &[&Token], first: usize, last: usize, text: &str) -> Span {
    let (a, b) = (content[first], content[last]);
    super::span(text, a.byte_start, b.byte_end, a.start, b.end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(a: &Analyzer, text: &str) -> Vec<Token> {
        a.tokens(text)
    }

    fn content_words(tokens: &[Token]) -> Vec<&Token> {
        tokens
            .iter()
            .filter(|t| !t.stop && !crate::text::is_number(&t.word))
            .collect()
    }

    #[test]
    fn any_order_within_the_window() {
        let a = Analyzer::new("english").expect("english");
        let set = PhraseSet::new(vec![phrase(&a, "cut onboarding time", 0)]);
        let t = words(&a, "We cut the time it takes to onboard by 70%.");
        let c = content_words(&t);
        let m = set.find(&c);
        assert_eq!(m.len(), 1);
        assert_eq!(
            span_of(
                &c,
                m[0].first,
                m[0].last,
                "We cut the time it takes to onboard by 70%."
            )
            .text,
            "cut the time it takes to onboard"
        );
        // Too far apart: 3 stems spread over 6 content words.
        let t = words(
            &a,
            "Cut costs, save hours of rework time, and onboard faster.",
        );
        assert!(set.find(&content_words(&t)).is_empty());
        // Never across a sentence.
        let t = words(&a, "We cut time. Onboarding is next.");
        assert!(set.find(&content_words(&t)).is_empty());
    }

    #[test]
    fn tightened_to_the_shortest_run() {
        let a = Analyzer::new("english").expect("english");
        let set = PhraseSet::new(vec![phrase(&a, "onboarding time", 0)]);
        let text = "onboarding onboarding time";
        let t = words(&a, text);
        let c = content_words(&t);
        let m = set.find(&c);
        assert_eq!(m.len(), 1);
        assert_eq!(
            span_of(&c, m[0].first, m[0].last, text).text,
            "onboarding time"
        );
    }

    #[test]
    fn description_parts() {
        let a = Analyzer::new("english").expect("english");
        assert_eq!(
            description_terms(&a, "More than 200 native integrations plus an open API."),
            vec!["More than 200 native integrations", "an open API"]
        );
        assert_eq!(
            description_terms(&a, "SOC 2 Type II, SSO, encryption, data residency."),
            vec!["SOC 2 Type II", "data residency"]
        );
    }
}
