//! Typed values the proxy hands to the route: `ctx.insert(Session { .. })`
//! in the proxy, `ctx.extension::<Session>()` in the route function. They
//! go from one to the other inside the engine, so a client has nothing to
//! forge and the route nothing to parse again.

use std::any::{Any, TypeId};
use std::fmt;

/// One value per type; a later insert of the same type replaces it.
#[derive(Default)]
pub(crate) struct Extensions {
    /// Few values a request: a list is cheaper than a map.
    values: Vec<(TypeId, Box<dyn Any + Send>)>,
}

impl fmt::Debug for Extensions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Extensions({} values)", self.values.len())
    }
}

impl Extensions {
    pub(crate) fn insert<T: Send + 'static>(&mut self, value: T) {
        let id = TypeId::of::<T>();
        let value: Box<dyn Any + Send> = Box::new(value);
        match self.values.iter_mut().find(|(t, _)| *t == id) {
            Some((_, existing)) => *existing = value,
            None => self.values.push((id, value)),
        }
    }

    pub(crate) fn get<T: 'static>(&self) -> Option<&T> {
        let id = TypeId::of::<T>();
        self.values
            .iter()
            .find(|(t, _)| *t == id)
            .and_then(|(_, value)| value.downcast_ref::<T>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Session(&'static str);

    #[test]
    fn a_value_is_found_by_its_type_and_a_later_one_replaces_it() {
        let mut extensions = Extensions::default();
        assert_eq!(extensions.get::<Session>(), None);
        extensions.insert(Session("ada"));
        extensions.insert(7u32);
        extensions.insert(Session("grace"));
        assert_eq!(extensions.get::<Session>(), Some(&Session("grace")));
        assert_eq!(extensions.get::<u32>(), Some(&7));
        assert_eq!(extensions.get::<u64>(), None);
    }
}
