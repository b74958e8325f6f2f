//! A channel whose receiving end is a streamed response: the route function
//! (or a task it spawns) sends chunks, the client gets each one as it is sent.

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::api::response::Response;

/// The sending end of [`channel`].
#[derive(Debug, Clone)]
pub struct StreamSender {
    chunks: mpsc::Sender<Bytes>,
}

/// The client went away: the response stream was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the client disconnected")]
pub struct Disconnected;

impl StreamSender {
    /// Sends one chunk, waiting while `capacity` chunks are unsent
    /// (backpressure). Fails once the client has gone.
    pub async fn send(&self, chunk: impl Into<Bytes>) -> Result<(), Disconnected> {
        self.chunks
            .send(chunk.into())
            .await
            .map_err(|_| Disconnected)
    }
}

/// A streamed response and the sender that feeds it. The stream ends when
/// every sender is dropped.
///
/// ```
/// # async fn demo() {
/// let (sender, response) = trellis_engine::stream::channel(8);
/// actix_rt::spawn(async move {
///     for word in ["one ", "two "] {
///         if sender.send(word).await.is_err() {
///             break; // the client left: stop producing
///         }
///     }
/// });
/// # let _ = response; }
/// ```
pub fn channel(capacity: usize) -> (StreamSender, Response) {
    let (sender, receiver) = mpsc::channel(capacity.max(1));
    let chunks = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    (StreamSender { chunks: sender }, Response::stream(chunks))
}
