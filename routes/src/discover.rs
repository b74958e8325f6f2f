//! File-system discovery: every `app/**/route.rs`, read with `syn` to learn
//! which methods and segment config items it defines.

use std::fs;
use std::path::{Path, PathBuf};

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::{FnArg, Item, ReturnType, Signature, Type, UseTree, Visibility};

use crate::error::DiscoverError;
use crate::pattern::RoutePattern;
use crate::source::parse_source;

/// The seven methods a route file may define, in `Allow` order.
pub const METHODS: [&str; 7] = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"];

/// The segment config items a route file may define, as Next.js names them
/// (`export const revalidate` becomes `pub const REVALIDATE`).
pub const CONFIG_ITEMS: [&str; 12] = [
    "REVALIDATE",
    "EXPIRE",
    "NEGATIVE_TTL",
    "DYNAMIC",
    "DYNAMIC_PARAMS",
    "MAX_DURATION",
    "TAGS",
    "CACHE_BY_QUERY",
    "BODY_LIMIT",
    "STREAM_BODY",
    "generate_static_params",
    "cors",
];

/// Calls that read request data: with `DYNAMIC = Dynamic::Error` a GET that
/// makes one fails the build, as `next build` fails such a route; in `auto`
/// it makes the route dynamic, as `next build` marks it.
const DYNAMIC_DATA_CALLS: [&str; 7] = [
    "headers",
    "header",
    "cookies",
    "search_params",
    "search",
    "url",
    "client_ip",
];

/// Which of `(req: Request, ctx: Context)` a method function takes; like
/// Next.js, both are optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandlerArgs {
    /// `()`: neither.
    None,
    /// `(req: Request)`.
    Request,
    /// `(ctx: Context)`.
    Context,
    /// `(req: Request, ctx: Context)`.
    RequestAndContext,
    /// A function re-exported under the method's name (`pub use
    /// handlers::hello as GET`): its signature is elsewhere, so the
    /// compiler picks the arguments from its type (`trellis::route_fn`).
    FromType,
}

/// A method function found in a route file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodItem {
    /// One of [`METHODS`].
    pub method: &'static str,
    pub args: HandlerArgs,
}

/// One route file and what it defines.
#[derive(Debug, Clone)]
pub struct DiscoveredRoute {
    /// The absolute path, for `#[path]` in the generated code.
    pub file: PathBuf,
    /// The path as a person reads it, from the app folder: `app/api/hello/route.rs`.
    pub display: String,
    pub pattern: RoutePattern,
    pub methods: Vec<MethodItem>,
    /// The names from [`CONFIG_ITEMS`] the file defines.
    pub config: Vec<&'static str>,
    /// A read of request data the GET function makes (`.cookies()`), in a
    /// route whose `DYNAMIC` leaves it to the engine (`auto`).
    pub reads_request_data: Option<&'static str>,
}

/// Finds every `route.rs` below `app_dir`, in a stable order. Folders whose
/// names start with `_` are private (as in Next.js) and hold no routes.
pub fn discover(app_dir: &Path) -> Result<Vec<DiscoveredRoute>, DiscoverError> {
    let app_name = app_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "app".to_string());
    let mut routes = Vec::new();
    visit(app_dir, &mut Vec::new(), &app_name, &mut routes)?;
    Ok(routes)
}

fn visit(
    dir: &Path,
    folders: &mut Vec<String>,
    app_name: &str,
    routes: &mut Vec<DiscoveredRoute>,
) -> Result<(), DiscoverError> {
    let io = |error| DiscoverError::Io {
        path: dir.to_path_buf(),
        error,
    };
    let mut entries = fs::read_dir(dir)
        .map_err(io)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(io)?;
    entries.sort_by_key(|e| e.file_name());
    let route_file = dir.join("route.rs");
    if route_file.is_file() {
        let display = std::iter::once(app_name)
            .chain(folders.iter().map(String::as_str))
            .chain(["route.rs"])
            .collect::<Vec<_>>()
            .join("/");
        routes.push(read_route_file(&route_file, display, folders)?);
    }
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(['_', '.']) || !entry.path().is_dir() {
            continue;
        }
        folders.push(name);
        visit(&entry.path(), folders, app_name, routes)?;
        folders.pop();
    }
    Ok(())
}

