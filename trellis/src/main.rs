//! The `trellis` command on its own, outside any app: `new` and `init`
//! write one, `dev` runs the one in the working folder, `bench` and
//! `revalidate` talk to a running server. An app's own binary
//! (`trellis::main(app::router)`) runs the same command line with its
//! routes, which `serve`, `routes` and `check-config` need.

fn main() -> std::process::ExitCode {
    trellis::main(trellis::Router::new)
}
