mod dispatch;
mod refresh;
#[cfg(feature = "redis")]
mod revalidate;

pub(crate) use crate::api::revalidator::{RevalidatePath, RevalidateTag, Revalidated};
pub(crate) use dispatch::{CacheLookup, Dispatch};
pub(crate) use refresh::{Completion, Regenerate};
#[cfg(feature = "redis")]
pub(crate) use revalidate::PeerRevalidation;
