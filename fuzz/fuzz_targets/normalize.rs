//! Arabic-aware normalization and the search form: any text gives words
//! separated by single spaces, and the search form of a search form's word
//! is searchable again (the index and the query side agree).
#![no_main]

use libfuzzer_sys::fuzz_target;
use newsflow_enrich::normalize::normalize;
use newsflow_enrich::search::{search_form, search_word};

fuzz_target!(|text: &str| {
    for form in [normalize(text), search_form(text)] {
        assert!(!form.starts_with(' ') && !form.ends_with(' ') && !form.contains("  "), "{form:?}");
    }
    for word in search_form(text).split(' ').filter(|w| !w.is_empty()) {
        assert!(search_word(word).is_some(), "{word:?} is not searchable again");
    }
});
