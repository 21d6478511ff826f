//! The prose of a Markdown, HTML or plain-text file for the messaging check: markup replaced by
//! spaces character for character, so a span in the prose is the same span in the file, and the
//! audience the file declares.

/// How a file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Markup {
    /// Markdown (CommonMark and GitHub's tables), with optional YAML front matter.
    Markdown,
    /// HTML.
    Html,
    /// Plain text, with optional YAML front matter.
    Plain,
}

impl Markup {
    /// The markup of a file name's extension (`md`, `markdown`, `mdx`, `html`, `htm`, `txt`,
    /// `text`); `None` for any other.
    pub fn of_extension(ext: &str) -> Option<Markup> {
        match ext.to_ascii_lowercase().as_str() {
            "md" | "markdown" | "mdx" => Some(Markup::Markdown),
            "html" | "htm" | "xhtml" => Some(Markup::Html),
            "txt" | "text" => Some(Markup::Plain),
            _ => None,
        }
    }
}

/// A file's prose.
#[derive(Debug, Clone, PartialEq)]
pub struct Prose {
    /// The text with markup blanked: as many characters as the file, line breaks where
    /// sentences or blocks end.
    pub text: String,
    /// The audience the file declares (`audience:` in front matter, `<meta name="audience">`).
    pub audience: Option<String>,
}

/// The prose of a file.
pub fn prose(source: &str, markup: Markup) -> Prose {
    let mut chars: Vec<char> = source.chars().collect();
    let audience = match markup {
        Markup::Html => {
            let audience = html_meta_audience(source);
            strip_html(&mut chars);
            audience
        }
        Markup::Markdown | Markup::Plain => {
            let audience = front_matter(&mut chars);
            let joins = wrapped_breaks(&chars);
            if markup == Markup::Markdown {
                strip_markdown(&mut chars);
            }
            for k in joins {
                chars[k] = ' ';
            }
            audience
        }
    };
    Prose {
        text: chars.into_iter().collect(),
        audience,
    }
}

/// Blanks a character, keeping line breaks.
fn blank(c: &mut char) {
    if *c != '\n' {
        *c = ' ';
    }
}

fn blank_range(chars: &mut [char], from: usize, to: usize) {
    let to = to.min(chars.len());
    for c in &mut chars[from..to] {
        blank(c);
    }
}

/// Line ranges (start, end exclusive of the `\n`).
fn lines(chars: &[char]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in chars.iter().enumerate() {
        if *c == '\n' {
            out.push((start, i));
            start = i + 1;
        }
    }
    out.push((start, chars.len()));
    out
}

fn line_text(chars: &[char], (a, b): (usize, usize)) -> String {
    chars[a..b].iter().collect::<String>().trim().to_string()
}

/// YAML front matter (`---` … `---` at the start): blanked, its `audience:` returned.
fn front_matter(chars: &mut [char]) -> Option<String> {
    let ls = lines(chars);
    if ls.is_empty() || line_text(chars, ls[0]) != "---" {
        return None;
    }
    let close = ls.iter().skip(1).position(|&l| {
        let t = line_text(chars, l);
        t == "---" || t == "..."
    })? + 1;
    let mut audience = None;
    for &l in &ls[1..close] {
        let t = line_text(chars, l);
        if let Some(v) = t.strip_prefix("audience:") {
            let v = v.trim().trim_matches(['"', '\'']).trim();
            if !v.is_empty() {
                audience = Some(v.to_string());
            }
        }
    }
    blank_range(chars, 0, ls[close].1);
    audience
}

/// Markdown: fenced code, HTML tags, link targets, block markers, emphasis, inline code and
/// table pipes blanked; link and image texts kept.
fn strip_markdown(chars: &mut [char]) {
    let ls = lines(chars);
    let mut fence: Option<char> = None;
    for &(a, b) in &ls {
        let t = line_text(chars, (a, b));
        if let Some(f) = fence {
            if t.starts_with(f.to_string().repeat(3).as_str()) {
                fence = None;
            }
            blank_range(chars, a, b);
            continue;
        }
        if t.starts_with("```") || t.starts_with("~~~") {
            fence = t.chars().next();
            blank_range(chars, a, b);
            continue;
        }
        // A link reference definition: `[id]: https://…`.
        if t.starts_with('[') && t.contains("]:") {
            blank_range(chars, a, b);
            continue;
        }
        block_marker(chars, a, b);
        inline_markdown(chars, a, b);
    }
    strip_tags(chars, false);
}

