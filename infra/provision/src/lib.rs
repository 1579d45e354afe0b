//! `template.yaml` as the one source of what exists in AWS, for places without CloudFormation:
//! the tests and local AWS-mode runs make their tables, queues, topics, keys and parameters in a
//! local AWS endpoint (moto) from the template itself, and take each function's environment
//! from it, so a resource added to the template exists there with nothing else changed.
//!
//! * [`template`] reads the template and evaluates its intrinsic functions.
//! * [`stack`] makes a stack of it in an endpoint and answers the functions' environments.
//! * [`moto`] starts a moto server of the process's own (the tests', the cost bench's).

pub mod moto;
pub mod stack;
pub mod template;

pub use stack::{Clients, FunctionRef, ProvisionError, Stack, StackOptions, MOTO_ACCOUNT, PROVISIONED_TYPES};
pub use template::{Physical, Template, TemplateError};