fn read_route_file(
    file: &Path,
    display: String,
    folders: &[String],
) -> Result<DiscoveredRoute, DiscoverError> {
    let pattern =
        RoutePattern::from_folders(folders.iter().map(String::as_str)).map_err(|error| {
            crate::RouteError::Pattern {
                source_name: display.clone(),
                error,
            }
        })?;
    let parsed = parse_source(file, &display)?;
    let mut methods = Vec::new();
    let mut config = Vec::new();
    for item in &parsed.items {
        match item {
            Item::Use(u) => {
                read_use(u, &display, &mut methods, &mut config)?;
                continue;
            }
            Item::Macro(m) => {
                unseen_in_macro(m, &display)?;
                continue;
            }
            _ => {}
        }
        let (ident, vis) = match item {
            Item::Fn(f) => (f.sig.ident.to_string(), &f.vis),
            Item::Const(c) => (c.ident.to_string(), &c.vis),
            Item::Static(s) => (s.ident.to_string(), &s.vis),
            _ => continue,
        };
        let problem = |problem: String| DiscoverError::Item {
            path: display.clone(),
            item: ident.clone(),
            problem,
        };
        let is_pub = matches!(vis, Visibility::Public(_));
        if let Some(method) = METHODS.iter().find(|m| **m == ident) {
            let Item::Fn(f) = item else {
                return Err(problem(format!(
                    "must be a function: `{}`",
                    method_signature(method)
                )));
            };
            let args = handler_args(&f.sig, "Context").filter(|_| is_pub).ok_or_else(|| {
                problem(format!(
                    "the engine cannot call this signature; write `{}` (both parameters are optional)",
                    method_signature(method)
                ))
            })?;
            methods.push(MethodItem { method, args });
        } else if let Some(name) = CONFIG_ITEMS.iter().find(|c| **c == ident) {
            if !is_pub {
                return Err(problem("segment config must be `pub`".to_string()));
            }
            if let Item::Fn(f) = item {
                let sig = &f.sig;
                if sig.asyncness.is_some()
                    || !sig.inputs.is_empty()
                    || !sig.generics.params.is_empty()
                {
                    return Err(problem(format!(
                        "write `pub fn {}`",
                        config_fn_signature(name)
                    )));
                }
            }
            config.push(*name);
        } else if let Some(expected) = near_miss(&ident) {
            if is_pub {
                return Err(problem(format!(
                    "did you mean `{expected}`? Trellis reads only that spelling"
                )));
            }
        }
    }
    let reads_request_data = get_reads(&parsed, &display)?;
    Ok(DiscoveredRoute {
        file: file.to_path_buf(),
        display,
        pattern,
        methods,
        config,
        reads_request_data,
    })
}

/// A `use` item: the names it brings in under a method's or a config
/// item's name are route items, as `export { hello as GET } from ...` is in
/// Next.js. A `pub` glob could bring in any of them unseen: refused.
fn read_use(
    item: &syn::ItemUse,
    display: &str,
    methods: &mut Vec<MethodItem>,
    config: &mut Vec<&'static str>,
) -> Result<(), DiscoverError> {
    let is_pub = matches!(item.vis, Visibility::Public(_));
    let problem = |problem: String| DiscoverError::Item {
        path: display.to_string(),
        item: format!("use {}", compact(item.tree.to_token_stream())),
        problem,
    };
    let mut names = Vec::new();
    let mut glob = false;
    use_names(&item.tree, None, &mut names, &mut glob);
    if glob && is_pub {
        return Err(problem(
            "discovery cannot see which methods or config a glob brings in: name them, \
             e.g. `pub use handlers::{GET, POST}`"
                .to_string(),
        ));
    }
    for name in names {
        if let Some(method) = METHODS.iter().find(|m| **m == name) {
            if !is_pub {
                return Err(problem(format!(
                    "a method must be `pub` to be served: write `pub use ... as {method}`"
                )));
            }
            methods.push(MethodItem {
                method,
                args: HandlerArgs::FromType,
            });
        } else if let Some(item) = CONFIG_ITEMS.iter().find(|c| **c == name) {
            if !is_pub {
                return Err(problem("segment config must be `pub`".to_string()));
            }
            config.push(*item);
        } else if let Some(expected) = near_miss(&name) {
            if is_pub {
                return Err(problem(format!(
                    "`{name}`: did you mean `{expected}`? Trellis reads only that spelling"
                )));
            }
        }
    }
    Ok(())
}

