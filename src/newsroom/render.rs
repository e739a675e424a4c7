//! HTML pages and the RSS feed of the demo newsroom. The markup imitates
//! real Arabic news sites: navigation, masthead, share bar, related links,
//! newsletter box, comments and footer around the article.

use std::fmt::Write;

use chrono::{Datelike, Timelike};

use super::{Block, DemoArticle, Metadata};

/// Escape text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const MONTHS: [&str; 12] =
    ["يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"];
const DAYS: [&str; 7] = ["الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"];

fn arabic_date(a: &DemoArticle) -> String {
    let d = a.published;
    format!(
        "{} {} {} {} - {:02}:{:02}",
        DAYS[d.weekday().num_days_from_monday() as usize],
        d.day(),
        MONTHS[d.month0() as usize],
        d.year(),
        d.hour(),
        d.minute()
    )
}

const NAV: &str = r#"<header class="site-header"><div class="top-bar"><a href="/" class="logo">الرئيسية</a>
<nav class="main-menu"><ul><li><a href="/politics">سياسة</a></li><li><a href="/economy">اقتصاد</a></li><li><a href="/world">العالم</a></li><li><a href="/sport">رياضة</a></li><li><a href="/culture">ثقافة وفنون</a></li><li><a href="/video">فيديو</a></li></ul></nav>
<form class="search" action="/search"><input name="q" placeholder="بحث"></form></div></header>"#;

