//! The response store: the router's own JSON values, built for what execution
//! does with subgraph responses (parse once, look fields up, merge entities,
//! write representations and the client response).
//!
//! - A body is parsed once into [`Value`]s whose strings and object keys are
//!   slices of that body ([`Str`]: the body shared, plus a range), so parsing
//!   allocates only the arrays and objects themselves, never a string unless
//!   it had escapes.
//! - Objects are small vectors of `(key, value)` in document order: responses
//!   are made of objects of a handful of fields, where a scan finds a key
//!   faster than hashing it, and merging appends without rehashing.
//! - Cloning a value (a result shared by several entities) copies no string.
//!
//! The parser is `serde_json`'s (the same syntax errors and the same
//! 128-level nesting limit); a key repeated in one object keeps its first
//! place and its last value, as `serde_json`'s own maps do.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use apollo_compiler::response::{JsonMap, JsonValue};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Serialize, Serializer};

/// A string of the store: a range of a shared text (usually a subgraph body).
#[derive(Clone)]
pub struct Str(Repr);

/// Strings this short are kept inline: no reference count to touch when
/// they are parsed, cloned or dropped (most keys and many values are short).
const INLINE: usize = 15;

#[derive(Clone)]
enum Repr {
    Inline {
        len: u8,
        bytes: [u8; INLINE],
    },
    Shared {
        text: Arc<str>,
        start: u32,
        end: u32,
    },
}

impl Str {
    /// The string (valid UTF-8 by construction: a whole `&str`, or a range
    /// of one on char boundaries).
    #[inline]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Inline { .. } => std::str::from_utf8(self.as_bytes()).unwrap_or_default(),
            Repr::Shared { text, start, end } => {
                text.get(*start as usize..*end as usize).unwrap_or_default()
            }
        }
    }

    /// The string's bytes.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, bytes } => bytes.get(..usize::from(*len)).unwrap_or_default(),
            Repr::Shared { text, start, end } => text
                .as_bytes()
                .get(*start as usize..*end as usize)
                .unwrap_or_default(),
        }
    }

    /// The length in bytes (without reading the text).
    #[inline]
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Inline { len, .. } => usize::from(*len),
            Repr::Shared { start, end, .. } => (end - start) as usize,
        }
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether this is `key`: lengths first, then the bytes ([`same_bytes`]).
    #[inline]
    pub fn is(&self, key: &str) -> bool {
        self.is_bytes(key.as_bytes())
    }

    /// [`Str::is`] of another store string: two inline strings compare as
    /// two fixed-size arrays (zero past their length), and no side is
    /// checked for UTF-8 again.
    #[inline]
    pub fn is_str(&self, other: &Str) -> bool {
        match (&self.0, &other.0) {
            (Repr::Inline { len, bytes }, Repr::Inline { len: l, bytes: b }) => {
                len == l && bytes == b
            }
            _ => self.is_bytes(other.as_bytes()),
        }
    }

    #[inline]
    fn is_bytes(&self, key: &[u8]) -> bool {
        self.len() == key.len() && same_bytes(self.as_bytes(), key)
    }

    /// Whether the string is a slice of a shared text (not inline).
    #[cfg(test)]
    fn is_shared(&self) -> bool {
        matches!(self.0, Repr::Shared { .. })
    }

    /// Length, first and last byte: equal strings have equal fingerprints.
    #[inline]
    fn fingerprint(&self) -> u32 {
        let bytes = self.as_bytes();
        let first = bytes.first().copied().unwrap_or(0);
        let last = bytes.last().copied().unwrap_or(0);
        (self.len() as u32) << 16 | u32::from(first) << 8 | u32::from(last)
    }

    /// `s` inline, if it is short enough.
    #[inline]
    fn inline(s: &str) -> Option<Str> {
        let len = u8::try_from(s.len())
            .ok()
            .filter(|&l| usize::from(l) <= INLINE)?;
        let mut bytes = [0u8; INLINE];
        bytes.get_mut(..s.len())?.copy_from_slice(s.as_bytes());
        Some(Str(Repr::Inline { len, bytes }))
    }

    /// A slice of `text`: inline when short, else sharing `text` (a range
    /// past `u32::MAX` takes a copy instead).
    fn slice(text: &Arc<str>, start: usize, end: usize) -> Str {
        let Some(part) = text.get(start..end) else {
            return Str::from("");
        };
        if let Some(inline) = Str::inline(part) {
            return inline;
        }
        match (u32::try_from(start), u32::try_from(end)) {
            (Ok(start), Ok(end)) => Str(Repr::Shared {
                text: text.clone(),
                start,
                end,
            }),
            _ => Str::from(part),
        }
    }
}

