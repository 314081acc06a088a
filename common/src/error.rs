use std::fmt;

use datafusion_common::DataFusionError;

/// The stable classification of a dfpack error.
///
/// Errors cross the FFI boundary as strings, so the kind travels as a fixed
/// message tag, `[dfpack:<kind>]`, that hosts (and the Python package) map back
/// with [`ErrorKind::find_in`]. The tag strings are part of the public interface:
/// never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    Config,
    Abi,
    ProtocolGate,
    Contract,
    Delta,
    DataFusion,
    Arrow,
    Io,
    Internal,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 9] = [
        ErrorKind::Config,
        ErrorKind::Abi,
        ErrorKind::ProtocolGate,
        ErrorKind::Contract,
        ErrorKind::Delta,
        ErrorKind::DataFusion,
        ErrorKind::Arrow,
        ErrorKind::Io,
        ErrorKind::Internal,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Config => "config",
            ErrorKind::Abi => "abi",
            ErrorKind::ProtocolGate => "protocol_gate",
            ErrorKind::Contract => "contract",
            ErrorKind::Delta => "delta",
            ErrorKind::DataFusion => "datafusion",
            ErrorKind::Arrow => "arrow",
            ErrorKind::Io => "io",
            ErrorKind::Internal => "internal",
        }
    }

    /// The tag that prefixes this kind's messages, e.g. `[dfpack:abi]`.
    pub fn tag(self) -> String {
        format!("[dfpack:{}]", self.as_str())
    }

    /// Finds the first dfpack tag in a message (however many layers of
    /// "External error:" / "FFI error:" wrapping it went through).
    pub fn find_in(message: &str) -> Option<ErrorKind> {
        let start = message.find("[dfpack:")? + "[dfpack:".len();
        let rest = &message[start..];
        let name = &rest[..rest.find(']')?];
        ErrorKind::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// dfpack's one error type. Every variant maps to one [`ErrorKind`]; its
/// `Display` starts with the kind's tag so the kind survives the FFI boundary.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("[dfpack:config] {0}")]
    Config(String),

    /// A plugin that cannot be loaded into this host; the message names both sides.
    #[error("[dfpack:abi] {0}")]
    Abi(String),

    #[error("[dfpack:protocol_gate] {0}")]
    ProtocolGate(String),

    #[error("[dfpack:contract] {0}")]
    Contract(String),

    #[error("[dfpack:delta] {0}")]
    Delta(String),

    #[error("[dfpack:datafusion] {0}")]
    DataFusion(#[source] Box<DataFusionError>),

    #[error("[dfpack:arrow] {0}")]
    Arrow(#[from] arrow_schema_error::ArrowError),

    #[error("[dfpack:io] {0}")]
    Io(#[from] std::io::Error),

    /// A panic caught at an FFI-reachable entry point, turned into an error.
    #[error("[dfpack:internal] panic in {context}: {message}")]
    Panic { context: String, message: String },

    #[error("[dfpack:internal] {0}")]
    Internal(String),
}

/// Re-exported through datafusion-common so this crate needs no direct arrow dependency.
mod arrow_schema_error {
    pub use datafusion_common::arrow::error::ArrowError;
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Config(_) => ErrorKind::Config,
            Error::Abi(_) => ErrorKind::Abi,
            Error::ProtocolGate(_) => ErrorKind::ProtocolGate,
            Error::Contract(_) => ErrorKind::Contract,
            Error::Delta(_) => ErrorKind::Delta,
            Error::DataFusion(_) => ErrorKind::DataFusion,
            Error::Arrow(_) => ErrorKind::Arrow,
            Error::Io(_) => ErrorKind::Io,
            Error::Panic { .. } | Error::Internal(_) => ErrorKind::Internal,
        }
    }

    /// The message without its kind tag: for a message nested in another
    /// error that carries its own.
    pub fn untagged(&self) -> String {
        let message = self.to_string();
        match message.strip_prefix(&self.kind().tag()) {
            Some(rest) => rest.trim_start().to_string(),
            None => message,
        }
    }
}

impl Error {
    /// Rebuilds an error that crossed the FFI boundary as its message: the
    /// kind comes from the tag, which is not repeated.
    pub fn from_message(message: &str) -> Error {
        let kind = ErrorKind::find_in(message).unwrap_or(ErrorKind::Internal);
        let body = message.strip_prefix(&kind.tag()).map_or(message, str::trim_start).to_string();
        match kind {
            ErrorKind::Config => Error::Config(body),
            ErrorKind::Abi => Error::Abi(body),
            ErrorKind::ProtocolGate => Error::ProtocolGate(body),
            ErrorKind::Contract => Error::Contract(body),
            ErrorKind::Delta => Error::Delta(body),
            ErrorKind::DataFusion => Error::DataFusion(Box::new(DataFusionError::Execution(body))),
            ErrorKind::Arrow => Error::Arrow(arrow_schema_error::ArrowError::ExternalError(body.into())),
            ErrorKind::Io => Error::Io(std::io::Error::other(body)),
            ErrorKind::Internal => Error::Internal(body),
        }
    }
}

impl From<DataFusionError> for Error {
    fn from(error: DataFusionError) -> Self {
        // A DataFusion error that already carries a dfpack error (e.g. one that went
        // out through a UDF) comes back as itself rather than wrapped twice.
        match error {
            DataFusionError::External(inner) => match inner.downcast::<Error>() {
                Ok(ours) => *ours,
                Err(other) => Error::DataFusion(Box::new(DataFusionError::External(other))),
            },
            other => Error::DataFusion(Box::new(other)),
        }
    }
}

impl From<Error> for DataFusionError {
    fn from(error: Error) -> Self {
        match error {
            Error::DataFusion(inner) => *inner,
            other => DataFusionError::External(Box::new(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_rebuilt_from_its_message_keeps_kind_and_text() {
        let original = Error::ProtocolGate("table 't' is refused".into());
        let rebuilt = Error::from_message(&original.to_string());
        assert_eq!(rebuilt.kind(), ErrorKind::ProtocolGate);
        assert_eq!(rebuilt.to_string(), original.to_string());
        assert_eq!(Error::from_message("no tag").to_string(), "[dfpack:internal] no tag");
    }

    #[test]
    fn untagged_drops_only_the_kind_tag() {
        assert_eq!(Error::Config("bad key".into()).untagged(), "bad key");
        assert_eq!(Error::Panic { context: "f".into(), message: "boom".into() }.untagged(), "panic in f: boom");
    }

    #[test]
    fn every_kind_round_trips_through_its_tag() {
        for kind in ErrorKind::ALL {
            let message = format!("FFI error: External error: {} something broke", kind.tag());
            assert_eq!(ErrorKind::find_in(&message), Some(kind));
        }
        assert_eq!(ErrorKind::find_in("no tag here"), None);
        assert_eq!(ErrorKind::find_in("[dfpack:unheard_of] x"), None);
    }

    #[test]
    fn display_carries_the_tag_of_the_kind() {
        let cases = [
            Error::Config("bad key".into()),
            Error::Abi("built for 54".into()),
            Error::Panic { context: "f".into(), message: "boom".into() },
            Error::Io(std::io::Error::other("disk")),
        ];
        for error in cases {
            assert_eq!(ErrorKind::find_in(&error.to_string()), Some(error.kind()), "{error}");
        }
    }

    #[test]
    fn datafusion_round_trip_keeps_the_kind() {
        let original = Error::ProtocolGate("table needs typeWidening".into());
        let through_datafusion: DataFusionError = original.into();
        assert!(through_datafusion.to_string().contains("[dfpack:protocol_gate]"));
        let back = Error::from(through_datafusion);
        assert_eq!(back.kind(), ErrorKind::ProtocolGate);

        let plain = Error::from(DataFusionError::Plan("no such table".into()));
        assert_eq!(plain.kind(), ErrorKind::DataFusion);
        assert!(plain.to_string().starts_with("[dfpack:datafusion] Error during planning"));
    }
}
