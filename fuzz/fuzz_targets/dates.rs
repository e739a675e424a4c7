//! Date parsing: feed and byline date strings, and dates mentioned in
//! text (Arabic month systems, Eastern digits), never panic; a parsed date
//! prints as ISO.
#![no_main]

use libfuzzer_sys::fuzz_target;
use newsflow_enrich::dates::{find_dates, parse_date};

fuzz_target!(|text: &str| {
    if let Ok(d) = parse_date(text) {
        let _ = d.to_iso();
        let _ = d.to_datetime();
    }
    for m in find_dates(text) {
        let _ = format!("{m:?}");
    }
});
