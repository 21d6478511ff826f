//! The text encodings CRMs and Excel really write — UTF-8 (with or without BOM), UTF-16 (with or
//! without BOM) and Windows-1252 / Latin-1 — recognised from a file's bytes and decoded to UTF-8.

use std::borrow::Cow;
use std::fmt;

/// An encoding a data or export file was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8, with or without a byte-order mark.
    Utf8,
    /// UTF-16 little-endian (Excel's "Unicode Text", Windows tools).
    Utf16Le,
    /// UTF-16 big-endian.
    Utf16Be,
    /// Windows-1252, a superset of Latin-1 (ISO-8859-1) as browsers and Excel read it.
    Windows1252,
}

impl fmt::Display for TextEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Utf16Le => "UTF-16 LE",
            TextEncoding::Utf16Be => "UTF-16 BE",
            TextEncoding::Windows1252 => "Windows-1252 (Latin-1)",
        })
    }
}

impl TextEncoding {
    /// The encoding the first bytes of a file show: a byte-order mark, or UTF-16's zero bytes
    /// (ASCII text in UTF-16 has every other byte zero), or bytes that are not UTF-8. `complete`
    /// says whether `head` is the whole file (else a UTF-8 sequence cut at its end is allowed).
    pub fn sniff(head: &[u8], complete: bool) -> TextEncoding {
        match head {
            [0xFF, 0xFE, ..] => return TextEncoding::Utf16Le,
            [0xFE, 0xFF, ..] => return TextEncoding::Utf16Be,
            [0xEF, 0xBB, 0xBF, ..] => return TextEncoding::Utf8,
            _ => {}
        }
        let sample = &head[..head.len().min(4096) & !1];
        let zeros_at = |parity: usize| {
            sample
                .iter()
                .skip(parity)
                .step_by(2)
                .filter(|&&b| b == 0)
                .count()
        };
        let pairs = sample.len() / 2;
        if pairs >= 2 {
            if zeros_at(1) * 2 > pairs && zeros_at(0) == 0 {
                return TextEncoding::Utf16Le;
            }
            if zeros_at(0) * 2 > pairs && zeros_at(1) == 0 {
                return TextEncoding::Utf16Be;
            }
        }
        match std::str::from_utf8(head) {
            Ok(_) => TextEncoding::Utf8,
            // A multi-byte sequence cut by the end of the sample is not evidence.
            Err(e) if !complete && e.error_len().is_none() => TextEncoding::Utf8,
            Err(_) => TextEncoding::Windows1252,
        }
    }

    /// Decodes a whole file as this encoding (a UTF-8 BOM is dropped; bytes that do not decode
    /// become U+FFFD, which only UTF-8 files found invalid later can contain).
    pub fn decode(self, bytes: &[u8]) -> Cow<'_, str> {
        let encoding = match self {
            TextEncoding::Utf8 => encoding_rs::UTF_8,
            TextEncoding::Utf16Le => encoding_rs::UTF_16LE,
            TextEncoding::Utf16Be => encoding_rs::UTF_16BE,
            TextEncoding::Windows1252 => encoding_rs::WINDOWS_1252,
        };
        // `decode` sniffs a BOM first and lets it win; the BOM is removed either way.
        encoding.decode(bytes).0
    }
}

/// A whole file read as text: its UTF-8 and the encoding it was found in.
pub fn decode_file(bytes: &[u8]) -> (Cow<'_, str>, TextEncoding) {
    let encoding = TextEncoding::sniff(bytes, true);
    (encoding.decode(bytes), encoding)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_what_excel_and_crms_write() {
        let utf16le: Vec<u8> = "Id,Name\n1,Zoë\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(TextEncoding::sniff(&utf16le, true), TextEncoding::Utf16Le);
        let mut with_bom = vec![0xFF, 0xFE];
        with_bom.extend(&utf16le);
        assert_eq!(decode_file(&with_bom).0, "Id,Name\n1,Zoë\n");
        assert_eq!(decode_file(&utf16le).0, "Id,Name\n1,Zoë\n");
        let utf16be: Vec<u8> = "Id\n7\n"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert_eq!(
            decode_file(&utf16be),
            ("Id\n7\n".into(), TextEncoding::Utf16Be)
        );
        // "Zoë" and "€" in Windows-1252: 0xEB and 0x80.
        let cp1252 = b"Id,Name\n1,Zo\xEB \x80\n";
        assert_eq!(
            decode_file(cp1252),
            ("Id,Name\n1,Zoë €\n".into(), TextEncoding::Windows1252)
        );
        assert_eq!(
            decode_file("\u{feff}Id\n".as_bytes()),
            ("Id\n".into(), TextEncoding::Utf8)
        );
        // A UTF-8 "ë" cut in two by the end of a sample is still UTF-8.
        assert_eq!(TextEncoding::sniff(b"Zo\xC3", false), TextEncoding::Utf8);
        assert_eq!(
            TextEncoding::sniff(b"Zo\xC3", true),
            TextEncoding::Windows1252
        );
    }
}
