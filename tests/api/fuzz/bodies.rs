//! Generated JSON: nasty strings and numbers, arbitrary documents, near-valid
//! mutations of an endpoint's valid body, and raw texts that are not JSON at all.

use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Strings that parsers trip on: empty, blank, control characters, NUL, unicode of
/// every width, very long ones, and the enum words the endpoints know.
fn nasty_string() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => any::<String>(),
        1 => Just(String::new()),
        1 => Just("   ".to_owned()),
        1 => Just("\u{0}\u{1}\t\n".to_owned()),
        1 => Just("🦀 ünïcödé 中文 \u{202e}".to_owned()),
        1 => (1usize..5000).prop_map(|n| "é".repeat(n)),
        2 => prop::sample::select(vec![
            "LINUX", "WINDOWS", "MIGRATE_BLOCK", "replicate", "READY", "start", "clone_test",
            "1.0.0", "0.0.0+", "latest", "UP", "push", "BACK", "production", "true", "-1",
            "10.0.0.1", "::1", "rest://127.0.0.1:1", "has space", "a:b", "*",
        ])
        .prop_map(str::to_owned),
    ]
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(Value::from),
        prop::sample::select(vec![
            json!(0),
            json!(-1),
            json!(i64::MIN),
            json!(u64::MAX),
            json!(1e308),
            json!(-0.0),
            json!(65536),
            json!(2.5),
        ]),
    ]
}

fn arb_json(keys: Vec<String>) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        number(),
        nasty_string().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        let key = prop_oneof![
            3 => prop::sample::select(keys.clone()),
            1 => nasty_string(),
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key, inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Every path to a value inside `v` (object keys and array indices).
fn paths(v: &Value, prefix: Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let mut p = prefix.clone();
                p.push(json!(k));
                out.push(p.clone());
                paths(child, p, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let mut p = prefix.clone();
                p.push(json!(i));
                out.push(p.clone());
                paths(child, p, out);
            }
        }
        _ => {}
    }
}

pub(super) fn keys_of(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                out.push(k.clone());
                keys_of(child, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|c| keys_of(c, out)),
        _ => {}
    }
}

/// The same value of the wrong JSON type.
fn wrong_type(v: &Value) -> Value {
    match v {
        Value::String(s) => s.parse::<f64>().map_or(json!(42), |_| json!([s])),
        Value::Number(n) => json!(n.to_string()),
        Value::Bool(b) => json!(b.to_string()),
        Value::Array(a) => json!({"0": a.first().cloned().unwrap_or(Value::Null)}),
        Value::Object(_) => json!([v.clone()]),
        Value::Null => json!({}),
    }
}

/// Replaces (mode 0), removes (1), retypes (2) the value at `path`, or adds a key (3).
fn mutate(mut template: Value, path: &[Value], mode: u8, replacement: Value) -> Value {
    let Some((last, parents)) = path.split_last() else {
        return replacement;
    };
    let mut node = &mut template;
    for seg in parents {
        node = match seg {
            Value::String(k) => &mut node[k.as_str()],
            Value::Number(i) => &mut node[i.as_u64().unwrap_or(0) as usize],
            _ => unreachable!(),
        };
    }
    match (node, last) {
        (Value::Object(map), Value::String(k)) => match mode {
            0 => {
                map.insert(k.clone(), replacement);
            }
            1 => {
                map.remove(k);
            }
            2 => {
                let retyped = wrong_type(&map[k]);
                map.insert(k.clone(), retyped);
            }
            _ => {
                map.insert(format!("{k}_extra"), replacement);
            }
        },
        (Value::Array(items), Value::Number(i)) => {
            let i = i.as_u64().unwrap_or(0) as usize;
            match mode {
                0 => items[i] = replacement,
                1 => {
                    items.remove(i);
                }
                2 => items[i] = wrong_type(&items[i]),
                _ => items.push(replacement),
            }
        }
        _ => {}
    }
    template
}

/// Raw texts that are not JSON, or JSON that parsers reject: deep nesting, numbers out
/// of every range, lone surrogates, trailing commas, a byte order mark.
fn raw_text() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        (1usize..4000, any::<bool>()).prop_map(|(depth, object)| {
            if object {
                format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth)).into_bytes()
            } else {
                format!("{}{}", "[".repeat(depth), "]".repeat(depth)).into_bytes()
            }
        }),
        prop::sample::select(vec![
            "",
            " ",
            "null",
            "{}",
            "[]",
            "\"text\"",
            "1e999",
            "-1e999",
            "18446744073709551616",
            "{\"ids\": [1e999]}",
            "{\"name\": 123456789012345678901234567890}",
            "{\"priority\": 1e400}",
            "{\"a\": \"\\ud800\"}",
            "\u{feff}{}",
            "{\"a\": 1,}",
            "{\"a\" 1}",
            "{'a': 1}",
            "\u{0}",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
    ]
}

pub(super) fn body_strategy(template: Value, keys: Vec<String>) -> BoxedStrategy<Vec<u8>> {
    let mut all = Vec::new();
    paths(&template, Vec::new(), &mut all);
    if all.is_empty() {
        all.push(Vec::new());
    }
    let near_valid = (prop::sample::select(all), 0u8..4, arb_json(keys.clone())).prop_map(
        move |(path, mode, replacement)| {
            serde_json::to_vec(&mutate(template.clone(), &path, mode, replacement))
                .expect("serialize")
        },
    );
    prop_oneof![
        4 => near_valid,
        3 => arb_json(keys).prop_map(|v| serde_json::to_vec(&v).expect("serialize")),
        2 => raw_text(),
    ]
    .boxed()
}

pub(super) fn content_type() -> impl Strategy<Value = Option<&'static str>> {
    prop_oneof![
        6 => Just(Some("application/json")),
        1 => Just(None),
        1 => Just(Some("text/plain")),
        1 => Just(Some("application/json; charset=latin1")),
    ]
}
