//! `AppRoutes`: what the server serves, built once from a `Router` and the
//! config: the matcher, each segment ready to serve over its view of one
//! shared cache, the data cache beside it, the file's path rules and
//! rewrites, the app's proxy, the layout of its paths, and the site's
//! address.

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::{HeaderName, HeaderValue};
#[cfg(feature = "redis")]
use trellis_cache::{page_tag, SharedOptions, SharedStore};
use trellis_cache::{CachePolicy, Clock, DataCache, MemoryStore, RevalidationCache, SegmentSpec};
#[cfg(feature = "redis")]
use trellis_config::DEFAULT_KEY_PREFIX;
use trellis_config::{Config, ConfigError, CorsPolicy, Dynamic, RouteKind, RouteOverride};
use trellis_routes::{RouteError, RouteMatch, RoutePattern, RouteTable};

use crate::api::router::{RouteSummary, Router};
use crate::api::segment::Segment;
use crate::runtime::after_tasks::AfterTracker;
use crate::runtime::app_proxy::AppProxy;
use crate::runtime::app_services::AppServices;
use crate::runtime::draft_cookie;
use crate::runtime::path_layout::PathLayout;
use crate::runtime::rewrites::Rewrites;
use crate::runtime::rule_source::rule_error;
use crate::runtime::rules::{checked_headers, PathRules};
use crate::runtime::served_segment::ServedSegment;
use crate::runtime::server_error::ServerError;
use crate::runtime::site::Site;
use crate::runtime::upstream::Upstream;
use crate::runtime::watched_paths::WatchedPaths;

/// The built routes: the matcher, the segments indexed by `SegmentId`, the
/// cache they share and the data cache beside it, the file's path rules and
/// rewrites, and the proxy.
pub(crate) struct AppRoutes {
    pub table: RouteTable,
    pub segments: Vec<Arc<ServedSegment>>,
    /// By `SegmentId`: the route has no dynamic segment, so it is tried
    /// before `afterFiles` rewrites.
    static_routes: Vec<bool>,
    pub cache: Arc<RevalidationCache>,
    pub data: Arc<DataCache>,
    pub rules: PathRules,
    pub rewrites: Rewrites,
    pub proxy: Option<AppProxy>,
    pub layout: PathLayout,
    /// The paths the rules and the proxy can see: any other is never
    /// decoded for them.
    pub watched: WatchedPaths,
    /// The client for rewrites to other servers, when any can happen.
    pub upstream: Option<Upstream>,
    pub site: Arc<Site>,
    pub services: Arc<AppServices>,
    /// `[server] max_duration_secs`: the proxy's deadline on a path that is
    /// no route's.
    default_max_duration: Option<Duration>,
}

impl Router {
    /// Every route's effective config, as `trellis routes` prints it, in
    /// registration order; fails as building the server would.
    pub fn summary(self, config: &Config) -> Result<Vec<RouteSummary>, ServerError> {
        let routes = AppRoutes::build(self, config, Clock::System)?;
        Ok(routes
            .table
            .routes()
            .iter()
            .zip(&routes.segments)
            .map(|(entry, segment)| RouteSummary {
                pattern: entry.pattern.to_string(),
                source: entry.source.clone(),
                methods: segment.allow().to_str().unwrap_or_default().to_string(),
                kind: match (segment.cache.policy().kind(), segment.config()) {
                    (RouteKind::Dynamic, config) if config.dynamic == Dynamic::Auto => config
                        .reads_request_data
                        .map_or(RouteKind::Dynamic, RouteKind::DynamicByRead),
                    (kind, _) => kind,
                },
                max_duration: segment.config().max_duration,
                body_limit: segment.body_limit(),
                tags: segment.config().tags.clone(),
                cors: segment.cors().is_some(),
            })
            .collect())
    }
}

