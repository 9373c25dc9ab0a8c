//! The ledger of publishes (acknowledged or not), what each subscriber
//! received, and the check of one against the other.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

/// How a message was published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Path {
    /// `POST /api/v1/channels/{channel}/messages` with `Idempotency-Key`,
    /// retried with the same key until acknowledged.
    RestKeyed,
    /// The same without a key, tried once.
    RestUnkeyed,
    /// `XADD {prefix}:ingest`, tried once.
    Ingest,
    /// `PUBLISH {prefix}:publish:{channel}`, tried once; acknowledged when
    /// a bridge heard it (at most once).
    Raw,
    /// A client's `publish` frame, tried once.
    ClientFrame,
}

impl Path {
    /// Every path, in report order.
    pub const ALL: [Path; 5] = [
        Path::RestKeyed,
        Path::RestUnkeyed,
        Path::Ingest,
        Path::Raw,
        Path::ClientFrame,
    ];

    /// The name ids and the report use.
    pub fn name(self) -> &'static str {
        match self {
            Path::RestKeyed => "rest-keyed",
            Path::RestUnkeyed => "rest",
            Path::Ingest => "ingest",
            Path::Raw => "raw-publish",
            Path::ClientFrame => "client-frame",
        }
    }

    /// The path of a message id (`{path}-{n}`).
    pub fn of_id(id: &str) -> Option<Path> {
        let (name, _) = id.rsplit_once('-')?;
        Path::ALL.into_iter().find(|path| path.name() == name)
    }

    /// Whether an acknowledged message of this path must arrive: all but
    /// raw PUBLISH, which is at most once.
    pub fn must_arrive(self) -> bool {
        self != Path::Raw
    }

    /// Whether this path promises to store a message once even when the
    /// publisher or a service retries: keyed REST and the ingest stream
    /// (keyed by entry id). The others may store twice after a retry the
    /// publisher could not see (docs/guarantees.md).
    pub fn stored_once(self) -> bool {
        matches!(self, Path::RestKeyed | Path::Ingest)
    }
}

/// One publish attempt.
#[derive(Debug, Clone)]
pub struct Publish {
    /// The message id, in its data.
    pub id: String,
    /// The channel.
    pub channel: String,
    /// Whether the publisher got an acknowledgement.
    pub acked: bool,
    /// The offset the acknowledgement gave, where it gives one.
    pub offset: Option<u64>,
}

/// Publishes, and the longest time any publisher could not publish.
#[derive(Default)]
pub struct Ledger {
    publishes: Mutex<Vec<Publish>>,
    outages: Mutex<BTreeMap<Path, Duration>>,
}

impl Ledger {
    /// Records one publish attempt.
    pub fn record(&self, publish: Publish) {
        if let Ok(mut publishes) = self.publishes.lock() {
            publishes.push(publish);
        }
    }

    /// Records that `path` could not publish for `outage`.
    pub fn outage(&self, path: Path, outage: Duration) {
        if let Ok(mut outages) = self.outages.lock() {
            let longest = outages.entry(path).or_default();
            *longest = (*longest).max(outage);
        }
    }

    /// Every attempt so far.
    pub fn publishes(&self) -> Vec<Publish> {
        self.publishes.lock().map(|p| p.clone()).unwrap_or_default()
    }

    /// The longest outage of each path.
    pub fn outages(&self) -> BTreeMap<Path, Duration> {
        self.outages.lock().map(|o| o.clone()).unwrap_or_default()
    }
}

/// What one subscriber received on one channel, in arrival order:
/// (offset, message id).
pub type Received = Vec<(u64, String)>;

