//! Serves the routes under `app/` with the whole `trellis` command line:
//! `cargo run` serves on http://127.0.0.1:3000, `cargo run -- routes`
//! prints the route table, `cargo run -- --help` lists the rest.

mod app {
    trellis::include_app!();
}

fn main() -> std::process::ExitCode {
    trellis::main(app::router)
}
