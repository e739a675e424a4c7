//! Article text that exists only in a script payload.
//!
//! Pages rendered by Next.js can ship the article outside the DOM: the
//! pages router puts the page's props in `<script id="__NEXT_DATA__">` (one
//! JSON document), the app router streams React Server Component rows
//! through `self.__next_f.push([1, "..."])` calls, where long texts travel
//! as `ID:T<hex length>,<text>` rows. When the DOM gives no body, the
//! extractor reads these payloads from the raw page (the pre-parse filter
//! drops script bodies) and takes the string that holds the most paragraph
//! text: an HTML fragment is run through the normal body pick and
//! rendering, plain text is split on line breaks.
//!
//! Nothing here is site-specific: the payload formats are the framework's.

use crate::clean::{normalize_opt, visible_len};
use memchr::memmem;
use serde_json::Value;

/// Shorter strings are labels, teasers or URLs, not an article.
const MIN_CANDIDATE_BYTES: usize = 400;
/// How many of the longest strings are rendered and compared.
const CANDIDATES: usize = 4;

/// The article paragraphs found in a script payload, if any.
pub(crate) fn paragraphs(html: &str, title: Option<&str>) -> Option<Vec<String>> {
    let mut strings: Vec<String> = Vec::new();
    if let Some(data) = script_with_id(html, "__NEXT_DATA__")
        && let Ok(v) = serde_json::from_str::<Value>(data)
    {
        collect_strings(&v, &mut strings);
    }
    if let Some(stream) = flight_stream(html) {
        flight_strings(&stream, &mut strings);
    }
    strings.retain(|s| s.len() >= MIN_CANDIDATE_BYTES);
    strings.sort_by_key(|s| std::cmp::Reverse(s.len()));
    strings.truncate(CANDIDATES);
    strings.iter().filter_map(|s| render(s, title)).max_by_key(|p| p.iter().map(|x| visible_len(x)).sum::<usize>())
}

/// Paragraphs of one candidate string: HTML through the normal pipeline,
/// otherwise its lines. `None` when it reads like code or data, not prose.
fn render(s: &str, title: Option<&str>) -> Option<Vec<String>> {
    let looks_html = memmem::find(s.as_bytes(), b"<p").is_some() || memmem::find(s.as_bytes(), b"<br").is_some();
    let paras: Vec<String> = if looks_html {
        let stripped = crate::prefilter::strip(s, true);
        let dom = scraper::Html::parse_document(&stripped.html);
        let doc = crate::dom::Doc::build(&dom);
        let roots = crate::body::pick(&doc)?.roots;
        crate::render::render(&doc, &roots, title).paragraphs
    } else {
        s.split(['\n', '\r']).filter_map(normalize_opt).collect()
    };
    let text: usize = paras.iter().map(|p| visible_len(p)).sum();
    // Prose: words separated by spaces (or CJK), sentence punctuation, and
    // no code-like braces.
    let sentences = paras.iter().map(|p| p.matches(['.', '!', '?', '。', '！', '？', '؟']).count()).sum::<usize>();
    let braces = paras.iter().map(|p| p.matches(['{', '}', ';']).count()).sum::<usize>();
    (text >= 200 && sentences >= 2 && braces * 20 < sentences.max(1) * 10 + text / 50).then_some(paras)
}

/// Body of `<script id="ID" ...>`.
fn script_with_id<'a>(html: &'a str, id: &str) -> Option<&'a str> {
    let b = html.as_bytes();
    let pos = memmem::find(b, format!("id=\"{id}\"").as_bytes())?;
    let open_end = pos + memchr::memchr(b'>', &b[pos..])? + 1;
    let close = open_end + memmem::find(&b[open_end..], b"</script")?;
    Some(&html[open_end..close])
}

