//! Parses subgraph response bodies into the response tree's values.
//!
//! The result is what `serde_json::from_slice::<JsonValue>` gives (the same
//! parser, so the same syntax errors and the same 128-level nesting limit),
//! built with less work: an object key that repeats in a body (every entity of
//! a list has the same keys) is allocated once and shared, and every object is
//! built at its final size instead of growing its hash table entry by entry.

use std::fmt;

use apollo_compiler::response::serde_json_bytes::ByteString;
use apollo_compiler::response::{JsonMap, JsonValue};
use rustc_hash::FxHashMap;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// Parses one JSON document (trailing whitespace only).
pub fn parse_value(bytes: &[u8]) -> Result<JsonValue, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let mut state = State::default();
    let value = Seed(&mut state).deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(value)
}

#[derive(Default)]
struct State<'de> {
    /// Keys seen so far in this body, by their text in it.
    keys: FxHashMap<&'de str, ByteString>,
    /// Entries of the objects being parsed, innermost last.
    entries: Vec<(ByteString, JsonValue)>,
}

struct Seed<'s, 'de>(&'s mut State<'de>);

impl<'de> DeserializeSeed<'de> for Seed<'_, 'de> {
    type Value = JsonValue;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<JsonValue, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_, 'de> {
    type Value = JsonValue;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<JsonValue, E> {
        Ok(JsonValue::Null)
    }

    fn visit_none<E>(self) -> Result<JsonValue, E> {
        Ok(JsonValue::Null)
    }

    fn visit_bool<E>(self, value: bool) -> Result<JsonValue, E> {
        Ok(JsonValue::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<JsonValue, E> {
        Ok(JsonValue::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<JsonValue, E> {
        Ok(JsonValue::Number(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<JsonValue, E> {
        Ok(serde_json::Number::from_f64(value).map_or(JsonValue::Null, JsonValue::Number))
    }

    fn visit_str<E>(self, value: &str) -> Result<JsonValue, E> {
        Ok(JsonValue::String(value.into()))
    }

    fn visit_string<E>(self, value: String) -> Result<JsonValue, E> {
        Ok(JsonValue::String(value.into()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JsonValue, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element_seed(Seed(&mut *self.0))? {
            items.push(item);
        }
        Ok(JsonValue::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonValue, A::Error> {
        let start = self.0.entries.len();
        while let Some(key) = map.next_key_seed(Key(&mut self.0.keys))? {
            let value = map.next_value_seed(Seed(&mut *self.0))?;
            self.0.entries.push((key, value));
        }
        // Exact size, one allocation; a repeated key keeps its first place and
        // its last value, as inserting one by one would.
        let object: JsonMap = self.0.entries.drain(start..).collect();
        Ok(JsonValue::Object(object))
    }
}

struct Key<'s, 'de>(&'s mut FxHashMap<&'de str, ByteString>);

impl<'de> DeserializeSeed<'de> for Key<'_, 'de> {
    type Value = ByteString;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<ByteString, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_, 'de> {
    type Value = ByteString;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an object key")
    }

    fn visit_borrowed_str<E>(self, key: &'de str) -> Result<ByteString, E> {
        Ok(self
            .0
            .entry(key)
            .or_insert_with(|| ByteString::from(key))
            .clone())
    }

    // Keys with escapes are not in the body as they read: not shared.
    fn visit_str<E>(self, key: &str) -> Result<ByteString, E> {
        Ok(ByteString::from(key))
    }

    fn visit_string<E>(self, key: String) -> Result<ByteString, E> {
        Ok(ByteString::from(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_serde_json_parses() {
        for body in [
            r#"{"data":{"users":[{"id":"1","name":"a","tags":["x"]},{"id":"2","name":"b","tags":[]}]}}"#,
            r#"{"a":null,"b":true,"c":false,"d":-12,"e":18446744073709551615,"f":1.5e3,"g":"\u00e9\ud83d\ude00 \"q\""}"#,
            r#"{"esc\u0061ped":1,"escaped":2,"dup":1,"dup":2}"#,
            r#"[[],{},[{}],"",0]"#,
            "  {\"x\" : [ 1 , 2 ] }  ",
        ] {
            let ours = parse_value(body.as_bytes()).expect(body);
            let theirs: JsonValue = serde_json::from_str(body).expect(body);
            assert_eq!(ours, theirs, "{body}");
            assert_eq!(
                serde_json::to_string(&ours).expect("json"),
                serde_json::to_string(&theirs).expect("json"),
                "key order of {body}"
            );
        }
    }

    #[test]
    fn refuses_what_serde_json_refuses() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        for body in [
            "",
            "{",
            "{\"a\":}",
            "[1,]",
            "{} x",
            "nul",
            "{\"a\":1}}",
            &deep,
        ] {
            assert!(parse_value(body.as_bytes()).is_err(), "{body:.20}");
        }
    }
}
