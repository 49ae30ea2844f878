//! Made-up credentials: header bytes, SDK-HMAC-SHA256 shapes from real and broken
//! parts, dates near and far, and the real token altered.

use proptest::prelude::*;

/// Bytes a header value may hold (visible ASCII, space, tab, obs-text).
fn header_bytes() -> impl Strategy<Value = Vec<u8>> + Clone {
    prop::collection::vec(
        prop_oneof![8 => 0x20u8..0x7f, 1 => Just(b'\t'), 1 => 0x80u8..=0xff],
        0..96,
    )
}

fn sdk_date(offset_secs: i64) -> String {
    (time::OffsetDateTime::now_utc() + time::Duration::seconds(offset_secs))
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .expect("format date")
}

/// Authorization headers: garbage, SDK-HMAC-SHA256 shapes assembled from real and
/// broken parts (the demo access key included), other schemes.
pub(super) fn authorization(access: String) -> impl Strategy<Value = Vec<u8>> {
    let hex = prop::collection::vec(0u8..16, 0..80)
        .prop_map(|v| v.iter().map(|d| format!("{d:x}")).collect::<String>());
    let text = header_bytes().prop_map(|b| String::from_utf8_lossy(&b).into_owned());
    let ak = access.clone();
    let part = prop_oneof![
        Just(format!("Access={access}")),
        Just("Access=".to_owned()),
        text.clone().prop_map(|t| format!("Access={t}")),
        Just("SignedHeaders=content-type;host;x-sdk-date".to_owned()),
        Just("SignedHeaders=".to_owned()),
        Just("SignedHeaders=Host;;X-Sdk-Date".to_owned()),
        text.clone().prop_map(|t| format!("SignedHeaders={t}")),
        hex.clone().prop_map(|h| format!("Signature={h}")),
        Just("Signature=".to_owned()),
        text.clone(),
    ];
    let scheme = prop::sample::select(vec![
        "SDK-HMAC-SHA256",
        "sdk-hmac-sha256",
        "SDK-HMAC-SHA1",
        "Bearer",
        "Basic",
        "",
    ]);
    let assembled = (
        scheme,
        prop::collection::vec(part, 0..5),
        prop::sample::select(vec![", ", ",", " ", ";"]),
    )
        .prop_map(|(scheme, parts, sep)| format!("{scheme} {}", parts.join(sep)).into_bytes());
    // Everything right but the signature.
    let almost = (
        prop::sample::select(vec![
            "content-type;host;x-sdk-date",
            "host;x-sdk-date",
            "x-sdk-date",
            "host",
        ]),
        hex,
    )
        .prop_map(move |(signed, sig)| {
            format!("SDK-HMAC-SHA256 Access={ak}, SignedHeaders={signed}, Signature={sig}")
                .into_bytes()
        });
    prop_oneof![3 => assembled, 2 => almost, 1 => header_bytes()]
}

pub(super) fn date_header() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop::option::weighted(
        0.8,
        prop_oneof![
            4 => Just(sdk_date(0).into_bytes()),
            1 => prop::sample::select(vec![-100_000i64, -1000, 1000, 100_000_000])
                .prop_map(|o| sdk_date(o).into_bytes()),
            1 => prop::sample::select(vec![
                "99991231T235959Z", "00000101T000000Z", "20260230T000000Z", "2026-01-01T00:00:00Z",
                "20260101T000000", "",
            ])
            .prop_map(|s| s.as_bytes().to_vec()),
            1 => header_bytes(),
        ],
    )
}

/// Tokens: garbage, token-like prefixes, and the real token with one character changed,
/// cut short or extended.
pub(super) fn token_header(real: String) -> impl Strategy<Value = Vec<u8>> {
    let n = real.len();
    let (flip, cut, extend) = (real.clone(), real.clone(), real);
    prop_oneof![
        header_bytes(),
        header_bytes().prop_map(|b| [b"MII".as_slice(), &b].concat()),
        (
            0..n,
            prop::sample::select(vec!['A', 'z', '0', '+', '-', '/'])
        )
            .prop_filter_map("a different character", move |(i, c)| {
                let mut t = flip.clone().into_bytes();
                (t[i] != c as u8).then(|| {
                    t[i] = c as u8;
                    t
                })
            }),
        (0..n).prop_map(move |i| cut.as_bytes()[..i].to_vec()),
        prop::sample::select(vec!["x", "0", "==", "%00"])
            .prop_map(move |s| format!("{extend}{s}").into_bytes()),
    ]
}
