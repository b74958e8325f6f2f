//! `req.form()`: form data, URL-encoded or multipart, as `formData()` reads
//! it: text fields and files, in the order sent.

use bytes::Bytes;

use crate::api::error::{Error, Result};

/// One form field's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormValue {
    Text(String),
    File(FormFile),
}

impl FormValue {
    pub fn as_text(&self) -> Option<&str> {
        match self {
            FormValue::Text(text) => Some(text),
            FormValue::File(_) => None,
        }
    }

    pub fn as_file(&self) -> Option<&FormFile> {
        match self {
            FormValue::File(file) => Some(file),
            FormValue::Text(_) => None,
        }
    }
}

/// A file part of a multipart form, held in memory (the body limit bounds it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormFile {
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Bytes,
}

/// A parsed form.
///
/// ```
/// use trellis_engine::FormData;
///
/// let form = FormData::parse_urlencoded(b"name=Ada+Lovelace&tag=a&tag=b").unwrap();
/// assert_eq!(form.get_text("name"), Some("Ada Lovelace"));
/// assert_eq!(form.get_all("tag").len(), 2);
/// assert!(form.get("email").is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormData {
    entries: Vec<(String, FormValue)>,
}

impl FormData {
    /// Parses `application/x-www-form-urlencoded`; a body that is not UTF-8
    /// is a 400.
    pub fn parse_urlencoded(body: &[u8]) -> Result<Self> {
        std::str::from_utf8(body)
            .map_err(|_| Error::BadRequest("invalid form data: not UTF-8".into()))?;
        Ok(FormData {
            entries: form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), FormValue::Text(v.into_owned())))
                .collect(),
        })
    }

    /// Parses `multipart/form-data` with the boundary from `content_type`;
    /// a malformed body or boundary is a 400.
    pub async fn parse_multipart(content_type: &str, body: Bytes) -> Result<Self> {
        let invalid = |e: multer::Error| Error::BadRequest(format!("invalid form data: {e}"));
        let boundary = multer::parse_boundary(content_type).map_err(invalid)?;
        let chunks = futures_util::stream::once(async move { Ok::<_, std::io::Error>(body) });
        let mut multipart = multer::Multipart::new(chunks, boundary);
        let mut entries = Vec::new();
        while let Some(field) = multipart.next_field().await.map_err(invalid)? {
            let name = field.name().unwrap_or_default().to_string();
            let file_name = field.file_name().map(str::to_string);
            let content_type = field.content_type().map(|m| m.to_string());
            let bytes = field.bytes().await.map_err(invalid)?;
            let value = match file_name {
                Some(file_name) => FormValue::File(FormFile {
                    file_name: Some(file_name),
                    content_type,
                    bytes,
                }),
                None => FormValue::Text(String::from_utf8(bytes.to_vec()).map_err(|_| {
                    Error::BadRequest(format!("invalid form data: field `{name}` is not UTF-8"))
                })?),
            };
            entries.push((name, value));
        }
        Ok(FormData { entries })
    }

    /// The first value of `name` (`formData.get`).
    pub fn get(&self, name: &str) -> Option<&FormValue> {
        self.entries.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// The first value of `name`, if it is text.
    pub fn get_text(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(FormValue::as_text)
    }

    pub fn get_all(&self, name: &str) -> Vec<&FormValue> {
        self.entries
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v)
            .collect()
    }

    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &FormValue)> {
        self.entries.iter().map(|(n, v)| (n.as_str(), v))
    }
}
