//! Enrich: what the enricher adds to an article.
//!
//! Layout:
//! - [`normalize`]: the one text normalization used by all matching (Arabic
//!   letter forms, diacritics, tatweel, digits, punctuation, case).
//! - [`language`]: language and script detection.
//! - [`stage`]: the enricher stage: `articles` → `enriched`.

pub mod language;
pub mod normalize;
pub mod stage;

pub use stage::{EnrichStage, enrich};
