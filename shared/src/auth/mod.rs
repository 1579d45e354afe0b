//! Who is calling. Every route except `POST /leads` and the signed webhooks sits behind API
//! Gateway's JWT authorizer (Cognito in AWS, locally issued dev tokens in the local runner);
//! handlers read the verified claims from the request context and check the caller's role.

mod access;
mod principal;

pub use access::{can_change_lead, can_read_lead, may_see_personal_data};

pub use principal::{principal, AuthError, Principal, Role};
