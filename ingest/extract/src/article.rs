//! The extraction result.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

/// Everything extracted from one article page.
///
/// Field names are part of the wire format used by the scraper service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Article {
    /// URL the page was fetched from ([`crate::Options::url`]).
    pub url: Option<String>,
    /// `<link rel=canonical>` / `og:url`, resolved against `url`.
    pub canonical_url: Option<String>,
    /// Headline without site-name suffix.
    pub title: Option<String>,
    /// Author names, cleaned and de-duplicated (may be an agency).
    pub authors: Vec<String>,
    /// First publication time; RFC 3339 on the wire. The page's offset is kept
    /// when it gives one, otherwise UTC is assumed.
    pub published: Option<DateTime<FixedOffset>>,
    /// Last modification time, same conventions as `published`.
    pub modified: Option<DateTime<FixedOffset>>,
    /// ISO 639-1 code of the text (`"ar"`, `"en"`...).
    pub language: Option<String>,
    /// `"rtl"` or `"ltr"`.
    pub direction: Option<String>,
    pub site_name: Option<String>,
    pub description: Option<String>,
    /// Main text: one paragraph per block, separated by a blank line.
    pub text: String,
    pub top_image: Option<String>,
    pub tags: Vec<String>,
    pub categories: Vec<String>,
    /// What made this a best-effort result (an input over
    /// [`crate::Options::max_bytes`] extracted from its first part). Left
    /// out of the JSON when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}
