//! Reading a non-`OpenAI` dialect's payload field by field, with strict types: a field read has the type the
//! dialect expects or is absent/null, anything else fails the event with a decode error naming the field.
//! Twin: `python/rillm/_fallback/decode/fields.py`.

use std::borrow::Cow;

use crate::error::{Error, Pos};
use crate::json::{JsonError, Key, Parser, Peek};

/// A payload that is JSON but not the dialect's shape, or not JSON: what is wrong.
#[derive(Debug)]
pub(crate) struct Bad(pub(crate) String);

impl From<JsonError> for Bad {
    fn from(e: JsonError) -> Self {
        Bad(e.to_string())
    }
}

pub(crate) type R<T> = Result<T, Bad>;

impl Bad {
    /// The decode error for an event of `dialect`.
    pub(crate) fn at(self, pos: Pos, dialect: &str) -> Error {
        Error::Decode {
            pos,
            detail: format!("invalid {dialect} event: {}", self.0),
        }
    }
}

fn expected(name: &str, what: &str) -> Bad {
    Bad(format!("`{name}`: expected {what}"))
}

/// A JSON object's fields as raw text, looked up by name (the last of repeated keys wins, as in Python).
/// Parsing checks the whole object; reading a field parses only that value.
pub(crate) struct Obj<'a> {
    fields: Vec<(Key<'a>, &'a str)>,
}

impl<'a> Obj<'a> {
    /// The object `text` holds; anything else is an error.
    pub(crate) fn parse(text: &'a str) -> R<Obj<'a>> {
        let mut p = Parser::new(text);
        if p.peek()? != Peek::Object {
            return Err(Bad("expected an object".to_owned()));
        }
        let mut fields = Vec::with_capacity(4);
        let mut key = p.first_key()?;
        while let Some(k) = key {
            fields.push((k, p.any()?));
            key = p.next_key()?;
        }
        p.finish()?;
        Ok(Obj { fields })
    }

    /// The raw value of `name`; `None` when absent or null.
    pub(crate) fn get(&self, name: &str) -> Option<&'a str> {
        self.fields
            .iter()
            .rev()
            .find(|(k, _)| k.name().as_ref() == name.as_bytes())
            .map(|&(_, v)| v)
            .filter(|v| *v != "null")
    }

    /// Whether `name` is present and not null.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Whether `name` is present, null or not.
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.fields.iter().any(|(k, _)| k.name().as_ref() == name.as_bytes())
    }

    pub(crate) fn str(&self, name: &str) -> R<Option<Cow<'a, str>>> {
        match self.get(name) {
            None => Ok(None),
            Some(raw) => Parser::new(raw).cow().map_err(|_| expected(name, "a string")),
        }
    }

    pub(crate) fn string(&self, name: &str) -> R<Option<String>> {
        Ok(self.str(name)?.map(Cow::into_owned))
    }

    pub(crate) fn int(&self, name: &str) -> R<Option<i64>> {
        match self.get(name) {
            None => Ok(None),
            Some(raw) => Parser::new(raw).int().map_err(|_| expected(name, "an integer")),
        }
    }

    pub(crate) fn bool(&self, name: &str) -> R<Option<bool>> {
        match self.get(name) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(_) => Err(expected(name, "a boolean")),
        }
    }

    pub(crate) fn obj(&self, name: &str) -> R<Option<Obj<'a>>> {
        match self.get(name) {
            None => Ok(None),
            Some(raw) if raw.starts_with('{') => Obj::parse(raw).map(Some),
            Some(_) => Err(expected(name, "an object")),
        }
    }

    /// The raw items of an array field.
    pub(crate) fn list(&self, name: &str) -> R<Option<Vec<&'a str>>> {
        let Some(raw) = self.get(name) else { return Ok(None) };
        if !raw.starts_with('[') {
            return Err(expected(name, "an array"));
        }
        let mut p = Parser::new(raw);
        let mut items = Vec::new();
        let mut more = p.array_start()?;
        while more {
            items.push(p.any()?);
            more = p.array_step()?;
        }
        Ok(Some(items))
    }

    /// An object field's raw text, checked to be an object.
    pub(crate) fn raw_obj(&self, name: &str) -> R<Option<&'a str>> {
        match self.get(name) {
            Some(raw) if !raw.starts_with('{') => Err(expected(name, "an object")),
            other => Ok(other),
        }
    }
}

/// The object `name` of `parent`, when there is a parent and it has one.
pub(crate) fn child<'a>(parent: Option<&Obj<'a>>, name: &str) -> R<Option<Obj<'a>>> {
    match parent {
        Some(parent) => parent.obj(name),
        None => Ok(None),
    }
}

/// Each item of a raw array as an object.
pub(crate) fn objects<'a>(items: &[&'a str], name: &str) -> R<Vec<Obj<'a>>> {
    items
        .iter()
        .map(|item| {
            if item.starts_with('{') {
                Obj::parse(item)
            } else {
                Err(expected(name, "an array of objects"))
            }
        })
        .collect()
}

/// A raw JSON value is an object with at least one key.
pub(crate) fn is_nonempty_object(raw: &str) -> bool {
    raw.starts_with('{') && Parser::new(raw).first_key().is_ok_and(|k| k.is_some())
}