/// The figures of one path.
#[derive(Debug, Default, Clone)]
pub struct PathFigures {
    /// Publish attempts.
    pub attempted: u64,
    /// Acknowledged publishes.
    pub acked: u64,
    /// (subscriber, acknowledged message) pairs that should arrive.
    pub expected: u64,
    /// Of those, arrived exactly once.
    pub delivered: u64,
    /// Acknowledged messages a subscriber never received.
    pub lost: u64,
    /// Deliveries of an offset a subscriber already had (a message stored
    /// twice is two offsets: see `stored_twice`).
    pub duplicated: u64,
    /// Messages stored at more than one offset.
    pub stored_twice: u64,
    /// Unacknowledged messages that arrived anyway.
    pub unacked_arrived: u64,
    /// Acknowledged with an offset it was never delivered at.
    pub wrong_offset: u64,
}

/// The check's outcome.
#[derive(Debug, Default)]
pub struct Check {
    /// Figures per path.
    pub paths: BTreeMap<Path, PathFigures>,
    /// Deliveries whose offset was below one delivered before.
    pub out_of_order: u64,
    /// Examples of what went wrong, for the log.
    pub examples: Vec<String>,
}

impl Check {
    fn example(&mut self, text: String) {
        if self.examples.len() < 20 {
            self.examples.push(text);
        }
    }
}

