//! Reading a [`Condition`]: `{fact, operator, value}` or one of `all` / `any` / `not`. Written by
//! hand instead of serde's untagged enum, which buffered the value and, when no shape fitted, said
//! only "did not match any variant" at the rule; this names the key at fault, nested conditions
//! included (`scoring.rules.3.when.all.1.operator`). A comparison whose operator or value is
//! wrong whatever its fact (an unknown operator, `matches` with a bad regular expression, `in`
//! without a list) is refused here too, at its line, before any data is read.

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};

use super::Condition;

const KEYS: &[&str] = &["fact", "operator", "value", "all", "any", "not"];

impl<'de> Deserialize<'de> for Condition {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ConditionVisitor)
    }
}

struct ConditionVisitor;

impl<'de> Visitor<'de> for ConditionVisitor {
    type Value = Condition;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(
            "a condition: {fact, operator, value}, {all = [...]}, {any = [...]} or {not = {...}}",
        )
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Condition, A::Error> {
        let (mut fact, mut operator, mut value) = (None, None, None);
        let mut combined: Option<(&'static str, Condition)> = None;
        let mut seen: Vec<&'static str> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let Some(&key) = KEYS.iter().find(|k| **k == key) else {
                return Err(de::Error::unknown_field(&key, KEYS));
            };
            if seen.contains(&key) {
                return Err(de::Error::duplicate_field(key));
            }
            seen.push(key);
            match key {
                "fact" => fact = Some(map.next_value::<String>()?),
                "operator" => operator = Some(map.next_value::<String>()?),
                "value" => value = map.next_value::<Option<serde_json::Value>>()?,
                "all" => {
                    combined = Some((
                        "all",
                        Condition::All {
                            all: map.next_value()?,
                        },
                    ))
                }
                "any" => {
                    combined = Some((
                        "any",
                        Condition::Any {
                            any: map.next_value()?,
                        },
                    ))
                }
                _ => {
                    combined = Some((
                        "not",
                        Condition::Not {
                            not: map.next_value()?,
                        },
                    ))
                }
            }
        }
        let comparison = seen
            .iter()
            .any(|k| matches!(*k, "fact" | "operator" | "value"));
        let combinators = seen
            .iter()
            .filter(|k| matches!(**k, "all" | "any" | "not"))
            .count();
        match combined {
            Some((_, condition)) if !comparison && combinators == 1 => Ok(condition),
            Some((name, _)) if combinators > 1 => Err(de::Error::custom(format!(
                "a condition has one of `all`, `any` or `not`, not several (`{name}` and another)"
            ))),
            Some((name, _)) => Err(de::Error::custom(format!(
                "`{name}` combines conditions and cannot sit with `fact` / `operator` / `value`: put the comparison inside it"
            ))),
            None => match (fact, operator) {
                (Some(fact), Some(operator)) => {
                    match crate::conditions::comparison_problem(&operator, value.as_ref()) {
                        Some((key, message)) => {
                            Err(de::Error::custom(format!("`{key}` of `{fact}`: {message}")))
                        }
                        None => Ok(Condition::Fact {
                            fact,
                            operator,
                            value,
                        }),
                    }
                }
                (None, _) => Err(de::Error::missing_field("fact")),
                (Some(_), None) => Err(de::Error::missing_field("operator")),
            },
        }
    }
}
