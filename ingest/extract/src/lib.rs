//! Article extraction from news HTML.
//!
//! Layout: [`extract`] checks the input (`guard`), parses it once with
//! html5ever (`scraper::Html::parse_document`) and builds a flat pre-order
//! index of the elements (`dom`, with tag kinds from `tags` and class/id
//! hints from `hints`). Every
//! later stage reads that one index: `body` scores candidates and `render`
//! turns the winners into paragraphs (`clean` normalises text and drops
//! boilerplate lines); `metadata`, `jsonld`, `title`, `authors`, `dates`
//! (+ `months`) and `language` fill in the rest of the [`Article`]. All tree
//! walks are iterative, so pathological nesting cannot overflow the stack.

mod article;
mod authors;
mod body;
mod clean;
mod dates;
mod dom;
mod error;
mod guard;
mod hints;
mod jsonld;
mod language;
mod metadata;
mod months;
mod payload;
mod prefilter;
mod render;
mod selectors;
mod tags;
mod title;

pub use article::Article;
pub use error::ExtractError;
pub use selectors::SiteSelectors;

use dom::{Doc, Tag};
use scraper::Html;

/// Extraction options.
#[derive(Debug, Clone)]
pub struct Options {
    /// URL the page came from: resolves relative links and is a date source.
    pub url: Option<String>,
    /// Inputs larger than this are extracted from their first `max_bytes`
    /// (cut before a tag), with a note in [`Article::warnings`] (default
    /// 20 MiB: far above any real article, small enough that a runaway
    /// response cannot stall a worker or blow its memory).
    pub max_bytes: usize,
    /// Per-site CSS overrides.
    pub selectors: Option<SiteSelectors>,
}

impl Default for Options {
    fn default() -> Self {
        Options { url: None, max_bytes: 20 * 1024 * 1024, selectors: None }
    }
}

/// Below this many visible characters the page is reported as bodiless.
const MIN_BODY_CHARS: usize = 20;

/// The input as the extractor hands it to html5ever: script bodies (JSON-LD
/// kept), style sheets, SVG drawings and comments removed. Public only so
/// that the `bench` example can time "prefilter + parse" as the floor that
/// [`extract`] builds on.
#[doc(hidden)]
pub fn prefiltered(html: &str) -> std::borrow::Cow<'_, str> {
    prefilter::strip(html, true).html
}

