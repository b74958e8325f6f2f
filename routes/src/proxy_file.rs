//! The app's proxy file, found beside its route folders: `app/proxy.rs`,
//! as Next.js 16 names `proxy.ts`, or `app/middleware.rs`, the older name
//! (`middleware.ts`), never both. It defines
//! `pub async fn proxy(req: Request, ctx: ProxyContext) -> Result<Proxy>`
//! (`middleware` in `middleware.rs`; both parameters optional) and may
//! define `pub const MATCHER`, whose paths are checked here, at build time.

use std::path::{Path, PathBuf};

use syn::{Expr, Item, Lit, Visibility};

use crate::discover::{handler_args, HandlerArgs};
use crate::error::DiscoverError;
use crate::path_matcher::PathMatcher;
use crate::source::parse_source;

/// The proxy file and what it defines.
#[derive(Debug, Clone)]
pub struct DiscoveredProxy {
    /// The absolute path, for `#[path]` in the generated code.
    pub file: PathBuf,
    /// As a person reads it: `app/proxy.rs`.
    pub display: String,
    /// `proxy`, or `middleware` in `middleware.rs`.
    pub function: &'static str,
    pub args: HandlerArgs,
    /// Whether the file defines `MATCHER`; without it the proxy runs for
    /// every path.
    pub has_matcher: bool,
}

/// The proxy file of `app_dir`, if it has one.
pub fn discover_proxy(app_dir: &Path) -> Result<Option<DiscoveredProxy>, DiscoverError> {
    let app_name = app_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "app".to_string());
    let found: Vec<(&str, &'static str)> = [("proxy.rs", "proxy"), ("middleware.rs", "middleware")]
        .into_iter()
        .filter(|(file, _)| app_dir.join(file).is_file())
        .collect();
    let (file_name, function) = match found.as_slice() {
        [] => return Ok(None),
        [one] => *one,
        _ => {
            return Err(DiscoverError::Item {
                path: format!("{app_name}/middleware.rs"),
                item: "middleware".to_string(),
                problem: format!(
                    "{app_name}/proxy.rs is there too: keep one of the two (`middleware.rs` is the older name of `proxy.rs`)"
                ),
            })
        }
    };
    let file = app_dir.join(file_name);
    let display = format!("{app_name}/{file_name}");
    let parsed = parse_source(&file, &display)?;
    let problem = |item: &str, problem: String| DiscoverError::Item {
        path: display.clone(),
        item: item.to_string(),
        problem,
    };
    let signature =
        format!("pub async fn {function}(req: Request, ctx: ProxyContext) -> Result<Proxy>");
    let mut args = None;
    let mut has_matcher = false;
    for item in &parsed.items {
        match item {
            Item::Fn(f) if f.sig.ident == function => {
                let is_pub = matches!(f.vis, Visibility::Public(_));
                args = Some(
                    handler_args(&f.sig, "ProxyContext")
                        .filter(|_| is_pub)
                        .ok_or_else(|| {
                            problem(
                                function,
                                format!("the engine cannot call this signature; write `{signature}` (both parameters are optional)"),
                            )
                        })?,
                );
            }
            Item::Const(c) if c.ident == "MATCHER" => {
                if !matches!(c.vis, Visibility::Public(_)) {
                    return Err(problem("MATCHER", "must be `pub`".to_string()));
                }
                for path in matcher_paths(&c.expr) {
                    PathMatcher::parse(&path).map_err(|e| problem("MATCHER", e.to_string()))?;
                }
                has_matcher = true;
            }
            Item::Const(c) if c.ident.to_string().eq_ignore_ascii_case("matcher") => {
                return Err(problem(
                    &c.ident.to_string(),
                    "did you mean `MATCHER`? Trellis reads only that spelling".to_string(),
                ));
            }
            _ => {}
        }
    }
    let args = args.ok_or_else(|| problem(function, format!("is missing: write `{signature}`")))?;
    Ok(Some(DiscoveredProxy {
        file,
        display,
        function,
        args,
        has_matcher,
    }))
}

