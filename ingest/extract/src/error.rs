//! The crate's error type.

use thiserror::Error;

/// Why a page could not be turned into an [`crate::Article`].
///
/// Every variant carries enough detail for the scraper service to record the
/// reason next to the page; none of them is retryable by re-running the same
/// extraction on the same bytes.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ExtractError {
    /// The input is empty or only whitespace.
    #[error("input is empty")]
    Empty,
    /// The input does not look like HTML (binary data, plain text, JSON...).
    #[error("input is not HTML: {reason}")]
    NotHtml { reason: String },
    /// Block elements are nested deeper than any real page does; parsing such
    /// input costs quadratic time in html5ever, so it is refused up front.
    #[error("elements nested {depth} levels deep, over the limit of {limit}")]
    TooDeep { depth: usize, limit: usize },
    /// The page parsed, but no main text could be found.
    #[error("no article body: {reason}")]
    NoBody { reason: String },
    /// A per-site CSS selector from [`crate::SiteSelectors`] does not parse.
    #[error("invalid site selector {selector:?}: {reason}")]
    BadSelector { selector: String, reason: String },
}
