//! Topic names. Every name is `prefix + kind`, so several pipelines (or
//! tests) can share one cluster.

use serde::{Deserialize, Serialize};

/// The topics of the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TopicKind {
    RawPages,
    Articles,
    Enriched,
    Alerts,
    DeadLetters,
}

impl TopicKind {
    pub const ALL: [TopicKind; 5] =
        [TopicKind::RawPages, TopicKind::Articles, TopicKind::Enriched, TopicKind::Alerts, TopicKind::DeadLetters];

    /// The suffix after the prefix.
    pub fn suffix(self) -> &'static str {
        match self {
            TopicKind::RawPages => "raw-pages",
            TopicKind::Articles => "articles",
            TopicKind::Enriched => "enriched",
            TopicKind::Alerts => "alerts",
            TopicKind::DeadLetters => "dead-letters",
        }
    }
}

/// Topic names for one pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topics {
    prefix: String,
}

impl Topics {
    pub fn new(prefix: impl Into<String>) -> Self {
        Self { prefix: prefix.into() }
    }

    pub fn name(&self, kind: TopicKind) -> String {
        format!("{}{}", self.prefix, kind.suffix())
    }
}

impl Default for Topics {
    fn default() -> Self {
        Self::new("newsflow.")
    }
}
