//! End-to-end unit tests of `extract` on small in-memory pages.

use super::*;

fn para(n: usize, word: &str) -> String {
    (0..n)
        .map(|i| format!("<p>{word} sentence number {i} carries enough words to be a real paragraph of the story.</p>"))
        .collect()
}

fn page(head: &str, body: &str) -> String {
    format!("<!doctype html><html lang=\"en\"><head>{head}</head><body>{body}</body></html>")
}

fn ok(html: &str) -> Article {
    extract(html, &Options::default()).expect("extracts")
}

#[test]
fn metadata_from_opengraph_and_article_tags() {
    let head = r##"<title>Ignored | Daily Planet</title>
        <meta property="og:title" content="Mayor opens bridge">
        <meta property="og:site_name" content="Daily Planet">
        <meta property="og:image" content="/img/bridge.jpg">
        <meta property="article:published_time" content="2024-05-17T10:30:00+02:00">
        <meta property="article:modified_time" content="2024-05-18T08:00:00+02:00">
        <meta property="article:section" content="Local">
        <meta property="article:tag" content="bridges"><meta property="article:tag" content="city">
        <meta name="author" content="Lois Lane">
        <meta name="description" content="The bridge is open.">
        <link rel="canonical" href="/news/bridge">"##;
    let html = page(head, &format!("<article><h1>Mayor opens bridge</h1>{}</article>", para(5, "Bridge")));
    let opts = Options { url: Some("https://planet.example/news/bridge?x=1".into()), ..Options::default() };
    let a = extract(&html, &opts).unwrap();
    assert_eq!(a.title.as_deref(), Some("Mayor opens bridge"));
    assert_eq!(a.site_name.as_deref(), Some("Daily Planet"));
    assert_eq!(a.authors, ["Lois Lane"]);
    assert_eq!(a.published.unwrap().to_rfc3339(), "2024-05-17T10:30:00+02:00");
    assert_eq!(a.modified.unwrap().to_rfc3339(), "2024-05-18T08:00:00+02:00");
    assert_eq!(a.canonical_url.as_deref(), Some("https://planet.example/news/bridge"));
    assert_eq!(a.top_image.as_deref(), Some("https://planet.example/img/bridge.jpg"));
    assert_eq!(a.tags, ["bridges", "city"]);
    assert_eq!(a.categories, ["Local"]);
    assert_eq!(a.description.as_deref(), Some("The bridge is open."));
    assert_eq!(a.language.as_deref(), Some("en"));
    assert_eq!(a.direction.as_deref(), Some("ltr"));
    assert!(!a.text.contains("Mayor opens bridge"), "title is not repeated in the body");
}

#[test]
fn metadata_from_json_ld_graph_wins() {
    let head = r##"<script type="application/ld+json">{"@context":"https://schema.org","@graph":[
        {"@type":"NewsArticle","headline":"Storm hits coast","datePublished":"2023-11-02T06:00:00Z",
         "author":[{"@type":"Person","name":"Ann Smith"},{"@type":"Person","name":"Bo Li"}],
         "keywords":["weather","coast"],"articleSection":"Climate"}]}</script>"##;
    let a = ok(&page(head, &para(4, "Storm")));
    assert_eq!(a.title.as_deref(), Some("Storm hits coast"));
    assert_eq!(a.authors, ["Ann Smith", "Bo Li"]);
    assert_eq!(a.published.unwrap().to_rfc3339(), "2023-11-02T06:00:00+00:00");
    assert_eq!(a.tags, ["weather", "coast"]);
    assert_eq!(a.categories, ["Climate"]);
}

#[test]
fn metadata_from_dublin_core_itemprop_time_and_url() {
    let head = r##"<meta name="DC.creator" content="Jo Bloggs"><meta name="DC.title" content="DC headline">"##;
    let a = ok(&page(
        head,
        &format!("<article><time datetime=\"2022-03-04T05:06:07-05:00\">March 4</time>{}</article>", para(4, "DC")),
    ));
    assert_eq!(a.authors, ["Jo Bloggs"]);
    assert_eq!(a.title.as_deref(), Some("DC headline"));
    assert_eq!(a.published.unwrap().to_rfc3339(), "2022-03-04T05:06:07-05:00");

    let body = format!(
        r##"<div itemprop="author" itemscope><span itemprop="name">Kim Park</span></div><span itemprop="datePublished" content="2021-01-02">Jan 2</span>{}"##,
        para(4, "Item")
    );
    let a = ok(&page("", &body));
    assert_eq!(a.authors, ["Kim Park"]);
    assert_eq!(a.published.unwrap().date_naive().to_string(), "2021-01-02");

    let opts = Options { url: Some("https://x.example/2020/07/09/story".into()), ..Options::default() };
    let a = extract(&page("", &para(4, "Url")), &opts).unwrap();
    assert_eq!(a.published.unwrap().date_naive().to_string(), "2020-07-09");
}

