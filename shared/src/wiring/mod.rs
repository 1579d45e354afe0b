//! Process wiring: logging set-up and the two ways to build [`Services`](crate::app::Services)
//! — on AWS from the Lambda environment, or embedded in-process.

pub mod aws;
pub mod embedded;
pub mod logging;
pub mod settings;