/// Blanks a line's leading heading, quote and list markers, and table separator lines.
fn block_marker(chars: &mut [char], a: usize, b: usize) {
    let mut i = a;
    loop {
        while i < b && chars[i].is_whitespace() {
            i += 1;
        }
        if i >= b {
            return;
        }
        let start = i;
        match chars[i] {
            '#' | '>' => {
                while i < b && (chars[i] == '#' || chars[i] == '>') {
                    i += 1;
                }
            }
            '-' | '*' | '+' if i + 1 < b && chars[i + 1] == ' ' => i += 1,
            d if d.is_ascii_digit() => {
                while i < b && chars[i].is_ascii_digit() {
                    i += 1;
                }
                if i < b
                    && (chars[i] == '.' || chars[i] == ')')
                    && (i + 1 == b || chars[i + 1] == ' ')
                {
                    i += 1;
                } else {
                    return;
                }
            }
            _ => {
                // `|---|:--:|` and `***`/`---` rules carry no words.
                if chars[i..b].iter().all(|c| "|-:= *_".contains(*c)) {
                    blank_range(chars, i, b);
                }
                return;
            }
        }
        blank_range(chars, start, i);
    }
}

/// Inline code blanked; `[text](target)` and `![alt](src)` keep the text; emphasis, pipes and
/// autolinks blanked.
fn inline_markdown(chars: &mut [char], a: usize, b: usize) {
    let mut i = a;
    while i < b {
        match chars[i] {
            '`' => {
                let close = (i + 1..b).find(|&k| chars[k] == '`');
                let end = close.map_or(i + 1, |k| k + 1);
                blank_range(chars, i, end);
                i = end;
                continue;
            }
            '!' if i + 1 < b && chars[i + 1] == '[' => blank(&mut chars[i]),
            '[' => blank(&mut chars[i]),
            ']' => {
                blank(&mut chars[i]);
                if i + 1 < b && (chars[i + 1] == '(' || chars[i + 1] == '[') {
                    let close = if chars[i + 1] == '(' { ')' } else { ']' };
                    if let Some(k) = (i + 2..b).find(|&k| chars[k] == close) {
                        blank_range(chars, i + 1, k + 1);
                        i = k + 1;
                        continue;
                    }
                }
            }
            '*' | '~' | '|' => blank(&mut chars[i]),
            '_' => {
                let before = i > a && chars[i - 1].is_alphanumeric();
                let after = i + 1 < b && chars[i + 1].is_alphanumeric();
                if !(before && after) {
                    blank(&mut chars[i]);
                }
            }
            _ => {}
        }
        i += 1;
    }
}

/// The line breaks inside paragraphs, to be read as spaces (a sentence wrapped over lines is one
/// sentence). Kept: blank lines, the break after a heading or table row, and the break before
/// a list item, heading, quote, table row or code fence.
fn wrapped_breaks(chars: &[char]) -> Vec<usize> {
    let ls = lines(chars);
    let starts_block = |t: &str| {
        t.starts_with(['-', '*', '+', '#', '>', '|', '`', '~'])
            || t.split_once(['.', ')'])
                .is_some_and(|(d, _)| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
    };
    ls.windows(2)
        .filter(|w| {
            let (p, n) = (line_text(chars, w[0]), line_text(chars, w[1]));
            !p.is_empty()
                && !n.is_empty()
                && !p.starts_with(['#', '|'])
                && !p.starts_with("```")
                && !p.starts_with("~~~")
                && !starts_block(&n)
        })
        .map(|w| w[0].1)
        .collect()
}

/// Block-level HTML elements: a line break where one starts or ends.
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "td",
    "th",
    "title",
    "tr",
    "ul",
];

/// HTML: the document's text only (tags, comments, scripts and styles blanked, entities
/// decoded in place, line breaks in text as spaces, block elements as line breaks).
fn strip_html(chars: &mut [char]) {
    for c in chars.iter_mut() {
        if *c == '\n' || *c == '\r' {
            *c = ' ';
        }
    }
    strip_tags(chars, true);
    decode_entities(chars);
}

/// Blanks tags and comments (and `<script>`/`<style>` contents); with `blocks`, a block
/// element's tag becomes a line break.
fn strip_tags(chars: &mut [char], blocks: bool) {
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '<' {
            i += 1;
            continue;
        }
        let rest: String = chars[i + 1..(i + 12).min(chars.len())].iter().collect();
        let lower = rest.to_ascii_lowercase();
        if lower.starts_with("!--") {
            let end = find(chars, i + 4, "-->").map_or(chars.len(), |k| k + 3);
            blank_range(chars, i, end);
            i = end;
            continue;
        }
        let name: String = lower
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        let is_tag = lower.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!');
        if !is_tag || name.is_empty() && !lower.starts_with('!') {
            i += 1;
            continue;
        }
        let Some(close) = (i..chars.len()).find(|&k| chars[k] == '>') else {
            return;
        };
        let mut end = close + 1;
        if (name == "script" || name == "style") && !lower.starts_with('/') {
            end = find(chars, end, &format!("</{name}"))
                .and_then(|k| (k..chars.len()).find(|&j| chars[j] == '>'))
                .map_or(chars.len(), |k| k + 1);
        }
        blank_range(chars, i, end);
        if blocks && BLOCKS.contains(&name.as_str()) {
            chars[i] = '\n';
        }
        i = end;
    }
}

/// The first index at or after `from` where `needle` starts (ASCII, case-insensitive).
fn find(chars: &[char], from: usize, needle: &str) -> Option<usize> {
    let n: Vec<char> = needle.chars().collect();
    (from..chars.len().saturating_sub(n.len() - 1))
        .find(|&k| (0..n.len()).all(|j| chars[k + j].eq_ignore_ascii_case(&n[j])))
}

