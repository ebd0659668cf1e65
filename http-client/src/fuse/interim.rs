//! INTERIM until the client's branch lands: `send_timed` and `is_pool_timeout`.

use std::time::Instant;

use bytes::Bytes;
use http::{Request, Response};

use crate::{Client, Error};

impl Client {
    pub(crate) async fn send_timed<B: Into<Bytes>>(
        &self,
        req: Request<B>,
    ) -> (Result<Response<Bytes>, Error>, Option<Instant>) {
        let start = self.clock().now();
        (self.send(req).await, Some(start))
    }
}

impl Error {
    /// Interim.
    pub fn is_pool_timeout(&self) -> bool {
        false
    }
}
