//! The sink stage: `enriched` → store. The offset of a message is stored
//! only after its row is durable (the write returns after commit).

use std::sync::Arc;

use async_trait::async_trait;
use newsflow_kafka::{Incoming, Outgoing, Stage, StageError};
use newsflow_wire::{EnrichedArticle, Envelope, TopicKind};

use crate::batch::WriteError;
use crate::{ArticleRow, Store};

pub struct SinkStage {
    store: Arc<Store>,
}

impl SinkStage {
    pub fn new(store: Arc<Store>) -> Self {
        Self { store }
    }
}

#[async_trait]
impl Stage for SinkStage {
    fn name(&self) -> &'static str {
        "sink"
    }

    fn input(&self) -> TopicKind {
        TopicKind::Enriched
    }

    async fn process(&self, msg: &Incoming) -> Result<Vec<Outgoing>, StageError> {
        let env: Envelope<EnrichedArticle> = msg.decode()?;
        match self.store.write(ArticleRow::from(&env)).await {
            Ok(()) => Ok(Vec::new()),
            Err(WriteError::Unavailable(e)) => Err(StageError::Transient(e)),
            Err(WriteError::Rejected(e)) => Err(StageError::Permanent(format!("database rejected the row: {e}"))),
        }
    }
}
