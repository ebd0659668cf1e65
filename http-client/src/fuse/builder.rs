//! Configuring a [`FuseClient`].

use std::fmt;
use std::sync::Arc;

use fusebox_core::breaker::{BreakerConfig, RecoveryGroup};

use super::base::Base;
use super::health::health_probe;
use super::{Classifier, FuseClient, Inner, Verdict, default_classifier};
use crate::{Client, Error, Response};

/// Configures a [`FuseClient`]; made by [`FuseClient::builder`].
///
/// Defaults: health path `/health`; a recovery group of its own with
/// [`BreakerConfig::default`]'s settings; the breaker named after the origin
/// (`http://host:port`); [`default_classifier`].
#[must_use = "a builder does nothing until .build() is called"]
pub struct FuseBuilder {
    client: Client,
    base_url: String,
    health_path: String,
    config: Option<BreakerConfig>,
    group: Option<RecoveryGroup>,
    name: Option<String>,
    classify: Classifier,
}

impl FuseBuilder {
    pub(super) fn new(client: Client, base_url: &str) -> FuseBuilder {
        FuseBuilder {
            client,
            base_url: base_url.to_owned(),
            health_path: "/health".to_owned(),
            config: None,
            group: None,
            name: None,
            classify: Arc::new(default_classifier),
        }
    }

    /// The breaker's name in its events and logs (default: the origin, `http://host:port`).
    pub fn name(mut self, name: &str) -> FuseBuilder {
        self.name = Some(name.to_owned());
        self
    }

    /// What a request's outcome means to the breaker: a success, a failure (with its reason) or
    /// neutral. See [`default_classifier`] for the default, and an example that makes 429 a
    /// failure. Slowness is judged apart from it: a success slower than `max_delay` still counts
    /// as a failure.
    pub fn classify(
        mut self,
        classifier: impl Fn(&Result<Response, Error>) -> Verdict + Send + Sync + 'static,
    ) -> FuseBuilder {
        self.classify = Arc::new(classifier);
        self
    }

    /// The path, under the base URL, that the health probe gets (default `/health`).
    pub fn health_path(mut self, path: &str) -> FuseBuilder {
        self.health_path = path.to_owned();
        self
    }

    /// The breaker's settings, for a recovery group of this client's own. With a shared group
    /// ([`recovery_group`](FuseBuilder::recovery_group)), the group's settings apply instead, so
    /// the two cannot be combined.
    pub fn breaker(mut self, config: BreakerConfig) -> FuseBuilder {
        self.config = Some(config);
        self
    }

    /// A recovery group shared with other clients of the same service (see
    /// [`Client::recovery_group`]): one recovery task probes for all of them, and its settings
    /// apply to this client's breaker.
    pub fn recovery_group(mut self, group: RecoveryGroup) -> FuseBuilder {
        self.group = Some(group);
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    ///
    /// [`Error::is_invalid_uri`] for a base URL that is not an absolute `http` or `https` URL
    /// without a query, or a health path that is not a path; [`Error::is_builder`] when both
    /// [`breaker`](FuseBuilder::breaker) and [`recovery_group`](FuseBuilder::recovery_group)
    /// were given.
    pub fn build(self) -> Result<FuseClient, Error> {
        let base = Base::parse(&self.base_url)?;
        let health = base.join(&self.health_path)?;
        let group = match (self.group, self.config) {
            (Some(_), Some(_)) => {
                return Err(Error::build(
                    "a shared recovery group brings its own breaker settings: set them where the \
                     group is made, or leave out .recovery_group(..)",
                ));
            }
            (Some(group), None) => group,
            (None, config) => self.client.recovery_group(config.unwrap_or_default()),
        };
        let probe = health_probe(
            self.client.clone(),
            health.clone(),
            group.config().max_delay(),
        );
        let name = self.name.unwrap_or_else(|| base.origin().to_string());
        let breaker = group.breaker_named(name, probe);
        Ok(FuseClient {
            inner: Arc::new(Inner {
                client: self.client,
                base,
                health,
                breaker,
                classify: self.classify,
            }),
        })
    }
}

impl fmt::Debug for FuseBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FuseBuilder")
            .field("base_url", &self.base_url)
            .field("health_path", &self.health_path)
            .field("config", &self.config)
            .field("shared_group", &self.group.is_some())
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}
