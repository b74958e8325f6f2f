//! A non-UI response: the reference's RSS document.

use trellis::prelude::*;

const RSS: &str = r#"<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0">

<channel>
  <title>Next.js Documentation</title>
  <link>https://nextjs.org/docs</link>
  <description>The React Framework for the Web</description>
</channel>

</rss>"#;

pub async fn GET() -> Result<Response> {
    Response::new(RSS).header("Content-Type", "text/xml")
}
