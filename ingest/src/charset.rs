//! Bytes to UTF-8: byte-order mark, then the HTTP `charset`, then
//! `<meta charset>` / `http-equiv`, then statistical detection (chardetng).
//! A declared UTF-8 that does not validate is treated as undeclared: Arabic
//! sites often serve windows-1256 under a wrong header.

use encoding_rs::{Encoding, UTF_8};

/// Decode `bytes` to UTF-8. Returns the text and the name of the encoding
/// used. Malformed sequences become U+FFFD; this never fails.
pub fn decode_html(bytes: &[u8], content_type: Option<&str>) -> (String, &'static str) {
    let encoding = choose(bytes, content_type);
    let (text, used, _had_errors) = encoding.decode(bytes);
    (text.into_owned(), used.name())
}

fn choose(bytes: &[u8], content_type: Option<&str>) -> &'static Encoding {
    if let Some((enc, _)) = Encoding::for_bom(bytes) {
        return enc;
    }
    let declared = content_type
        .and_then(charset_param)
        .and_then(|l| Encoding::for_label(l.as_bytes()))
        .or_else(|| meta_charset(&bytes[..bytes.len().min(4096)]));
    match declared {
        // UTF-16 cannot be declared inside an ASCII-compatible document.
        Some(enc) if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE => UTF_8,
        Some(enc) if enc == UTF_8 && std::str::from_utf8(bytes).is_err() => detect(bytes),
        Some(enc) => enc,
        None if std::str::from_utf8(bytes).is_ok() => UTF_8,
        None => detect(bytes),
    }
}

fn detect(bytes: &[u8]) -> &'static Encoding {
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    det.feed(bytes, true);
    det.guess(None, chardetng::Utf8Detection::Allow)
}

/// `charset=` of a `Content-Type` value.
pub fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim().eq_ignore_ascii_case("charset").then(|| v.trim().trim_matches(['"', '\'']).to_owned())
    })
}

/// `<meta charset=X>` or `<meta http-equiv=Content-Type content="...; charset=X">`
/// in the document head (an ASCII scan; labels are ASCII).
fn meta_charset(head: &[u8]) -> Option<&'static Encoding> {
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let mut from = 0;
    while let Some(pos) = find(&lower[from..], b"<meta") {
        let start = from + pos;
        let end = find(&lower[start..], b">").map_or(lower.len(), |e| start + e);
        let tag = &lower[start..end];
        if let Some(cs) = find(tag, b"charset") {
            let rest = &tag[cs + 7..];
            let rest =
                rest.iter().skip_while(|c| c.is_ascii_whitespace() || **c == b'=' || **c == b'"' || **c == b'\'');
            let label: Vec<u8> = rest
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b':' | b'.'))
                .copied()
                .collect();
            if let Some(enc) = Encoding::for_label(&label) {
                return Some(enc);
            }
        }
        from = end;
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARABIC: &str = "<html><head><title>خبر عاجل</title></head><body><p>اجتمع وزراء التحالف الدولي في مراكش لبحث الحرب على داعش.</p></body></html>";

    fn cp1256(s: &str) -> Vec<u8> {
        encoding_rs::WINDOWS_1256.encode(s).0.into_owned()
    }

    #[test]
    fn windows_1256_from_the_http_header() {
        let (text, enc) = decode_html(&cp1256(ARABIC), Some("text/html; charset=windows-1256"));
        assert_eq!(enc, "windows-1256");
        assert_eq!(text, ARABIC);
    }

    #[test]
    fn windows_1256_from_meta_charset() {
        let html = ARABIC.replace("<head>", "<head><meta charset=\"windows-1256\">");
        let (text, _) = decode_html(&cp1256(&html), Some("text/html"));
        assert_eq!(text, html);
    }

    #[test]
    fn windows_1256_served_as_utf8_is_detected() {
        let (text, enc) = decode_html(&cp1256(ARABIC), Some("text/html; charset=utf-8"));
        assert_eq!(enc, "windows-1256");
        assert_eq!(text, ARABIC);
    }

    #[test]
    fn iso_8859_6_by_label() {
        let bytes = encoding_rs::ISO_8859_6.encode("مرحبا بالعالم").0.into_owned();
        let (text, _) = decode_html(&bytes, Some("text/html; charset=ISO-8859-6"));
        assert_eq!(text, "مرحبا بالعالم");
    }

    #[test]
    fn utf8_passes_through_and_bom_wins() {
        assert_eq!(decode_html(ARABIC.as_bytes(), None), (ARABIC.to_owned(), "UTF-8"));
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(ARABIC.as_bytes());
        assert_eq!(decode_html(&bom, Some("text/html; charset=windows-1252")).0, ARABIC);
    }

    #[test]
    fn content_type_charset_parameter() {
        assert_eq!(charset_param("text/html; Charset=\"UTF-8\"").as_deref(), Some("UTF-8"));
        assert_eq!(charset_param("text/html"), None);
    }
}
