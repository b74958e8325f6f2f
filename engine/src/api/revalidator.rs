//! On-demand revalidation as a route function asks for it:
//! `revalidatePath` and `revalidateTag`. The [`Revalidator`] knows the two
//! messages it may send and whoever takes them, not who that is: the
//! context a route function gets holds nothing of the runtime.

use std::sync::Arc;

use actix::{Message, Recipient};

/// What a revalidation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Revalidated {
    /// The cache entries it marked in this instance's memory.
    pub entries: usize,
    /// With a Redis tier: whether Redis took it for the other instances
    /// now (`true`), or it is kept and sent when Redis returns (`false`).
    /// `None` without a Redis tier.
    pub shared: Option<bool>,
}

/// The next GET of `path` regenerates while it waits.
pub(crate) struct RevalidatePath {
    pub path: String,
}

impl Message for RevalidatePath {
    type Result = Revalidated;
}

/// The next GET of every path tagged `tag` is served stale and starts one
/// background regeneration.
pub(crate) struct RevalidateTag {
    pub tag: String,
}

impl Message for RevalidateTag {
    type Result = Revalidated;
}

/// Where revalidations go. Cloned for every request: the `Arc` keeps that
/// to one atomic increment, where cloning two `Recipient`s would allocate.
#[derive(Clone)]
pub(crate) struct Revalidator(Arc<Recipients>);

struct Recipients {
    path: Recipient<RevalidatePath>,
    tag: Recipient<RevalidateTag>,
}

impl Revalidator {
    pub(crate) fn new(path: Recipient<RevalidatePath>, tag: Recipient<RevalidateTag>) -> Self {
        Revalidator(Arc::new(Recipients { path, tag }))
    }

    /// Revalidates `path`; the number of entries marked, 0 if the message
    /// was not taken (logged).
    pub(crate) async fn revalidate_path(&self, path: &str) -> usize {
        let message = RevalidatePath {
            path: path.to_string(),
        };
        match self.0.path.send(message).await {
            Ok(done) => done.entries,
            Err(error) => {
                tracing::error!(path, %error, "a path revalidation was not taken");
                0
            }
        }
    }

    /// Revalidates `tag`; the number of entries marked, 0 if the message was
    /// not taken (logged).
    pub(crate) async fn revalidate_tag(&self, tag: &str) -> usize {
        let message = RevalidateTag {
            tag: tag.to_string(),
        };
        match self.0.tag.send(message).await {
            Ok(done) => done.entries,
            Err(error) => {
                tracing::error!(tag, %error, "a tag revalidation was not taken");
                0
            }
        }
    }
}