/// The names a use tree brings in (`a::b as c` brings in `c`, `a::{self}`
/// brings in `a`), and whether it holds a glob. `_` brings in no name.
fn use_names(tree: &UseTree, parent: Option<String>, names: &mut Vec<String>, glob: &mut bool) {
    match tree {
        UseTree::Path(path) => use_names(&path.tree, Some(path.ident.to_string()), names, glob),
        UseTree::Name(name) if name.ident == "self" => names.extend(parent),
        UseTree::Name(name) => names.push(name.ident.to_string()),
        UseTree::Rename(rename) if rename.rename == "_" => {}
        UseTree::Rename(rename) => names.push(rename.rename.to_string()),
        UseTree::Glob(_) => *glob = true,
        UseTree::Group(group) => {
            for tree in &group.items {
                use_names(tree, parent.clone(), names, glob);
            }
        }
    }
}

/// An item macro (`thread_local!`, `my_handlers!(GET)`) may define items
/// discovery cannot see; one that names a method (not as a path's last
/// part, as in `Method::GET`) almost certainly defines it, and is refused
/// rather than left to answer 405.
fn unseen_in_macro(item: &syn::ItemMacro, display: &str) -> Result<(), DiscoverError> {
    let Some(name) = method_ident(item.mac.tokens.clone()) else {
        return Ok(());
    };
    let mac = compact(item.mac.path.to_token_stream());
    Err(DiscoverError::Item {
        path: display.to_string(),
        item: format!("{mac}!"),
        problem: format!(
            "discovery cannot see `{name}` inside a macro: define it as a `pub` item of the \
             route file, or re-export it with `pub use`"
        ),
    })
}

/// The first method name among `tokens`' identifiers that does not follow
/// a `::`.
fn method_ident(tokens: TokenStream) -> Option<&'static str> {
    let mut after_path = false;
    for tree in tokens {
        let found = match &tree {
            TokenTree::Ident(ident) if !after_path => {
                METHODS.iter().find(|method| *ident == **method).copied()
            }
            TokenTree::Group(group) => method_ident(group.stream()),
            _ => None,
        };
        if found.is_some() {
            return found;
        }
        after_path = matches!(&tree, TokenTree::Punct(p) if p.as_char() == ':');
    }
    None
}

/// Tokens as a person writes them: `handlers::{hello as GET}`.
fn compact(tokens: TokenStream) -> String {
    tokens
        .to_string()
        .replace(" :: ", "::")
        .replace(":: ", "::")
        .replace("{ ", "{")
        .replace(" }", "}")
        .replace(" ,", ",")
}

/// The read of request data the GET function makes where the source shows
/// it. With `DYNAMIC = Dynamic::Error` that is a build error; in `auto` the
/// route is dynamic. The engine catches the rest at run time.
fn get_reads(file: &syn::File, display: &str) -> Result<Option<&'static str>, DiscoverError> {
    let dynamic = file.items.iter().find_map(|item| match item {
        Item::Const(c) if c.ident == "DYNAMIC" => {
            Some(c.expr.to_token_stream().to_string().replace(' ', ""))
        }
        _ => None,
    });
    let get = file.items.iter().find_map(|item| match item {
        Item::Fn(f) if f.sig.ident == "GET" => Some(f),
        _ => None,
    });
    let Some(get) = get else {
        return Ok(None);
    };
    let body = get.block.to_token_stream().to_string();
    let Some(call) = DYNAMIC_DATA_CALLS
        .into_iter()
        .find(|call| body.contains(&format!(". {call} (")))
    else {
        return Ok(None);
    };
    match dynamic.as_deref() {
        None => Ok(Some(call)),
        Some(d) if d.ends_with("Dynamic::Auto") => Ok(Some(call)),
        Some(d) if d.ends_with("Dynamic::Error") => Err(DiscoverError::Item {
            path: display.to_string(),
            item: "GET".to_string(),
            problem: format!(
                "reads request data (`.{call}()`) but `DYNAMIC = Dynamic::Error` makes the route static; \
                 remove the read or choose another `DYNAMIC`"
            ),
        }),
        Some(_) => Ok(None),
    }
}