/// `a == b` for slices of one length, the short ones (object keys, type
/// names) compared by a few overlapping word loads instead of a call to
/// `memcmp`.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    fn word<const N: usize>(s: &[u8], at: usize) -> [u8; N] {
        s.get(at..at + N)
            .and_then(|w| w.try_into().ok())
            .unwrap_or([0; N])
    }
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        0 => true,
        1..=3 => a.first() == b.first() && a.get(n / 2) == b.get(n / 2) && a.last() == b.last(),
        4..=7 => word::<4>(a, 0) == word::<4>(b, 0) && word::<4>(a, n - 4) == word::<4>(b, n - 4),
        8..=16 => word::<8>(a, 0) == word::<8>(b, 0) && word::<8>(a, n - 8) == word::<8>(b, n - 8),
        _ => a == b,
    }
}

impl Deref for Str {
    type Target = str;

    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Str {
    fn from(s: &str) -> Str {
        if let Some(inline) = Str::inline(s) {
            return inline;
        }
        let end = u32::try_from(s.len()).unwrap_or(u32::MAX);
        Str(Repr::Shared {
            text: Arc::from(s),
            start: 0,
            end,
        })
    }
}

impl From<String> for Str {
    fn from(s: String) -> Str {
        Str::from(s.as_str())
    }
}

impl PartialEq for Str {
    fn eq(&self, other: &Str) -> bool {
        self.is_str(other)
    }
}

impl Eq for Str {}

impl PartialEq<str> for Str {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl std::hash::Hash for Str {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl fmt::Debug for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A JSON value of the store.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(Str),
    Array(Vec<Value>),
    Object(Object),
}

/// A JSON object: entries in document order, keys unique.
#[derive(Clone, Debug, Default)]
pub struct Object(Vec<(Str, Value)>);

impl PartialEq for Object {
    /// Equal entries, in any order (as JSON objects compare).
    fn eq(&self, other: &Object) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .all(|(key, value)| other.get(key) == Some(value))
    }
}

impl Object {
    pub fn new() -> Object {
        Object(Vec::new())
    }

    pub fn with_capacity(capacity: usize) -> Object {
        Object(Vec::with_capacity(capacity))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value under `key` (a scan: objects are small).
    #[inline]
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0
            .iter()
            .find(|(name, _)| name.is(key))
            .map(|(_, value)| value)
    }

    #[inline]
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.0
            .iter_mut()
            .find(|(name, _)| name.is(key))
            .map(|(_, value)| value)
    }

    /// [`Object::get_mut`] by a key of the store (another object's).
    #[inline]
    pub fn get_mut_key(&mut self, key: &Str) -> Option<&mut Value> {
        self.0
            .iter_mut()
            .find(|(name, _)| name.is_str(key))
            .map(|(_, value)| value)
    }

    /// The entry under `key` with its index.
    pub fn position_mut(&mut self, key: &str) -> Option<(usize, &mut Value)> {
        self.0
            .iter_mut()
            .enumerate()
            .find(|(_, (name, _))| name.is(key))
            .map(|(index, (_, value))| (index, value))
    }

    /// Sets `key` to `value`: in place when present, appended otherwise.
    pub fn insert(&mut self, key: impl Into<Str>, value: Value) {
        let key = key.into();
        match self.get_mut(&key) {
            Some(existing) => *existing = value,
            None => self.0.push((key, value)),
        }
    }

    /// Appends an entry whose key the caller knows is absent.
    pub fn push(&mut self, key: Str, value: Value) {
        self.0.push((key, value));
    }

