//! The watcher WebSocket: a consumer sees its providers' instances come and go (register,
//! update, deregister, lease expiry, force delete) as Service Center's events; 200
//! watchers at once all hear; closed sockets leave nothing behind.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::*;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(srv: &TestServer, consumer: &str) -> Socket {
    let url = format!("ws://{}{BASE}/microservices/{consumer}/watcher", srv.addr);
    let mut request = url.into_client_request().expect("request");
    request
        .headers_mut()
        .insert("X-Domain-Name", "default".parse().expect("header"));
    let (socket, response) = tokio_tungstenite::connect_async(request)
        .await
        .expect("the upgrade");
    assert_eq!(response.status(), 101);
    socket
}

/// The next text frame, within a few seconds.
async fn next_event(socket: &mut Socket) -> Value {
    let deadline = Duration::from_secs(5);
    loop {
        let frame = tokio::time::timeout(deadline, socket.next())
            .await
            .expect("an event in time")
            .expect("the socket is open")
            .expect("a frame");
        if let Message::Text(text) = frame {
            return serde_json::from_str(text.as_str()).expect("JSON event");
        }
    }
}

/// A consumer that found its provider (which records the dependency), and the provider.
async fn consumer_and_provider(reg: &RegistryClient) -> (String, String) {
    let consumer = reg.create_service("shop", "cart", "1.0.0").await;
    let provider = reg.create_service("shop", "stock", "1.0.0").await;
    let found = reg
        .find("appId=shop&serviceName=stock", Some(&consumer))
        .await;
    assert_eq!(found.status, 200, "{}", found.text);
    (consumer, provider)
}

#[tokio::test]
async fn a_plain_get_is_a_json_400_and_an_unknown_consumer_is_told_so() {
    let (srv, reg) = server().await;
    let reply = reg.get("/microservices/anything/watcher").await;
    assert_error(&reply, 400, "400001");
    let mut socket = connect(&srv, "no-such-service").await;
    let frame = tokio::time::timeout(Duration::from_secs(5), socket.next())
        .await
        .expect("in time")
        .expect("a frame")
        .expect("readable");
    assert_eq!(frame, Message::Text("service does not exist".into()));
}

