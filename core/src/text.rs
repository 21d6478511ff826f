//! Text analysis for the messaging audit: Unicode word segmentation, case folding, stop words and
//! Snowball stemming, with every token's character span in the original text.

/// Tokens longer than this many bytes are not stemmed.
pub const MAX_STEM_BYTES: usize = 64;

use rust_stemmers::{Algorithm, Stemmer};
use unicode_segmentation::UnicodeSegmentation;

/// English stop words (a compact list; other languages are stemmed without stop words).
const ENGLISH_STOP: &[&str] = &[
    "a", "about", "after", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be",
    "been", "before", "being", "both", "but", "by", "can", "could", "did", "do", "does", "for",
    "from", "had", "has", "have", "he", "her", "here", "his", "how", "i", "if", "in", "into", "is",
    "it", "its", "just", "let", "me", "more", "most", "my", "no", "not", "of", "on", "or", "our",
    "out", "over", "own", "per", "she", "so", "some", "such", "than", "that", "the", "their",
    "them", "then", "there", "these", "they", "this", "those", "through", "to", "too", "up", "us",
    "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "why", "will",
    "with", "would", "you", "your", "yours",
];

/// A word of a text.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// The stem (lower-cased, stemmed); numbers are kept as written.
    pub stem: String,
    /// The word lower-cased.
    pub word: String,
    /// Start, in characters (Unicode scalar values) from the text's start.
    pub start: usize,
    /// End (exclusive), in characters.
    pub end: usize,
    /// Start, in bytes.
    pub byte_start: usize,
    /// End (exclusive), in bytes.
    pub byte_end: usize,
    /// True for a stop word.
    pub stop: bool,
    /// Index of the sentence the word is in.
    pub sentence: usize,
    /// Index of the clause the word is in (see [`starts_clause`]); counts across sentences.
    pub clause: usize,
}

/// A language's analyzer.
pub struct Analyzer {
    stemmer: Stemmer,
    stop: &'static [&'static str],
    english: bool,
}

/// English forms Snowball leaves apart from their base word: irregular verbs and the
/// comparatives of common adjectives ("went live" is "go live", "faster" is "fast").
const ENGLISH_BASES: &[(&str, &str)] = &[
    ("went", "go"),
    ("gone", "go"),
    ("goes", "go"),
    ("going", "go"),
    ("took", "take"),
    ("taken", "take"),
    ("made", "make"),
    ("got", "get"),
    ("gotten", "get"),
    ("built", "build"),
    ("ran", "run"),
    ("saw", "see"),
    ("seen", "see"),
    ("brought", "bring"),
    ("paid", "pay"),
    ("grew", "grow"),
    ("grown", "grow"),
    ("fell", "fall"),
    ("fallen", "fall"),
    ("rose", "rise"),
    ("risen", "rise"),
    ("spent", "spend"),
    ("faster", "fast"),
    ("fastest", "fast"),
    ("quicker", "quick"),
    ("quickest", "quick"),
    ("easier", "easy"),
    ("easiest", "easy"),
    ("simpler", "simple"),
    ("simplest", "simple"),
    ("cheaper", "cheap"),
    ("cheapest", "cheap"),
    ("shorter", "short"),
    ("shortest", "short"),
    ("safer", "safe"),
    ("safest", "safe"),
    ("smarter", "smart"),
    ("smartest", "smart"),
    ("stronger", "strong"),
    ("strongest", "strong"),
    ("sooner", "soon"),
    ("soonest", "soon"),
    ("higher", "high"),
    ("highest", "high"),
    ("lower", "low"),
    ("lowest", "low"),
    ("bigger", "big"),
    ("biggest", "big"),
    ("smaller", "small"),
    ("smallest", "small"),
    ("greater", "great"),
    ("greatest", "great"),
];

fn english_base(word: &str) -> Option<&'static str> {
    ENGLISH_BASES
        .iter()
        .find(|(w, _)| *w == word)
        .map(|(_, b)| *b)
}

