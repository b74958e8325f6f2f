//! A route function of any of the four shapes Next.js allows (no argument,
//! the request, the context, or both), made into the `Fn(Request, Context)`
//! that [`Segment`](crate::Segment)'s builders take.
//!
//! The build writes each route file's own functions as closures of the
//! right shape, reading their signatures; a function re-exported under a
//! method's name (`pub use handlers::hello as GET`) has its signature
//! elsewhere, so the generated code passes it through [`route_fn`] and the
//! compiler picks the shape from its type. A marker type per shape keeps
//! the four implementations apart, as axum's `Handler<T>` does.

use std::future::Future;

use crate::{Context, Request, Response, Result};

/// A function a route can answer with: `async fn()`, `async fn(Request)`,
/// `async fn(Context)` or `async fn(Request, Context)`, returning
/// `Result<Response>`. `Args` names the shape; the compiler infers it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a route function",
    note = "a route function is `async fn NAME(req: Request, ctx: Context) -> Result<Response>`; both parameters are optional"
)]
pub trait RouteFn<Args>: Send + Sync + 'static {
    /// The future the function returns.
    type Future: Future<Output = Result<Response>> + 'static;

    /// Calls the function with the arguments its shape takes.
    fn call(&self, req: Request, ctx: Context) -> Self::Future;
}

impl<F, Fut> RouteFn<()> for F
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Response>> + 'static,
{
    type Future = Fut;

    fn call(&self, _req: Request, _ctx: Context) -> Fut {
        self()
    }
}

impl<F, Fut> RouteFn<(Request,)> for F
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Response>> + 'static,
{
    type Future = Fut;

    fn call(&self, req: Request, _ctx: Context) -> Fut {
        self(req)
    }
}

impl<F, Fut> RouteFn<(Context,)> for F
where
    F: Fn(Context) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Response>> + 'static,
{
    type Future = Fut;

    fn call(&self, _req: Request, ctx: Context) -> Fut {
        self(ctx)
    }
}

impl<F, Fut> RouteFn<(Request, Context)> for F
where
    F: Fn(Request, Context) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Response>> + 'static,
{
    type Future = Fut;

    fn call(&self, req: Request, ctx: Context) -> Fut {
        self(req, ctx)
    }
}

/// `function` as the `Fn(Request, Context)` the builders take, whatever
/// arguments of the two it takes itself.
///
/// ```
/// use trellis::{route_fn, Context, Response, Result, Segment};
///
/// async fn hello() -> Result<Response> {
///     Ok(Response::text("hello"))
/// }
///
/// async fn param(ctx: Context) -> Result<Response> {
///     Ok(Response::json(&ctx.param("id")))
/// }
///
/// let segment = Segment::new().get(route_fn(hello)).post(route_fn(param));
/// ```
pub fn route_fn<Args: 'static, F: RouteFn<Args>>(
    function: F,
) -> impl Fn(Request, Context) -> F::Future + Send + Sync + 'static {
    move |req, ctx| function.call(req, ctx)
}
