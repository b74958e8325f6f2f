//! A streamed request body (`STREAM_BODY`): a task on the worker reads the
//! connection's payload and forwards it chunk by chunk to the route's
//! `req.body_stream()`, a few chunks ahead at most (backpressure), and
//! stops at the body limit or when a chunk is slower than the body
//! timeout.

use std::time::Duration;

use actix_web::dev::Payload;
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::api::request_body::{BodyError, RequestBody};

/// Chunks read ahead of the route.
const AHEAD: usize = 4;

pub(crate) fn forward(mut payload: Payload, limit: usize, idle: Duration) -> RequestBody {
    let (chunks, body) = mpsc::channel::<Result<Bytes, BodyError>>(AHEAD);
    actix_rt::spawn(async move {
        let mut received = 0usize;
        loop {
            let next = match actix_rt::time::timeout(idle, payload.next()).await {
                Err(_) => Err(BodyError::TimedOut),
                Ok(None) => return,
                Ok(Some(Err(error))) => Err(BodyError::Read(error.to_string())),
                Ok(Some(Ok(chunk))) => {
                    received += chunk.len();
                    match received > limit {
                        true => Err(BodyError::TooLarge(limit)),
                        false => Ok(chunk),
                    }
                }
            };
            let failed = next.is_err();
            // The route stopped reading: nothing more to forward.
            if chunks.send(next).await.is_err() || failed {
                return;
            }
        }
    });
    RequestBody::streamed(body)
}
