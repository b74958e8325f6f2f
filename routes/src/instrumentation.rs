//! `app/instrumentation.rs`, as Next.js's `instrumentation.ts`: a file
//! beside the routes whose `pub fn on_request_error` the generated
//! `router()` registers as the app's error hook.

use std::path::{Path, PathBuf};

use syn::{Item, Visibility};

use crate::error::DiscoverError;
use crate::source::parse_source;

/// The file's name in the app folder.
pub const INSTRUMENTATION_FILE: &str = "instrumentation.rs";

/// What the hook's signature must be, for the error that says so.
const HOOK_SIGNATURE: &str =
    "pub fn on_request_error(error: &RequestError, request: &ErroredRequest, context: &ErrorContext)";

/// The instrumentation file of `app_dir`, if it has one that defines the
/// hook; a file without it, or with another signature, is an error naming
/// what to write.
pub fn discover_instrumentation(app_dir: &Path) -> Result<Option<PathBuf>, DiscoverError> {
    let file = app_dir.join(INSTRUMENTATION_FILE);
    if !file.is_file() {
        return Ok(None);
    }
    let display = format!(
        "{}/{INSTRUMENTATION_FILE}",
        app_dir
            .file_name()
            .map_or_else(|| "app".into(), |n| n.to_string_lossy())
    );
    let parsed = parse_source(&file, &display)?;
    let hook = parsed.items.iter().find_map(|item| match item {
        Item::Fn(f) if f.sig.ident == "on_request_error" => Some(f),
        _ => None,
    });
    let problem = |problem: String| DiscoverError::Item {
        path: display.clone(),
        item: "on_request_error".to_string(),
        problem,
    };
    let Some(hook) = hook else {
        return Err(problem(format!("is missing: write `{HOOK_SIGNATURE}`")));
    };
    let callable = matches!(hook.vis, Visibility::Public(_))
        && hook.sig.asyncness.is_none()
        && hook.sig.generics.params.is_empty()
        && hook.sig.inputs.len() == 3;
    if !callable {
        return Err(problem(format!(
            "the engine cannot call this signature; write `{HOOK_SIGNATURE}`"
        )));
    }
    Ok(Some(file))
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    fn app_with(name: &str, body: Option<&str>) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "trellis-instrumentation-{name}-{}",
            std::process::id()
        ));
        let app = dir.join("app");
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&app).unwrap();
        if let Some(body) = body {
            fs::write(app.join(INSTRUMENTATION_FILE), body).unwrap();
        }
        app
    }

    #[test]
    fn a_hook_with_the_right_signature_is_found_and_a_wrong_one_named() {
        let none = app_with("none", None);
        assert_eq!(discover_instrumentation(&none).unwrap(), None);
        let good = app_with(
            "good",
            Some("pub fn on_request_error(e: &RequestError, r: &ErroredRequest, c: &ErrorContext) {}"),
        );
        assert!(discover_instrumentation(&good).unwrap().is_some());
        for body in [
            "fn on_request_error(e: &RequestError, r: &ErroredRequest, c: &ErrorContext) {}",
            "pub async fn on_request_error(e: &RequestError, r: &ErroredRequest, c: &ErrorContext) {}",
            "pub fn on_request_error(e: &RequestError) {}",
            "pub fn on_error() {}",
        ] {
            let app = app_with("bad", Some(body));
            let err = discover_instrumentation(&app).unwrap_err().to_string();
            assert!(
                err.starts_with("app/instrumentation.rs: `on_request_error`:"),
                "{body}: {err}"
            );
        }
        for app in [none, good] {
            let _ = fs::remove_dir_all(app.parent().unwrap());
        }
    }
}
