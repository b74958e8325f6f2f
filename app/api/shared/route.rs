//! Methods re-exported from a shared file under their names, as
//! `export { hello as GET }` does: discovered and served like functions
//! written here.

#[path = "../../_shared/hello.rs"]
mod hello;

pub use hello::{hello as GET, hello as POST};
