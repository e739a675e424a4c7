//! Wire types: the messages newsflow services pass along Kafka topics.
//!
//! Layout:
//! - [`envelope`]: the [`Envelope`] every message travels in (schema version,
//!   stable item id, trace id, payload) and its JSON encoding.
//! - [`id`]: URL canonicalization and the stable item id derived from it.
//! - [`payload`]: one payload type per topic ([`RawPage`], [`ArticleMsg`],
//!   [`EnrichedArticle`], [`Alert`], [`DeadLetter`]).
//! - [`topics`]: topic names and which payload each one carries.
//!
//! Wire types tolerate unknown fields so services can be upgraded one at a
//! time; a breaking change bumps [`SCHEMA_VERSION`] and the golden fixtures in
//! `wire/tests/golden/` pin the format.

pub mod envelope;
pub mod id;
pub mod payload;
pub mod topics;

pub use envelope::{DecodeError, Envelope, SCHEMA_VERSION, new_trace_id};
pub use id::{ItemId, alert_id, canonicalize_url, item_id};
pub use payload::{
    Alert, Amount, ArticleMsg, DeadLetter, EnrichedArticle, Enrichment, Entity, FeedHint, Quote, RawPage,
};
pub use topics::{TopicKind, Topics};
