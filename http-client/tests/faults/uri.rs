//! Ports out of range are invalid URIs naming the port, never a connect to another port.

use fusebox_core::rt::Runtime;

use crate::on_both_runtimes;

on_both_runtimes!(out_of_range_ports_are_invalid_uris_naming_the_port);

async fn out_of_range_ports_are_invalid_uris_naming_the_port<R: Runtime>(rt: R) {
    let client = crate::client(&rt);
    for port in ["0", "65536", "99999", "4294967376"] {
        let e = client
            .get(format!("http://127.0.0.1:{port}/"))
            .await
            .unwrap_err();
        assert!(e.is_invalid_uri() && !e.is_connect(), "port {port}: {e:#}");
        assert!(e.to_string().contains(port), "port {port}: {e}");
    }
    let total = client.pool_stats().total;
    assert_eq!((total.created, total.connect_failures), (0, 0), "{total:?}");
    assert!(client.pool_stats().keys.is_empty());
}
