//! The dashboard's live data, published by exactly one rest-api replica at
//! a time (it holds a lease in Redis): `$sys:metrics` once a second, and the
//! processes table's render frames whenever `$sys:processes` reports a
//! change (at most ten times a second).

use std::sync::Arc;
use std::time::Duration;

use asynchronio_bus::{Bus, Lease, LeaseLoss, Messages, Subscriber};
use asynchronio_protocol::EnvelopeDraft;
use asynchronio_protocol::process::{METRICS_CHANNEL, PROCESSES_CHANNEL};
use asynchronio_protocol::system::PROCESSES_RENDER_CHANNEL;
use tokio_util::sync::CancellationToken;

use crate::dashboard::channel_meter::ChannelMeter;
use crate::dashboard::process_table::ProcessTable;
use crate::dashboard::templates::Templates;
use asynchronio_protocol::clock::now_ms;

/// How long the lease lives without renewal; renewed every third of it
/// (by the lease keeper).
const LEASE_TTL: Duration = Duration::from_secs(6);

/// Runs until `stop` is cancelled. Redis errors are logged and retried; they
/// never end the loop.
pub async fn run(bus: Bus, templates: Arc<Templates>, stop: CancellationToken) {
    let lease = Lease {
        key: bus.keys().dashboard_lease(),
        owner: format!("rest-api-{}", asynchronio_bus::random_secret()),
        ttl: LEASE_TTL,
    };
    // A failed renewal counts as lost: publishing stops at the first doubt.
    let mut lease = bus.keep_lease(lease, LeaseLoss::WhenUnsure);
    let mut held = false;
    let mut table = ProcessTable::default();
    let mut meter = ChannelMeter::default();
    let mut metrics = tokio::time::interval(Duration::from_secs(1));
    let mut render = tokio::time::interval(Duration::from_millis(100));
    // A full re-render now and then repairs anything a lost event hid.
    let mut resync = tokio::time::interval(Duration::from_secs(10));
    for timer in [&mut metrics, &mut render, &mut resync] {
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    }
    let mut changed = true;
    let mut events = None;
    loop {
        if events.is_none() {
            events = subscribe(&bus).await;
        }
        tokio::select! {
            () = stop.cancelled() => break,
            now = lease.changed() => {
                held = now;
                tracing::info!(held, "dashboard publisher lease");
                table.reset();
                changed = true;
            }
            _ = resync.tick() => changed = true,
            _ = metrics.tick(), if held => {
                match meter.sample(&bus, now_ms()).await {
                    Ok(event) => publish_json(&bus, METRICS_CHANNEL, &event).await,
                    Err(error) => tracing::warn!(%error, "cannot measure channel rates"),
                }
            }
            _ = render.tick(), if held && changed => {
                changed = false;
                if let Err(error) = render_rows(&bus, &templates, &mut table).await {
                    tracing::warn!(%error, "cannot publish the processes table; retrying");
                    table.reset();
                    changed = true;
                }
            }
            event = next_event(&mut events) => {
                if !event {
                    events = None;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                changed = true;
            }
        }
    }
    lease.release().await;
}

type Events = (Subscriber, Messages);

async fn subscribe(bus: &Bus) -> Option<Events> {
    let subscriber = match bus.subscriber("rest-api dashboard").await {
        Ok(subscriber) => subscriber,
        Err(error) => {
            tracing::warn!(%error, "cannot follow $sys:processes; retrying");
            return None;
        }
    };
    let messages = subscriber.messages();
    if let Err(error) = bus
        .subscribe_topics(&subscriber, vec![bus.keys().topic(PROCESSES_CHANNEL)])
        .await
    {
        tracing::warn!(%error, "cannot subscribe to $sys:processes; retrying");
        return None;
    }
    Some((subscriber, messages))
}

/// True on an event (or a lag, which also means "changed"), false when the
/// subscription is gone.
async fn next_event(events: &mut Option<Events>) -> bool {
    let Some((_, messages)) = events else {
        std::future::pending::<()>().await;
        return false;
    };
    !matches!(
        messages.recv().await,
        Err(tokio::sync::broadcast::error::RecvError::Closed)
    )
}

async fn render_rows(
    bus: &Bus,
    templates: &Templates,
    table: &mut ProcessTable,
) -> anyhow::Result<()> {
    let states = bus.process_states().await?;
    let fragments = table.update(templates, &states, now_ms())?;
    let drafts = fragments
        .iter()
        .map(|fragment| {
            let mut draft = fragment.draft(PROCESSES_RENDER_CHANNEL)?;
            draft.publisher = Some("rest-api".into());
            Ok(draft)
        })
        .collect::<Result<Vec<_>, asynchronio_protocol::render::FragmentError>>()?;
    for result in bus.publish_drafts(&drafts).await {
        result?;
    }
    Ok(())
}

async fn publish_json<T: serde::Serialize>(bus: &Bus, channel: &str, value: &T) {
    let Ok(draft) = EnvelopeDraft::json(channel, value, "rest-api") else {
        return;
    };
    if let Err(error) = bus.publish(&draft, None).await {
        tracing::warn!(%error, channel, "cannot publish; retrying next round");
    }
}
