//! XML documents (feeds, sitemaps) to UTF-8 before parsing.
//!
//! feed-rs hands encoding switches to quick-xml, which panics on some inputs
//! (a UTF-16 document declaring another encoding, for one) and does not know
//! UTF-32. So we decide the encoding ourselves, XML's way: byte-order mark,
//! then the byte pattern of `<?xml` (UTF-16/32 without a BOM), then the
//! HTTP `charset` (which wins for XML media types, RFC 7303), then the
//! `encoding="…"` of the XML declaration, then UTF-8 if the bytes validate,
//! else statistical detection. The text is re-encoded as UTF-8 and the
//! declaration's `encoding` is rewritten to match, so the parser sees one
//! consistent document.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE};

/// What the bytes were, for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Utf8,
    Utf32Le,
    Utf32Be,
    Other(&'static Encoding),
}

/// Decode an XML document to UTF-8 with a UTF-8 (or no) encoding declaration.
/// Never fails: malformed sequences become U+FFFD.
pub fn xml_to_utf8<'a>(bytes: &'a [u8], content_type: Option<&str>) -> (Cow<'a, [u8]>, Source) {
    let (text, source): (Cow<'a, str>, Source) = match sniff(bytes, content_type) {
        Source::Utf32Le => (Cow::Owned(decode_utf32(bytes, false)), Source::Utf32Le),
        Source::Utf32Be => (Cow::Owned(decode_utf32(bytes, true)), Source::Utf32Be),
        Source::Other(enc) if !enc.is_ascii_compatible() => {
            let (t, used, _) = enc.decode(bytes);
            (Cow::Owned(t.into_owned()), Source::Other(used))
        }
        // Valid UTF-8 (ASCII included) is read as UTF-8 unless the
        // declaration names a legacy encoding.
        Source::Utf8 | Source::Other(_) if std::str::from_utf8(bytes).is_ok() && !declares_non_utf8(bytes) => {
            let s = std::str::from_utf8(bytes).unwrap_or_default();
            (Cow::Borrowed(s.strip_prefix('\u{feff}').unwrap_or(s)), Source::Utf8)
        }
        Source::Utf8 => (Cow::Owned(String::from_utf8_lossy(bytes).into_owned()), Source::Utf8),
        Source::Other(enc) => {
            let (t, used, _) = enc.decode(bytes);
            (Cow::Owned(t.into_owned()), Source::Other(used))
        }
    };
    let fixed = rewrite_declaration(text);
    let bytes = match fixed {
        Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
        Cow::Owned(s) => Cow::Owned(s.into_bytes()),
    };
    (bytes, source)
}

fn sniff(bytes: &[u8], content_type: Option<&str>) -> Source {
    match bytes {
        [0xFF, 0xFE, 0, 0, ..] => return Source::Utf32Le,
        [0, 0, 0xFE, 0xFF, ..] => return Source::Utf32Be,
        [b'<', 0, 0, 0, ..] => return Source::Utf32Le,
        [0, 0, 0, b'<', ..] => return Source::Utf32Be,
        _ => {}
    }
    if let Some((enc, _)) = Encoding::for_bom(bytes) {
        return if enc == UTF_8 { Source::Utf8 } else { Source::Other(enc) };
    }
    match bytes {
        [b'<', 0, b'?', 0, ..] => return Source::Other(UTF_16LE),
        [0, b'<', 0, b'?', ..] => return Source::Other(UTF_16BE),
        _ => {}
    }
    let from_header = content_type
        .filter(|ct| {
            let mime = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
            mime.contains("xml") || mime == "text/plain"
        })
        .and_then(crate::charset::charset_param)
        .and_then(|l| Encoding::for_label(l.as_bytes()));
    let declared = from_header.or_else(|| declared_encoding(bytes).and_then(|l| Encoding::for_label(l.as_bytes())));
    match declared {
        // UTF-16 declared in an ASCII-compatible document is a lie.
        Some(enc) if enc == UTF_16LE || enc == UTF_16BE => fallback(bytes),
        Some(enc) if enc == UTF_8 => fallback(bytes),
        Some(enc) => Source::Other(enc),
        None => fallback(bytes),
    }
}

