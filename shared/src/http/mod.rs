//! HTTP plumbing shared by every API route: reading bodies strictly, and answering with JSON
//! errors that name the problem without echoing the input.

pub mod body;
pub mod query;
pub mod response;

pub use body::{read_form, BodyError, FormBody};
pub use query::query_param;
pub use response::{error_response, invalid_field, json_response};
