//! Who is calling. Every route except `POST /leads` and the signed webhooks sits behind API
//! Gateway's JWT authorizer (Cognito in AWS, locally issued dev tokens in the local runner);
//! handlers read the verified claims from the request context and check the caller's role
//! against [`policy`], the one role matrix. Webhooks verify signatures instead
//! (`crate::webhooks::signature`).

pub mod policy;
mod principal;

pub use principal::{principal, AuthError, Principal, Role};
