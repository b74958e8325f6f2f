//! Text with values drawn into it afresh for every request:
//! `/products/{1..10000}` (a whole number in a range, both ends included),
//! `/files/{a|b|c}` (one of a list), `/teams/{team}` (one of the values a
//! scenario names under `[values]`).
//!
//! Only braces around a range, a list or a name are placeholders: their
//! insides are letters, digits and `_ . | ~ -`. Any other brace is text, so
//! a JSON body like `{"name":"widget"}` is sent as written.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;

use super::random::Random;

/// Where a drawn value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Draw {
    /// A whole number from `low` to `high`, both included.
    Range { low: u64, high: u64 },
    /// One of these, each as likely.
    List(Arc<[String]>),
}

/// The values a scenario names, by name.
pub type Values = BTreeMap<String, Draw>;

impl Draw {
    /// `1..10000`, or `None` when `text` is not a range at all.
    pub fn range(text: &str) -> Option<Result<Draw, String>> {
        let (low, high) = text.split_once("..")?;
        let bound = |end: &str| {
            end.trim()
                .parse::<u64>()
                .map_err(|_| format!("`{text}`: a range is two whole numbers, like 1..10000"))
        };
        Some(match (bound(low), bound(high)) {
            (Ok(low), Ok(high)) if low <= high => Ok(Draw::Range { low, high }),
            (Ok(_), Ok(_)) => Err(format!("`{text}`: the range ends below its start")),
            (Err(error), _) | (_, Err(error)) => Err(error),
        })
    }

    /// A list, refused when empty or when an item holds a control character
    /// (a line break would end the request head early).
    pub fn list(items: Vec<String>) -> Result<Draw, String> {
        if items.is_empty() {
            return Err("a list of values needs at least one".to_string());
        }
        if let Some(bad) = items.iter().find(|item| item.contains(char::is_control)) {
            return Err(format!("the value {bad:?} holds a control character"));
        }
        Ok(Draw::List(items.into()))
    }

    fn write(&self, random: &mut Random, out: &mut Vec<u8>) {
        match self {
            Draw::Range { low, high } => {
                // `high - low + 1` overflows only for the full u64 range.
                let value = match (high - low).checked_add(1) {
                    Some(span) => low + random.below(span),
                    None => random.next_u64(),
                };
                // Writing to a Vec cannot fail.
                let _ = write!(out, "{value}");
            }
            Draw::List(items) => {
                let index = random.below(items.len() as u64) as usize;
                out.extend_from_slice(items[index].as_bytes());
            }
        }
    }

    fn may_contain(&self, unwanted: &impl Fn(char) -> bool) -> bool {
        match self {
            Draw::Range { .. } => false,
            Draw::List(items) => items.iter().any(|item| item.contains(unwanted)),
        }
    }
}

/// Text and placeholders, parsed once; rendered for each request.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    source: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(Vec<u8>),
    Draw(Draw),
}

impl Template {
    /// `text` as it is, with no placeholders.
    pub fn literal(text: &str) -> Template {
        Template::bytes(text.as_bytes().to_vec())
    }

    /// Bytes as they are (a body read from a file, which may not be text).
    pub fn bytes(bytes: Vec<u8>) -> Template {
        Template {
            source: String::from_utf8_lossy(&bytes).into_owned(),
            parts: vec![Part::Text(bytes)],
        }
    }

    /// Parses the placeholders of `text`; a name must be one of `values`.
    pub fn parse(text: &str, values: &Values) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            literal.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let inside = after
                .find(['{', '}'])
                .filter(|end| after[*end..].starts_with('}'))
                .map(|end| &after[..end])
                .filter(|inside| !inside.is_empty() && inside.chars().all(is_placeholder_char));
            match inside {
                Some(inside) => {
                    if !literal.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut literal).into_bytes()));
                    }
                    parts.push(Part::Draw(placeholder(inside, values)?));
                    rest = &after[inside.len() + 1..];
                }
                None => {
                    literal.push('{');
                    rest = after;
                }
            }
        }
        literal.push_str(rest);
        if !literal.is_empty() || parts.is_empty() {
            parts.push(Part::Text(literal.into_bytes()));
        }
        Ok(Template {
            source: text.to_string(),
            parts,
        })
    }

    /// The text as written, placeholders and all.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The bytes, when it draws nothing: the same every request.
    pub fn as_literal(&self) -> Option<&[u8]> {
        match self.parts.as_slice() {
            [Part::Text(text)] => Some(text),
            _ => None,
        }
    }

    /// Whether some rendering could hold a character `unwanted` matches.
    pub fn may_contain(&self, unwanted: impl Fn(char) -> bool) -> bool {
        self.parts.iter().any(|part| match part {
            Part::Text(text) => String::from_utf8_lossy(text).contains(&unwanted),
            Part::Draw(draw) => draw.may_contain(&unwanted),
        })
    }

    /// Appends one rendering to `out`, drawing each value from `random`.
    pub fn render(&self, random: &mut Random, out: &mut Vec<u8>) {
        for part in &self.parts {
            match part {
                Part::Text(text) => out.extend_from_slice(text),
                Part::Draw(draw) => draw.write(random, out),
            }
        }
    }
}

