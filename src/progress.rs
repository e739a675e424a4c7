//! Progress output for `newsflow run`: counts per stage and the latest
//! stored titles, printed when something changed.

use std::sync::Arc;
use std::time::Duration;

use newsflow_kafka::runner::crate_metrics;
use newsflow_sink::Store;
use tokio_util::sync::CancellationToken;

use crate::observe::counter_value;

/// Counts per stage, read from the metrics recorder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub fetched: u64,
    pub scraped: u64,
    pub enriched: u64,
    pub stored: u64,
    pub dead_lettered: u64,
}

impl Counts {
    pub fn read() -> Self {
        let out = |stage| counter_value(crate_metrics::ITEMS_OUT, Some(("stage", stage)));
        Self {
            fetched: counter_value(newsflow_ingest::fetcher::names::PAGES, None),
            scraped: out("scrape"),
            enriched: out("enrich"),
            // The sink produces nothing: count what it consumed and finished.
            stored: counter_value(crate_metrics::LATENCY_COUNT, Some(("stage", "sink"))),
            dead_lettered: counter_value(crate_metrics::DEAD_LETTERED, None),
        }
    }
}

/// Print progress every `every` until `cancel`.
pub async fn report(store: Arc<Store>, every: Duration, cancel: CancellationToken) {
    let mut last = (Counts::default(), u64::MAX);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = cancel.cancelled() => break,
        }
        let counts = Counts::read();
        let summary = store.summary(5).await.unwrap_or_default();
        if (counts.clone(), summary.count) == last {
            continue;
        }
        println!(
            "fetched {} · scraped {} · enriched {} · processed by sink {} · dead-lettered {} · stored articles {}",
            counts.fetched, counts.scraped, counts.enriched, counts.stored, counts.dead_lettered, summary.count
        );
        if summary.count != last.1 {
            for t in &summary.latest_titles {
                println!("    {t}");
            }
        }
        last = (counts, summary.count);
    }
}
