mod dispatch;

pub(crate) use dispatch::Dispatch;
