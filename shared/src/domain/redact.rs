//! A `Debug` that never prints the value: personal data types use it so that a stray `{:?}` in
//! a log line or an error cannot leak a phone number, email, name or health detail.

/// Implements `Debug` for a type as `Type(<redacted>)`.
macro_rules! redacted_debug {
    ($name:ident) => {
        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, concat!(stringify!($name), "(<redacted>)"))
            }
        }
    };
}
pub(crate) use redacted_debug;
