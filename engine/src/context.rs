//! `Context`: the second argument of a route function, holding the params
//! the matched path filled in (`context.params` in Next.js).

use serde::de::DeserializeOwned;
use trellis_routes::{ParamValue, Params};

use crate::error::{Error, Result};

/// What the engine knows about the request beyond the request itself.
#[derive(Debug, Clone, Default)]
pub struct Context {
    params: Params,
}

impl Context {
    pub(crate) fn new(params: Params) -> Self {
        Context { params }
    }

    /// One param: a string for `[id]`, a list for catch-alls; `None` when the
    /// pattern has no such param or an optional catch-all matched nothing.
    pub fn param(&self, name: &str) -> Option<&ParamValue> {
        self.params.get(name)
    }

    /// Every param, in pattern order.
    pub fn all_params(&self) -> &Params {
        &self.params
    }

    /// The params as a typed struct (`RouteContext<'/users/[id]'>`); a
    /// mismatch is a 400 saying which field.
    ///
    /// ```
    /// # use trellis_engine::Context;
    /// #[derive(serde::Deserialize)]
    /// struct UserParams { id: String }
    ///
    /// # fn demo(ctx: Context) -> trellis_engine::Result<()> {
    /// let UserParams { id } = ctx.params()?;
    /// # Ok(()) }
    /// ```
    pub fn params<T: DeserializeOwned>(&self) -> Result<T> {
        self.params
            .parse()
            .map_err(|e| Error::BadRequest(e.to_string()))
    }
}
