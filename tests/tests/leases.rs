//! The bus's lease keeper and heartbeat registry against a real Redis: one
//! owner at a time, the lease moving when its owner gives it back or stops
//! renewing, what counts as lost ([`LeaseLoss`]), and members dropping out
//! of a heartbeat registry when they leave or stop beating.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use asynchronio_bus::{Bus, BusError, Heartbeat, Lease, LeaseLoss};
use asynchronio_e2e::RedisServer;
use tokio_util::sync::CancellationToken;

const TTL: Duration = Duration::from_millis(900);

fn lease(owner: &str) -> Lease {
    Lease {
        key: "lease-test:lease".into(),
        owner: owner.into(),
        ttl: TTL,
    }
}

/// Waits up to `limit` for `condition`.
async fn eventually(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    condition()
}

#[tokio::test]
async fn one_owner_at_a_time_and_the_lease_moves_when_given_back() {
    let redis = RedisServer::start();
    let bus = redis.bus().await;
    let mut first = bus.keep_lease(lease("first"), LeaseLoss::WhenUnsure);
    tokio::time::timeout(TTL, first.gained())
        .await
        .expect("a free lease is taken at once");
    let mut second = bus.keep_lease(lease("second"), LeaseLoss::WhenUnsure);
    tokio::time::sleep(TTL).await;
    assert!(first.is_held() && !second.is_held(), "one owner at a time");
    assert_eq!(redis.cli(&["GET", "lease-test:lease"]), "first");

    first.release().await;
    tokio::time::timeout(TTL, second.gained())
        .await
        .expect("the other owner takes a given-back lease within a renewal period");
    assert_eq!(redis.cli(&["GET", "lease-test:lease"]), "second");

    // Taking waits up to its patience, then names the holder.
    let taken = bus
        .take_lease(
            lease("third"),
            LeaseLoss::WhenTaken,
            Duration::from_millis(300),
        )
        .await;
    match taken {
        Err(BusError::LeaseHeld { holder, .. }) => assert_eq!(holder, "second"),
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("took a lease another owner holds"),
    }

    // Renewal stopped: the lease expires and a waiting taker gets it.
    second.stop_renewing();
    let third = bus
        .take_lease(lease("third"), LeaseLoss::WhenTaken, TTL * 2)
        .await
        .expect("taken once the stopped owner's lease expired");
    assert!(third.is_held());
    drop(second);
    third.release().await;
    assert_eq!(redis.cli(&["EXISTS", "lease-test:lease"]), "0");
}

#[tokio::test]
async fn work_runs_only_while_the_lease_is_held() {
    let redis = RedisServer::start();
    let bus = redis.bus().await;
    let stop = CancellationToken::new();
    let started = Arc::new(AtomicUsize::new(0));
    let running = Arc::new(AtomicUsize::new(0));
    let keeper = bus.keep_lease(lease("worker"), LeaseLoss::WhenUnsure);
    let task = tokio::spawn({
        let (stop, started, running) = (stop.clone(), started.clone(), running.clone());
        async move {
            keeper
                .run_while_held(&stop, |held| {
                    let (started, running) = (started.clone(), running.clone());
                    async move {
                        started.fetch_add(1, Ordering::SeqCst);
                        running.fetch_add(1, Ordering::SeqCst);
                        held.cancelled().await;
                        running.fetch_sub(1, Ordering::SeqCst);
                    }
                })
                .await;
        }
    });
    assert!(eventually(TTL, || running.load(Ordering::SeqCst) == 1).await);

    // Another owner takes the lease (as after an expiry): the work stops
    // at the next renewal, and starts again once the lease is free.
    redis.cli(&["SET", "lease-test:lease", "intruder", "PX", "1200"]);
    assert!(
        eventually(TTL, || running.load(Ordering::SeqCst) == 0).await,
        "the work stops when the lease is lost"
    );
    assert!(
        eventually(TTL * 3, || started.load(Ordering::SeqCst) == 2
            && running.load(Ordering::SeqCst) == 1)
        .await,
        "the work starts again when the lease is taken again"
    );

    stop.cancel();
    tokio::time::timeout(Duration::from_secs(3), task)
        .await
        .expect("run_while_held returns at stop")
        .expect("no panic");
    assert_eq!(running.load(Ordering::SeqCst), 0);
    assert_eq!(
        redis.cli(&["EXISTS", "lease-test:lease"]),
        "0",
        "given back at stop"
    );
}

#[tokio::test]
async fn a_redis_outage_loses_the_lease_only_when_unsure() {
    let mut redis = RedisServer::start();
    let bus = redis.bus().await;
    let mut unsure = bus.keep_lease(
        Lease {
            key: "lease-test:unsure".into(),
            ..lease("a")
        },
        LeaseLoss::WhenUnsure,
    );
    let mut taken = bus.keep_lease(
        Lease {
            key: "lease-test:taken".into(),
            ..lease("a")
        },
        LeaseLoss::WhenTaken,
    );
    tokio::time::timeout(TTL, unsure.gained())
        .await
        .expect("held");
    tokio::time::timeout(TTL, taken.gained())
        .await
        .expect("held");
    redis.kill();
    tokio::time::timeout(Duration::from_secs(10), unsure.lost())
        .await
        .expect("a failed renewal loses a WhenUnsure lease");
    assert!(taken.is_held(), "a WhenTaken lease survives the outage");
}

#[tokio::test]
async fn heartbeats_count_live_members_and_drop_leavers() {
    let redis = RedisServer::start();
    let bus: Bus = redis.bus().await;
    let member = |name: &str, ttl: Duration| Heartbeat {
        registry: "lease-test:members".into(),
        member: name.into(),
        ttl,
    };
    assert_eq!(
        bus.beat(&member("a", Duration::from_secs(60)))
            .await
            .expect("beat"),
        1
    );
    assert_eq!(
        bus.beat(&member("short", Duration::from_millis(200)))
            .await
            .expect("beat"),
        2
    );
    assert_eq!(
        bus.beat(&member("b", Duration::from_secs(60)))
            .await
            .expect("beat"),
        3
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let live = bus.live_members("lease-test:members").await.expect("live");
    assert_eq!(
        live.len(),
        2,
        "a member that stopped beating is not live: {live:?}"
    );
    bus.leave(&member("b", Duration::ZERO))
        .await
        .expect("leave");
    // The next beat prunes the expired member.
    assert_eq!(
        bus.beat(&member("a", Duration::from_secs(60)))
            .await
            .expect("beat"),
        1
    );
}
