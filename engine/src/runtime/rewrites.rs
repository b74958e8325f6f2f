//! `[[rewrites]]` from `trellis.toml`, as next.config.js's `rewrites()`
//! phases: `beforeFiles` after the proxy and before any route,
//! `afterFiles` after the static routes and before the dynamic ones,
//! `fallback` after every route. In each phase the first rule whose
//! source and conditions the request meets rewrites it, once.

use std::sync::Arc;

use trellis_config::{ConfigError, Phase, RewriteRule};

use crate::api::tls;
use crate::runtime::destination::{Destination, Refused, Target};
use crate::runtime::request_view::RequestView;
use crate::runtime::rule_source::{rule_error, RuleSource};

/// The compiled rewrites, by phase; empty (and free) without any.
#[derive(Default)]
pub(crate) struct Rewrites {
    before_files: Vec<Rewrite>,
    after_files: Vec<Rewrite>,
    fallback: Vec<Rewrite>,
}

struct Rewrite {
    source: RuleSource,
    destination: Destination,
}

/// A rewrite that applied: where to, and the rule's source (for the log).
pub(crate) struct Rewritten<'r> {
    pub target: Result<Target, Refused>,
    pub source: &'r str,
}

impl Rewrites {
    /// Compiles the rules, reading `${NAME}` in destinations through `env`.
    pub(crate) fn compile(
        rules: &[RewriteRule],
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut rewrites = Rewrites::default();
        for rule in rules {
            let source = RuleSource::compile(
                "rewrites",
                rule.line,
                &rule.source,
                &rule.has,
                &rule.missing,
            )?;
            let destination = Destination::parse(&rule.destination, env)
                .map_err(|problem| rule_error("rewrites.destination", rule.line, &problem))?;
            source.check_destination(&destination, "rewrites", rule.line)?;
            // Said at start-up and by `check-config`, not at the first
            // request it would answer with a 502.
            if let Some(why) = destination.server_scheme().and_then(tls::refusal) {
                return Err(rule_error("rewrites.destination", rule.line, why));
            }
            if destination.is_itself() && source.loops_through(&destination) {
                return Err(rule_error(
                    "rewrites.destination",
                    rule.line,
                    "sends requests to this server at a path its own source matches: each would come back forever",
                ));
            }
            let rewrite = Rewrite {
                source,
                destination,
            };
            match rule.phase {
                Phase::BeforeFiles => rewrites.before_files.push(rewrite),
                Phase::AfterFiles => rewrites.after_files.push(rewrite),
                Phase::Fallback => rewrites.fallback.push(rewrite),
            }
        }
        Ok(rewrites)
    }

    /// Whether there is no rewrite at all.
    pub(crate) fn is_empty(&self) -> bool {
        self.before_files.is_empty() && self.after_files.is_empty() && self.fallback.is_empty()
    }

    /// Whether a rewrite can send a request to another server.
    pub(crate) fn any_external(&self) -> bool {
        [&self.before_files, &self.after_files, &self.fallback]
            .into_iter()
            .flatten()
            .any(|rule| rule.destination.is_external())
    }

    /// Whether `phase` has any rule: when none, it costs nothing.
    pub(crate) fn any(&self, phase: Phase) -> bool {
        !self.phase(phase).is_empty()
    }

    /// The first rule of `phase` the request meets, filled in.
    /// `public_url` gives `${self}`.
    pub(crate) fn apply<'r>(
        &'r self,
        phase: Phase,
        request: &RequestView,
        public_url: &dyn Fn() -> Arc<str>,
    ) -> Option<Rewritten<'r>> {
        self.phase(phase).iter().find_map(|rule| {
            let params = rule.source.params(request)?;
            Some(Rewritten {
                target: rule.destination.target(&params, request.query, public_url),
                source: rule.source.source(),
            })
        })
    }

    fn phase(&self, phase: Phase) -> &[Rewrite] {
        match phase {
            Phase::BeforeFiles => &self.before_files,
            Phase::AfterFiles => &self.after_files,
            Phase::Fallback => &self.fallback,
        }
    }
}
