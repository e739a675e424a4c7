//! A byte-level pass before parsing that drops what extraction never reads:
//! inline script bodies (JSON-LD kept), style sheets, the drawing inside
//! inline `<svg>` and comments. On modern news pages these are a third to a
//! half of the bytes, and html5ever spends most of its time per byte, so
//! parsing gets that much cheaper.
//!
//! The scan follows the HTML tokenizer where it matters for finding tag
//! boundaries: quoted attribute values, comments, and the raw-text elements
//! (`<title>`, `<textarea>`, `<noscript>`, ...) whose content is not markup.
//! Where it cannot be sure it keeps the input as it is: a script containing
//! `<!--` (the tokenizer's escaped states), an unterminated tag, quote or
//! element.

use memchr::{memchr, memmem};
use std::borrow::Cow;

/// Attributes that are kept when attributes are filtered: the ones the
/// extractor reads, plus the few that steer html5ever's tree construction
/// (`<input type=hidden>`, `<annotation-xml encoding>`, `<font color face
/// size>` leaving foreign content). Everything else (`data-*`, `srcset`,
/// `src`, `alt`, `title`, `aria-label`, event handlers, ...) is a third of
/// the bytes left after scripts and styles on typical news pages.
fn kept_attribute(name: &[u8]) -> bool {
    const KEEP: &[&[u8]] = &[
        b"class",
        b"id",
        b"role",
        b"itemprop",
        b"itemtype",
        b"itemscope",
        b"aria-hidden",
        b"style",
        b"hidden",
        b"content",
        b"value",
        b"property",
        b"name",
        b"http-equiv",
        b"charset",
        b"rel",
        b"href",
        b"datetime",
        b"pubdate",
        b"lang",
        b"xml:lang",
        b"dir",
        b"type",
        b"encoding",
        b"color",
        b"face",
        b"size",
    ];
    // Most attributes are `class` or a `data-*` one: decide those first.
    if name.len() > 5 && name[..5].eq_ignore_ascii_case(b"data-") {
        return false;
    }
    KEEP.iter().any(|k| k.len() == name.len() && k.eq_ignore_ascii_case(name))
}

/// What the scan needs to know about a tag name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Script,
    Style,
    Svg,
    /// Content is text to the tokenizer (`<title>`, `<textarea>`, `<noscript>`, ...).
    RawText,
    Plaintext,
    /// Block elements that nest for real (`guard::NESTING`): counted during
    /// the scan so that no second pass over the input is needed.
    Nesting,
    Other,
}

/// One lower-casing copy and one `match` per tag instead of a comparison
/// per known name.
fn kind(name: &[u8]) -> Kind {
    if name.len() > 10 {
        return Kind::Other;
    }
    let mut buf = [0u8; 10];
    let lower = &mut buf[..name.len()];
    lower.copy_from_slice(name);
    lower.make_ascii_lowercase();
    match &*lower {
        b"script" => Kind::Script,
        b"style" => Kind::Style,
        b"svg" => Kind::Svg,
        b"title" | b"textarea" | b"xmp" | b"iframe" | b"noembed" | b"noframes" | b"noscript" => Kind::RawText,
        b"plaintext" => Kind::Plaintext,
        b"div" | b"section" | b"article" | b"aside" | b"nav" | b"header" | b"footer" | b"main" | b"blockquote"
        | b"ul" | b"ol" | b"dl" | b"fieldset" | b"figure" | b"form" | b"table" | b"center" | b"details"
        | b"address" | b"menu" | b"dir" | b"summary" | b"hgroup" | b"search" | b"dialog" => Kind::Nesting,
        _ => Kind::Other,
    }
}

/// The result of [`strip`].
pub(crate) struct Stripped<'a> {
    pub html: Cow<'a, str>,
    /// Deepest open-minus-closed count of nesting block tags outside
    /// comments and raw text (html5ever's tree builder is quadratic in it).
    pub block_depth: usize,
}

