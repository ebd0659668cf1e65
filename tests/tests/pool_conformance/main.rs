//! The pool's conformance suite.
//!
//! Every scenario is an `async fn` written once, generic over the runtime ([`Harness`]), and
//! instantiated below as a test under tokio (current-thread and multi-thread), smol and the manual
//! clock. Scenarios that move time ([`TimeControl`]) run on the manual clock only, with poll-level
//! control; under real runtimes nothing sleeps and every wait is bounded.
//!
//! [`Harness`]: fusebox_tests::Harness
//! [`TimeControl`]: fusebox_tests::TimeControl
#![forbid(unsafe_code)]

mod basics;
mod callbacks;
mod cancel;
mod config;
mod fairness;
mod handoff;
mod hangup;
mod lifecycle;
mod multiplex;
mod timing;
mod waiting;

// Destination keys of the scenarios. Not `&'static str`: a key type with a lifetime in it makes
// rustc unable to prove an acquire future `Send` inside a spawned task (see send_sync.rs).
const A: char = 'a';
const B: char = 'b';
const C: char = 'c';
const D: char = 'd';

/// Turns scenarios into tests of one harness, in a module named after the runtime.
macro_rules! instantiate {
    ($runtime:ident, $harness:expr, [$($module:ident :: $scenario:ident),* $(,)?]) => {
        mod $runtime {
            #[allow(unused_imports)]
            use fusebox_tests::Harness;
            $(
                #[test]
                fn $scenario() {
                    let h = $harness;
                    h.run(crate::$module::$scenario(&h));
                }
            )*
        }
    };
}

/// The scenarios that need no control of time: run under every harness.
macro_rules! everywhere {
    ($runtime:ident, $harness:expr) => {
        instantiate!(
            $runtime,
            $harness,
            [
                basics::reuse_idle,
                basics::lifo_reuse_of_most_recent,
                basics::per_key_limit,
                basics::wait_none_fails_at_once,
                basics::unusable_connection_is_not_reused,
                basics::discard_frees_the_slot_for_a_waiter,
                basics::max_total_evicts_lru_idle_of_another_key,
                basics::max_total_waiter_served_when_a_connection_idles,
                waiting::forever_is_woken_by_a_release,
                waiting::forever_is_woken_across_tasks,
                waiting::fifo_order_of_waiters_polled,
                waiting::fifo_order_of_waiters_in_tasks,
                waiting::two_releases_wake_two_waiters_polled,
                waiting::two_releases_wake_two_waiters_in_tasks,
                cancel::dropped_while_waiting,
                cancel::dropped_after_being_handed_a_connection,
                cancel::dropped_after_being_handed_a_slot,
                cancel::dropped_while_connecting,
                cancel::connect_failure_frees_the_slot_and_wakes_a_waiter,
                cancel::connect_failure_alone_leaks_nothing,
                lifecycle::close_fails_waiters_and_closes_idle_then_busy,
                lifecycle::close_with_a_connect_in_flight_leaks_nothing,
                lifecycle::closed_waits_for_the_last_connection,
                lifecycle::dropping_the_pool_closes_idle_connections,
                multiplex::streams_share_a_connection_until_it_is_full,
                multiplex::an_unusable_handle_retires_its_connection,
                multiplex::close_waits_for_the_last_handle,
                multiplex::a_cancelled_stream_grant_goes_on,
                multiplex::a_default_factory_connects_side_by_side,
                handoff::forwarded_grant_is_checked_like_idle,
                handoff::cancelled_grant_keeps_its_place_for_reuse,
                handoff::cancelled_grant_keeps_its_place_for_eviction,
                handoff::abandoned_connect_is_gone_before_its_slot_goes_on,
                fairness::older_waiter_of_another_key_is_served_first,
                callbacks::is_usable_that_panics_loses_no_capacity,
                callbacks::idle_timeout_that_panics_loses_no_capacity,
                callbacks::close_that_panics_loses_no_capacity,
                callbacks::callbacks_that_call_the_pool_do_not_deadlock,
                hangup::hung_up_idle_connection_leaves_at_once,
                hangup::hung_up_busy_connection_is_not_kept,
                hangup::watch_hangup_that_panics_loses_nothing,
            ]
        );
    };
}

everywhere!(
    tokio_current_thread,
    fusebox_tests::TokioHarness::current_thread()
);
everywhere!(
    tokio_multi_thread,
    fusebox_tests::TokioHarness::multi_thread(2)
);
everywhere!(smol, fusebox_tests::SmolHarness::new());
everywhere!(manual, fusebox_tests::ManualHarness::new());

instantiate!(
    manual_timed,
    fusebox_tests::ManualHarness::new(),
    [
        timing::wait_up_fails_exactly_at_the_deadline,
        timing::wait_up_is_served_before_the_deadline,
        timing::wait_up_takes_a_grant_that_arrives_with_the_deadline,
        timing::idle_expiry_at_the_timeout_boundary,
        timing::own_idle_timeout_only_shortens_the_pools,
        timing::max_lifetime_at_the_boundary,
        timing::reaper_removes_expired_connections_and_empty_keys,
        timing::reaper_keeps_keys_in_use,
        timing::reaper_ends_when_the_pool_closes,
        timing::connect_timeout_at_the_boundary,
        timing::reaper_takes_the_shorter_idle_timeout,
        timing::waits_and_wait_time_are_counted,
        handoff::late_grant_is_checked_for_expiry,
        handoff::timed_out_connect_is_gone_before_its_slot_goes_on,
    ]
);

// Scenarios that fail on a known bug of the core, kept here so that they pass once it is fixed.
mod manual_timed_bugs {
    use fusebox_tests::Harness;

    #[test]
    fn wait_up_beyond_the_representable_waits() {
        let h = fusebox_tests::ManualHarness::new();
        h.run(crate::timing::wait_up_beyond_the_representable_waits(&h));
    }

    #[test]
    fn connect_timeout_beyond_the_representable_connects() {
        let h = fusebox_tests::ManualHarness::new();
        h.run(crate::timing::connect_timeout_beyond_the_representable_connects(&h));
    }

    #[test]
    fn reap_interval_beyond_the_representable_never_reaps() {
        let h = fusebox_tests::ManualHarness::new();
        h.run(crate::timing::reap_interval_beyond_the_representable_never_reaps(&h));
    }
}