fn is_placeholder_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '|' | '~' | '-')
}

/// What `{inside}` stands for.
fn placeholder(inside: &str, values: &Values) -> Result<Draw, String> {
    if let Some(range) = Draw::range(inside) {
        return range;
    }
    if inside.contains('|') {
        if inside.split('|').any(str::is_empty) {
            return Err(format!("`{{{inside}}}`: a list has no empty items"));
        }
        return Draw::list(inside.split('|').map(str::to_string).collect());
    }
    let is_name = inside.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    match values.get(inside) {
        Some(draw) => Ok(draw.clone()),
        None if is_name => Err(format!(
            "`{{{inside}}}`: no value named {inside:?}; name it under [values]"
        )),
        None => Err(format!(
            "`{{{inside}}}`: write a range {{1..100}}, a list {{a|b}} or a name from [values]"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(template: &Template, seed: u64) -> String {
        let mut out = Vec::new();
        template.render(&mut Random::new(seed), &mut out);
        String::from_utf8(out).expect("templates render UTF-8")
    }

    #[test]
    fn a_range_draws_whole_numbers_between_its_ends_both_included() {
        let template = Template::parse("/products/{1..3}", &Values::new()).unwrap();
        let drawn: std::collections::BTreeSet<String> =
            (0..200).map(|seed| render(&template, seed)).collect();
        assert_eq!(
            drawn.into_iter().collect::<Vec<_>>(),
            ["/products/1", "/products/2", "/products/3"]
        );
    }

    #[test]
    fn a_list_and_a_named_value_draw_one_of_their_items() {
        let mut values = Values::new();
        values.insert(
            "team".to_string(),
            Draw::list(vec!["alpha".into(), "beta".into()]).unwrap(),
        );
        let template = Template::parse("/dashboard/{team}.{json|xml}", &values).unwrap();
        for seed in 0..50 {
            let path = render(&template, seed);
            let (team, format) = path["/dashboard/".len()..].split_once('.').unwrap();
            assert!(["alpha", "beta"].contains(&team), "{path}");
            assert!(["json", "xml"].contains(&format), "{path}");
        }
        assert_eq!(template.source(), "/dashboard/{team}.{json|xml}");
        assert_eq!(template.as_literal(), None);
    }

    #[test]
    fn braces_that_hold_no_placeholder_are_text() {
        let body = r#"{"name":"widget","qty":{1..5},"tags":{}}"#;
        let template = Template::parse(body, &Values::new()).unwrap();
        let rendered = render(&template, 3);
        let json: serde_json::Value = serde_json::from_str(&rendered).expect("still JSON");
        assert!((1..=5).contains(&json["qty"].as_u64().unwrap()));
        let plain = Template::parse(r#"{"a": {"b": 1}}"#, &Values::new()).unwrap();
        assert_eq!(plain.as_literal(), Some(&br#"{"a": {"b": 1}}"#[..]));
    }

    #[test]
    fn an_unknown_name_or_a_backwards_range_is_refused_with_the_fix() {
        let unknown = Template::parse("/teams/{tem}", &Values::new()).unwrap_err();
        assert!(unknown.contains("[values]"), "{unknown}");
        let backwards = Template::parse("/p/{9..1}", &Values::new()).unwrap_err();
        assert!(backwards.contains("below its start"), "{backwards}");
        assert!(Template::parse("/p/{a||b}", &Values::new()).is_err());
        assert!(Template::parse("/p/{7}", &Values::new()).is_err());
    }

    #[test]
    fn what_a_template_may_render_is_known_before_any_request() {
        let mut values = Values::new();
        values.insert(
            "q".to_string(),
            Draw::list(vec!["a b".into(), "c".into()]).unwrap(),
        );
        let spaced = Template::parse("/search?q={q}", &values).unwrap();
        assert!(spaced.may_contain(char::is_whitespace));
        let numbered = Template::parse("/p/{1..9}", &values).unwrap();
        assert!(!numbered.may_contain(char::is_whitespace));
        assert!(Draw::list(vec!["a\r\nb".into()]).is_err());
    }
}
