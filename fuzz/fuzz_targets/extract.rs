//! The article extractor: any page gives an article or an error; an
//! extracted body is never empty.
#![no_main]

use libfuzzer_sys::fuzz_target;
use newsflow_extract::{Options, extract};

fuzz_target!(|data: &[u8]| {
    let html = String::from_utf8_lossy(data);
    let opts = Options { url: Some("https://example.com/2024/05/01/story.html".into()), ..Options::default() };
    if let Ok(article) = extract(&html, &opts) {
        assert!(!article.text.trim().is_empty(), "an extracted article has a body");
    }
});
