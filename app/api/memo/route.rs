//! `unstable_cache`, ported: `?n=K` squares K through a memoized
//! computation (key `["square", K]`, fresh 60 s, tag `memo`);
//! `computations` counts the real ones, over every K.

use std::sync::atomic::{AtomicU64, Ordering};

use trellis::cache::{memo, MemoOptions};
use trellis::prelude::*;

static COMPUTATIONS: AtomicU64 = AtomicU64::new(0);

pub async fn GET(req: Request) -> Result<Response> {
    let n: i64 = match req.next_url().search_params().get("n") {
        Some(n) => n
            .parse()
            .map_err(|_| Error::BadRequest(format!("?n= is an integer, not {n:?}")))?,
        None => return Err(Error::BadRequest("give ?n=".into())),
    };
    let options = MemoOptions::new().revalidate(60).tags(["memo"]);
    let square: i64 = memo(("square", n), options, move || async move {
        COMPUTATIONS.fetch_add(1, Ordering::Relaxed);
        n.checked_mul(n)
            .ok_or_else(|| Error::BadRequest(format!("{n} squared does not fit in 64 bits")))
    })
    .await?;
    Ok(Response::json(&json!({
        "n": n,
        "square": square,
        "computations": COMPUTATIONS.load(Ordering::Relaxed),
    })))
}
