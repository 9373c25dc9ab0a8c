//! `process-manager`: supervises the processes and pipeline stages of
//! `asynchronio.toml`. `asynchronio up` runs it; it can also run on its own.

use asynchronio_supervisor::manager::{ManagerArgs, run};
use clap::Parser;

fn main() {
    let args = ManagerArgs::parse();
    let log = args.log.clone();
    if let Err(error) = asynchronio_service::run_service(&log, run(args)) {
        eprintln!("process-manager: {error:#}");
        std::process::exit(1);
    }
}