    /// Removes `key`, keeping the order of the others.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let index = self.0.iter().position(|(name, _)| name.is(key))?;
        Some(self.0.remove(index).1)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Str, &Value)> {
        self.0.iter().map(|(key, value)| (key, value))
    }

    pub fn keys(&self) -> impl Iterator<Item = &Str> {
        self.0.iter().map(|(key, _)| key)
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&Str, &mut Value)> {
        self.0.iter_mut().map(|(key, value)| (&*key, value))
    }

    /// The entry at `index` (document order).
    pub fn nth(&self, index: usize) -> Option<(&Str, &Value)> {
        self.0.get(index).map(|(key, value)| (key, value))
    }

    pub fn nth_mut(&mut self, index: usize) -> Option<&mut Value> {
        self.0.get_mut(index).map(|(_, value)| value)
    }

    /// Keeps a repeated key's first place and last value.
    fn dedupe(&mut self) {
        let entries = &mut self.0;
        let n = entries.len();
        let repeated = if n <= 1 {
            false
        } else if n <= 16 {
            // Keys compared by a fingerprint (length, first and last byte)
            // first: the bytes only when two fingerprints agree.
            let mut prints = [0u32; 16];
            for (print, (key, _)) in prints.iter_mut().zip(entries.iter()) {
                *print = key.fingerprint();
            }
            (1..n).any(|i| {
                (0..i).any(|j| {
                    prints.get(i) == prints.get(j)
                        && entries.get(i).map(|(k, _)| k) == entries.get(j).map(|(k, _)| k)
                })
            })
        } else {
            let mut seen = rustc_hash::FxHashSet::default();
            !entries.iter().all(|(k, _)| seen.insert(k.as_str()))
        };
        if !repeated {
            return;
        }
        let mut unique: Vec<(Str, Value)> = Vec::with_capacity(n);
        for (key, value) in entries.drain(..) {
            match unique.iter_mut().find(|(k, _)| *k == key) {
                Some(existing) => existing.1 = value,
                None => unique.push((key, value)),
            }
        }
        *entries = unique;
    }
}

impl IntoIterator for Object {
    type Item = (Str, Value);
    type IntoIter = std::vec::IntoIter<(Str, Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl FromIterator<(Str, Value)> for Object {
    fn from_iter<I: IntoIterator<Item = (Str, Value)>>(iter: I) -> Object {
        let mut object = Object(iter.into_iter().collect());
        object.dedupe();
        object
    }
}

impl Value {
    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Value::Object(object) => Some(object),
            _ => None,
        }
    }

    pub fn as_object_mut(&mut self) -> Option<&mut Object> {
        match self {
            Value::Object(object) => Some(object),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s.as_str()),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => n.as_f64(),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn is_object(&self) -> bool {
        matches!(self, Value::Object(_))
    }

    pub fn is_string(&self) -> bool {
        matches!(self, Value::String(_))
    }

    pub fn is_boolean(&self) -> bool {
        matches!(self, Value::Bool(_))
    }

    pub fn is_number(&self) -> bool {
        matches!(self, Value::Number(_))
    }

    pub fn is_i64(&self) -> bool {
        matches!(self, Value::Number(n) if n.is_i64())
    }

    pub fn is_f64(&self) -> bool {
        matches!(self, Value::Number(n) if n.is_f64())
    }

    /// The same value as the JSON tree the rest of the router speaks
    /// (introspection's executor, error extensions).
    pub fn to_json(&self) -> JsonValue {
        match self {
            Value::Null => JsonValue::Null,
            Value::Bool(b) => JsonValue::Bool(*b),
            Value::Number(n) => JsonValue::Number(n.clone()),
            Value::String(s) => JsonValue::String(s.as_str().into()),
            Value::Array(items) => JsonValue::Array(items.iter().map(Value::to_json).collect()),
            Value::Object(object) => JsonValue::Object(object.to_json()),
        }
    }

    /// Appends this value as JSON.
    pub fn write(&self, out: &mut Vec<u8>) {
        match self {
            Value::Null => out.extend_from_slice(b"null"),
            Value::Bool(true) => out.extend_from_slice(b"true"),
            Value::Bool(false) => out.extend_from_slice(b"false"),
            Value::Number(n) => write_serialized(out, n),
            Value::String(s) => write_string(out, s),
            Value::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    item.write(out);
                }
                out.push(b']');
            }
            Value::Object(object) => {
                out.push(b'{');
                for (i, (key, value)) in object.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_string(out, key);
                    out.push(b':');
                    value.write(out);
                }
                out.push(b'}');
            }
        }
    }
}

impl Object {
    pub fn to_json(&self) -> JsonMap {
        self.iter()
            .map(|(key, value)| (key.as_str().into(), value.to_json()))
            .collect()
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(Str::from(s))
    }
}

