//! Content fingerprints. The ledger stores the fingerprint of what we last *sent* for a record;
//! a record whose outgoing payload hashes the same is skipped, so a JDE receipt that changes
//! nothing we send causes no write.
use serde::Serialize;
use sha2::{Digest, Sha256};

/// SHA-256 of the canonical JSON of `value` (serde_json sorts map keys when the value is a
/// `serde_json::Value`; structs serialise in declaration order, which is stable).
pub fn fingerprint<T: Serialize + ?Sized>(value: &T) -> String {
    let v = serde_json::to_value(value).expect("payloads are plain data");
    let bytes = serde_json::to_vec(&v).expect("values serialise");
    hex::encode(Sha256::digest(&bytes))
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_does_not_matter_and_content_does() {
        let a = json!({"a": 1, "b": "x"});
        let b: serde_json::Value = serde_json::from_str(r#"{"b":"x","a":1}"#).unwrap();
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&json!({"a": 2, "b": "x"})));
    }
}
