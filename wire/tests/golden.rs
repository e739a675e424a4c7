//! Golden fixtures pin the wire format: each fixture decodes into its typed
//! envelope and encodes back to the same JSON, ids are what the id function
//! says, and docs/topics.md shows exactly these examples.

use newsflow_wire::{Alert, ArticleMsg, DeadLetter, EnrichedArticle, Envelope, RawPage, TopicKind, item_id};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

fn fixture(kind: TopicKind) -> String {
    let path = format!("{}/tests/golden/{}.json", env!("CARGO_MANIFEST_DIR"), kind.suffix());
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn check<T: Serialize + DeserializeOwned>(kind: TopicKind) -> Envelope<T> {
    let raw = fixture(kind);
    let expected: Value = serde_json::from_str(&raw).unwrap();
    let env: Envelope<T> =
        Envelope::decode(Some(raw.as_bytes()), None).unwrap_or_else(|e| panic!("{}: {e}", kind.suffix()));
    let again: Value = serde_json::from_slice(&env.encode()).unwrap();
    assert_eq!(again, expected, "{} does not round-trip", kind.suffix());
    env
}

#[test]
fn every_topic_fixture_round_trips() {
    let raw = check::<RawPage>(TopicKind::RawPages);
    assert_eq!(raw.id, item_id(&raw.payload.url), "raw-pages id must be the id of the URL");
    let art = check::<ArticleMsg>(TopicKind::Articles);
    assert_eq!(art.id, item_id(&art.payload.canonical_url));
    check::<EnrichedArticle>(TopicKind::Enriched);
    check::<Alert>(TopicKind::Alerts);
    check::<DeadLetter>(TopicKind::DeadLetters);
}

#[test]
fn item_id_is_stable() {
    // Changing this breaks every stored id: bump the schema and migrate.
    assert_eq!(item_id("https://example.com/a"), "2dce0a4c50441bfccfa9caf4b58c3cba");
}

#[test]
fn docs_show_the_fixtures() {
    let docs = std::fs::read_to_string(format!("{}/../docs/topics.md", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let blocks: Vec<Value> = docs
        .split("```json")
        .skip(1)
        .map(|b| serde_json::from_str(b.split("```").next().unwrap()).expect("docs/topics.md: JSON block parses"))
        .collect();
    for kind in TopicKind::ALL {
        let expected: Value = serde_json::from_str(&fixture(kind)).unwrap();
        assert!(blocks.contains(&expected), "docs/topics.md lacks the {} example", kind.suffix());
    }
}
