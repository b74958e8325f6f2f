//! Code generation: turns discovered route files (with the instrumentation
//! and proxy files) into a `router()` function that registers each one
//! through the same builder API users call by hand.

use std::path::{Path, PathBuf};

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::discover::{discover, DiscoveredRoute, HandlerArgs};
use crate::error::DiscoverError;
use crate::instrumentation::discover_instrumentation;
use crate::matcher::RouteTable;
use crate::proxy_file::{discover_proxy, DiscoveredProxy};

/// The file `build` writes into `OUT_DIR`; `trellis::include_app!()` includes it.
pub const GENERATED_FILE: &str = "trellis_app.rs";

/// The build step for a crate that serves an `app/` folder: discovers its
/// route files, its instrumentation file and its proxy file, checks that
/// the table builds, and writes the generated code.
///
/// Call it from `build.rs`, then `trellis::include_app!()` in the crate:
///
/// ```no_run
/// // in build.rs's `fn main`
/// if let Err(error) = trellis_routes::build("app") {
///     eprintln!("error: {error}");
///     std::process::exit(1);
/// }
/// ```
pub fn build(app_dir: impl AsRef<Path>) -> Result<(), DiscoverError> {
    let app_dir = app_dir.as_ref();
    let app_dir = app_dir.canonicalize().map_err(|error| DiscoverError::Io {
        path: app_dir.to_path_buf(),
        error,
    })?;
    // Absolute, like the `#[path]`s generated below: a checkout moved or
    // cloned elsewhere onto the same target dir then builds anew instead of
    // including route files from the old place.
    println!("cargo:rerun-if-changed={}", app_dir.display());
    let routes = discover(&app_dir)?;
    let instrumentation = discover_instrumentation(&app_dir)?;
    let proxy = discover_proxy(&app_dir)?;
    RouteTable::build(
        routes
            .iter()
            .map(|r| (r.pattern.clone(), r.display.clone())),
    )?;
    for route in routes.iter().filter(|r| r.methods.is_empty()) {
        println!(
            "cargo:warning={} defines no method: every request to {} gets 405",
            route.display, route.pattern
        );
    }
    let out_dir = std::env::var_os("OUT_DIR")
        .map(PathBuf::from)
        .ok_or_else(|| DiscoverError::Io {
            path: PathBuf::from("$OUT_DIR"),
            error: std::io::Error::other(
                "OUT_DIR is not set: call trellis_routes::build from build.rs",
            ),
        })?;
    let out = out_dir.join(GENERATED_FILE);
    let code = generate(&routes, instrumentation.as_deref(), proxy.as_ref());
    std::fs::write(&out, code).map_err(|error| DiscoverError::Io { path: out, error })
}