#[tokio::test]
async fn a_watcher_sees_its_providers_instances_come_and_go() {
    let (srv, reg) = server().await;
    let (consumer, provider) = consumer_and_provider(&reg).await;
    let unrelated = reg.create_service("shop", "mail", "1.0.0").await;
    let mut socket = connect(&srv, &consumer).await;

    let first = reg.register(&provider, instance_body(1)).await;
    // Not a provider of this consumer: nothing for it.
    reg.register(&unrelated, instance_body(9)).await;
    let created = next_event(&mut socket).await;
    assert_eq!(created["action"], "CREATE");
    assert_eq!(
        created["key"],
        json!({"tenant": "default/default", "appId": "shop", "serviceName": "stock", "version": "1.0.0"})
    );
    assert_eq!(created["instance"]["instanceId"], first.as_str());
    assert_eq!(created["instance"]["status"], "UP");

    let path = format!("/microservices/{provider}/instances/{first}");
    assert_eq!(
        reg.put(&format!("{path}/status?value=DOWN"), None)
            .await
            .status,
        200
    );
    let updated = next_event(&mut socket).await;
    assert_eq!(
        (
            updated["action"].as_str(),
            updated["instance"]["status"].as_str()
        ),
        (Some("UPDATE"), Some("DOWN"))
    );
    assert_eq!(
        reg.put(
            &format!("{path}/properties"),
            Some(json!({"properties": {"zone": "b"}}))
        )
        .await
        .status,
        200
    );
    let updated = next_event(&mut socket).await;
    assert_eq!(updated["instance"]["properties"]["zone"], "b");
    // The batch status route, by property match: one UPDATE per instance it changed.
    let reply = reg
        .put(
            "/instances/status",
            Some(json!({"matches": {"properties": {"zone": "b"}}, "status": "UP"})),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let batch = next_event(&mut socket).await;
    assert_eq!(
        (
            batch["action"].as_str(),
            batch["instance"]["status"].as_str()
        ),
        (Some("UPDATE"), Some("UP"))
    );

    assert_eq!(reg.delete(&path).await.status, 200);
    let deleted = next_event(&mut socket).await;
    assert_eq!(
        (
            deleted["action"].as_str(),
            deleted["instance"]["instanceId"].as_str()
        ),
        (Some("DELETE"), Some(first.as_str()))
    );

    // Lease expiry, on the advanced clock: the reaper tells the watcher.
    let short = reg.register(&provider, instance_body(2)).await;
    assert_eq!(next_event(&mut socket).await["action"], "CREATE");
    let reply = srv
        .admin()
        .send(
            Method::POST,
            "/_cloudtwin/clock",
            Some(&json!({"advance_secs": 600})),
        )
        .await;
    assert_eq!(reply.status, 200);
    let expired = next_event(&mut socket).await;
    assert_eq!(
        (
            expired["action"].as_str(),
            expired["instance"]["instanceId"].as_str()
        ),
        (Some("DELETE"), Some(short.as_str()))
    );

    // A force delete of the provider: its live instances, as they were.
    let last = reg.register(&provider, instance_body(3)).await;
    assert_eq!(next_event(&mut socket).await["action"], "CREATE");
    assert_eq!(
        reg.delete(&format!("/microservices/{provider}?force=true"))
            .await
            .status,
        200
    );
    let gone = next_event(&mut socket).await;
    assert_eq!(
        (
            gone["action"].as_str(),
            gone["instance"]["instanceId"].as_str()
        ),
        (Some("DELETE"), Some(last.as_str()))
    );
    socket.close(None).await.expect("close");
}

/// The console overview's count of open watch sockets.
async fn watching(srv: &TestServer) -> String {
    let html = srv
        .client
        .get(srv.url("/_cloudtwin/console/"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    let at = html.find("id=\"watchers\">").expect("the watcher count") + "id=\"watchers\">".len();
    html[at..].split('<').next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn two_hundred_watchers_all_hear_and_leave_nothing_behind() {
    let (srv, reg) = server().await;
    let (consumer, provider) = consumer_and_provider(&reg).await;
    let mut sockets = Vec::with_capacity(200);
    for _ in 0..200 {
        sockets.push(connect(&srv, &consumer).await);
    }
    assert_eq!(watching(&srv).await, "200");
    let id = reg.register(&provider, instance_body(1)).await;
    for socket in &mut sockets {
        let event = next_event(socket).await;
        assert_eq!(event["instance"]["instanceId"], id.as_str());
    }
    for mut socket in sockets {
        socket.close(None).await.expect("close");
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while watching(&srv).await != "0" {
        assert!(
            tokio::time::Instant::now() < deadline,
            "closed sockets still subscribed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn heartbeat_socket(srv: &TestServer, service: &str, instance: &str) -> Socket {
    let url = format!(
        "ws://{}{BASE}/microservices/{service}/instances/{instance}/heartbeat",
        srv.addr
    );
    let (socket, response) = tokio_tungstenite::connect_async(url)
        .await
        .expect("the upgrade");
    assert_eq!(response.status(), 101);
    socket
}

#[tokio::test]
async fn an_unknown_instance_is_closed_with_4001() {
    let (srv, reg) = server().await;
    let sid = reg.create_service("hb", "svc", "1.0.0").await;
    let mut socket = heartbeat_socket(&srv, &sid, "no-such-instance").await;
    let frame = tokio::time::timeout(Duration::from_secs(5), socket.next())
        .await
        .expect("in time")
        .expect("a frame")
        .expect("readable");
    let Message::Close(Some(close)) = frame else {
        panic!("expected a close frame, got {frame:?}");
    };
    assert_eq!(u16::from(close.code), 4001);
    assert_eq!(
        close.reason.as_str(),
        "heartbeat reporting failed because the instance does not exist"
    );
}

#[tokio::test]
async fn pongs_keep_the_lease_while_the_socket_lives() {
    let (srv, reg) = server_with(|s| s.registry.websocket_ping_ms = 100).await;
    let sid = reg.create_service("hb", "svc", "1.0.0").await;
    // A lease of 1 s × (1 + 1).
    let iid = reg
        .register(
            &sid,
            json!({"instance": {"hostName": "h", "endpoints": ["rest://a:1"],
                   "healthCheck": {"mode": "push", "interval": 1, "times": 1}}}),
        )
        .await;
    let mut socket = heartbeat_socket(&srv, &sid, &iid).await;
    // Reading answers the server's pings with pongs (tungstenite does it on read).
    let reading = tokio::time::timeout(Duration::from_secs(3), async {
        while let Some(Ok(_)) = socket.next().await {}
    })
    .await;
    assert!(reading.is_err(), "the socket stayed open");
    let listed = reg.find("appId=hb&serviceName=svc", None).await;
    assert_eq!(
        ids(&listed.json["instances"], "instanceId"),
        std::slice::from_ref(&iid),
        "kept alive past its 2 s lease"
    );
    drop(socket);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let listed = reg.find("appId=hb&serviceName=svc", None).await;
        if ids(&listed.json["instances"], "instanceId").is_empty() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the lease outlived the socket"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
