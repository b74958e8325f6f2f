mod dispatch;
mod refresh;
mod revalidate;

pub(crate) use crate::api::revalidator::{RevalidatePath, RevalidateTag, Revalidated};
pub(crate) use dispatch::{CacheLookup, Dispatch};
pub(crate) use refresh::{Completion, Regenerate};
pub(crate) use revalidate::PeerRevalidation;
