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

/// Field names whose values are personal data wherever they appear, whatever the value looks
/// like: the log writer masks them (`wiring::logging`) and erasure blanks them in side records
/// (`domain::erasure`). One list, so a name added for one is covered by the other. (`name` is
/// not here: log spans use it; erasure adds it.)
pub const PERSONAL_FIELDS: &[&str] = &[
    "phone",
    "phone_number",
    "email",
    "first_name",
    "last_name",
    "full_name",
    "person_name",
    "address",
    "street",
    "postal_code",
    "city",
    "concern",
    "note",
    "notes",
    "free_text",
    "recipient",
    "body",
    "text",
    "user_agent",
    "source_ip",
    "ip",
    "date_of_birth",
];
