//! `install` when another metrics recorder already holds the global slot:
//! it must fail every time, never hand out a handle that renders nothing.
//! (Its own test binary, so its own process and its own global recorder.)

#[test]
fn install_fails_while_another_recorder_is_installed() {
    assert!(metrics::set_global_recorder(metrics::NoopRecorder).is_ok());
    let first = asynchronio_service::metrics::install();
    assert!(first.is_err(), "the first install must fail");
    let second = asynchronio_service::metrics::install();
    assert!(
        second.is_err(),
        "a second install must fail too, not return a dead handle"
    );
    assert!(asynchronio_service::metrics::handle().is_none());
}