fn head(a: &DemoArticle, out: &mut String) {
    let title = esc(&a.title);
    let site = esc(&a.site);
    let _ = write!(
        out,
        r#"<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="{charset}"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} | {site}</title><link rel="canonical" href="/{slug}"><link rel="stylesheet" href="/static/site.css">
<script>window.dataLayer=window.dataLayer||[];function gtag(){{dataLayer.push(arguments);}}</script>
"#,
        charset = esc(&a.charset),
        slug = esc(&a.slug),
    );
    if a.metadata != Metadata::VisibleDate {
        let _ = write!(
            out,
            r#"<meta property="og:type" content="article"><meta property="og:title" content="{title}"><meta property="og:site_name" content="{site}">
<meta property="og:image" content="/static/photos/{n}.jpg"><meta property="article:published_time" content="{date}">
"#,
            n = a.slug.len(),
            date = a.published.to_rfc3339(),
        );
    }
    if a.metadata == Metadata::JsonLd {
        let ld = serde_json::json!({
            "@context": "https://schema.org",
            "@graph": [
                {"@type": "WebSite", "name": a.site, "url": "/"},
                {"@type": "NewsArticle", "headline": a.title, "datePublished": a.published.to_rfc3339(),
                 "author": a.author.as_ref().map(|n| serde_json::json!({"@type": "Person", "name": n})),
                 "publisher": {"@type": "Organization", "name": a.site}, "inLanguage": "ar"}
            ]
        });
        let _ = write!(out, r#"<script type="application/ld+json">{}</script>"#, ld.to_string().replace("</", "<\\/"));
    }
    out.push_str("</head>\n");
}

/// One article page.
pub fn article(a: &DemoArticle, all: &[DemoArticle]) -> String {
    let mut out = String::with_capacity(16 * 1024);
    head(a, &mut out);
    out.push_str("<body class=\"article-page\">\n");
    out.push_str(NAV);
    if !a.masthead.is_empty() {
        // The masthead pairs role and name; sites print it in the header.
        out.push_str("<div class=\"masthead\">");
        for pair in a.masthead.chunks(2) {
            let _ = write!(
                out,
                "<div class=\"masthead-item\"><span>{}</span> <strong>{}</strong></div>",
                esc(&pair[0]),
                esc(pair.get(1).map_or("", |s| s))
            );
        }
        out.push_str("</div>\n");
    }
    out.push_str("<main id=\"content\">\n");
    if !a.breadcrumb.is_empty() {
        out.push_str("<nav class=\"breadcrumb\"><ol>");
        for b in &a.breadcrumb {
            let _ = write!(out, "<li><a href=\"/section\">{}</a></li>", esc(b));
        }
        out.push_str("</ol></nav>\n");
    }
    out.push_str("<article class=\"post\">\n");
    let _ = write!(out, "<h1 class=\"post-title\">{}</h1>\n<div class=\"post-meta\">", esc(&a.title));
    if let Some(author) = &a.author {
        let _ = write!(out, "<span class=\"byline\">{}</span> ", esc(author));
    }
    let _ = write!(
        out,
        "<time datetime=\"{}\">{}</time>",
        if a.metadata == Metadata::VisibleDate { String::new() } else { a.published.to_rfc3339() },
        esc(&arabic_date(a))
    );
    for c in &a.counters {
        let _ = write!(out, " <span class=\"views\" title=\"مشاهدات\">{}</span>", esc(c));
    }
    out.push_str("</div>\n<div class=\"share-bar\"><a href=\"#\">فيسبوك</a> <a href=\"#\">تويتر</a> <a href=\"#\">واتساب</a> <a href=\"#\">نسخ الرابط</a></div>\n");
    out.push_str("<div class=\"post-body\">\n");
    for (i, block) in a.blocks.iter().enumerate() {
        match block {
            Block::Para(p) => {
                let _ = writeln!(out, "<p>{}</p>", esc(p));
            }
            Block::Subhead(h) => {
                let _ = writeln!(out, "<h2>{}</h2>", esc(h));
            }
            Block::Bullets(items) => {
                out.push_str("<ul>");
                for it in items {
                    let _ = write!(out, "<li>{}</li>", esc(it));
                }
                out.push_str("</ul>\n");
            }
            Block::Figure { caption, twice } => {
                let cap = esc(caption);
                let _ = write!(out, "<figure class=\"photo\"><img src=\"/static/photos/{i}.jpg\" alt=\"{cap}\">");
                if *twice {
                    let _ = write!(out, "<div class=\"photo-overlay\">{cap}</div>");
                }
                let _ = writeln!(out, "<figcaption>{cap}</figcaption></figure>");
            }
        }
    }
    out.push_str("</div>\n<div class=\"tags\"><a href=\"/tag/1\">داعش</a> <a href=\"/tag/2\">التحالف الدولي</a> <a href=\"/tag/3\">العراق</a></div>\n");
    for c in &a.credits {
        let _ = writeln!(out, "<div class=\"source-credit\">{}</div>", esc(c));
    }
    out.push_str("</article>\n");
    if !a.newsletter.is_empty() {
        out.push_str("<section class=\"newsletter-box\">");
        for l in &a.newsletter {
            let _ = write!(out, "<p>{}</p>", esc(l));
        }
        out.push_str(
            "<form><input type=\"email\" placeholder=\"بريدك الإلكتروني\"><button>اشترك</button></form></section>\n",
        );
    }
    out.push_str("<aside class=\"related\"><h3>اقرأ أيضا</h3><ul>");
    for other in all.iter().filter(|o| o.slug != a.slug).take(4) {
        let _ = write!(out, "<li><a href=\"/{}\">{}</a></li>", esc(&other.slug), esc(&other.title));
    }
    out.push_str("</ul></aside>\n");
    if !a.comments.is_empty() {
        out.push_str("<section id=\"comments\" class=\"comments\">");
        for c in &a.comments {
            let _ = write!(out, "<p>{}</p>", esc(c));
        }
        out.push_str("</section>\n");
    }
    let _ = write!(
        out,
        "</main>\n<footer class=\"site-footer\"><p>جميع الحقوق محفوظة © {}</p><ul><li><a href=\"/about\">من نحن</a></li><li><a href=\"/contact\">اتصل بنا</a></li><li><a href=\"/privacy\">سياسة الخصوصية</a></li></ul></footer>\n</body></html>\n",
        esc(&a.site)
    );
    out
}

/// The home page: links to every article.
pub fn home(all: &[DemoArticle]) -> String {
    let mut out = String::from(
        "<!DOCTYPE html><html lang=\"ar\" dir=\"rtl\"><head><meta charset=\"utf-8\"><title>غرفة الأخبار التجريبية</title><link rel=\"alternate\" type=\"application/rss+xml\" href=\"/feed.xml\"></head><body>",
    );
    out.push_str(NAV);
    out.push_str("<main><ul>");
    for a in all.iter().rev() {
        let _ = write!(out, "<li><a href=\"/{}\">{}</a></li>", esc(&a.slug), esc(&a.title));
    }
    out.push_str("</ul></main></body></html>");
    out
}

/// RSS 2.0 feed, newest first.
pub fn rss(all: &[DemoArticle], base: &str) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel><title>غرفة الأخبار التجريبية</title>",
    );
    let _ = write!(
        out,
        "<link>{}/</link><description>newsflow demo newsroom</description><language>ar</language>",
        esc(base)
    );
    for a in all.iter().rev() {
        let link = format!("{base}/{}", a.slug);
        let first =
            a.blocks.iter().find_map(|b| if let Block::Para(p) = b { Some(p.as_str()) } else { None }).unwrap_or("");
        let _ = write!(
            out,
            "\n<item><title>{}</title><link>{}?utm_source=rss&amp;utm_medium=feed</link><guid isPermaLink=\"false\">{}</guid><pubDate>{}</pubDate><description>{}</description></item>",
            esc(&a.title),
            esc(&link),
            esc(&a.slug),
            a.published.to_rfc2822(),
            esc(first),
        );
    }
    out.push_str("\n</channel></rss>\n");
    out
}