#[test]
fn boilerplate_is_removed_and_structure_kept() {
    let body = format!(
        r##"<header class="masthead"><a href="/">Home</a><a href="/w">World</a></header>
        <nav><ul><li><a href="/a">Politics</a></li><li><a href="/b">Sport</a></li></ul></nav>
        <div class="breadcrumb"><a href="/">Home</a> › <a href="/n">News</a></div>
        <main><article>
          <h1>Council votes on budget</h1>
          <div class="byline">By Sam Reporter</div>
          <div class="share-bar"><a href="#">Share on Facebook</a><a href="#">Tweet</a></div>
          <div class="article-body">{}
            <figure><img src="x.jpg"><figcaption>The council chamber on Tuesday.</figcaption></figure>
            <h2>What happens next</h2>
            <ul><li>First item of the plan with detail</li><li>Second item of the plan with detail</li></ul>
            <blockquote>We will not raise taxes this year, the mayor promised.</blockquote>
            <div class="newsletter-signup"><p>Sign up for our daily newsletter today, it is free.</p></div>
            {}
          </div>
          <div class="related-articles"><h3>Related</h3><ul><li><a href="/1">Other story one is here</a></li><li><a href="/2">Other story two is here</a></li></ul></div>
        </article></main>
        <section id="comments"><p>Great article, I fully agree with everything here!!</p></section>
        <footer><p>Copyright 2024 Example Media. All rights reserved.</p></footer>"##,
        para(3, "Budget"),
        para(2, "Later")
    );
    let a = ok(&page("", &body));
    let paras: Vec<&str> = a.text.split("\n\n").collect();
    assert!(paras.contains(&"What happens next"), "{paras:?}");
    assert!(paras.contains(&"First item of the plan with detail"));
    assert!(paras.contains(&"Second item of the plan with detail"));
    assert!(paras.contains(&"We will not raise taxes this year, the mayor promised."));
    for junk in [
        "Politics",
        "Share on",
        "Sign up",
        "Other story",
        "Great article",
        "Copyright",
        "council chamber",
        "Sam Reporter",
        "Home",
    ] {
        assert!(!a.text.contains(junk), "{junk} leaked: {}", a.text);
    }
    assert_eq!(paras.iter().filter(|p| p.starts_with("Budget")).count(), 3);
    assert_eq!(paras.iter().filter(|p| p.starts_with("Later")).count(), 2);
}

#[test]
fn arabic_page_keeps_text_exactly_and_reads_visible_date() {
    let body = "<div class=\"post\"><h1>عنوان الخبر</h1>\
        <div class=\"date\">نشر في ١٧ مايو ٢٠٢٤ - ١٠:٣٠</div>\
        <div class=\"entry-content\">\
        <p>قَالَ\u{200F} الْمُتَحَدِّثُ\u{00A0}\u{00A0}باسم الوزارة إن الحكومة ستعلن عن خطة جديدة لدعم القطاع الزراعي خلال الأسابيع المقبلة.</p>\
        <p>وأضاف أن الخطة تتضمن تقديم قروض ميسرة للمزارعين وتوفير البذور والأسمدة بأسعار مدعومة في جميع المحافظات.</p>\
        <p>وأشار إلى أن الوزارة تعمل بالتعاون مع البنك الدولي على تمويل مشاريع الري الحديثة في المناطق الريفية.</p>\
        </div><p class=\"comments-closed\">التعليقات مغلقة.</p></div>";
    let html = format!(
        "<html lang=\"ar\" dir=\"rtl\"><head><title>عنوان الخبر - الموقع</title></head><body>{body}</body></html>"
    );
    let a = ok(&html);
    assert!(a.text.starts_with("قَالَ الْمُتَحَدِّثُ باسم الوزارة"), "{}", a.text);
    assert!(!a.text.contains('\u{200F}') && !a.text.contains('\u{00A0}'));
    assert!(!a.text.contains("التعليقات مغلقة"));
    assert_eq!(a.text.split("\n\n").count(), 3);
    assert_eq!(a.title.as_deref(), Some("عنوان الخبر"));
    assert_eq!(a.published.unwrap().to_rfc3339(), "2024-05-17T10:30:00+00:00");
    assert_eq!(a.language.as_deref(), Some("ar"));
    assert_eq!(a.direction.as_deref(), Some("rtl"));
}

#[test]
fn site_selectors_override_body_title_and_remove() {
    let body = format!(
        "<div id=\"x\"><h2 class=\"hl\">Real title</h2>{}<p class=\"promo\">Promo paragraph that is long enough to count as text here.</p></div><div id=\"y\">{}</div>",
        para(2, "Chosen"),
        para(6, "Other")
    );
    let sel = SiteSelectors { body: Some("#x".into()), title: Some("h2.hl".into()), remove: vec!["p.promo".into()] };
    let a = extract(&page("", &body), &Options { selectors: Some(sel), ..Options::default() }).unwrap();
    assert_eq!(a.title.as_deref(), Some("Real title"));
    assert!(a.text.contains("Chosen sentence number 1"));
    assert!(!a.text.contains("Other") && !a.text.contains("Promo"));
    let bad = SiteSelectors { body: Some("div[".into()), ..SiteSelectors::default() };
    assert!(matches!(
        extract(&page("", &body), &Options { selectors: Some(bad), ..Options::default() }),
        Err(ExtractError::BadSelector { .. })
    ));
    let none = SiteSelectors { body: Some("#missing".into()), ..SiteSelectors::default() };
    assert!(matches!(
        extract(&page("", &body), &Options { selectors: Some(none), ..Options::default() }),
        Err(ExtractError::NoBody { .. })
    ));
}