impl AppRoutes {
    /// Builds the table, applies the file's overrides, checks each segment's
    /// config, and gives every segment its view of one shared cache.
    pub(crate) fn build(
        mut router: Router,
        config: &Config,
        clock: Clock,
    ) -> Result<AppRoutes, ServerError> {
        config.validate()?;
        let table = table(&router)?;
        apply_overrides(&mut router, &table, &config.routes)?;
        let env = |name: &str| std::env::var(name).ok();
        let rules = PathRules::compile(&config.redirects, &config.headers, &env)?;
        let rewrites = Rewrites::compile(&config.rewrites, &env)?;
        // The proxy's failures go to the error hook as a route's do.
        let on_error = router.on_request_error.take();
        let proxy = AppProxy::compile(std::mem::take(&mut router.proxies), on_error.clone())?;
        let layout = PathLayout::new(&config.routing)?;
        let upstream = match proxy.is_some() || rewrites.any_external() {
            true => Some(
                Upstream::new(config.routing.upstream_timeout()).map_err(ServerError::Upstream)?,
            ),
            false => None,
        };
        let proxy_prefixes = proxy.as_ref().map(AppProxy::literal_prefixes);
        let watched = WatchedPaths::new(
            rules
                .literal_prefixes()
                .chain(proxy_prefixes.iter().flatten().copied()),
        );
        let static_routes = table
            .routes()
            .iter()
            .map(|r| r.pattern.is_static())
            .collect();
        let site = Arc::new(Site::new(&config.server)?);
        let mut specs = Vec::with_capacity(router.registrations.len());
        for (entry, registration) in table.routes().iter().zip(&router.registrations) {
            let segment = &registration.segment;
            segment
                .config()
                .validate(&entry.source, segment.has_static_params())?;
            if let Some(problem) = segment.cors_policy().and_then(CorsPolicy::problem) {
                return Err(ConfigError::InvalidSegment {
                    file: entry.source.clone(),
                    problem: format!("its CORS policy: {problem}"),
                }
                .into());
            }
            let segment_config = segment.config();
            let is_static = matches!(
                segment_config.dynamic,
                Dynamic::ForceStatic | Dynamic::Error
            );
            specs.push(SegmentSpec {
                route: entry.pattern.to_string(),
                policy: CachePolicy::for_segment(segment_config, segment.has_static_params()),
                tags: segment_config.tags.clone(),
                // A static route sees no query, so one entry serves them all.
                key_by_query: segment_config.cache_by_query && !is_static,
                expire: segment_config
                    .expire
                    .map_or(config.cache.expire(), Duration::from_secs),
                negative_ttl: segment_config
                    .negative_ttl
                    .map_or(config.cache.negative_ttl(), Duration::from_secs),
                lock_timeout: config.cache.lock_timeout(),
            });
        }
        let store = Arc::new(MemoryStore::new(
            config.cache.budget_bytes,
            config.cache.time_to_idle(),
        ));
        #[cfg(feature = "redis")]
        let shared = match config.cache.redis_url() {
            Some(url) => {
                let app_name = router.app_name.as_deref().unwrap_or(DEFAULT_APP_NAME);
                Some(
                    SharedStore::start(shared_options(url, config, &specs, app_name))
                        .map_err(ServerError::from)?,
                )
            }
            None => None,
        };
        // Said at start-up and by `check-config`, not found out when the
        // instances turn out not to share anything.
        #[cfg(not(feature = "redis"))]
        if config.cache.redis_url().is_some() {
            return Err(ConfigError::Invalid {
                key: "cache.store".to_string(),
                problem: "this build of Trellis has no Redis client for the shared tier \
                          (responses and data): build it with the `redis` feature \
                          (`trellis = { .., features = [\"redis\"] }`), or set \
                          `store = \"memory\"`"
                    .to_string(),
            }
            .into());
        }
        let services = Arc::new(AppServices {
            compress: config.server.compress,
            clock: clock.clone(),
            cache_config: config.cache.clone(),
            draft: draft_cookie::token(config.admin.draft_mode_secret.as_deref()),
            after: Arc::new(AfterTracker::default()),
            on_error,
        });
        #[cfg(feature = "redis")]
        let cache = RevalidationCache::tiered(store, shared, clock, specs);
        #[cfg(not(feature = "redis"))]
        let cache = RevalidationCache::new(store, clock, specs);
        let cache = Arc::new(cache);
        // In the same store and tiers: Redis holds data too, when shared.
        let data = Arc::new(DataCache::new(
            &cache,
            config.cache.expire(),
            config.cache.lock_timeout(),
        ));
        let segments = router
            .registrations
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                let cache = cache.segment(i).clone();
                // Decided once: the route's own limit, or the server's.
                let max_duration = r
                    .segment
                    .config()
                    .max_duration
                    .or(config.server.max_duration());
                Arc::new(ServedSegment::new(
                    r.segment,
                    cache,
                    config.cors.as_ref(),
                    max_duration,
                    site.clone(),
                    services.clone(),
                ))
            })
            .collect();
        Ok(AppRoutes {
            table,
            segments,
            static_routes,
            cache,
            data,
            rules,
            rewrites,
            proxy,
            layout,
            watched,
            upstream,
            site,
            services,
            default_max_duration: config.server.max_duration(),
        })
    }

    /// Whether a match is a route without dynamic segments.
    pub(crate) fn is_static(&self, matched: &RouteMatch) -> bool {
        self.static_routes[matched.segment.index()]
    }

    /// The deadline of the route at `path` (its `MAX_DURATION`, or the
    /// server's), which the proxy runs under as well; the server's on a
    /// path that is no route's.
    pub(crate) fn max_duration_at(&self, path: &str) -> Option<Duration> {
        match self.table.match_path(path) {
            Ok(Some(matched)) => self.segments[matched.segment.index()].max_duration(),
            _ => self.default_max_duration,
        }
    }
}

