//! Reading the configuration out of its JSON tree while keeping the key path of an error
//! (`scoring.rules.3.points`). The deserializer walks a borrowed `serde_json::Value` and records
//! every key and index it enters, leaving them on the path when what is below fails; each
//! configuration type's visitor is instantiated once. (`serde_path_to_error` did the same by
//! wrapping every visitor a second time, about 90 KB of the browser package.)

use std::cell::RefCell;

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use serde_json::Value;

type Error = serde_json::Error;

/// Deserializes `T` from `value`; an error comes with the keys and indices leading to it.
pub(super) fn deserialize<T: de::DeserializeOwned>(
    value: &Value,
) -> Result<T, (Vec<String>, String)> {
    let path = RefCell::new(Vec::new());
    T::deserialize(Keyed { value, path: &path }).map_err(|e| (path.into_inner(), e.to_string()))
}

/// A value of the tree and the path walked so far.
#[derive(Clone, Copy)]
struct Keyed<'a, 'p> {
    value: &'a Value,
    path: &'p RefCell<Vec<String>>,
}

impl<'a, 'p> Keyed<'a, 'p> {
    /// Deserializes a child at `segment`; the segment stays on the path if it fails.
    fn child<T>(
        self,
        segment: String,
        value: &'a Value,
        seed: impl FnOnce(Keyed<'a, 'p>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        self.path.borrow_mut().push(segment);
        let out = seed(Keyed {
            value,
            path: self.path,
        })?;
        self.path.borrow_mut().pop();
        Ok(out)
    }
}

impl<'de, 'p> de::Deserializer<'de> for Keyed<'de, 'p> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    visitor.visit_u64(u)
                } else if let Some(i) = n.as_i64() {
                    visitor.visit_i64(i)
                } else {
                    visitor.visit_f64(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Array(items) => visitor.visit_seq(Items {
                items: items.iter(),
                index: 0,
                at: self,
            }),
            Value::Object(entries) => visitor.visit_map(Entries {
                entries: entries.iter(),
                pending: None,
                at: self,
            }),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        // The configuration's enums are unit variants written as strings (`kind = "fit"`).
        match self.value {
            Value::String(s) => {
                visitor.visit_enum(IntoDeserializer::<Error>::into_deserializer(s.as_str()))
            }
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct seq tuple tuple_struct map struct identifier
    }
}

/// An array's items, each at its index.
struct Items<'a, 'p> {
    items: std::slice::Iter<'a, Value>,
    index: usize,
    at: Keyed<'a, 'p>,
}

impl<'de> de::SeqAccess<'de> for Items<'de, '_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some(item) = self.items.next() else {
            return Ok(None);
        };
        let index = self.index;
        self.index += 1;
        self.at
            .child(index.to_string(), item, |k| seed.deserialize(k))
            .map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// An object's entries, each value at its key.
struct Entries<'a, 'p> {
    entries: serde_json::map::Iter<'a>,
    pending: Option<(&'a String, &'a Value)>,
    at: Keyed<'a, 'p>,
}

impl<'de> de::MapAccess<'de> for Entries<'de, '_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.pending = Some((key, value));
        let deserializer: de::value::BorrowedStrDeserializer<'de, Error> =
            de::value::BorrowedStrDeserializer::new(key);
        match seed.deserialize(deserializer) {
            Ok(k) => Ok(Some(k)),
            Err(e) => {
                // An unknown key: the path names it.
                self.at.path.borrow_mut().push(key.clone());
                Err(e)
            }
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let Some((key, value)) = self.pending.take() else {
            return Err(de::Error::custom("a value without its key"));
        };
        self.at.child(key.clone(), value, |k| seed.deserialize(k))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use serde_json::json;

    fn error(v: Value) -> (String, String) {
        let (path, message) = deserialize::<Config>(&v).expect_err("invalid");
        (path.join("."), message)
    }

    #[test]
    fn reads_what_serde_json_reads() {
        let v = json!({
            "workspace": {"name": "x", "timezone": "UTC"},
            "scoring": {"mql_threshold": 40, "rules": [
                {"name": "a", "kind": "fit", "points": 5,
                 "when": {"all": [{"fact": "employees", "operator": "gte", "value": 200}]}},
                {"name": "b", "kind": "engagement", "points": 1.5, "max_points": 10,
                 "when": {"not": {"fact": "type", "operator": "eq", "value": "x"}}}
            ]},
            "sla": {"first": {"from_stage": "mql", "within_business_hours": 4}}
        });
        let ours: Config = deserialize(&v).expect("valid");
        let theirs: Config = serde_json::from_value(v).expect("valid");
        assert_eq!(ours, theirs);
    }

    #[test]
    fn errors_name_the_key_path() {
        assert_eq!(
            error(json!({"scoring": {"rules": [
                {"name": "a", "kind": "fit", "points": 1, "when": {"fact": "f", "operator": "eq", "value": 1}},
                {"name": "b", "kind": "fit", "points": "ten", "when": {"fact": "f", "operator": "eq", "value": 1}}
            ]}})),
            (
                "scoring.rules.1.points".into(),
                "invalid type: string \"ten\", expected f64".into()
            )
        );
        let (key, message) = error(json!({"workspace": {"bogus": 1}}));
        assert_eq!(key, "workspace.bogus");
        assert!(message.starts_with("unknown field `bogus`"), "{message}");
        let (key, message) = error(json!({"scoring": {"rules": [{"name": "a", "kind": "nope"}]}}));
        assert_eq!(key, "scoring.rules.0.kind");
        assert!(message.starts_with("unknown variant `nope`"), "{message}");
        // A field left out: the path is the table that needs it.
        let (key, message) = error(json!({"sla": {"x": {"within_business_hours": 4}}}));
        assert_eq!(
            (key.as_str(), message.as_str()),
            ("sla.x", "missing field `from_stage`")
        );
    }
}