impl From<&JsonValue> for Value {
    fn from(value: &JsonValue) -> Value {
        match value {
            JsonValue::Null => Value::Null,
            JsonValue::Bool(b) => Value::Bool(*b),
            JsonValue::Number(n) => Value::Number(n.clone()),
            JsonValue::String(s) => Value::from(s.as_str()),
            JsonValue::Array(items) => Value::Array(items.iter().map(Value::from).collect()),
            JsonValue::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (Str::from(k.as_str()), Value::from(v)))
                    .collect(),
            ),
        }
    }
}

impl fmt::Display for Value {
    /// The value as compact JSON.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::new();
        self.write(&mut out);
        f.write_str(&String::from_utf8_lossy(&out))
    }
}

/// Appends `s` as a JSON string.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    if !write_plain(out, s.as_bytes()) {
        write_serialized(out, s);
    }
}

/// [`write_str`] for a store string (its bytes read once).
fn write_string(out: &mut Vec<u8>, s: &Str) {
    if !write_plain(out, s.as_bytes()) {
        write_serialized(out, s.as_str());
    }
}

/// Most strings need no escape: copies them in one go and says so.
#[inline]
fn write_plain(out: &mut Vec<u8>, bytes: &[u8]) -> bool {
    if bytes.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\') {
        return false;
    }
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    out.extend_from_slice(bytes);
    out.push(b'"');
    true
}

fn write_serialized<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    if serde_json::to_writer(&mut *out, value).is_err() {
        out.extend_from_slice(b"null");
    }
}

impl Serialize for Str {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Number(n) => n.serialize(serializer),
            Value::String(s) => serializer.serialize_str(s.as_str()),
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Object(object) => {
                let mut map = serializer.serialize_map(Some(object.len()))?;
                for (key, value) in object.iter() {
                    map.serialize_entry(key.as_str(), value)?;
                }
                map.end()
            }
        }
    }
}

/// Values from any deserializer (tests, configuration): strings are copied.
impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        Seed {
            text: None,
            scratch: &mut Scratch::default(),
        }
        .deserialize(deserializer)
    }
}

/// Parses one JSON document (trailing whitespace only) into the store: strings
/// and keys without escapes are slices of `bytes`, held in one shared copy.
pub fn parse(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => return Err(serde::de::Error::custom("invalid UTF-8")),
    };
    let text: Arc<str> = Arc::from(text);
    let mut deserializer = serde_json::Deserializer::from_str(&text);
    let value = Seed {
        text: Some(&text),
        scratch: &mut Scratch::default(),
    }
    .deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(value)
}

/// The entries and items of the objects and arrays being parsed, innermost
/// last: each object and array is then allocated once, at its final size.
#[derive(Default)]
struct Scratch {
    entries: Vec<(Str, Value)>,
    items: Vec<Value>,
}

/// Builds values; with `text`, strings borrowed from it become slices of it.
struct Seed<'s, 't> {
    text: Option<&'t Arc<str>>,
    scratch: &'s mut Scratch,
}

fn string(text: Option<&Arc<str>>, s: &str) -> Str {
    if let Some(text) = text {
        let base = text.as_ptr() as usize;
        let at = s.as_ptr() as usize;
        if at >= base && at + s.len() <= base + text.len() {
            return Str::slice(text, at - base, at - base + s.len());
        }
    }
    Str::from(s)
}

impl<'de> DeserializeSeed<'de> for Seed<'_, '_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_, '_> {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_borrowed_str<E>(self, value: &'de str) -> Result<Value, E> {
        Ok(Value::String(string(self.text, value)))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(Str::from(value)))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(Str::from(value)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let start = self.scratch.items.len();
        loop {
            let seed = Seed {
                text: self.text,
                scratch: &mut *self.scratch,
            };
            match seq.next_element_seed(seed)? {
                Some(item) => self.scratch.items.push(item),
                None => break,
            }
        }
        Ok(Value::Array(self.scratch.items.drain(start..).collect()))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let start = self.scratch.entries.len();
        while let Some(key) = map.next_key_seed(KeySeed(self.text))? {
            let seed = Seed {
                text: self.text,
                scratch: &mut *self.scratch,
            };
            let value = map.next_value_seed(seed)?;
            self.scratch.entries.push((key, value));
        }
        let mut object = Object(self.scratch.entries.drain(start..).collect());
        object.dedupe();
        Ok(Value::Object(object))
    }
}

