//! How numbers are printed: never `-0`. A value that rounds to zero from below (`-0.3` shown as
//! `{:.0}`, or an IEEE `-0.0`) reads as zero, in the JSON report and in the text ones alike.

/// Rewrites JSON number tokens that are negative zero (`-0`, `-0.0`, `-0.00e0`) as zero; text
/// inside strings is left as it is.
pub fn json_without_negative_zero(json: String) -> String {
    if !json.contains("-0") {
        return json;
    }
    let bytes = json.as_bytes();
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped, mut copied) = (false, false, 0);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
        } else if b == b'"' {
            in_string = true;
        } else if b == b'-'
            && let Some(len) = zero_token(&bytes[i + 1..])
        {
            out.push_str(&json[copied..i]);
            copied = i + 1;
            i += len;
            continue;
        }
        i += 1;
    }
    out.push_str(&json[copied..]);
    out
}

/// Rewrites `-0`, `-0.0`, `-0.00` … standing alone in text (not after a digit, letter, `.` or
/// `-`, and not followed by another digit) as the same without the sign.
pub fn text_without_negative_zero(text: String) -> String {
    if !text.contains("-0") {
        return text;
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for i in 0..bytes.len() {
        let standalone = i == 0
            || !matches!(bytes[i - 1], b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' | b'.' | b'-' | b'_');
        if bytes[i] == b'-' && standalone && zero_token(&bytes[i + 1..]).is_some() {
            out.push_str(&text[copied..i]);
            copied = i + 1;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// The length of a zero numeral at the start of `rest` (`0`, `0.000`, `0.0e5`) that is not
/// followed by more of a number, or `None`.
fn zero_token(rest: &[u8]) -> Option<usize> {
    if rest.first() != Some(&b'0') {
        return None;
    }
    let mut n = 1;
    if rest.get(n) == Some(&b'.') {
        n += 1;
        let start = n;
        while rest.get(n) == Some(&b'0') {
            n += 1;
        }
        if n == start {
            return None;
        }
    }
    if matches!(rest.get(n), Some(b'e' | b'E')) {
        n += 1;
        if matches!(rest.get(n), Some(b'+' | b'-')) {
            n += 1;
        }
        while rest.get(n).is_some_and(u8::is_ascii_digit) {
            n += 1;
        }
    }
    match rest.get(n) {
        Some(b'0'..=b'9' | b'.') => None,
        _ => Some(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_zero_is_zero() {
        assert_eq!(
            json_without_negative_zero(
                r#"{"a": -0.0, "b": [-0, -0.5, -10], "c": "-0.0", "d": -0.0e0}"#.into()
            ),
            r#"{"a": 0.0, "b": [0, -0.5, -10], "c": "-0.0", "d": 0.0e0}"#
        );
        assert_eq!(
            text_without_negative_zero(
                "effect ≈ -0 USD (95% range -0.0 to 3); 2024-03-05; -0.4; x-0; -05".into()
            ),
            "effect ≈ 0 USD (95% range 0.0 to 3); 2024-03-05; -0.4; x-0; -05"
        );
        assert_eq!(text_without_negative_zero("-0".into()), "0");
        assert_eq!(format!("{:.0}", -0.3_f64), "-0");
    }
}
