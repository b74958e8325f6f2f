//! Discovers the route files under `app/` and generates the app's routes,
//! which `mod app { trellis::include_app!(); }` in src/main.rs includes. A
//! route file discovery cannot read fails the build, naming the file.

fn main() {
    if let Err(error) = trellis_routes::build("app") {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}
