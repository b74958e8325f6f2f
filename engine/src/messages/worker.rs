//! `RegisterWorker`: an HTTP worker tells the supervisor the addresses of
//! the segment actors it started.

use actix::{Addr, Message};

use crate::segment::SegmentActor;

/// The actors of one worker, indexed by `SegmentId`.
pub(crate) struct RegisterWorker {
    pub actors: Vec<Addr<SegmentActor>>,
}

impl Message for RegisterWorker {
    type Result = ();
}