/// `html` without script and style bodies, SVG drawings and comments, and,
/// with `drop_attributes`, without the attributes extraction never reads.
pub(crate) fn strip(html: &str, drop_attributes: bool) -> Stripped<'_> {
    let b = html.as_bytes();
    let (mut depth, mut max_depth) = (0usize, 0usize);
    let mut drops: Vec<(usize, usize)> = Vec::new();
    let mut out = String::new();
    let mut copied = 0; // start of the span not yet copied to `out`
    let mut i = 0;
    let cut = |out: &mut String, copied: &mut usize, from: usize, to: usize| {
        if out.capacity() == 0 {
            out.reserve(html.len());
        }
        out.push_str(&html[*copied..from]);
        *copied = to;
    };
    while let Some(p) = memchr(b'<', &b[i..]) {
        let lt = i + p;
        let rest = &b[lt + 1..];
        if rest.starts_with(b"!--") {
            let Some(end) = comment_end(b, lt + 4) else { break };
            cut(&mut out, &mut copied, lt, end);
            i = end;
            continue;
        }
        if matches!(rest.first(), Some(b'!' | b'?')) {
            // Doctype or bogus comment: up to the next '>'.
            let Some(gt) = memchr(b'>', rest) else { break };
            i = lt + 1 + gt + 1;
            continue;
        }
        let is_end = rest.first() == Some(&b'/');
        let name_start = lt + 1 + usize::from(is_end);
        if !b.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
            i = lt + 1;
            continue;
        }
        let name_end = b[name_start..]
            .iter()
            .position(|c| matches!(c, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'/' | b'>'))
            .map_or(b.len(), |n| name_start + n);
        drops.clear();
        let Some((tag_end, self_closing)) = attributes(b, name_end, &mut drops) else { break };
        let kind = kind(&b[name_start..name_end]);
        if kind == Kind::Nesting {
            if is_end {
                depth = depth.saturating_sub(1);
            } else {
                depth += 1;
                max_depth = max_depth.max(depth);
            }
        }
        i = tag_end;
        if is_end {
            continue;
        }
        if drop_attributes {
            for &(from, to) in &drops {
                cut(&mut out, &mut copied, from, to);
            }
        }
        match kind {
            Kind::Script | Kind::Style => {
                let name = &b[name_start..name_end];
                let Some(close) = find_close(b, tag_end, name) else { break };
                let is_script = kind == Kind::Script;
                if is_script && memmem::find(&b[tag_end..close], b"<!--").is_some() {
                    // Where html5ever ends this script is not a simple search.
                    break;
                }
                let keep = is_script && contains_ignore_case(&b[lt..tag_end], b"ld+json");
                if !keep && close > tag_end {
                    cut(&mut out, &mut copied, tag_end, close);
                }
                i = close;
            }
            Kind::Svg if !self_closing => {
                let Some(close) = svg_close(b, tag_end) else { break };
                if close > tag_end {
                    cut(&mut out, &mut copied, tag_end, close);
                }
                i = close;
            }
            Kind::RawText => {
                let Some(close) = find_close(b, tag_end, &b[name_start..name_end]) else { break };
                i = close;
            }
            Kind::Plaintext => break,
            _ => {}
        }
    }
    if i < b.len() && memchr(b'<', &b[i..]).is_some() {
        // Gave up early: count the rest the way `guard` does.
        max_depth = max_depth.max(depth + crate::guard::max_block_depth(&b[i..], crate::guard::MAX_BLOCK_DEPTH));
    }
    let html = if out.capacity() == 0 {
        Cow::Borrowed(html)
    } else {
        out.push_str(&html[copied..]);
        Cow::Owned(out)
    };
    Stripped { html, block_depth: max_depth }
}