fn fallback(bytes: &[u8]) -> Source {
    if std::str::from_utf8(bytes).is_ok() {
        return Source::Utf8;
    }
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    det.feed(bytes, true);
    let enc = det.guess(None, chardetng::Utf8Detection::Allow);
    if enc == UTF_8 { Source::Utf8 } else { Source::Other(enc) }
}

/// Whether the declaration names an ASCII-compatible non-UTF-8 encoding
/// (then valid UTF-8 bytes are still decoded as declared).
fn declares_non_utf8(bytes: &[u8]) -> bool {
    declared_encoding(bytes)
        .and_then(|l| Encoding::for_label(l.as_bytes()))
        .is_some_and(|e| e != UTF_8 && e != UTF_16LE && e != UTF_16BE && e.is_ascii_compatible())
}

/// The `encoding` pseudo-attribute of `<?xml … ?>` at the start (ASCII scan).
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(512)];
    let start = head.windows(5).position(|w| w == b"<?xml")?;
    let end = start + head[start..].windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&head[start..end]).ok()?;
    let at = decl.find("encoding")?;
    let rest = decl[at + 8..].trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = rest[1..].split(quote).next()?;
    Some(value.trim().to_owned())
}

/// Replace the declaration's encoding with UTF-8 (the text now is UTF-8).
fn rewrite_declaration(text: Cow<'_, str>) -> Cow<'_, str> {
    let trimmed = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if !trimmed.starts_with("<?xml") {
        return text;
    }
    let Some(end) = trimmed.find("?>") else { return text };
    let decl = &trimmed[..end];
    if !decl.contains("encoding") {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"");
    if let Some(sa) = decl.find("standalone") {
        out.push(' ');
        out.push_str(&decl[sa..]);
    }
    out.push_str(&trimmed[end..]);
    Cow::Owned(out)
}

fn decode_utf32(bytes: &[u8], big_endian: bool) -> String {
    let mut out = String::with_capacity(bytes.len() / 4);
    for chunk in bytes.chunks_exact(4) {
        let arr = [chunk[0], chunk[1], chunk[2], chunk[3]];
        let cp = if big_endian { u32::from_be_bytes(arr) } else { u32::from_le_bytes(arr) };
        match char::from_u32(cp) {
            Some('\u{feff}') if out.is_empty() => {}
            Some(c) => out.push(c),
            None => out.push('\u{fffd}'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf8(bytes: &[u8], ct: Option<&str>) -> String {
        String::from_utf8(xml_to_utf8(bytes, ct).0.into_owned()).unwrap()
    }

    #[test]
    fn declared_legacy_encoding_is_decoded_and_the_declaration_rewritten() {
        let (bytes, _, _) =
            encoding_rs::WINDOWS_1256.encode("<?xml version=\"1.0\" encoding=\"windows-1256\"?><t>خبر</t>");
        assert_eq!(utf8(&bytes, None), "<?xml version=\"1.0\" encoding=\"utf-8\"?><t>خبر</t>");
        // The HTTP charset wins for XML media types.
        let (bytes, _, _) = encoding_rs::WINDOWS_1256.encode("<?xml version=\"1.0\" encoding=\"utf-8\"?><t>خبر</t>");
        assert!(utf8(&bytes, Some("text/xml; charset=windows-1256")).contains("خبر"));
    }

    #[test]
    fn utf16_and_utf32_with_and_without_bom() {
        let doc = "<?xml version=\"1.0\" encoding=\"utf-16\"?><t>é</t>";
        let le: Vec<u8> = doc.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = doc.encode_utf16().flat_map(u16::to_be_bytes).collect();
        let mut bom_le = vec![0xFF, 0xFE];
        bom_le.extend_from_slice(&le);
        for bytes in [le, be, bom_le] {
            assert_eq!(utf8(&bytes, None), "<?xml version=\"1.0\" encoding=\"utf-8\"?><t>é</t>");
        }
        let u32be: Vec<u8> = doc.chars().flat_map(|c| (c as u32).to_be_bytes()).collect();
        assert!(utf8(&u32be, None).ends_with("<t>é</t>"));
    }

    #[test]
    fn garbage_never_fails() {
        for bytes in [&b""[..], b"\xff\xfe", b"\0\0\0", b"<?xml encoding=", b"\x80\x81\x82<?xml?>"] {
            let _ = xml_to_utf8(bytes, Some("text/xml; charset=bogus"));
        }
    }
}
