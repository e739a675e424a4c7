//! The archive stage: `enriched` → one JSON line per article in the hourly
//! files. The offset of a message is stored only after its line is
//! fsynced (or found already written this hour).

use async_trait::async_trait;
use newsflow_kafka::{Incoming, Outgoing, Stage, StageError};
use newsflow_wire::{EnrichedArticle, Envelope, TopicKind};
use serde::Deserialize;
use serde_json::Value;

use super::writer::Archive;

pub struct ArchiveStage {
    archive: Archive,
}

impl ArchiveStage {
    pub fn new(archive: Archive) -> Self {
        Self { archive }
    }

    pub fn archive(&self) -> &Archive {
        &self.archive
    }
}

/// The archive line of an `enriched` message: the payload's fields
/// (`article`, `enrichment`, and any a newer enricher added: they are kept
/// as they came) plus `id`, `trace_id`, `produced_at` and `schema_version`
/// from the envelope. Returns the item id and the line, without newline.
///
/// A message that is not an enriched article is a permanent error.
pub fn archive_line(msg: &Incoming) -> Result<(String, Vec<u8>), StageError> {
    let env: Envelope<Value> = msg.decode()?;
    EnrichedArticle::deserialize(&env.payload)
        .map_err(|e| StageError::Permanent(format!("not an enriched article: {e}")))?;
    let Value::Object(mut line) = env.payload else {
        return Err(StageError::Permanent("payload is not a JSON object".into()));
    };
    line.insert("id".into(), env.id.clone().into());
    line.insert("trace_id".into(), env.trace_id.into());
    line.insert("produced_at".into(), serde_json::to_value(env.produced_at).unwrap_or(Value::Null));
    line.insert("schema_version".into(), env.schema_version.into());
    // Compact JSON escapes newlines inside strings: one line per article.
    let bytes = serde_json::to_vec(&line).map_err(|e| StageError::Permanent(format!("unserializable: {e}")))?;
    Ok((env.id, bytes))
}

#[async_trait]
impl Stage for ArchiveStage {
    fn name(&self) -> &'static str {
        "archive"
    }

    fn input(&self) -> TopicKind {
        TopicKind::Enriched
    }

    async fn process(&self, msg: &Incoming) -> Result<Vec<Outgoing>, StageError> {
        let (id, line) = archive_line(msg)?;
        // Every archive error is the disk's (full, permissions): retried
        // with the runner's backoff, the offset held meanwhile.
        self.archive.append(id, line).await.map(|_| Vec::new()).map_err(|e| StageError::Transient(e.to_string()))
    }
}