/// The generated source: one `mod` per route file (and one for each of the
/// instrumentation and proxy files) and `pub fn router()`, which also
/// registers `on_request_error` from the instrumentation file and the proxy.
pub fn generate(
    routes: &[DiscoveredRoute],
    instrumentation: Option<&Path>,
    proxy: Option<&DiscoveredProxy>,
) -> String {
    let modules = routes.iter().enumerate().map(|(i, route)| {
        let module = format_ident!("route_{i}");
        let path = route.file.to_string_lossy();
        quote! {
            #[path = #path]
            #[allow(non_snake_case)]
            mod #module;
        }
    });
    let registrations = routes.iter().enumerate().map(|(i, route)| {
        let module = format_ident!("route_{i}");
        let pattern = route.pattern.to_string();
        let display = &route.display;
        let segment = segment_expr(&module, route);
        quote! { .route_file(#pattern, #display, #segment) }
    });
    let (hook_module, hook) = match instrumentation {
        Some(file) => {
            let path = file.to_string_lossy();
            (
                quote! {
                    #[path = #path]
                    mod instrumentation;
                },
                quote! { .on_request_error(instrumentation::on_request_error) },
            )
        }
        None => (quote! {}, quote! {}),
    };
    // Named as the file is (`proxy`, `middleware`): route files reach
    // what it defines as `super::proxy::Session`.
    let proxy_module = proxy.map(|proxy| {
        let path = proxy.file.to_string_lossy();
        let module = format_ident!("{}", proxy.function);
        quote! {
            #[path = #path]
            mod #module;
        }
    });
    let proxy_registration = proxy.map(proxy_expr);
    quote! {
        #(#modules)*
        #hook_module
        #proxy_module

        /// The routes of the app folder, discovered when the crate was built,
        /// under the name of the crate they are built into.
        pub fn router() -> ::trellis::Router {
            ::trellis::Router::new()
                .app_name(::core::env!("CARGO_PKG_NAME"))
                #(#registrations)*
                #hook
                #proxy_registration
        }
    }
    .to_string()
}

/// `.proxy_from_file(..)`: the proxy function, with the file's `MATCHER`
/// when it has one.
fn proxy_expr(proxy: &DiscoveredProxy) -> TokenStream {
    let function = format_ident!("{}", proxy.function);
    let call = match proxy.args {
        // Discovery reads the proxy only as a function item, so `FromType`
        // does not arise; were it to, the function is called as it is.
        HandlerArgs::RequestAndContext | HandlerArgs::FromType => quote! { #function::#function },
        HandlerArgs::Request => quote! { |req, _| #function::#function(req) },
        HandlerArgs::Context => quote! { |_, ctx| #function::#function(ctx) },
        HandlerArgs::None => quote! { |_, _| #function::#function() },
    };
    let matcher = match proxy.has_matcher {
        true => quote! {
            Some(#function::MATCHER.iter().map(::trellis::Matcher::from).collect())
        },
        false => quote! { None },
    };
    let display = &proxy.display;
    quote! { .proxy_from_file(#display, #matcher, #call) }
}

fn segment_expr(module: &proc_macro2::Ident, route: &DiscoveredRoute) -> TokenStream {
    let methods = route.methods.iter().map(|item| {
        let builder = format_ident!("{}", item.method.to_ascii_lowercase());
        let function = format_ident!("{}", item.method);
        let call = match item.args {
            HandlerArgs::RequestAndContext => quote! { #module::#function },
            HandlerArgs::Request => quote! { |req, _| #module::#function(req) },
            HandlerArgs::Context => quote! { |_, ctx| #module::#function(ctx) },
            HandlerArgs::None => quote! { |_, _| #module::#function() },
            HandlerArgs::FromType => quote! { ::trellis::route_fn(#module::#function) },
        };
        quote! { .#builder(#call) }
    });
    let config = route.config.iter().map(|item| {
        let value = format_ident!("{}", item);
        let builder = format_ident!(
            "{}",
            item.trim_start_matches("generate_").to_ascii_lowercase()
        );
        quote! { .#builder(#module::#value) }
    });
    let reads = route
        .reads_request_data
        .map(|call| {
            let call = format!(".{call}()");
            quote! { .reads_request_data(#call) }
        })
        .into_iter();
    quote! { ::trellis::Segment::new() #(#methods)* #(#config)* #(#reads)* }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::MethodItem;
    use crate::RoutePattern;

    #[test]
    fn registers_each_file_through_the_builder() {
        let route = DiscoveredRoute {
            file: PathBuf::from("/abs/app/posts/route.rs"),
            display: "app/posts/route.rs".to_string(),
            pattern: RoutePattern::parse("/posts").unwrap(),
            methods: vec![
                MethodItem {
                    method: "GET",
                    args: HandlerArgs::RequestAndContext,
                },
                MethodItem {
                    method: "POST",
                    args: HandlerArgs::None,
                },
                MethodItem {
                    method: "PUT",
                    args: HandlerArgs::FromType,
                },
            ],
            config: vec!["REVALIDATE", "STREAM_BODY", "generate_static_params"],
            reads_request_data: Some("cookies"),
        };
        let hook = Path::new("/abs/app/instrumentation.rs");
        let code = generate(&[route], Some(hook), None).replace(' ', "");
        assert!(
            code.contains(".on_request_error(instrumentation::on_request_error)"),
            "{code}"
        );
        assert!(
            code.contains("#[path=\"/abs/app/instrumentation.rs\"]modinstrumentation;"),
            "{code}"
        );
        assert!(
            code.contains("#[path=\"/abs/app/posts/route.rs\"]"),
            "{code}"
        );
        assert!(
            code.contains(".route_file(\"/posts\",\"app/posts/route.rs\""),
            "{code}"
        );
        assert!(
            code.contains(".app_name(::core::env!(\"CARGO_PKG_NAME\"))"),
            "named after the crate it is compiled into: {code}"
        );
        assert!(code.contains(".get(route_0::GET)"), "{code}");
        assert!(code.contains(".post(|_,_|route_0::POST())"), "{code}");
        assert!(
            code.contains(".put(::trellis::route_fn(route_0::PUT))"),
            "{code}"
        );
        assert!(code.contains(".revalidate(route_0::REVALIDATE)"), "{code}");
        assert!(
            code.contains(".stream_body(route_0::STREAM_BODY)"),
            "{code}"
        );
        assert!(
            code.contains(".reads_request_data(\".cookies()\")"),
            "{code}"
        );
        assert!(
            code.contains(".static_params(route_0::generate_static_params)"),
            "{code}"
        );
        assert!(!code.contains("proxy"), "no proxy file, no proxy: {code}");
    }

    #[test]
    fn registers_the_proxy_file_with_its_matcher() {
        let proxy = DiscoveredProxy {
            file: PathBuf::from("/abs/app/proxy.rs"),
            display: "app/proxy.rs".to_string(),
            function: "proxy",
            args: HandlerArgs::Request,
            has_matcher: true,
        };
        let code = generate(&[], None, Some(&proxy)).replace(' ', "");
        assert!(
            code.contains("#[path=\"/abs/app/proxy.rs\"]modproxy;"),
            "{code}"
        );
        assert!(
            code.contains(".proxy_from_file(\"app/proxy.rs\",Some(proxy::MATCHER.iter().map(::trellis::Matcher::from).collect()),|req,_|proxy::proxy(req))"),
            "{code}"
        );
        let without = DiscoveredProxy {
            has_matcher: false,
            ..proxy
        };
        let code = generate(&[], None, Some(&without)).replace(' ', "");
        assert!(code.contains(",None,"), "{code}");
    }
}