impl Analyzer {
    /// An analyzer for a Snowball language name (`english`, `german`, `french`, ...); `None` when unknown.
    pub fn new(language: &str) -> Option<Analyzer> {
        let algorithm = match language.to_ascii_lowercase().as_str() {
            "english" | "en" => Algorithm::English,
            "german" | "de" => Algorithm::German,
            "french" | "fr" => Algorithm::French,
            "spanish" | "es" => Algorithm::Spanish,
            "italian" | "it" => Algorithm::Italian,
            "portuguese" | "pt" => Algorithm::Portuguese,
            "dutch" | "nl" => Algorithm::Dutch,
            "swedish" | "sv" => Algorithm::Swedish,
            "norwegian" | "no" => Algorithm::Norwegian,
            "danish" | "da" => Algorithm::Danish,
            "finnish" | "fi" => Algorithm::Finnish,
            "russian" | "ru" => Algorithm::Russian,
            _ => return None,
        };
        let stop: &'static [&'static str] = if algorithm == Algorithm::English {
            ENGLISH_STOP
        } else {
            &[]
        };
        Some(Analyzer {
            stemmer: Stemmer::create(algorithm),
            stop,
            english: algorithm == Algorithm::English,
        })
    }

    /// The words of `text` with stems and character spans, English irregular forms mapped to
    /// their base before stemming (what phrases are matched by).
    pub fn tokens(&self, text: &str) -> Vec<Token> {
        self.tokenize(text, self.english)
    }

    /// The words of `text` stemmed by Snowball alone (what the TF-IDF similarity reads).
    pub fn snowball_tokens(&self, text: &str) -> Vec<Token> {
        self.tokenize(text, false)
    }

    fn tokenize(&self, text: &str, bases: bool) -> Vec<Token> {
        let mut out = Vec::new();
        let (mut sentence, mut clause) = (0, 0);
        // Byte offset → char offset, advanced incrementally.
        let (mut byte, mut chars) = (0usize, 0usize);
        let mut last_end = 0usize;
        for (offset, word) in text.unicode_word_indices() {
            let between = &text[last_end..offset];
            let lower = word.to_lowercase();
            if between.contains(['.', '!', '?', '\n']) {
                sentence += 1;
                clause += 1;
            } else if !out.is_empty() && starts_clause(between, &lower) {
                clause += 1;
            }
            chars += text[byte..offset].chars().count();
            byte = offset;
            let len = word.chars().count();
            // A token longer than any word is kept whole: the stemmer's suffix search is
            // quadratic in its length (1 MB of `y` took a minute).
            let stem = if lower.len() > MAX_STEM_BYTES || lower.chars().any(|c| c.is_ascii_digit())
            {
                lower.clone()
            } else {
                let base = bases.then(|| english_base(&lower)).flatten();
                self.stemmer.stem(base.unwrap_or(&lower)).into_owned()
            };
            out.push(Token {
                stop: self.stop.contains(&lower.as_str()),
                stem,
                word: lower,
                start: chars,
                end: chars + len,
                byte_start: offset,
                byte_end: offset + word.len(),
                sentence,
                clause,
            });
            last_end = offset + word.len();
        }
        out
    }

    /// The content stems of a phrase (stop words and numbers dropped).
    pub fn phrase(&self, text: &str) -> Vec<String> {
        self.tokens(text)
            .into_iter()
            .filter(|t| !t.stop && !is_number(&t.word))
            .map(|t| t.stem)
            .collect()
    }
}

/// True when a word, with the text between it and the previous word, starts a new clause within
/// a sentence: after `;` or a dash; at `but`, `whereas`, `although` or `though`; and at `and`,
/// `or`, `so`, `yet`, `while` or `plus` after a comma. (A colon or a parenthesis elaborates what
/// comes before it: "Time to value: 14 days" is one clause.)
pub fn starts_clause(between: &str, word: &str) -> bool {
    between.contains([';', '—', '–'])
        || between.contains(" - ")
        || matches!(word, "but" | "whereas" | "although" | "though")
        || (between.contains(',') && matches!(word, "and" | "or" | "so" | "yet" | "while" | "plus"))
}

/// True for a token that is a number (`40`, `3.5`, `200`, `3x`).
pub fn is_number(word: &str) -> bool {
    let w = word.trim_end_matches(['x', '×']);
    !w.is_empty()
        && w.chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_spans_and_stop_words() {
        let a = Analyzer::new("english").expect("english");
        let t = a.tokens("Acme integrates; the integration works.");
        let stems: Vec<&str> = t.iter().map(|t| t.stem.as_str()).collect();
        assert_eq!(stems, vec!["acm", "integr", "the", "integr", "work"]);
        assert_eq!((t[1].start, t[1].end), (5, 15));
        assert!(t[2].stop);
        assert_eq!(
            a.phrase("cut onboarding time by 40%"),
            vec!["cut", "onboard", "time"]
        );
        // Spans count characters, not bytes.
        let u = a.tokens("Café integrations");
        assert_eq!((u[1].start, u[1].end), (5, 17));
    }
}