/// The paths written in a `MATCHER`: each string of `&["/a", "/b"]`, and
/// the first argument of each `Matcher::new("/a")`. Anything else is left
/// to the compiler and to the check when the server starts.
fn matcher_paths(expr: &Expr) -> Vec<String> {
    let elements = match expr {
        Expr::Reference(reference) => match &*reference.expr {
            Expr::Array(array) => array.elems.iter().collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    elements.into_iter().filter_map(path_of).collect()
}

fn path_of(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Str(s) => Some(s.value()),
            _ => None,
        },
        Expr::MethodCall(call) => path_of(&call.receiver),
        Expr::Call(call) => path_of(call.args.first()?),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    struct TempApp(PathBuf);

    impl TempApp {
        fn new(name: &str) -> Self {
            let dir =
                std::env::temp_dir().join(format!("trellis-proxy-{name}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(dir.join("app")).unwrap();
            TempApp(dir.join("app"))
        }

        fn file(&self, name: &str, body: &str) -> &Self {
            fs::write(self.0.join(name), body).unwrap();
            self
        }
    }

    impl Drop for TempApp {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(self.0.parent().unwrap());
        }
    }

    #[test]
    fn a_proxy_file_is_found_with_its_function_and_matcher() {
        let app = TempApp::new("found");
        assert!(discover_proxy(&app.0).unwrap().is_none());
        app.file(
            "proxy.rs",
            "pub const MATCHER: &[&str] = &[\"/api/:path*\", \"/admin/:path*\"];\n\
             pub async fn proxy(req: Request, ctx: ProxyContext) -> Result<Proxy> { todo!() }\n",
        );
        let proxy = discover_proxy(&app.0).unwrap().unwrap();
        assert_eq!(proxy.display, "app/proxy.rs");
        assert_eq!(proxy.function, "proxy");
        assert_eq!(proxy.args, HandlerArgs::RequestAndContext);
        assert!(proxy.has_matcher);
    }

    #[test]
    fn the_older_name_is_accepted_but_not_beside_the_new_one() {
        let app = TempApp::new("older");
        app.file(
            "middleware.rs",
            "pub async fn middleware(req: Request) -> Result<Proxy> { todo!() }",
        );
        let proxy = discover_proxy(&app.0).unwrap().unwrap();
        assert_eq!(
            (proxy.function, proxy.args),
            ("middleware", HandlerArgs::Request)
        );
        assert!(!proxy.has_matcher);
        app.file(
            "proxy.rs",
            "pub async fn proxy() -> Result<Proxy> { todo!() }",
        );
        let error = discover_proxy(&app.0).unwrap_err().to_string();
        assert!(error.contains("keep one of the two"), "{error}");
    }

    #[test]
    fn a_bad_matcher_or_signature_fails_the_build_naming_file_and_item() {
        for (body, says) in [
            (
                "pub const MATCHER: &[&str] = &[\"/api/:path*\", \"api\"];\npub async fn proxy() -> Result<Proxy> { todo!() }",
                "app/proxy.rs: `MATCHER`: `api`: a matcher starts with `/`",
            ),
            (
                "pub const MATCHER: &[Matcher] = &[Matcher::new(\"/a*\").has(&[])];\npub async fn proxy() -> Result<Proxy> { todo!() }",
                "follows no parameter",
            ),
            ("pub fn proxy() -> Result<Proxy> { todo!() }", "cannot call this signature"),
            ("pub async fn helper() {}", "`proxy`: is missing"),
            (
                "pub const matcher: &[&str] = &[];\npub async fn proxy() -> Result<Proxy> { todo!() }",
                "did you mean `MATCHER`",
            ),
        ] {
            let app = TempApp::new("bad");
            app.file("proxy.rs", body);
            let error = discover_proxy(&app.0).unwrap_err().to_string();
            assert!(error.contains(says), "{body}: {error}");
        }
    }
}