#[test]
fn bad_inputs_give_errors_not_panics() {
    let o = Options::default();
    assert_eq!(extract("", &o), Err(ExtractError::Empty));
    assert!(matches!(extract("\u{0}\u{1}\u{2}\u{3}binary", &o), Err(ExtractError::NotHtml { .. })));
    assert!(matches!(extract("{\"json\": true}", &o), Err(ExtractError::NotHtml { .. })));
    assert!(matches!(
        extract("<html><body><nav><a href=/>x</a></nav></body></html>", &o),
        Err(ExtractError::NoBody { .. })
    ));
    // Truncated mid-tag and mid-attribute: best effort.
    let truncated = page("", &para(3, "Cut")) + "<p>and then <a href=\"http://exa";
    assert!(ok(&truncated[..truncated.len()]).text.contains("Cut sentence number 2"));
    let cut = &page("", &para(3, "Cut"))[..200];
    let _ = extract(cut, &o);
}

#[test]
fn deep_nesting_in_a_small_stack() {
    let run = || {
        let divs = "<div>".repeat(100_000) + "text";
        let r1 = extract(&divs, &Options::default());
        assert!(matches!(r1, Err(ExtractError::TooDeep { .. })), "{r1:?}");
        // Inline nesting parses fast; the walks must not recurse.
        let spans = format!("<html><body>{}{}</body></html>", "<span>".repeat(100_000), para(3, "Deep"));
        let r2 = extract(&spans, &Options::default());
        assert!(r2.as_ref().is_ok_and(|a| a.text.contains("Deep sentence number 2")), "{r2:?}");
        let mixed = "<b><i><em>".repeat(35_000);
        let _ = extract(&mixed, &Options::default());
    };
    let h = std::thread::Builder::new().stack_size(256 * 1024).spawn(run).unwrap();
    h.join().expect("no stack overflow");
}

#[test]
fn fifty_megabyte_page() {
    let big = page("", &para(600_000, "Big"));
    assert!(big.len() >= 50 * 1024 * 1024);
    let a = extract(&big, &Options::default()).expect("best effort over the first 20 MiB");
    assert!(a.text.starts_with("Big"), "{}", &a.text[..a.text.len().min(200)]);
    let n = a.text.len();
    assert!((15 << 20..=20 << 20).contains(&n), "text of {n} bytes from the first 20 MiB");
    assert_eq!(a.warnings.len(), 1);
    assert!(a.warnings[0].contains("over the limit of 20971520"), "{:?}", a.warnings);
    // Within the limit: no warning, and none in the JSON.
    let small = extract(&page("", &para(1, "Small")), &Options::default()).unwrap();
    assert!(small.warnings.is_empty());
    assert!(serde_json::to_value(&small).unwrap().get("warnings").is_none());
}

#[test]
fn article_serializes_with_expected_field_names() {
    let a = Article {
        published: Some(chrono::DateTime::parse_from_rfc3339("2024-05-17T10:30:00+03:00").unwrap()),
        ..Article::default()
    };
    let v = serde_json::to_value(&a).unwrap();
    assert_eq!(v["published"], "2024-05-17T10:30:00+03:00");
    for k in [
        "url",
        "canonical_url",
        "title",
        "authors",
        "published",
        "modified",
        "language",
        "direction",
        "site_name",
        "description",
        "text",
        "top_image",
        "tags",
        "categories",
    ] {
        assert!(v.get(k).is_some(), "{k}");
    }
}

#[test]
fn title_takes_the_declared_text_a_styled_h1_confirms() {
    // The h1 splits kicker and headline into spans without punctuation; the
    // double-escaped JSON-LD headline is decoded. The headline's repetition
    // at the top of the body goes, whatever its punctuation.
    let head = r##"<title>Flood inquiry: Two resign - and questions remain | Daily Planet</title>
        <meta property="og:site_name" content="Daily Planet">
        <script type="application/ld+json">{"@type":"NewsArticle",
          "headline":"Flood inquiry: Two resign &#8211; and &quot;questions&quot; remain"}</script>"##;
    let body = format!(
        "<article><h1><span>Flood inquiry</span> <span>Two resign – and \"questions\" remain</span></h1>\
         <p>Flood inquiry - two resign, and questions remain</p>{}</article>",
        para(4, "Flood")
    );
    let a = ok(&page(head, &body));
    assert_eq!(a.title.as_deref(), Some("Flood inquiry: Two resign – and \"questions\" remain"));
    assert!(!a.text.contains("two resign"), "{}", a.text);
}