fn config_fn_signature(name: &str) -> &'static str {
    match name {
        "cors" => "cors() -> CorsPolicy",
        _ => "generate_static_params() -> Vec<Params>",
    }
}

fn method_signature(method: &str) -> String {
    format!("pub async fn {method}(req: Request, ctx: Context) -> Result<Response>")
}

/// A `pub` item spelled like a method or config item in another case
/// (`get`, `revalidate`): almost certainly meant as one.
fn near_miss(ident: &str) -> Option<&'static str> {
    METHODS
        .iter()
        .chain(CONFIG_ITEMS.iter())
        .find(|known| known.eq_ignore_ascii_case(ident) && **known != ident)
        .copied()
}

/// Which of `(req: Request, ctx: <context>)` a function takes, in that
/// order; `None` for anything the engine cannot call.
pub(crate) fn handler_args(sig: &Signature, context: &str) -> Option<HandlerArgs> {
    if sig.asyncness.is_none()
        || !sig.generics.params.is_empty()
        || matches!(sig.output, ReturnType::Default)
    {
        return None;
    }
    let mut kinds = Vec::new();
    for input in &sig.inputs {
        let FnArg::Typed(arg) = input else {
            return None;
        };
        kinds.push(is_context(&arg.ty, context));
    }
    match kinds.as_slice() {
        [] => Some(HandlerArgs::None),
        [false] => Some(HandlerArgs::Request),
        [true] => Some(HandlerArgs::Context),
        [false, true] => Some(HandlerArgs::RequestAndContext),
        _ => None,
    }
}

