//! `user_agent(&req)`: Next.js's `userAgent(request)`, parsed by woothee:
//! its rules are compiled into the crate (no regex file to ship or compile
//! at start-up) and it parses in about a microsecond. It tells browsers,
//! systems, device categories and crawlers; it does not know device
//! models, which user agents mostly no longer carry.

use crate::api::request::Request;

/// A parsed `User-Agent`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserAgent {
    /// The header as sent (empty when absent).
    pub ua: String,
    /// A crawler, by its own account.
    pub is_bot: bool,
    pub browser: Browser,
    pub os: Os,
    pub device: Device,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Browser {
    pub name: Option<String>,
    pub version: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Os {
    pub name: Option<String>,
    pub version: Option<String>,
}

/// The device, as Next.js's `device.type` names it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Device {
    /// `mobile`, `tablet`, `console` or `smarttv`; `None` for a desktop
    /// or what cannot be told.
    pub kind: Option<&'static str>,
}

/// Parses the request's `User-Agent`. Reading it is a read of that header:
/// in a cached route, answer with `Vary: User-Agent` or the route turns
/// dynamic.
///
/// ```
/// # fn demo(req: &trellis_engine::Request) {
/// let agent = trellis_engine::user_agent(req);
/// if agent.is_bot { /* a lighter page */ }
/// # }
/// ```
pub fn user_agent(req: &Request) -> UserAgent {
    let ua = req.header("user-agent").unwrap_or_default().to_string();
    parse(ua)
}

fn parse(ua: String) -> UserAgent {
    let Some(parsed) = woothee::parser::Parser::new().parse(&ua) else {
        return UserAgent {
            ua,
            ..UserAgent::default()
        };
    };
    let known = |value: &str| {
        (!value.is_empty() && value != woothee::woothee::VALUE_UNKNOWN).then(|| value.to_string())
    };
    let kind = match parsed.category {
        "smartphone" if parsed.os == "iPad" => Some("tablet"),
        "smartphone" | "mobilephone" => Some("mobile"),
        "appliance" if parsed.os.contains("TV") => Some("smarttv"),
        "appliance" => Some("console"),
        _ => None,
    };
    UserAgent {
        is_bot: parsed.category == "crawler",
        browser: Browser {
            name: known(parsed.name),
            version: known(parsed.version),
        },
        os: Os {
            name: known(parsed.os),
            version: known(&parsed.os_version),
        },
        device: Device { kind },
        ua,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_systems_devices_and_crawlers_are_told_apart() {
        let chrome = parse("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36".into());
        assert_eq!(chrome.browser.name.as_deref(), Some("Chrome"));
        assert_eq!(chrome.browser.version.as_deref(), Some("120.0.0.0"));
        assert_eq!(chrome.os.name.as_deref(), Some("Windows 10"));
        assert_eq!((chrome.device.kind, chrome.is_bot), (None, false));

        let iphone = parse("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1".into());
        assert_eq!(iphone.device.kind, Some("mobile"));
        assert_eq!(iphone.os.name.as_deref(), Some("iPhone"));

        let bot = parse(
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)".into(),
        );
        assert!(bot.is_bot);

        let empty = parse(String::new());
        assert_eq!(empty, UserAgent::default());
    }
}
