//! Small helpers every area uses.

use std::collections::BTreeMap;

use utoipa::openapi::response::Response;
use utoipa::openapi::{ContentBuilder, RefOr, ResponseBuilder, ResponsesBuilder};
use utoipa::{IntoResponses, PartialSchema};

/// An enum that is stored in SQLite and sent on the wire as fixed strings: one list of
/// `Variant = "text"` pairs gives the serde names, `as_str`, `Display`, `ALL` and the
/// exact-match `from_text`, so the three can never disagree. Each area adds its own
/// `parse` on top (case rules and error wording differ between the APIs).
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The variant spelled exactly `text`.
            pub fn from_text(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use string_enum;

/// How every API area takes a database error: `Unavailable` (503: the file is locked,
/// read-only or full, and the request may succeed later) or `Internal` (500). The area's
/// error enum must have both variants, holding the detail for the log.
macro_rules! from_sqlx_error {
    ($error:ident) => {
        impl From<sqlx::Error> for $error {
            fn from(e: sqlx::Error) -> Self {
                if $crate::db::is_unavailable(&e) {
                    $error::Unavailable(e.to_string())
                } else {
                    $error::Internal(e.to_string())
                }
            }
        }
    };
}

pub(crate) use from_sqlx_error;

/// What every operation answers: its JSON on success, or a refusal in the JSON error
/// format of the API it belongs to (`responses(Replies)` on each handler).
pub struct Replies;

impl IntoResponses for Replies {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let json = || {
            ContentBuilder::new()
                .schema(Some(serde_json::Value::schema()))
                .build()
        };
        ResponsesBuilder::new()
            .response(
                "200",
                ResponseBuilder::new()
                    .description("Success")
                    .content("application/json", json()),
            )
            .response(
                "4XX",
                ResponseBuilder::new()
                    .description("Refused, in the API's JSON error format")
                    .content("application/json", json()),
            )
            .build()
            .into()
    }
}