fn table(router: &Router) -> Result<RouteTable, RouteError> {
    let patterns = router
        .registrations
        .iter()
        .map(|r| {
            RoutePattern::parse(&r.pattern)
                .map(|pattern| (pattern, r.source.clone()))
                .map_err(|error| RouteError::Pattern {
                    source_name: r.source.clone(),
                    error,
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    RouteTable::build(patterns)
}

/// Applies `[[routes]]` overrides; a pattern that is no route's is an
/// error naming its line.
fn apply_overrides(
    router: &mut Router,
    table: &RouteTable,
    overrides: &[RouteOverride],
) -> Result<(), ServerError> {
    for rule in overrides {
        let wanted = RoutePattern::parse(&rule.pattern)
            .map_err(|e| rule_error("routes.pattern", rule.line, &e.to_string()))?;
        let Some(index) = table.routes().iter().position(|r| r.pattern == wanted) else {
            let problem = format!("`{}` matches no route (see `trellis routes`)", rule.pattern);
            return Err(rule_error("routes.pattern", rule.line, &problem).into());
        };
        let headers = checked_headers(&rule.headers, rule.line)?;
        apply_override(&mut router.registrations[index].segment, rule, headers);
    }
    Ok(())
}

/// A `[[routes]]` override from `trellis.toml`: the file wins.
fn apply_override(
    segment: &mut Segment,
    rule: &RouteOverride,
    headers: Vec<(HeaderName, HeaderValue)>,
) {
    if let Some(revalidate) = rule.revalidate {
        segment.config.revalidate = Some(revalidate);
    }
    if let Some(dynamic) = rule.dynamic {
        segment.config.dynamic = dynamic;
    }
    if let Some(seconds) = rule.max_duration_secs {
        segment.config.max_duration = Some(Duration::from_secs(seconds));
    }
    if let Some(bytes) = rule.body_bytes {
        segment.config.body_limit = Some(bytes);
    }
    if let Some(cors) = &rule.cors {
        segment.cors = Some(cors.clone());
    }
    segment.added_headers.extend(headers);
}

/// The app's name in the default key prefix when no name was given.
#[cfg(feature = "redis")]
const DEFAULT_APP_NAME: &str = "app";

/// What the shared tier needs: where Redis is, its limits, every tag the
/// routes carry, their page tags included (to catch up on tag and route
/// revalidations missed while disconnected), and the key prefix: the
/// default one names the app, so that two apps on one Redis never read
/// each other's entries.
#[cfg(feature = "redis")]
fn shared_options(
    url: &str,
    config: &Config,
    specs: &[SegmentSpec],
    app_name: &str,
) -> SharedOptions {
    let mut tags: Vec<String> = specs
        .iter()
        .flat_map(|s| s.tags.iter().cloned().chain([page_tag(&s.route)]))
        .collect();
    tags.sort();
    tags.dedup();
    SharedOptions {
        url: url.to_string(),
        key_prefix: match config.cache.key_prefix.as_str() {
            DEFAULT_KEY_PREFIX => format!("{DEFAULT_KEY_PREFIX}:{app_name}"),
            chosen => chosen.to_string(),
        },
        timeout: config.cache.shared_timeout(),
        grace: config.cache.shared_grace(),
        lock_ttl: config.cache.shared_lock(),
        tags,
        budget_bytes: config.cache.shared_budget_bytes,
        secret: config.cache.secret.clone(),
    }
}

// What a build without an optional feature refuses, run by `cargo test -p
// trellis-engine` (the workspace's tests build the features in).
#[cfg(all(test, any(not(feature = "redis"), not(feature = "tls"))))]
mod tests {
    use super::*;

    #[cfg(not(feature = "redis"))]
    #[test]
    fn a_config_naming_redis_is_refused_by_a_build_without_the_redis_feature() {
        let config = Config::parse("[cache]\nstore = \"redis://127.0.0.1:6379/0\"\n")
            .expect("a valid config");
        let Err(error) = Router::default().summary(&config) else {
            panic!("a config naming Redis was taken by a build without a Redis client");
        };
        let text = error.to_string();
        assert!(
            text.contains("cache.store") && text.contains("`redis` feature"),
            "{text}"
        );
    }

    #[cfg(not(feature = "tls"))]
    #[test]
    fn an_https_rewrite_is_refused_by_a_build_without_the_tls_feature() {
        let text = "[[rewrites]]\nsource = \"/api/:path*\"\ndestination = \"https://api.example/:path*\"\n";
        let config = Config::parse(text).expect("a valid config");
        let Err(error) = Router::default().summary(&config) else {
            panic!("an https destination was taken by a build that speaks plain http only");
        };
        let text = error.to_string();
        assert!(
            text.contains("rewrites.destination") && text.contains("`tls` feature"),
            "{text}"
        );
        let plain =
            "[[rewrites]]\nsource = \"/api/:path*\"\ndestination = \"http://api.example/:path*\"\n";
        let config = Config::parse(plain).expect("a valid config");
        assert!(
            Router::default().summary(&config).is_ok(),
            "plain http is served"
        );
    }
}
