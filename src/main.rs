//! The demo app: the route files under `app/`, discovered by build.rs,
//! served with the whole `trellis` command line, as any app serves its own.

mod app {
    trellis::include_app!();
}

fn main() -> std::process::ExitCode {
    trellis::main(app::router)
}
