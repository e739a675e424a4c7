//! Enrich: what the enricher adds to an article.
//!
//! Layout:
//! - [`normalize`]: the one text normalization used by all matching (Arabic
//!   letter forms, diacritics, tatweel, digits, punctuation, case).
//! - [`language`]: language and script detection.
//! - [`amounts`]: money, percentages and counts.
//! - [`cluster`]: exact/near duplicates and story ids, one pass.
//! - [`dates`]: date strings and dates mentioned in text, to ISO 8601.
//! - [`enrichment`]: the per-article fields (no memory of other articles).
//! - [`entities`]: places (with their country), organizations and people.
//! - [`follow`]: the index every instance shares through the `enriched`
//!   topic.
//! - [`fxhash`]: a fast hasher for the lookup tables.
//! - [`gazetteer`]: the gazetteer and person-name data files.
//! - [`orgs`]: organizations by head noun + place or adjective.
//! - [`persons`]: people by title, attribution and name rules.
//! - [`keyphrases`]: repeated words and phrases.
//! - [`quotes`]: quotations and their speakers.
//! - [`summary`]: a short extractive summary.
//! - [`keys`]: dedup keys and mentioned dates not on the wire yet.
//! - [`search`]: the search form of text shared by full-text search and
//!   alert rules.
//! - [`shingles`]: MinHash near-duplicate signatures of body paragraphs.
//! - [`text`]: an article's tokens, split and normalized once, shared by
//!   the parts that read words.
//! - [`terms`]: index terms (stop words, clitics) for story matching.
//! - `prepare` (private): what the clusterer computes from an article
//!   alone, outside the index lock (ids, duplicate keys, story terms).
//! - [`stories`]: the story half of the clusterer's index (compact
//!   centroids).
//! - [`stage`]: the enricher stage: `articles` → `enriched`.

pub mod amounts;
pub mod cluster;
pub mod dates;
pub mod enrichment;
pub mod entities;
pub mod follow;
pub mod fxhash;
pub mod gazetteer;
pub mod keyphrases;
pub mod keys;
pub mod language;
pub mod normalize;
pub mod orgs;
pub mod persons;
mod prepare;
pub mod quotes;
pub mod search;
pub mod shingles;
pub mod stage;
pub mod stories;
pub mod summary;
pub mod terms;
pub mod text;

pub use enrichment::{content_hash, enrich};
pub use stage::{EnrichStage, EnricherConfig};