struct KeySeed<'t>(Option<&'t Arc<str>>);

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Str;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Str, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Str;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an object key")
    }

    fn visit_borrowed_str<E>(self, key: &'de str) -> Result<Str, E> {
        Ok(string(self.0, key))
    }

    // Keys with escapes are not in the body as they read.
    fn visit_str<E>(self, key: &str) -> Result<Str, E> {
        Ok(Str::from(key))
    }

    fn visit_string<E>(self, key: String) -> Result<Str, E> {
        Ok(Str::from(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_compare_by_bytes_at_every_length() {
        // Every length around the word sizes, equal and differing at each byte.
        let text = "abcdefghijklmnopqrstuvwxyz0123456789";
        for n in 0..=text.len() {
            let a = &text[..n];
            assert!(same_bytes(a.as_bytes(), a.as_bytes()));
            assert!(Str::from(a).is(a) && Str::from(a).is_str(&Str::from(a)));
            assert!(!Str::from(a).is(&text[..n.saturating_sub(1)]) || n == 0);
            for at in 0..n {
                let mut other = a.as_bytes().to_vec();
                other[at] ^= 0x20;
                let other = String::from_utf8(other).expect("ascii");
                assert!(
                    !same_bytes(a.as_bytes(), other.as_bytes()),
                    "{a:?} {other:?}"
                );
                assert!(!Str::from(a).is(&other), "{a:?} {other:?}");
                assert!(!Str::from(a).is_str(&Str::from(other.as_str())));
                assert_ne!(Str::from(a), Str::from(other.as_str()));
            }
        }
        // Inline against shared: the same text compares equal either way.
        let body: Arc<str> = Arc::from("{\"name\":\"Ada Lovelace, Countess of Lovelace\"}");
        let shared = Str::slice(&body, 9, 40);
        assert!(shared.is_shared());
        assert!(shared.is_str(&Str::from("Ada Lovelace, Countess of Lovel")));
        assert!(!shared.is_str(&Str::from("Ada")));
        assert!(!same_bytes(b"ab", b"abc"));
    }

    const BODIES: [&str; 6] = [
        r#"{"data":{"users":[{"id":"1","name":"a","tags":["x"]},{"id":"2","name":"b","tags":[]}]}}"#,
        r#"{"a":null,"b":true,"c":false,"d":-12,"e":18446744073709551615,"f":1.5e3,"g":"\u00e9\ud83d\ude00 \"q\""}"#,
        r#"{"esc\u0061ped":1,"escaped":2,"dup":1,"dup":2}"#,
        r#"[[],{},[{}],"",0]"#,
        "  {\"x\" : [ 1 , 2 ] }  ",
        r#"{"é":"ü","k":"tab\tnew\nline"}"#,
    ];

    #[test]
    fn parses_what_serde_json_parses_in_its_order() {
        for body in BODIES {
            let ours = parse(body.as_bytes()).expect(body);
            let theirs: serde_json::Value = serde_json::from_str(body).expect(body);
            assert_eq!(serde_json::to_value(&ours).expect("json"), theirs, "{body}");
            // The same tree the rest of the router speaks, and written back
            // the text it writes (key order included).
            let json: JsonValue = serde_json::from_str(body).expect(body);
            assert_eq!(ours.to_json(), json, "{body}");
            let mut out = Vec::new();
            ours.write(&mut out);
            assert_eq!(
                String::from_utf8(out).expect("utf-8"),
                serde_json::to_string(&json).expect("json"),
                "{body}"
            );
            assert_eq!(
                ours.to_string(),
                serde_json::to_string(&ours).expect("json")
            );
            assert_eq!(Value::from(&json), ours, "{body}");
        }
    }

    #[test]
    fn a_repeated_key_keeps_its_first_place_and_last_value() {
        let value = parse(br#"{"a":1,"b":2,"a":3}"#).expect("json");
        assert_eq!(value.to_string(), r#"{"a":3,"b":2}"#);
        let many: String = (0..40).map(|i| format!("\"k{}\":{i},", i % 20)).collect();
        let value = parse(format!("{{{}\"z\":0}}", many).as_bytes()).expect("json");
        let object = value.as_object().expect("object");
        assert_eq!(object.len(), 21);
        assert_eq!(object.get("k3").and_then(Value::as_i64), Some(23));
        assert_eq!(object.nth(0).map(|(k, _)| k.as_str()), Some("k0"));
    }

    #[test]
    fn long_strings_are_slices_of_the_body_short_ones_inline() {
        let body =
            r#"{"name":"Ada","long":"Ada Lovelace, Countess","é":"ü-ü-ü-ü-ü-ü-ü-ü","q":"a\"b"}"#;
        let value = parse(body.as_bytes()).expect("json");
        let object = value.as_object().expect("object");
        let string = |key: &str| match object.get(key) {
            Some(Value::String(s)) => s.clone(),
            _ => panic!("no {key}"),
        };
        assert_eq!(string("name").as_str(), "Ada");
        assert!(!string("name").is_shared());
        assert_eq!(string("long").as_str(), "Ada Lovelace, Countess");
        assert!(string("long").is_shared());
        // 16 bytes of multi-byte characters: shared, on char boundaries.
        assert_eq!(string("é").as_str(), "ü-ü-ü-ü-ü-ü-ü-ü");
        assert!(string("é").is_shared());
        assert_eq!(string("q").as_str(), "a\"b");
        assert!(object.keys().all(|k| !k.is_shared()));
        assert!(string("long").is("Ada Lovelace, Countess"));
        assert!(!string("long").is("Ada Lovelace, Countesz"));
        assert_eq!(Str::from("x".repeat(15).as_str()).len(), 15);
        assert!(!Str::from("x".repeat(15).as_str()).is_shared());
        assert!(Str::from("x".repeat(16).as_str()).is_shared());
        assert_eq!(Str::from("").as_str(), "");
        let mut out = Vec::new();
        value.write(&mut out);
        assert_eq!(String::from_utf8(out).expect("utf-8"), body);
    }

    #[test]
    fn refuses_what_serde_json_refuses() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        for body in [
            &b""[..],
            b"{",
            b"{\"a\":}",
            b"[1,]",
            b"{} x",
            b"nul",
            b"{\"a\":1}}",
            b"\"\xff\"",
            deep.as_bytes(),
        ] {
            assert!(
                parse(body).is_err(),
                "{:.20}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn accepts_and_refuses_exactly_what_serde_json_does() {
        // One body per line; bodies with tabs, carriage returns, a byte-order
        // mark or DEL are added below.
        let listed = r#"null
true
 1
-0
1e400
-1e-400
1.0
01
1.
.5
-
18446744073709551616
-9223372036854775809
123456789012345678901234567890
"\ud800"
"\udc00"
"\ud83d\ude00"
"\u12"
"\x"
[1 2]
{"a" 1}
{"a":1,}
{1:2}
[,]
[] []
[true false]
nulll
tru
["a"
{"a":{"b":[1,{"c":null}]}}
[1,2,3,]"#;
        let mut bodies: Vec<String> = listed.lines().map(str::to_string).collect();
        bodies.extend(
            ["\"a\tb\"", "\"\u{7f}\"", "\u{feff}[]", "\t\r\n []\t\r\n "].map(str::to_string),
        );
        for n in [126, 127, 128, 129] {
            bodies.push(format!("{}{}", "[".repeat(n), "]".repeat(n)));
            bodies.push(format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n)));
        }
        for body in &bodies {
            let theirs = serde_json::from_str::<serde_json::Value>(body);
            let ours = parse(body.as_bytes());
            assert_eq!(ours.is_ok(), theirs.is_ok(), "{:.40}", body);
            if let (Ok(ours), Ok(theirs)) = (ours, theirs) {
                assert_eq!(serde_json::to_value(&ours).expect("json"), theirs, "{body}");
            }
        }
    }

    #[test]
    fn objects_insert_in_place_and_remove_in_order() {
        let mut object = Object::new();
        object.insert("a", Value::Bool(true));
        object.insert("b", Value::Null);
        object.insert("a", Value::from("x"));
        assert_eq!(
            Value::Object(object.clone()).to_string(),
            r#"{"a":"x","b":null}"#
        );
        assert_eq!(object.remove("a"), Some(Value::from("x")));
        assert_eq!(object.remove("a"), None);
        object.insert("c", Value::Bool(false));
        assert_eq!(Value::Object(object).to_string(), r#"{"b":null,"c":false}"#);
    }
}
