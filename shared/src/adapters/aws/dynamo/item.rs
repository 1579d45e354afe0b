//! Building and reading item attributes, and turning SDK errors into `StoreError`.

use crate::adapters::aws::error::failure;
use crate::ports::StoreError;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;

/// An item or key, as the SDK takes it.
pub(crate) type Item = HashMap<String, AttributeValue>;

pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(crate) fn n(v: impl std::fmt::Display) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// A time as a number, for comparisons inside condition expressions.
pub(crate) fn millis(at: DateTime<Utc>) -> AttributeValue {
    n(at.timestamp_millis())
}

/// A whole value as a map attribute (the `data` of leads and timeline entries).
pub(crate) fn to_map<T: Serialize>(value: &T) -> Result<AttributeValue, StoreError> {
    serde_dynamo::aws_sdk_dynamodb_1::to_attribute_value(value).map_err(|e| StoreError::Invalid(format!("cannot encode item: {e}")))
}

/// Reads the value stored by [`to_map`] under `name`.
pub(crate) fn from_map<T: DeserializeOwned>(item: &mut Item, name: &str) -> Result<T, StoreError> {
    let value = item.remove(name).ok_or_else(|| missing(name))?;
    serde_dynamo::aws_sdk_dynamodb_1::from_attribute_value(value).map_err(|e| StoreError::Invalid(format!("cannot decode `{name}`: {e}")))
}

pub(crate) fn get_s<'a>(item: &'a Item, name: &str) -> Result<&'a str, StoreError> {
    item.get(name).ok_or_else(|| missing(name))?.as_s().map(String::as_str).map_err(|_| wrong_type(name))
}

pub(crate) fn get_n(item: &Item, name: &str) -> Result<i64, StoreError> {
    let raw = item.get(name).ok_or_else(|| missing(name))?.as_n().map_err(|_| wrong_type(name))?;
    raw.parse().map_err(|_| wrong_type(name))
}

/// A time stored by [`millis`].
pub(crate) fn get_millis(item: &Item, name: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(get_n(item, name)?).ok_or_else(|| wrong_type(name))
}

fn missing(name: &str) -> StoreError {
    StoreError::Invalid(format!("item lacks `{name}`"))
}

fn wrong_type(name: &str) -> StoreError {
    StoreError::Invalid(format!("item has a malformed `{name}`"))
}

/// Whether the request failed only because its condition expression was false.
pub(crate) fn condition_failed<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    err.code() == Some("ConditionalCheckFailedException")
}

/// Maps an SDK error: a lost race is `Conflict`, an outage `Unavailable`, the rest `Invalid`.
pub(crate) fn store_error<E>(operation: &str, err: SdkError<E, HttpResponse>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let f = failure(&err);
    match f.code.as_deref() {
        Some("ConditionalCheckFailedException" | "TransactionConflictException") => StoreError::Conflict,
        _ if f.transient => StoreError::Unavailable(format!("DynamoDB {operation}: {}", f.detail)),
        _ => StoreError::Invalid(format!("DynamoDB {operation}: {}", f.detail)),
    }
}

/// Placeholders for one condition or update expression. DynamoDB refuses empty placeholder
/// maps, so absent ones stay `None`.
#[derive(Debug, Default)]
pub(crate) struct Expr {
    names: HashMap<String, String>,
    values: Item,
}

impl Expr {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// `#placeholder` stands for `attribute` (many of ours, like `state`, are reserved words).
    pub(crate) fn name(mut self, placeholder: &str, attribute: &str) -> Self {
        self.names.insert(placeholder.to_string(), attribute.to_string());
        self
    }

    pub(crate) fn value(mut self, placeholder: &str, value: AttributeValue) -> Self {
        self.values.insert(placeholder.to_string(), value);
        self
    }

    pub(crate) fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    pub(crate) fn values(&self) -> Option<Item> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

/// A Query read page by page: each [`Pages::next`] sends it once more from where the last page
/// ended, until DynamoDB says there is nothing after it. Callers that stop early (a limit, a
/// bound on what they examine) just stop asking.
pub(crate) struct Pages {
    query: QueryFluentBuilder,
    /// The exclusive start key of the next page; `None` before the first one.
    start: Option<Item>,
    exhausted: bool,
}

impl Pages {
    /// The pages of `query`, from `start` (an exclusive start key) or from its beginning.
    pub(crate) fn new(query: QueryFluentBuilder, start: Option<Item>) -> Self {
        Pages { query, start, exhausted: false }
    }

    /// The next page, of at most `limit` items when given (DynamoDB may answer fewer, even
    /// none, before the query's end); `None` once the query is exhausted.
    pub(crate) async fn next(&mut self, limit: Option<usize>) -> Result<Option<QueryOutput>, StoreError> {
        if self.exhausted {
            return Ok(None);
        }
        let mut request = self.query.clone().set_exclusive_start_key(self.start.take());
        if let Some(limit) = limit {
            request = request.limit(i32::try_from(limit).unwrap_or(i32::MAX));
        }
        let page = request.send().await.map_err(|e| store_error("Query", e))?;
        match &page.last_evaluated_key {
            Some(last) if !last.is_empty() => self.start = Some(last.clone()),
            _ => self.exhausted = true,
        }
        Ok(Some(page))
    }
}

/// Runs `query` page by page, from `start` (an exclusive start key) until it is exhausted or
/// `wanted` items were read (each page asks for no more than are still wanted).
pub(crate) async fn query_items(query: QueryFluentBuilder, start: Option<Item>, wanted: Option<usize>) -> Result<Vec<Item>, StoreError> {
    let mut pages = Pages::new(query, start);
    let mut out = Vec::new();
    while let Some(page) = pages.next(wanted.map(|w| w.saturating_sub(out.len()))).await? {
        out.extend(page.items.unwrap_or_default());
        if wanted.is_some_and(|w| out.len() >= w) {
            break;
        }
    }
    Ok(out)
}
