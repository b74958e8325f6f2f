mod dispatch;
mod refresh;
mod revalidate;
mod worker;

pub(crate) use dispatch::{CacheLookup, Dispatch};
pub(crate) use refresh::{Completion, Regenerate};
pub(crate) use revalidate::{PeerRevalidation, RevalidatePath, RevalidateTag};
pub(crate) use worker::RegisterWorker;