/// `&amp;`, `&#233;`, `&#xE9;` and the common named entities: the character in place of the `&`,
/// the rest blanked.
fn decode_entities(chars: &mut [char]) {
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '&' {
            i += 1;
            continue;
        }
        let Some(semi) = (i + 1..(i + 10).min(chars.len())).find(|&k| chars[k] == ';') else {
            i += 1;
            continue;
        };
        let name: String = chars[i + 1..semi].iter().collect();
        let decoded = match name.as_str() {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" | "rsquo" | "lsquo" => Some('\''),
            "nbsp" | "ensp" | "emsp" | "thinsp" => Some(' '),
            "ndash" => Some('–'),
            "mdash" => Some('—'),
            "hellip" => Some('…'),
            "times" => Some('×'),
            "percnt" => Some('%'),
            _ => name.strip_prefix('#').and_then(|n| {
                let code = match n.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => n.parse().ok(),
                };
                code.and_then(char::from_u32)
            }),
        };
        if let Some(c) = decoded {
            chars[i] = c;
            blank_range(chars, i + 1, semi + 1);
            i = semi + 1;
        } else {
            i += 1;
        }
    }
}

/// `<meta name="audience" content="…">`.
fn html_meta_audience(source: &str) -> Option<String> {
    let lower = source.to_ascii_lowercase();
    let mut from = 0;
    while let Some(k) = lower[from..].find("<meta") {
        let start = from + k;
        let end = lower[start..].find('>').map_or(lower.len(), |e| start + e);
        let tag = &source[start..end];
        let attr = |name: &str| -> Option<String> {
            let tl = tag.to_ascii_lowercase();
            let at = tl.find(&format!("{name}="))? + name.len() + 1;
            let rest = &tag[at..];
            let quote = rest.chars().next()?;
            if quote == '"' || quote == '\'' {
                rest[1..].split(quote).next().map(str::to_string)
            } else {
                rest.split([' ', '/', '>']).next().map(str::to_string)
            }
        };
        if attr("name").is_some_and(|n| n.eq_ignore_ascii_case("audience")) {
            return attr("content")
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty());
        }
        from = end;
    }
    None
}

/// The 1-based line and column (in characters) of a character offset of `source`.
pub fn line_col(line_starts: &[usize], offset: usize) -> (usize, usize) {
    let line = line_starts.partition_point(|&s| s <= offset);
    (line, offset - line_starts[line - 1] + 1)
}

/// The character offsets where each line of `source` starts.
pub fn line_starts(source: &str) -> Vec<usize> {
    let mut out = vec![0];
    for (i, c) in source.chars().enumerate() {
        if c == '\n' {
            out.push(i + 1);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same_length(source: &str, markup: Markup) -> Prose {
        let p = prose(source, markup);
        assert_eq!(p.text.chars().count(), source.chars().count());
        p
    }

    #[test]
    fn markdown_keeps_positions() {
        let src = "---\ntitle: Launch\naudience: CFO\n---\n# Cut *onboarding* time\n\nSee [our API](https://x.test/api) and `code here`.\n- item one\n";
        let p = same_length(src, Markup::Markdown);
        assert_eq!(p.audience.as_deref(), Some("CFO"));
        assert!(!p.text.contains("title"));
        assert!(!p.text.contains("https") && !p.text.contains("code here"));
        let at = p.text.find("onboarding").expect("kept");
        assert_eq!(&src[at..at + 10], "onboarding");
        assert!(p.text.contains("our API"));
        assert!(!p.text.contains('#') && !p.text.contains('*'));
    }

    #[test]
    fn wrapped_lines_are_one_sentence() {
        let p = same_length(
            "We cut onboarding\ntime by 40%.\n\n- a list\n- item\n",
            Markup::Markdown,
        );
        assert_eq!(
            p.text,
            "We cut onboarding time by 40%.\n\n  a list\n  item\n"
        );
    }

    #[test]
    fn html_text_only() {
        let src = "<html><head><meta name=\"audience\" content=\"sales\"><style>p{}</style><script>var onboarding=1;</script></head>\n<body><p>Caf&eacute; &amp; SSO</p><!-- retired --><p>40&#37; less</p></body></html>";
        let p = same_length(src, Markup::Html);
        assert_eq!(p.audience.as_deref(), Some("sales"));
        assert!(!p.text.contains("var") && !p.text.contains("retired") && !p.text.contains("p{}"));
        assert!(p.text.contains("&     SSO") && p.text.contains("40%     less"));
        let at = p.text.chars().position(|c| c == '4').expect("40");
        assert_eq!(src.chars().nth(at), Some('4'));
    }

    #[test]
    fn lines_and_columns() {
        let starts = line_starts("ab\ncdé\nf");
        assert_eq!(line_col(&starts, 0), (1, 1));
        assert_eq!(line_col(&starts, 4), (2, 2));
        assert_eq!(line_col(&starts, 7), (3, 1));
    }
}
