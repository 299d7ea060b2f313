//! `evloop::http::Error`: what went wrong with a request, and at which step.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use crate::BoxError;

/// Why a request made with [`Client`](super::Client) failed.
///
/// Ask it which step failed with [`is_connect`](Error::is_connect),
/// [`is_timeout`](Error::is_timeout) and
/// [`is_invalid_uri`](Error::is_invalid_uri); the underlying `io::Error` or
/// `hyper::Error`, if any, is its [`source`](StdError::source).
pub struct Error {
    kind: Kind,
    source: Option<BoxError>,
}

#[derive(Debug)]
enum Kind {
    /// The URI cannot be requested (not `http://`, no host, ...).
    InvalidUri { uri: String, reason: &'static str },
    /// Resolving the host or opening the TCP connection failed.
    Connect { host: String },
    /// `ClientBuilder::connect_timeout` passed while connecting.
    ConnectTimeout { host: String, after: Duration },
    /// `ClientBuilder::timeout` passed before the response head arrived.
    Timeout { after: Duration },
    /// hyper refused the request or the connection broke during it.
    Request,
}

impl Error {
    pub(crate) fn invalid_uri(uri: impl fmt::Display, reason: &'static str) -> Error {
        Error {
            kind: Kind::InvalidUri {
                uri: uri.to_string(),
                reason,
            },
            source: None,
        }
    }

    pub(crate) fn invalid_uri_with(uri: impl fmt::Display, source: impl Into<BoxError>) -> Error {
        Error {
            kind: Kind::InvalidUri {
                uri: uri.to_string(),
                reason: "it does not parse",
            },
            source: Some(source.into()),
        }
    }

    pub(crate) fn connect(host: &str, source: impl Into<BoxError>) -> Error {
        Error {
            kind: Kind::Connect { host: host.to_string() },
            source: Some(source.into()),
        }
    }

    pub(crate) fn connect_timeout(host: &str, after: Duration) -> Error {
        Error {
            kind: Kind::ConnectTimeout {
                host: host.to_string(),
                after,
            },
            source: None,
        }
    }

    pub(crate) fn timeout(after: Duration) -> Error {
        Error {
            kind: Kind::Timeout { after },
            source: None,
        }
    }

    pub(crate) fn request(source: ::hyper::Error) -> Error {
        Error {
            kind: Kind::Request,
            source: Some(Box::new(source)),
        }
    }

    /// True if a timeout ran out: the whole-request
    /// [`timeout`](super::ClientBuilder::timeout) or the
    /// [`connect_timeout`](super::ClientBuilder::connect_timeout).
    pub fn is_timeout(&self) -> bool {
        matches!(self.kind, Kind::Timeout { .. } | Kind::ConnectTimeout { .. })
    }

    /// True if no connection could be opened: the host did not resolve, the
    /// connection was refused, or the
    /// [`connect_timeout`](super::ClientBuilder::connect_timeout) ran out.
    pub fn is_connect(&self) -> bool {
        matches!(self.kind, Kind::Connect { .. } | Kind::ConnectTimeout { .. })
    }

    /// True if the request was refused before any connection was tried: the
    /// URI does not parse, has no host, or is not `http://`.
    pub fn is_invalid_uri(&self) -> bool {
        matches!(self.kind, Kind::InvalidUri { .. })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::InvalidUri { uri, reason } => write!(f, "cannot request `{uri}`: {reason}")?,
            Kind::Connect { host } => write!(f, "could not connect to {host}")?,
            Kind::ConnectTimeout { host, after } => write!(f, "connecting to {host} timed out after {after:?}")?,
            Kind::Timeout { after } => write!(f, "the request timed out after {after:?}")?,
            Kind::Request => f.write_str("the HTTP request failed")?,
        }
        if let Some(source) = &self.source {
            write!(f, ": {source}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("http::Error")
            .field("kind", &self.kind)
            .field("source", &self.source)
            .finish()
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn StdError + 'static))
    }
}
