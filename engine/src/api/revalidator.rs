//! On-demand revalidation as a route function asks for it:
//! `revalidatePath(path, type)` and `revalidateTag(tag, profile)`. The
//! [`Revalidator`] knows the two messages it may send and whoever takes
//! them, not who that is: the context a route function gets holds nothing
//! of the runtime.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use actix::{Message, Recipient};

use crate::api::cache_profile::CacheProfile;

/// What `revalidate_path` is given: Next.js's `type` argument.
///
/// ```
/// use trellis_engine::PathKind;
///
/// assert_eq!("page".parse(), Ok(PathKind::Page));
/// assert!("pages".parse::<PathKind>().unwrap_err().contains("`layout`"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathKind {
    /// The path itself (`/blog/hello`): Next.js's call without a `type`.
    Path,
    /// Every path of a route pattern (`/blog/[slug]`): `"page"`.
    Page,
    /// Every route at or under a pattern (`/blog`): `"layout"`.
    Layout,
}

impl FromStr for PathKind {
    type Err = String;

    /// Next.js's spelling: `page`, `layout`; `path` for a path alone.
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "path" => Ok(PathKind::Path),
            "page" => Ok(PathKind::Page),
            "layout" => Ok(PathKind::Layout),
            _ => Err(format!(
                "`{value}` is not a path type: `page`, `layout`, or `path`"
            )),
        }
    }
}

impl fmt::Display for PathKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PathKind::Path => "path",
            PathKind::Page => "page",
            PathKind::Layout => "layout",
        })
    }
}

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

/// The next GET of what `path` and `kind` name regenerates while it waits.
pub(crate) struct RevalidatePath {
    pub path: String,
    pub kind: PathKind,
}

impl Message for RevalidatePath {
    type Result = Revalidated;
}

/// Every entry tagged `tag` is stale (served once while one refresh runs)
/// or, when the profile's `expire` is 0, expired (the next request waits).
pub(crate) struct RevalidateTag {
    pub tag: String,
    pub profile: CacheProfile,
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
    pub(crate) async fn revalidate_path(&self, path: &str, kind: PathKind) -> usize {
        let message = RevalidatePath {
            path: path.to_string(),
            kind,
        };
        match self.0.path.send(message).await {
            Ok(done) => done.entries,
            Err(error) => {
                tracing::error!(path, %kind, %error, "a path revalidation was not taken");
                0
            }
        }
    }

    /// Revalidates `tag`; the number of entries marked, 0 if the message was
    /// not taken (logged).
    pub(crate) async fn revalidate_tag(&self, tag: &str, profile: CacheProfile) -> usize {
        let message = RevalidateTag {
            tag: tag.to_string(),
            profile,
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
