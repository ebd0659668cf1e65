//! Races between trips, recoveries and the lock-free reads of a refusal.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use super::*;

/// A breaker that trips while the last probe is in flight tripped before the recovery finished:
/// the recovery closes it too.
#[test]
fn trip_during_the_last_probe_is_closed_by_the_recovery() {
    let f = Fixture::new(|c| c.failure_threshold(1).success_threshold(1));
    let first = f.breaker();
    let late = Arc::new(f.breaker());
    f.trip(&first);
    f.tasks.run();
    f.health.set_healthy(true);
    let (hook_late, clock) = (late.clone(), f.clock.clone());
    *f.health.hook.lock().unwrap() = Some(Box::new(move || {
        assert!(fail(&hook_late, &clock));
    }));
    f.advance(SEC);
    assert!(first.is_closed());
    assert!(late.is_closed());
    assert_eq!(f.group.stats().recovery_tasks_started, 1);
    assert!(!f.group.stats().recovering);
}

/// A breaker that trips just after a recovery finished gets a recovery of its own.
#[test]
fn trip_right_after_recovery_gets_its_own_recovery() {
    let f = Fixture::new(|c| c.failure_threshold(1).success_threshold(1));
    let (a, b) = (f.breaker(), f.breaker());
    f.trip(&a);
    f.tasks.run();
    f.health.set_healthy(true);
    f.advance(SEC);
    assert!(a.is_closed());
    f.trip(&b);
    assert_eq!(f.group.stats().recovery_tasks_started, 2);
    assert!(f.group.stats().recovering);
    f.advance_until(SEC, 60 * SEC, || b.is_closed());
    assert_eq!(f.group.stats().recoveries, 2);
}

/// The trip-during-finish race, forced: a breaker trips from inside an observer of another
/// breaker's recovery, after the group released the running recovery and before the others are
/// closed. It is owed a recovery of its own, and gets it.
#[test]
fn trip_while_the_recovery_closes_breakers_gets_a_new_recovery() {
    let f = Fixture::new(|c| c.failure_threshold(1).success_threshold(1));
    let (a, late) = (f.breaker(), Arc::new(f.breaker()));
    f.trip(&a);
    f.health.set_healthy(true);
    let (hook_late, clock) = (late.clone(), f.clock.clone());
    let armed = Mutex::new(true);
    f.group.on_event(move |e| {
        if e.kind == EventKind::Recovered && std::mem::take(&mut *armed.lock().unwrap()) {
            assert!(fail(&hook_late, &clock));
        }
    });
    f.advance_until(SEC, 10 * SEC, || a.is_closed());
    assert!(!late.is_closed());
    assert_eq!(f.group.stats().recovery_tasks_started, 2);
    f.advance_until(SEC, 10 * SEC, || late.is_closed());
    assert_eq!(f.group.stats().recoveries, 2);
    assert!(!f.group.stats().recovering);
}

/// Breakers trip on several threads while recovery runs and finishes over and over on another:
/// whatever the interleaving, every trip ends in a recovery.
#[test]
fn concurrent_trips_and_recoveries_never_strand_a_breaker() {
    let f = Fixture::new(|c| c.failure_threshold(1).success_threshold(1));
    f.health.set_healthy(true);
    let breakers: Vec<Breaker> = (0..4).map(|_| f.breaker()).collect();
    let done = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for b in &breakers {
            let (f, done) = (&f, &done);
            s.spawn(move || {
                for _ in 0..200 {
                    assert!(fail(b, &f.clock) || !b.is_closed());
                    let mut spins = 0u64;
                    while !b.is_closed() {
                        std::thread::yield_now();
                        spins += 1;
                        assert!(spins < 10_000_000, "stranded: {:?}", b.state());
                    }
                }
                done.fetch_add(1, SeqCst);
            });
        }
        while done.load(SeqCst) < breakers.len() {
            f.advance(SEC);
            std::thread::yield_now();
        }
    });
    assert!(breakers.iter().all(Breaker::is_closed));
    assert!(f.group.stats().recoveries >= 1);
}

/// Rejections read the trip without the lock while it is being replaced: each sees one whole
/// trip, never fields of two.
#[test]
fn rejections_see_whole_trips_while_the_breaker_trips_and_recovers() {
    const TRIPS: u32 = 200;
    let f = Fixture::new(|c| c.failure_threshold(1).success_threshold(1));
    f.health.set_healthy(true);
    let b = f.breaker();
    let base = f.clock.now();
    // Trip `i` happens `i` seconds after `base` with status `100 + i`.
    let nth = |i: u32| {
        (
            base + SEC * i,
            TripReason::Status {
                status: 100 + i as u16,
            },
        )
    };
    let done = AtomicBool::new(false);
    let rejected = AtomicUsize::new(0);
    let whole = |trip: &Trip| {
        let i = u32::try_from((trip.since - base).as_secs()).unwrap();
        assert_eq!(
            (trip.since, trip.reason),
            nth(i),
            "a trip stitched from two"
        );
    };
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                while !done.load(SeqCst) {
                    if let Err(e) = b.check() {
                        whole(e.trip());
                        rejected.fetch_add(1, SeqCst);
                    }
                    if let Some(trip) = b.state().trip() {
                        whole(trip);
                    }
                }
            });
        }
        let _stop = Stop(&done);
        for i in 0..TRIPS {
            let (since, reason) = nth(i);
            let before = rejected.load(SeqCst);
            let trip = b.check().unwrap().failure(since, reason).expect("trips");
            assert_eq!((trip.since, trip.reason), (since, reason));
            let mut spins = 0u64;
            while rejected.load(SeqCst) == before {
                std::thread::yield_now();
                spins += 1;
                assert!(spins < 10_000_000, "no reader saw trip {i}");
            }
            f.tasks.run();
            let mut rounds = 0;
            while !b.is_closed() {
                f.advance(SEC);
                std::thread::yield_now();
                rounds += 1;
                assert!(rounds < 100_000, "trip {i} not recovered: {:?}", b.state());
            }
        }
    });
    assert!(rejected.load(SeqCst) >= TRIPS as usize);
    assert_eq!(f.group.stats().recoveries, u64::from(TRIPS));
}

/// Sets its flag when dropped, so that reader threads stop even if the writer panics.
struct Stop<'a>(&'a AtomicBool);

impl Drop for Stop<'_> {
    fn drop(&mut self) {
        self.0.store(true, SeqCst);
    }
}

/// One thread rejecting for several tripped breakers gets each one's own trip, and a breaker's
/// new trip once it tripped again.
#[test]
fn each_breaker_reports_its_own_current_trip() {
    let f = Fixture::new(|c| c.failure_threshold(1).success_threshold(1));
    let breakers: Vec<Breaker> = (0..6).map(|_| f.breaker()).collect();
    let t0 = f.clock.now();
    let trips: Vec<Trip> = (0..6u16)
        .map(|n| {
            let reason = TripReason::Status { status: 500 + n };
            let b = &breakers[usize::from(n)];
            b.check()
                .unwrap()
                .failure(t0 + u32::from(n) * SEC, reason)
                .unwrap()
        })
        .collect();
    for _ in 0..3 {
        for (b, trip) in breakers.iter().zip(&trips) {
            assert_eq!(b.check().unwrap_err().trip(), trip);
        }
    }
    f.health.set_healthy(true);
    f.advance_until(SEC, 10 * SEC, || breakers[0].is_closed());
    let b = &breakers[0];
    let again = b
        .check()
        .unwrap()
        .failure(t0 + 9 * SEC, TripReason::Timeout)
        .unwrap();
    assert_eq!(b.check().unwrap_err().trip(), &again);
}
