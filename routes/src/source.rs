//! Reading an app file as Rust: route files, the instrumentation file and
//! the proxy file alike, with errors that name the file as a person reads it.

use std::fs;
use std::path::Path;

use crate::error::DiscoverError;

/// The parsed source of `file`; `display` names it in errors.
pub(crate) fn parse_source(file: &Path, display: &str) -> Result<syn::File, DiscoverError> {
    let source = fs::read_to_string(file).map_err(|error| DiscoverError::Io {
        path: file.to_path_buf(),
        error,
    })?;
    syn::parse_file(&source).map_err(|error| DiscoverError::Parse {
        path: display.to_string(),
        error: format!("line {}: {error}", error.span().start().line),
    })
}
