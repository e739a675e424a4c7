//! The message decoder: any bytes on any topic decode or give an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use newsflow_wire::{Alert, ArticleMsg, DeadLetter, EnrichedArticle, Envelope, RawPage};

fuzz_target!(|data: &[u8]| {
    let key = data.get(..16);
    let _ = Envelope::<RawPage>::decode(Some(data), key);
    let _ = Envelope::<ArticleMsg>::decode(Some(data), key);
    let _ = Envelope::<EnrichedArticle>::decode(Some(data), None);
    let _ = Envelope::<Alert>::decode(Some(data), None);
    let _ = Envelope::<DeadLetter>::decode(Some(data), None);
});