fn is_space(c: u8) -> bool {
    matches!(c, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// Walks a start tag's attributes from the end of its name the way the
/// HTML tokenizer does (before/after attribute name, quoted and unquoted
/// values, `/` as a separator) and returns one past the closing `>` and
/// whether the tag self-closes (`/>`). It is also where the scan finds the
/// end of every tag. The
/// byte ranges of attributes that [`kept_attribute`] rejects are pushed to
/// `drops`, each with the spaces after it, so that what follows keeps the
/// separator it had before the attribute. `None` at end of input.
fn attributes(b: &[u8], from: usize, drops: &mut Vec<(usize, usize)>) -> Option<(usize, bool)> {
    let mut i = from;
    let mut pending: Option<usize> = None;
    let mut solidus = false; // a '/' right before: "/>" self-closes
    loop {
        while is_space(*b.get(i)?) {
            i += 1;
            solidus = false;
        }
        if let Some(start) = pending.take() {
            drops.push((start, i));
        }
        match b[i] {
            b'/' => {
                i += 1;
                solidus = true;
                continue;
            }
            b'>' => return Some((i + 1, solidus)),
            _ => solidus = false,
        }
        let name_start = i;
        i += 1; // the first character belongs to the name, even a '='
        while let Some(&c) = b.get(i) {
            if is_space(c) || matches!(c, b'/' | b'>' | b'=') {
                break;
            }
            i += 1;
        }
        let name_end = i;
        let mut j = i;
        while b.get(j).is_some_and(|&c| is_space(c)) {
            j += 1;
        }
        if b.get(j) == Some(&b'=') {
            j += 1;
            while b.get(j).is_some_and(|&c| is_space(c)) {
                j += 1;
            }
            match *b.get(j)? {
                q @ (b'"' | b'\'') => j += 1 + memchr(q, &b[j + 1..])? + 1,
                b'>' => {}
                _ => {
                    while b.get(j).is_some_and(|&c| !is_space(c) && c != b'>') {
                        j += 1;
                    }
                }
            }
            i = j;
        }
        if !kept_attribute(&b[name_start..name_end]) {
            pending = Some(name_start);
        }
    }
}

/// End (one past `-->`) of a comment whose body starts at `body`; `<!-->`
/// and `<!--->` close at once, as in the tokenizer.
fn comment_end(b: &[u8], body: usize) -> Option<usize> {
    let rest = b.get(body..)?;
    if rest.starts_with(b">") {
        return Some(body + 1);
    }
    if rest.starts_with(b"->") {
        return Some(body + 2);
    }
    memmem::find(rest, b"-->").map(|e| body + e + 3)
}

/// Is `name` followed by a byte that ends a tag name (or the input)?
fn name_at(b: &[u8], at: usize, name: &[u8]) -> bool {
    b.get(at..at + name.len()).is_some_and(|n| n.eq_ignore_ascii_case(name))
        && b.get(at + name.len()).is_none_or(|c| matches!(c, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'/' | b'>'))
}

/// Start of the first `</name` at or after `from`.
fn find_close(b: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    let mut i = from;
    loop {
        let p = i + memmem::find(&b[i..], b"</")?;
        if name_at(b, p + 2, name) {
            return Some(p);
        }
        i = p + 2;
    }
}

/// Start of the `</svg` that closes an `<svg>` whose content starts at
/// `from`, counting nested `<svg>`s.
fn svg_close(b: &[u8], from: usize) -> Option<usize> {
    let (mut i, mut depth) = (from, 1usize);
    loop {
        let p = i + memchr(b'<', &b[i..])?;
        if b.get(p + 1) == Some(&b'/') && name_at(b, p + 2, b"svg") {
            depth -= 1;
            if depth == 0 {
                return Some(p);
            }
        } else if name_at(b, p + 1, b"svg") {
            let (end, self_closing) = attributes(b, p + 4, &mut Vec::new())?;
            if !self_closing {
                depth += 1;
            }
            i = end;
            continue;
        }
        i = p + 1;
    }
}

fn contains_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::strip;

    fn strip_all(html: &str) -> String {
        strip(html, false).html.into_owned()
    }

    #[test]
    fn drops_script_style_svg_and_comments() {
        let html = "<html><head><style>p{color:red}</style><script src=a.js></script>\
            <script>var s = '<p>not text</p>';</script>\
            <script type=\"application/ld+json\">{\"headline\":\"H\"}</script></head>\
            <body><!-- a comment --><p>Text <svg viewBox=\"0 0 1 1\"><path d=\"M0\"/><svg><text>x</text></svg>\
            <text>label</text></svg> more</p></body></html>";
        assert_eq!(
            strip_all(html),
            "<html><head><style></style><script src=a.js></script><script></script>\
            <script type=\"application/ld+json\">{\"headline\":\"H\"}</script></head>\
            <body><p>Text <svg viewBox=\"0 0 1 1\"></svg> more</p></body></html>"
        );
    }

    #[test]
    fn respects_quotes_raw_text_and_escaped_scripts() {
        let cases = [
            // '>' and "<script>" inside a quoted attribute value are not markup.
            "<div data-x=\"a > b <script>x</script>\"><p>kept</p></div>",
            // Raw-text elements: a "<script" inside <title> or <textarea> is text.
            "<title>How <script> tags work</title><textarea><style>a</textarea><p>t</p>",
            // The tokenizer's escaped script states: left to html5ever.
            "<script><!-- document.write('<script>x</script><style>'); --></script><p>t</p></style>",
            // Unterminated constructs are kept as they are.
            "<p>t</p><script>never closed",
            "<p>t</p><div class=\"unterminated><script>x</script>",
            "<svg/><p>after a self-closed svg</p>",
            "<p>No markup to drop at all.</p>",
        ];
        for html in cases {
            assert_eq!(strip_all(html), html, "{html}");
        }
        assert_eq!(strip_all("<SCRIPT>a()</SCRIPT ><p>t</p>"), "<SCRIPT></SCRIPT ><p>t</p>");
        assert_eq!(strip_all("<p>a</p><!-->b<!--->c<!-- x --"), "<p>a</p>bc<!-- x --");
    }

    #[test]
    fn drops_attributes_extraction_never_reads() {
        let s = |h: &str| strip(h, true).html.into_owned();
        assert_eq!(
            s("<div class=\"a\" data-props='{\"x\":\">\"}' id=b><img src=x.jpg srcset=\"x 1x, y 2x\" alt=y/>t</div>"),
            "<div class=\"a\" id=b><img >t</div>"
        );
        // Unquoted values, valueless attributes, '/' separators, spaces around '='.
        assert_eq!(s("<p data-x=1 hidden title = 'a b' lang=en>t</p>"), "<p hidden lang=en>t</p>");
        assert_eq!(s("<a/data-x=\"1\"/href=/u rel=author>t</a>"), "<a//href=/u rel=author>t</a>");
        // An unquoted value runs to the next space: "1/href=/u" is data-x's.
        assert_eq!(s("<a/data-x=1/href=/u rel=author>t</a>"), "<a/rel=author>t</a>");
        assert_eq!(s("<input type=hidden data-v=\"1\"><br data-a>"), "<input type=hidden ><br >");
        // An attribute glued to the quoted value before it, or to the next one.
        assert_eq!(s("<div aria-label=\"x\"class=\"c\">t</div>"), "<div class=\"c\">t</div>");
        assert_eq!(s("<div class=\"c\"aria-label=\"x\"id=i>t</div>"), "<div class=\"c\"id=i>t</div>");
        // Case-insensitive names; what steers the tree builder stays.
        assert_eq!(s("<P CLASS=x DATA-Y=z>t</P>"), "<P CLASS=x >t</P>");
        assert_eq!(s("<font color=red face=x data-q>t</font>"), "<font color=red face=x >t</font>");
        // The tokenizer ends this tag at the first '>': its second attribute
        // is named `="`, and `">t` is text.
        assert_eq!(s("<a b=\"x\"=\">\">t</a><p data-x=1>u</p>"), "<a >\">t</a><p >u</p>");
        // Without attribute filtering attributes stay.
        assert_eq!(strip("<p data-x=1>t</p>", false).html, "<p data-x=1>t</p>");
    }

    #[test]
    fn nesting_tags_are_the_guards() {
        for name in crate::guard::NESTING {
            assert_eq!(super::kind(name), super::Kind::Nesting);
            assert_eq!(super::kind(&name.to_ascii_uppercase()), super::Kind::Nesting);
        }
        assert_eq!(super::kind(b"span"), super::Kind::Other);
        assert_eq!(super::kind(b"NoScript"), super::Kind::RawText);
    }

    #[test]
    fn counts_block_nesting_outside_raw_text() {
        let depth = |h: &str| strip(h, true).block_depth;
        assert_eq!(depth("<div><div></div><DIV></div></div>"), 2);
        assert_eq!(depth("<!-- <div><div> --><script>'<div><div>'</script><div>"), 1);
        assert_eq!(depth("<span><span><p><p>"), 0);
        assert_eq!(depth(&"<section>".repeat(5000)), 5000);
        // After the scan gives up (an escaped script), the rest is still counted.
        assert_eq!(depth("<div><script><!-- x --></script><div><div>"), 3);
    }
}
