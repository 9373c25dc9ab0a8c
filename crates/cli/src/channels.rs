//! `publish`, `subscribe` and `history`: channels from the command line,
//! through the same atomic publish and history routines the services use.

use asynchronio_bus::Bus;
use asynchronio_protocol::trace::TraceContext;
use asynchronio_protocol::{
    ChannelName, ChannelRules, ContentType, Envelope, EnvelopeDraft, Offset,
};
use asynchronio_service::telemetry::{MessageSpan, SpanKind};
use bytes::Bytes;
use serde::Serialize;

fn check(channel: &str) -> anyhow::Result<()> {
    ChannelName::parse(channel, &ChannelRules::default())?;
    Ok(())
}

pub async fn publish(
    bus: &Bus,
    channel: &str,
    data: String,
    idempotency_key: Option<&str>,
    trace: Option<TraceContext>,
) -> anyhow::Result<()> {
    check(channel)?;
    let mut draft = EnvelopeDraft::new(channel, Bytes::from(data));
    draft.publisher = Some("cli".into());
    let span = MessageSpan::stamp(
        "publish",
        SpanKind::Producer,
        trace,
        channel,
        Vec::new(),
        &mut draft.headers,
    );
    let published = bus.publish(&draft, idempotency_key).await?;
    drop(span);
    let note = if published.duplicate {
        " (duplicate: already published)"
    } else {
        ""
    };
    emit!(
        "published to {channel} at offset {}{note}",
        published.offset
    );
    Ok(())
}

/// A message as `--json` prints it.
#[derive(Serialize)]
struct Line<'a> {
    channel: &'a str,
    offset: String,
    epoch: &'a str,
    ts: u64,
    data: serde_json::Value,
}

fn data_of(envelope: &Envelope) -> serde_json::Value {
    match envelope.content_type {
        ContentType::Json => serde_json::from_slice(&envelope.payload).unwrap_or_else(|_| {
            serde_json::Value::String(String::from_utf8_lossy(&envelope.payload).into_owned())
        }),
        _ => serde_json::Value::String(String::from_utf8_lossy(&envelope.payload).into_owned()),
    }
}

fn print_message(envelope: &Envelope, json: bool) {
    if json {
        let line = Line {
            channel: &envelope.channel,
            offset: Offset(envelope.offset).to_string(),
            epoch: &envelope.epoch,
            ts: envelope.ts,
            data: data_of(envelope),
        };
        if let Ok(text) = serde_json::to_string(&line) {
            emit!("{text}");
        }
    } else {
        emit!(
            "{} {}",
            crate::style::dim(&format!("#{}", envelope.offset)),
            String::from_utf8_lossy(&envelope.payload)
        );
    }
}

pub async fn history(bus: &Bus, channel: &str, limit: usize, json: bool) -> anyhow::Result<()> {
    check(channel)?;
    let mut messages = bus.history_newest_first(channel, Offset(0), limit).await?;
    messages.reverse();
    if json {
        let lines: Vec<Line<'_>> = messages
            .iter()
            .map(|e| Line {
                channel: &e.channel,
                offset: Offset(e.offset).to_string(),
                epoch: &e.epoch,
                ts: e.ts,
                data: data_of(e),
            })
            .collect();
        emit!("{}", serde_json::to_string(&lines)?);
        return Ok(());
    }
    for envelope in &messages {
        print_message(envelope, false);
    }
    Ok(())
}

pub async fn subscribe(
    bus: &Bus,
    channel: &str,
    since: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    check(channel)?;
    let after = match since {
        Some(text) => text
            .parse::<Offset>()
            .map_err(|e| anyhow::anyhow!("--since {text:?}: {e}"))?,
        None => bus.position(channel).await?.offset,
    };
    follow(bus, channel, after, |envelope| {
        print_message(envelope, json)
    })
    .await
}

/// Prints every message after `after`, then live ones, in offset order
/// without gaps or repeats (gaps are filled from history), until Ctrl-C.
pub async fn follow(
    bus: &Bus,
    channel: &str,
    after: Offset,
    mut print: impl FnMut(&Envelope),
) -> anyhow::Result<()> {
    let subscriber = bus.subscriber("asynchronio cli subscribe").await?;
    let mut messages = subscriber.messages();
    bus.subscribe_topics(&subscriber, vec![bus.keys().topic(channel)])
        .await?;
    let mut last = after;
    for envelope in bus.history(channel, last, None, 10_000).await? {
        last = Offset(envelope.offset);
        print(&envelope);
    }
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(()),
            message = messages.recv() => {
                let message = match message {
                    Ok(message) => message,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => anyhow::bail!("lost the Redis subscription"),
                };
                let Some(bytes) = message.payload() else { continue };
                let Ok(envelope) = Envelope::decode(bytes) else { continue };
                if envelope.offset <= last.0 {
                    continue;
                }
                if envelope.offset > last.0 + 1 {
                    for missed in bus.history(channel, last, Some(Offset(envelope.offset - 1)), 10_000).await? {
                        print(&missed);
                    }
                }
                last = Offset(envelope.offset);
                print(&envelope);
            }
        }
    }
}