/// Extracts the article from one HTML page.
pub fn extract(html: &str, opts: &Options) -> Result<Article, ExtractError> {
    let mut warnings = Vec::new();
    let full_len = html.len();
    let html = match guard::truncate(html, opts.max_bytes) {
        Some(head) => {
            warnings.push(format!(
                "input is {full_len} bytes, over the limit of {}: extracted from the first {} bytes",
                opts.max_bytes,
                head.len()
            ));
            head
        }
        None => html,
    };
    guard::check(html)?;
    let compiled = opts.selectors.as_ref().map(SiteSelectors::compile).transpose()?;
    // Per-site selectors may match any attribute: keep them all then.
    let stripped = prefilter::strip(html, compiled.is_none());
    guard::check_depth(stripped.block_depth)?;
    let dom = Html::parse_document(&stripped.html);
    drop(stripped);
    let mut doc = Doc::build(&dom);
    if let Some(c) = &compiled {
        c.apply_removals(&dom, &mut doc);
    }

    let metas = metadata::Metas::collect(&doc);
    let ld = metadata::json_ld(&doc);
    let ld = ld.as_ref();
    let url = opts.url.as_deref();

    let site_name = metas
        .first(&["og:site_name", "application-name", "twitter:site", "publisher"])
        .and_then(clean::normalize_opt)
        .map(|s| s.trim_start_matches('@').to_string())
        .or_else(|| ld.and_then(|l| l.publisher.clone()));
    let mut sites: Vec<String> = site_name.iter().cloned().collect();
    if let Some(host) = url.and_then(|u| url::Url::parse(u).ok()).and_then(|u| u.host_str().map(str::to_string)) {
        let labels: Vec<&str> = host.split('.').filter(|l| *l != "www").collect();
        if labels.len() >= 2 {
            sites.push(labels[labels.len() - 2].to_string());
        }
        sites.push(host.trim_start_matches("www.").to_string());
    }

    let title = match compiled.as_ref().and_then(|c| c.title(&dom)) {
        Some(t) => Some(t),
        None => {
            let h1s: Vec<title::Heading> = doc
                .h1s
                .iter()
                .take(8)
                .map(|&i| title::Heading {
                    text: doc.text_of(i, 400),
                    in_article: doc.els[i as usize].flags & dom::IN_ARTICLE != 0,
                })
                .filter(|h| !h.text.is_empty())
                .collect();
            let doc_title = doc.title.map(|i| doc.text_of(i, 400));
            title::pick(
                &[
                    ld.and_then(|l| l.headline.clone()),
                    metas.get("og:title").and_then(clean::normalize_opt),
                    metas.first(&["twitter:title", "dc.title", "headline"]).and_then(clean::normalize_opt),
                ],
                &h1s,
                doc_title.as_deref(),
                &sites,
            )
        }
    };

    let roots = match &compiled {
        Some(c) if c.has_body() => c
            .body_roots(&dom, &doc)
            .ok_or_else(|| ExtractError::NoBody { reason: "the site's body selector matched nothing".into() })?,
        _ => body::pick(&doc).map(|p| p.roots).unwrap_or_default(),
    };
    let rendered = render::render(&doc, &roots, title.as_deref());
    let mut text = rendered.paragraphs.join("\n\n");
    // JSON-LD articleBody cross-check: when the DOM pick found much less.
    if let Some(b) = ld.and_then(|l| l.body.as_deref()) {
        let ld_text = ld_paragraphs(b);
        if clean::visible_len(&ld_text) > 2 * clean::visible_len(&text).max(MIN_BODY_CHARS) {
            text = ld_text;
        }
    }
    // No body in the DOM: the article may travel in a script payload
    // (Next.js `__NEXT_DATA__` or streamed server-component rows).
    if clean::visible_len(&text) < MIN_BODY_CHARS
        && compiled.as_ref().is_none_or(|c| !c.has_body())
        && let Some(paras) = payload::paragraphs(html, title.as_deref())
    {
        text = paras.join("\n\n");
    }
    if clean::visible_len(&text) < MIN_BODY_CHARS {
        let reason = if roots.is_empty() {
            "no paragraph-like text blocks outside navigation and boilerplate".to_string()
        } else {
            format!("main text too short ({} characters)", clean::visible_len(&text))
        };
        return Err(ExtractError::NoBody { reason });
    }

    let html_el = doc.els.iter().find(|e| e.tag == Tag::Html);
    let body_el = doc.body.map(|b| &doc.els[b as usize]);
    let lang_hint = html_el
        .and_then(|e| e.attr("lang").or_else(|| e.attr("xml:lang")))
        .or_else(|| metas.first(&["og:locale", "content-language", "language", "dc.language"]))
        .map(str::to_string)
        .or_else(|| ld.and_then(|l| l.language.clone()));
    let language = language::detect(lang_hint.as_deref(), &text);
    let dir_attr = html_el.and_then(|e| e.attr("dir")).or_else(|| body_el.and_then(|e| e.attr("dir")));
    let direction = language::direction(dir_attr, language.as_deref());

    let top_image = metas
        .first(&["og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src"])
        .map(str::to_string)
        .or_else(|| ld.and_then(|l| l.image.clone()))
        .and_then(|h| metadata::absolutize(&h, url));

    let tags = metadata::list(
        metas
            .all("article:tag")
            .iter()
            .map(|s| s.to_string())
            .chain(ld.map(|l| l.keywords.clone()).unwrap_or_default())
            .chain(metas.first(&["news_keywords", "keywords"]).map(str::to_string)),
    );
    let categories = metadata::list(
        metas
            .all("article:section")
            .iter()
            .map(|s| s.to_string())
            .chain(ld.map(|l| l.sections.clone()).unwrap_or_default()),
    );

    Ok(Article {
        url: opts.url.clone(),
        canonical_url: metadata::canonical(&doc, &metas, url)
            .or_else(|| ld.and_then(|l| l.url.as_deref()).and_then(|u| metadata::absolutize(u, url))),
        title,
        authors: metadata::authors(&doc, &metas, ld),
        published: metadata::published(&doc, &metas, ld, url),
        modified: metadata::modified(&doc, &metas, ld),
        language,
        direction,
        site_name,
        description: metas
            .first(&["og:description", "description", "twitter:description", "dc.description"])
            .and_then(clean::normalize_opt)
            .or_else(|| ld.and_then(|l| l.description.clone())),
        text,
        top_image,
        tags,
        categories,
        warnings,
    })
}

/// JSON-LD `articleBody` as paragraphs: split on line breaks, normalised.
fn ld_paragraphs(body: &str) -> String {
    body.split(['\n', '\r']).filter_map(clean::normalize_opt).collect::<Vec<_>>().join("\n\n")
}

#[cfg(test)]
mod tests;
