//! A condition's value as the compiled rules keep it: typed, free of any JSON library, and with
//! the text `baton.toml` showed it as, so that messages read the same from a program's bytes.

/// A condition's `value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Literal {
    /// The value.
    pub kind: LiteralKind,
    /// How it was written, as JSON shows it (`200`, `"web"`, `[1,2]`): for messages.
    pub shown: String,
}

/// The shapes a condition's value can take.
#[derive(Debug, Clone, PartialEq)]
pub enum LiteralKind {
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string.
    Text(String),
    /// A list.
    List(Vec<Literal>),
    /// Anything else (a table): refused by every operator that reads it.
    Other,
}

impl Literal {
    /// The literal of a JSON value (`baton.toml`'s values are read as JSON values).
    pub fn from_json(value: &serde_json::Value) -> Literal {
        use serde_json::Value;
        let kind = match value {
            Value::Bool(b) => LiteralKind::Bool(*b),
            Value::Number(n) => n.as_f64().map_or(LiteralKind::Other, LiteralKind::Number),
            Value::String(s) => LiteralKind::Text(s.clone()),
            Value::Array(items) => {
                LiteralKind::List(items.iter().map(Literal::from_json).collect())
            }
            Value::Null | Value::Object(_) => LiteralKind::Other,
        };
        Literal {
            kind,
            shown: value.to_string(),
        }
    }

    /// True for a number.
    pub fn is_number(&self) -> bool {
        matches!(self.kind, LiteralKind::Number(_))
    }

    /// True for `true` / `false`.
    pub fn is_boolean(&self) -> bool {
        matches!(self.kind, LiteralKind::Bool(_))
    }

    /// True for a string.
    pub fn is_string(&self) -> bool {
        matches!(self.kind, LiteralKind::Text(_))
    }

    /// The number, if it is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self.kind {
            LiteralKind::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The string, if it is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            LiteralKind::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if it is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self.kind {
            LiteralKind::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The items, if it is a list.
    pub fn as_array(&self) -> Option<&[Literal]> {
        match &self.kind {
            LiteralKind::List(items) => Some(items),
            _ => None,
        }
    }
}

impl std::fmt::Display for Literal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}