/// Checks every subscriber's deliveries against the ledger. `subscribers`
/// maps each subscriber to what it received per channel; `stored` is each
/// channel's stream at the end, as (offset, id).
pub fn check(
    publishes: &[Publish],
    subscribers: &[BTreeMap<String, Received>],
    stored: &BTreeMap<String, Vec<(u64, String)>>,
) -> Check {
    let mut check = Check::default();
    let by_id: HashMap<&str, &Publish> = publishes.iter().map(|p| (p.id.as_str(), p)).collect();
    for publish in publishes {
        let Some(path) = Path::of_id(&publish.id) else {
            continue;
        };
        let figures = check.paths.entry(path).or_default();
        figures.attempted += 1;
        figures.acked += u64::from(publish.acked);
    }
    // Stored twice: one id at two offsets of its channel's stream.
    for (channel, entries) in stored {
        let mut offsets: HashMap<&str, Vec<u64>> = HashMap::new();
        for (offset, id) in entries {
            offsets.entry(id).or_default().push(*offset);
        }
        for (id, offsets) in offsets {
            if offsets.len() > 1
                && let Some(path) = Path::of_id(id)
            {
                check.paths.entry(path).or_default().stored_twice += 1;
                check.example(format!("{id} stored at offsets {offsets:?} of {channel}"));
            }
        }
    }
    for (index, received) in subscribers.iter().enumerate() {
        for (channel, deliveries) in received {
            let mut previous = 0;
            let mut offsets_seen: HashSet<u64> = HashSet::new();
            // Each id's offsets as delivered (two when it was stored twice).
            let mut offsets_of: HashMap<&str, Vec<u64>> = HashMap::new();
            for (offset, id) in deliveries {
                let path = Path::of_id(id);
                if !offsets_seen.insert(*offset) {
                    if let Some(path) = path {
                        check.paths.entry(path).or_default().duplicated += 1;
                    }
                    check.example(format!(
                        "subscriber {index} got offset {offset} of {channel} ({id}) again"
                    ));
                } else if *offset < previous {
                    check.out_of_order += 1;
                    check.example(format!(
                        "subscriber {index} got offset {offset} of {channel} after {previous}"
                    ));
                }
                previous = previous.max(*offset);
                offsets_of.entry(id).or_default().push(*offset);
            }
            for (id, offsets) in &offsets_of {
                let Some(path) = Path::of_id(id) else {
                    continue;
                };
                let figures = check.paths.entry(path).or_default();
                match by_id.get(id) {
                    Some(publish) if publish.acked => {
                        if publish
                            .offset
                            .is_some_and(|acked| !offsets.contains(&acked))
                        {
                            figures.wrong_offset += 1;
                            check.example(format!(
                                "{id} acknowledged at {:?}, delivered at {offsets:?}",
                                publish.offset
                            ));
                        }
                    }
                    _ => figures.unacked_arrived += 1,
                }
            }
            for publish in publishes
                .iter()
                .filter(|p| p.acked && &p.channel == channel)
            {
                let Some(path) = Path::of_id(&publish.id) else {
                    continue;
                };
                let figures = check.paths.entry(path).or_default();
                figures.expected += 1;
                if offsets_of.contains_key(publish.id.as_str()) {
                    figures.delivered += 1;
                } else {
                    figures.lost += 1;
                    if path.must_arrive() {
                        let text = format!(
                            "subscriber {index} never got {} of {channel} (acknowledged at offset {:?})",
                            publish.id, publish.offset
                        );
                        check.example(text);
                    }
                }
            }
        }
    }
    check
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acked(id: &str, channel: &str, offset: u64) -> Publish {
        Publish {
            id: id.to_owned(),
            channel: channel.to_owned(),
            acked: true,
            offset: Some(offset),
        }
    }

    fn got(deliveries: &[(u64, &str)]) -> BTreeMap<String, Received> {
        let received = deliveries
            .iter()
            .map(|(offset, id)| (*offset, (*id).to_owned()))
            .collect();
        BTreeMap::from([("c".to_owned(), received)])
    }

    #[test]
    fn the_check_finds_losses_duplicates_disorder_and_double_storage() {
        let publishes = vec![
            acked("rest-keyed-1", "c", 1),
            acked("rest-keyed-2", "c", 2),
            acked("ingest-1", "c", 3),
            Publish {
                id: "rest-1".to_owned(),
                channel: "c".to_owned(),
                acked: false,
                offset: None,
            },
        ];
        let whole = got(&[(1, "rest-keyed-1"), (2, "rest-keyed-2"), (3, "ingest-1")]);
        let faulty = got(&[
            (2, "rest-keyed-2"),
            (1, "rest-keyed-1"),
            (4, "rest-1"),
            (5, "rest-1"),
            (5, "rest-1"),
        ]);
        let stored = BTreeMap::from([(
            "c".to_owned(),
            vec![
                (1, "rest-keyed-1".to_owned()),
                (2, "rest-keyed-2".to_owned()),
                (3, "ingest-1".to_owned()),
                (4, "rest-1".to_owned()),
                (5, "rest-1".to_owned()),
            ],
        )]);
        let check = check(&publishes, &[whole, faulty], &stored);
        let keyed = &check.paths[&Path::RestKeyed];
        assert_eq!((keyed.attempted, keyed.acked), (2, 2));
        assert_eq!((keyed.expected, keyed.delivered, keyed.lost), (4, 4, 0));
        let ingest = &check.paths[&Path::Ingest];
        assert_eq!((ingest.expected, ingest.delivered, ingest.lost), (2, 1, 1));
        let unkeyed = &check.paths[&Path::RestUnkeyed];
        assert_eq!(unkeyed.unacked_arrived, 1);
        assert_eq!(unkeyed.duplicated, 1, "offset 5 twice to one subscriber");
        assert_eq!(unkeyed.stored_twice, 1);
        assert_eq!(check.out_of_order, 1);
    }

    #[test]
    fn a_delivery_at_another_offset_than_acknowledged_is_counted() {
        let publishes = vec![acked("client-frame-1", "c", 7)];
        let check = check(
            &publishes,
            &[got(&[(8, "client-frame-1")])],
            &BTreeMap::new(),
        );
        assert_eq!(check.paths[&Path::ClientFrame].wrong_offset, 1);
    }

    #[test]
    fn ids_name_their_path() {
        assert_eq!(Path::of_id("rest-keyed-12"), Some(Path::RestKeyed));
        assert_eq!(Path::of_id("rest-12"), Some(Path::RestUnkeyed));
        assert_eq!(Path::of_id("raw-publish-1"), Some(Path::Raw));
        assert_eq!(Path::of_id("nonsense"), None);
    }
}
