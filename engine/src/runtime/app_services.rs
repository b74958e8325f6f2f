//! What every segment shares at run time beside the cache: whether to
//! compress, the cache's clock (for `Last-Modified`), the cache's settings
//! (the profiles `cache_life` and `revalidate_tag` name), draft mode's
//! token, the `after()` callbacks' tracker, and the app's error hook.

use std::sync::Arc;

use trellis_cache::Clock;
use trellis_config::CacheConfig;

use crate::api::draft_token::DraftToken;
use crate::api::request_error::ErrorHook;
use crate::runtime::after_tasks::AfterTracker;

pub(crate) struct AppServices {
    /// `[server] compress`.
    pub compress: bool,
    pub clock: Clock,
    /// `[cache]`, for its `[cache.profiles]`.
    pub cache_config: CacheConfig,
    pub draft: DraftToken,
    pub after: Arc<AfterTracker>,
    pub on_error: Option<ErrorHook>,
}
