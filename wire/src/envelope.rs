//! The envelope around every message on every topic.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

/// Version of the wire format. Bump it on any incompatible change and add a
/// golden fixture for the new version.
pub const SCHEMA_VERSION: u32 = 1;

/// Every Kafka message value is one JSON-encoded envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    /// Wire format version ([`SCHEMA_VERSION`] when produced by this build).
    pub schema_version: u32,
    /// Stable item id: see [`crate::item_id`]. Also the Kafka message key.
    pub id: String,
    /// Random id given when the item was first seen, carried through every
    /// stage so one item can be followed across services' logs.
    pub trace_id: String,
    /// When this message was produced.
    pub produced_at: DateTime<Utc>,
    /// The topic-specific content.
    pub payload: T,
}

/// Why a message could not be decoded. Always permanent: the same bytes
/// will never decode, so the message goes to the dead-letter topic.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("message has no value")]
    Empty,
    #[error("message is not valid JSON for this topic: {0}")]
    Json(#[from] serde_json::Error),
    #[error("unsupported schema_version {found} (this build reads up to {supported})")]
    Version { found: u32, supported: u32 },
    #[error("message key {key:?} does not match envelope id {id:?}")]
    KeyMismatch { key: String, id: String },
}

impl<T> Envelope<T> {
    /// A new envelope for `payload` with the current schema version.
    pub fn new(id: impl Into<String>, trace_id: impl Into<String>, payload: T) -> Self {
        Self {
            schema_version: SCHEMA_VERSION,
            id: id.into(),
            trace_id: trace_id.into(),
            produced_at: Utc::now(),
            payload,
        }
    }

    /// The next stage's envelope: same id and trace id, new payload.
    pub fn follow<U>(&self, payload: U) -> Envelope<U> {
        Envelope::new(self.id.clone(), self.trace_id.clone(), payload)
    }
}

impl<T: Serialize> Envelope<T> {
    /// JSON bytes for the Kafka message value.
    pub fn encode(&self) -> Vec<u8> {
        // Serializing plain data structs with string keys cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

impl<T: DeserializeOwned> Envelope<T> {
    /// Decode a Kafka message value, checking the version and, when a key is
    /// given, that it matches the envelope id.
    pub fn decode(value: Option<&[u8]>, key: Option<&[u8]>) -> Result<Self, DecodeError> {
        let value = value.filter(|v| !v.is_empty()).ok_or(DecodeError::Empty)?;
        let env: Envelope<T> = match serde_json::from_slice(value) {
            Ok(env) => env,
            Err(e) => {
                // A newer producer's message may not fit this build's types:
                // say so rather than report a missing field.
                #[derive(Deserialize)]
                struct Probe {
                    schema_version: u32,
                }
                if let Ok(p) = serde_json::from_slice::<Probe>(value)
                    && p.schema_version > SCHEMA_VERSION
                {
                    return Err(DecodeError::Version { found: p.schema_version, supported: SCHEMA_VERSION });
                }
                return Err(e.into());
            }
        };
        if env.schema_version > SCHEMA_VERSION || env.schema_version == 0 {
            return Err(DecodeError::Version { found: env.schema_version, supported: SCHEMA_VERSION });
        }
        if let Some(key) = key {
            let key = String::from_utf8_lossy(key);
            if key != env.id {
                return Err(DecodeError::KeyMismatch { key: key.into_owned(), id: env.id });
            }
        }
        Ok(env)
    }
}

/// A fresh random trace id (128 bits, hex).
pub fn new_trace_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_future_schema_versions() {
        let raw = br#"{"schema_version":99,"id":"a","trace_id":"t","produced_at":"2024-01-01T00:00:00Z","payload":1}"#;
        let err = Envelope::<u32>::decode(Some(raw), None).unwrap_err();
        assert!(matches!(err, DecodeError::Version { found: 99, .. }));
    }

    #[test]
    fn newer_versions_are_named_even_when_the_payload_does_not_fit() {
        let raw =
            br#"{"schema_version":2,"id":"a","trace_id":"t","produced_at":"2024-01-01T00:00:00Z","payload":{"x":1}}"#;
        let err = Envelope::<u32>::decode(Some(raw), None).unwrap_err();
        assert!(matches!(err, DecodeError::Version { found: 2, supported: 1 }), "{err}");
    }

    #[test]
    fn rejects_key_that_is_not_the_id() {
        let env = Envelope::new("abc", "t", 5u32);
        let err = Envelope::<u32>::decode(Some(&env.encode()), Some(b"xyz")).unwrap_err();
        assert!(matches!(err, DecodeError::KeyMismatch { .. }));
    }

    #[test]
    fn empty_and_garbage_values_are_decode_errors() {
        assert!(matches!(Envelope::<u32>::decode(None, None), Err(DecodeError::Empty)));
        assert!(matches!(Envelope::<u32>::decode(Some(b"\xff{"), None), Err(DecodeError::Json(_))));
    }

    #[test]
    fn tolerates_unknown_fields() {
        let raw = br#"{"schema_version":1,"id":"a","trace_id":"t","produced_at":"2024-01-01T00:00:00Z","payload":1,"added_later":true}"#;
        assert_eq!(Envelope::<u32>::decode(Some(raw), Some(b"a")).unwrap().payload, 1);
    }
}
