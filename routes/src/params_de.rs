//! Typed params: deserializes [`Params`] into a user's struct, parsing
//! numbers and booleans from their segment text as actix's `Path` does.

use std::fmt;

use serde::de::value::{MapDeserializer, SeqDeserializer};
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};

use crate::params::{ParamValue, Params};

/// The params do not fit the requested type (a missing field, `abc` for a
/// number); the engine answers 400 with this text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid params: {0}")]
pub struct ParamsError(String);

impl de::Error for ParamsError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ParamsError(msg.to_string())
    }
}

impl Params {
    /// Deserializes the params into `T`.
    ///
    /// ```
    /// use trellis_routes::Params;
    ///
    /// #[derive(serde::Deserialize)]
    /// struct User { id: u64 }
    ///
    /// let user: User = Params::from_pairs([("id", "42")]).parse().unwrap();
    /// assert_eq!(user.id, 42);
    /// assert!(Params::from_pairs([("id", "abc")]).parse::<User>().is_err());
    /// ```
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, ParamsError> {
        T::deserialize(MapDeserializer::new(self.iter().map(|(name, value)| {
            let value = match value {
                ParamValue::One(s) => ParamDe::One(s),
                ParamValue::Many(v) => ParamDe::Many(v),
            };
            (name, value)
        })))
    }
}

#[derive(Clone, Copy)]
enum ParamDe<'a> {
    One(&'a str),
    Many(&'a [String]),
}

impl<'de, 'a> IntoDeserializer<'de, ParamsError> for ParamDe<'a> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

macro_rules! parse_from_text {
    ($($method:ident => $visit:ident),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamsError> {
                match self {
                    ParamDe::One(s) => match s.parse() {
                        Ok(value) => visitor.$visit(value),
                        Err(_) => Err(de::Error::invalid_value(de::Unexpected::Str(s), &visitor)),
                    },
                    ParamDe::Many(_) => self.deserialize_any(visitor),
                }
            }
        )*
    };
}

impl<'de, 'a> de::Deserializer<'de> for ParamDe<'a> {
    type Error = ParamsError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamsError> {
        match self {
            ParamDe::One(s) => visitor.visit_str(s),
            ParamDe::Many(v) => visitor.visit_seq(SeqDeserializer::new(
                v.iter().map(|s| ParamDe::One(s.as_str())),
            )),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamsError> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ParamsError> {
        visitor.visit_newtype_struct(self)
    }

    parse_from_text! {
        deserialize_bool => visit_bool,
        deserialize_i8 => visit_i8,
        deserialize_i16 => visit_i16,
        deserialize_i32 => visit_i32,
        deserialize_i64 => visit_i64,
        deserialize_u8 => visit_u8,
        deserialize_u16 => visit_u16,
        deserialize_u32 => visit_u32,
        deserialize_u64 => visit_u64,
        deserialize_f32 => visit_f32,
        deserialize_f64 => visit_f64,
    }

    serde::forward_to_deserialize_any! {
        i128 u128 char str string bytes byte_buf unit unit_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Blog {
        team: u32,
        slug: Option<Vec<String>>,
    }

    #[test]
    fn catch_alls_become_lists_and_absent_optionals_none() {
        let mut params = Params::from_pairs([("team", "7")]);
        assert_eq!(
            params.parse::<Blog>().unwrap(),
            Blog {
                team: 7,
                slug: None
            }
        );
        params.push(
            Arc::from("slug"),
            ParamValue::Many(vec!["a".into(), "b".into()]),
        );
        assert_eq!(params.parse::<Blog>().unwrap().slug.unwrap(), ["a", "b"]);
    }

    #[test]
    fn a_mismatch_is_an_error_naming_the_value() {
        let err = Params::from_pairs([("team", "x")])
            .parse::<Blog>()
            .unwrap_err();
        assert!(err.to_string().contains("\"x\""), "{err}");
        let err = Params::default().parse::<Blog>().unwrap_err();
        assert!(err.to_string().contains("team"), "{err}");
    }
}
