//! HTTP plumbing shared by every API route: reading bodies strictly, and answering with JSON
//! errors that name the problem without echoing the input.

pub mod body;
pub mod response;

pub use body::{read_form, BodyError, FormBody};
pub use response::{error_response, json_response};
