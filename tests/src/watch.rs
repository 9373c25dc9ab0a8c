//! The hostile suite's witness: a client subscribed to one channel while a
//! publisher keeps publishing to it. Whatever a hostile case does to the
//! services, [`Watch::finish`] asserts the witness still received every
//! message, once, in offset order.

use std::time::Duration;

use asynchronio_bus::Bus;
use asynchronio_protocol::{Codec, EnvelopeDraft};
use bytes::Bytes;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::WsClient;

/// The channel the witness follows.
pub const WATCH_CHANNEL: &str = "hostile-watch";

/// A subscribed witness and the publisher feeding it.
pub struct Watch {
    client: WsClient,
    stop: watch::Sender<bool>,
    publisher: JoinHandle<u64>,
}

impl Watch {
    /// Subscribes a witness on `gateway_ws_url` and starts publishing to
    /// [`WATCH_CHANNEL`] through `bus` every few milliseconds.
    pub async fn start(gateway_ws_url: &str, bus: Bus) -> Watch {
        let mut client = WsClient::connect(gateway_ws_url, Codec::Json).await;
        client.subscribe(WATCH_CHANNEL, None).await;
        let (stop, stopped) = watch::channel(false);
        let publisher = tokio::spawn(keep_publishing(bus, stopped));
        Watch {
            client,
            stop,
            publisher,
        }
    }

    /// A witness on a gateway of its own, started against `redis`; keep the
    /// gateway for as long as the witness.
    pub async fn on_new_gateway(redis: &crate::RedisServer) -> (crate::Service, Watch) {
        let gateway = crate::Service::gateway(&redis.url(), &[]);
        let watch = Watch::start(&gateway.ws_url(), redis.bus().await).await;
        (gateway, watch)
    }

    /// Stops the publisher and asserts that the witness received offsets
    /// 1..=sent, each once and in order. `case` names the test in failures.
    pub async fn finish(mut self, case: &str) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let _ = self.stop.send(true);
        let sent = match self.publisher.await {
            Ok(sent) => sent,
            Err(error) => panic!("{case}: the watch publisher failed: {error}"),
        };
        assert!(sent > 0, "{case}: the watch publisher never published");
        for expected in 1..=sent {
            let (_, offset, _, _) = self.client.message().await;
            assert_eq!(
                offset, expected,
                "{case}: the witness missed or repeated a message"
            );
        }
    }
}

async fn keep_publishing(bus: Bus, stop: watch::Receiver<bool>) -> u64 {
    let mut sent = 0;
    while !*stop.borrow() {
        let draft = EnvelopeDraft::new(WATCH_CHANNEL, Bytes::from(format!("{sent}")));
        if bus.publish(&draft, None).await.is_ok() {
            sent += 1;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    sent
}