fn is_context(ty: &Type, context: &str) -> bool {
    match ty {
        Type::Path(p) => p.path.segments.last().is_some_and(|s| s.ident == context),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct TempApp(PathBuf);

    impl TempApp {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir()
                .join(format!("trellis-discover-{name}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(dir.join("app")).unwrap();
            TempApp(dir.join("app"))
        }

        fn file(&self, rel: &str, body: &str) -> &Self {
            let path = self.0.join(rel);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, body).unwrap();
            self
        }
    }

    impl Drop for TempApp {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(self.0.parent().unwrap());
        }
    }

    #[test]
    fn finds_methods_config_and_patterns() {
        let app = TempApp::new("finds");
        app.file(
            "(shop)/items/[id]/route.rs",
            "pub const REVALIDATE: u64 = 5;\n\
             pub async fn GET(req: Request, ctx: Context) -> Result<Response> { todo!() }\n\
             pub async fn POST(req: Request) -> Result<Response> { todo!() }\n\
             pub async fn DELETE(ctx: Context) -> Result<Response> { todo!() }\n\
             fn helper() {}\n",
        )
        .file("_private/route.rs", "this is not rust")
        .file(
            "route.rs",
            "pub async fn GET() -> Result<Response> { todo!() }",
        );
        let routes = discover(&app.0).unwrap();
        assert_eq!(routes.len(), 2);
        assert_eq!(routes[0].pattern.to_string(), "/");
        let items = &routes[1];
        assert_eq!(items.display, "app/(shop)/items/[id]/route.rs");
        assert_eq!(items.pattern.to_string(), "/items/[id]");
        assert_eq!(items.config, ["REVALIDATE"]);
        let args: Vec<_> = items.methods.iter().map(|m| (m.method, m.args)).collect();
        assert_eq!(
            args,
            [
                ("GET", HandlerArgs::RequestAndContext),
                ("POST", HandlerArgs::Request),
                ("DELETE", HandlerArgs::Context)
            ]
        );
    }

    #[test]
    fn a_file_that_does_not_parse_is_named() {
        let app = TempApp::new("parse");
        app.file("broken/route.rs", "pub async fn GET( {");
        let err = discover(&app.0).unwrap_err().to_string();
        assert!(
            err.starts_with("app/broken/route.rs: does not parse"),
            "{err}"
        );
    }

    #[test]
    fn an_uncallable_method_names_file_and_item() {
        for body in [
            "pub fn GET(req: Request) -> Result<Response> { todo!() }",
            "async fn GET(req: Request) -> Result<Response> { todo!() }",
            "pub async fn GET(a: Request, b: Request, c: Context) -> Result<Response> { todo!() }",
            "pub async fn GET(ctx: Context, req: Request) -> Result<Response> { todo!() }",
            "pub async fn GET(req: Request) {}",
            "pub const GET: u8 = 1;",
        ] {
            let app = TempApp::new("sig");
            app.file("x/route.rs", body);
            let err = discover(&app.0).unwrap_err().to_string();
            assert!(err.starts_with("app/x/route.rs: `GET`:"), "{body}: {err}");
        }
    }

    #[test]
    fn a_static_only_get_that_reads_cookies_fails_the_build() {
        let app = TempApp::new("static");
        app.file(
            "x/route.rs",
            "pub const DYNAMIC: Dynamic = Dynamic::Error;\n\
             pub async fn GET(req: Request) -> Result<Response> { let c = req.cookies(); todo!() }",
        );
        let err = discover(&app.0).unwrap_err().to_string();
        assert!(err.contains("`.cookies()`"), "{err}");
    }

    #[test]
    fn an_auto_get_that_reads_cookies_is_seen_as_dynamic() {
        let app = TempApp::new("auto-reads");
        app.file(
            "x/route.rs",
            "pub const REVALIDATE: u64 = 60;\n\
             pub async fn GET(req: Request) -> Result<Response> { let c = req.cookies(); todo!() }",
        );
        app.file(
            "y/route.rs",
            "pub const DYNAMIC: Dynamic = Dynamic::ForceStatic;\n\
             pub async fn GET(req: Request) -> Result<Response> { let c = req.cookies(); todo!() }",
        );
        let routes = discover(&app.0).unwrap();
        assert_eq!(routes[0].reads_request_data, Some("cookies"));
        assert_eq!(
            routes[1].reads_request_data, None,
            "force-static sees no cookies"
        );
    }

    #[test]
    fn re_exported_and_aliased_handlers_and_config_are_route_items() {
        let app = TempApp::new("reexport");
        app.file(
            "x/route.rs",
            "#[path = \"../_shared/hello.rs\"]\n\
             mod hello;\n\
             use trellis::prelude::*;\n\
             pub use hello::{hello as GET, hello as POST, REVALIDATE};\n\
             pub use hello::greet::{self, DELETE};\n\
             pub use hello::other as _;\n",
        );
        let routes = discover(&app.0).unwrap();
        let methods: Vec<_> = routes[0]
            .methods
            .iter()
            .map(|m| (m.method, m.args))
            .collect();
        assert_eq!(
            methods,
            [
                ("GET", HandlerArgs::FromType),
                ("POST", HandlerArgs::FromType),
                ("DELETE", HandlerArgs::FromType)
            ]
        );
        assert_eq!(routes[0].config, ["REVALIDATE"]);
    }

    #[test]
    fn what_discovery_cannot_see_fails_the_build_naming_file_and_item() {
        let cases = [
            (
                "pub use handlers::*;",
                "`use handlers::*`: discovery cannot see",
            ),
            (
                "use handlers::hello as GET;",
                "`use handlers::hello as GET`: a method must be `pub`",
            ),
            ("pub use handlers::hello as get;", "did you mean `GET`?"),
            (
                "handlers!(GET);",
                "`handlers!`: discovery cannot see `GET` inside a macro",
            ),
        ];
        for (body, expected) in cases {
            let app = TempApp::new("unseen");
            app.file("x/route.rs", body);
            let err = discover(&app.0).unwrap_err().to_string();
            assert!(err.starts_with("app/x/route.rs: "), "{body}: {err}");
            assert!(err.contains(expected), "{body}: {err}");
        }
        let app = TempApp::new("seen");
        app.file(
            "x/route.rs",
            "use handlers::*;\n\
             thread_local! { static GET_COUNT: u8 = 0; static M: Method = Method::GET; }\n\
             pub async fn GET() -> Result<Response> { todo!() }",
        );
        assert_eq!(discover(&app.0).unwrap()[0].methods.len(), 1);
    }

    #[test]
    fn misspelled_config_is_refused() {
        let app = TempApp::new("case");
        app.file("x/route.rs", "pub const revalidate: u64 = 1;");
        let err = discover(&app.0).unwrap_err().to_string();
        assert!(err.contains("did you mean `REVALIDATE`"), "{err}");
    }
}