/// The concatenated strings of all `self.__next_f.push([1, "..."])` calls.
fn flight_stream(html: &str) -> Option<String> {
    const CALL: &[u8] = b"self.__next_f.push(";
    let b = html.as_bytes();
    let mut out = String::new();
    for start in memmem::find_iter(b, CALL) {
        let rest = &html[start + CALL.len()..];
        let mut values = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
        if let Some(Ok(Value::Array(a))) = values.next()
            && a.first().and_then(Value::as_i64) == Some(1)
            && let Some(Value::String(s)) = a.get(1)
        {
            out.push_str(s);
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Text rows (`ID:T<hex>,` + that many bytes) and the strings of JSON rows.
fn flight_strings(stream: &str, out: &mut Vec<String>) {
    let b = stream.as_bytes();
    let mut i = 0;
    while i < b.len() {
        // A row starts with a hex id and ':'.
        let id_len = b[i..].iter().take_while(|c| c.is_ascii_hexdigit()).count();
        let colon = i + id_len;
        if b.get(colon) == Some(&b':') && b.get(colon + 1) == Some(&b'T') {
            let hex_start = colon + 2;
            let hex_len = b[hex_start..].iter().take_while(|c| c.is_ascii_hexdigit()).count();
            let comma = hex_start + hex_len;
            if hex_len > 0
                && b.get(comma) == Some(&b',')
                && let Ok(n) = usize::from_str_radix(&stream[hex_start..comma], 16)
            {
                let end = (comma + 1 + n).min(b.len());
                if let Some(text) = stream.get(comma + 1..end) {
                    out.push(text.to_string());
                    i = end;
                    continue;
                }
            }
        }
        let line_end = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |p| i + p);
        if b.get(colon) == Some(&b':')
            && let Some(json) = stream.get(colon + 1..line_end)
            && json.starts_with(['[', '{'])
            && let Ok(v) = serde_json::from_str::<Value>(json)
        {
            collect_strings(&v, out);
        }
        i = line_end + 1;
    }
}

/// Every string in `v` (iterative: payloads can nest deeply).
fn collect_strings(v: &Value, out: &mut Vec<String>) {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::String(s) if s.len() >= MIN_CANDIDATE_BYTES => out.push(s.clone()),
            Value::Array(a) => stack.extend(a.iter()),
            Value::Object(o) => stack.extend(o.values()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROSE: &str = "The council voted on Tuesday to close the old bridge for repairs. \
        Traffic will be diverted through the town centre for six months. \
        Shop owners said they feared losing customers during the works. \
        The mayor promised a plan to keep the market street open.";
    const PROSE2: &str = "Engineers found cracks in two of the supporting piers last spring. \
        The repairs are expected to cost about four million euros in total.";

    #[test]
    fn reads_next_data_props() {
        let html = format!(
            "<html><body><div id=__next></div><script id=\"__NEXT_DATA__\" type=\"application/json\">{}</script></body></html>",
            serde_json::json!({"props": {"pageProps": {"article": {"title": "T", "body": format!("<p>{PROSE}</p><p>{PROSE2}</p>")}}}})
        );
        let p = paragraphs(&html, None).expect("body");
        assert_eq!(p.len(), 2);
        assert!(p[0].starts_with("The council voted"));
    }

    #[test]
    fn reads_app_router_text_rows() {
        let fragment = format!("<div class=\"editor\"><p>{PROSE2}</p><p>{PROSE}</p></div>");
        let row = format!("5:T{:x},{fragment}", fragment.len());
        let push = |s: &str| format!("<script>self.__next_f.push({})</script>", serde_json::json!([1, s]));
        // The text row is split over two pushes, as streaming does.
        let (a, b) = row.split_at(20);
        let html = format!(
            "<html><body><main></main>{}{}{}</body></html>",
            push("0:{\"a\":\"$L1\"}\n"),
            push(a),
            push(&format!("{b}6:[\"$\",\"div\",null,{{}}]\n"))
        );
        let p = paragraphs(&html, None).expect("body");
        assert_eq!(p.len(), 2);
        assert!(p[1].ends_with("market street open."));
    }

    #[test]
    fn ignores_code_and_short_strings() {
        let code = "function f(a){return a+1;} ".repeat(40);
        let html = format!(
            "<script id=\"__NEXT_DATA__\">{}</script>",
            serde_json::json!({"props": {"code": code, "label": "Read more"}})
        );
        assert_eq!(paragraphs(&html, None), None);
        assert_eq!(paragraphs("<p>no payload</p>", None), None);
    }
}
