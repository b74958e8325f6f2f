//! Discovers the demo app's route files under `app/` and generates its
//! route table, exactly as a user's crate does with its own `app/`.

fn main() {
    if let Err(error) = trellis_routes::build("app") {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}
