//! A stand-in for a model: streams a canned reply word by word through a
//! channel, 20 ms apart, and stops when the client goes away.

use std::time::Duration;

use trellis::prelude::*;

#[derive(Deserialize)]
#[serde(crate = "trellis::serde")]
struct Chat {
    prompt: String,
}

pub async fn POST(req: Request) -> Result<Response> {
    let Chat { prompt } = req.json()?;
    let reply = format!("You said: {prompt}. This reply streams one word at a time.");
    let (sender, response) = trellis::stream::channel(4);
    trellis::spawn(async move {
        for word in reply.split_inclusive(' ') {
            if sender.send(word.to_string()).await.is_err() {
                return;
            }
            trellis::time::sleep(Duration::from_millis(20)).await;
        }
    });
    response.header("content-type", "text/plain; charset=utf-8")
}
