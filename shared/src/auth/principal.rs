//! The caller as API Gateway's JWT authorizer describes it: `sub`, the Cognito groups (the
//! role), and the custom claim that scopes a manager to facilities. An agent's team is not a
//! claim: it is their team member's `team` in configuration (`auth::policy`).

use crate::domain::string_enum::string_enum;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use serde::Serialize;
use std::collections::HashMap;

string_enum! {
    /// What a caller may do. A user in several groups acts with the most privileged one.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Role {
        /// Reports only; never personal data.
        Analyst => "analyst",
        /// Leads assigned to them or their team.
        Agent => "agent",
        /// All leads of their facilities.
        Manager => "manager",
        /// Everything, including the audit trail.
        Admin => "admin",
    }
    parse(s) => s.trim().to_ascii_lowercase();
}

/// A verified caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    /// The user's id (`sub`).
    pub user_id: String,
    pub role: Role,
    /// Facilities a manager oversees (`custom:facilities`, comma-separated).
    pub facilities: Vec<String>,
}

/// Why a request has no usable caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No verified token reached the handler (401).
    #[error("authentication is required")]
    Unauthenticated,
    /// The token is valid but carries no leadflow role (403).
    #[error("the caller has no leadflow role")]
    NoRole,
}

impl AuthError {
    pub fn status(&self) -> u16 {
        match self {
            AuthError::Unauthenticated => 401,
            AuthError::NoRole => 403,
        }
    }
}

/// Cognito's groups claim as API Gateway passes it: `[admin agent]`, `admin`, or a JSON list.
fn groups(raw: &str) -> Vec<String> {
    raw.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split([' ', ','])
        .map(|g| g.trim().trim_matches('"').to_string())
        .filter(|g| !g.is_empty())
        .collect()
}

impl Principal {
    /// Reads a principal from verified JWT claims.
    pub fn from_claims(claims: &HashMap<String, String>) -> Result<Principal, AuthError> {
        let user_id = claims.get("sub").filter(|s| !s.is_empty()).ok_or(AuthError::Unauthenticated)?.clone();
        let role = claims
            .get("cognito:groups")
            .map(|g| groups(g))
            .unwrap_or_default()
            .iter()
            .filter_map(|g| Role::parse(g))
            .max()
            .ok_or(AuthError::NoRole)?;
        let facilities = claims
            .get("custom:facilities")
            .map(|f| f.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        Ok(Principal { user_id, role, facilities })
    }
}

/// The caller of `req`, from the claims API Gateway's JWT authorizer verified.
pub fn principal(req: &Request) -> Result<Principal, AuthError> {
    let claims = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.authorizer.as_ref().and_then(|a| a.jwt.as_ref()).map(|j| &j.claims),
        _ => None,
    };
    Principal::from_claims(claims.ok_or(AuthError::Unauthenticated)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn groups_become_the_most_privileged_role() {
        let p = Principal::from_claims(&claims(&[
            ("sub", "u1"),
            ("cognito:groups", "[agent manager]"),
            ("custom:facilities", "hoboken, newark"),
        ]))
        .unwrap();
        assert_eq!(p.role, Role::Manager);
        assert_eq!(p.facilities, ["hoboken", "newark"]);
        assert_eq!(Principal::from_claims(&claims(&[("sub", "u2"), ("cognito:groups", "[\"analyst\"]")])).unwrap().role, Role::Analyst);
        assert_eq!(Principal::from_claims(&claims(&[("sub", "u3"), ("cognito:groups", "admin")])).unwrap().role, Role::Admin);
    }

    #[test]
    fn missing_subject_or_role_is_refused() {
        assert_eq!(Principal::from_claims(&claims(&[("cognito:groups", "admin")])), Err(AuthError::Unauthenticated));
        assert_eq!(Principal::from_claims(&claims(&[("sub", "u1")])), Err(AuthError::NoRole));
        assert_eq!(Principal::from_claims(&claims(&[("sub", "u1"), ("cognito:groups", "[superuser]")])), Err(AuthError::NoRole));
    }
}
