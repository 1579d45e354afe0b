//! TransactWriteItems: building its items, running it, and reading what a canceled one says.
//!
//! DynamoDB cancels a whole transaction, writing none of it, and gives one reason code per item
//! in the request's order (`None` for an item that was fine). A false condition or another
//! transaction holding one of the items means the caller lost a race: it reads again and decides
//! again. Throttling is an outage (`Unavailable`, retried later); any other reason is a request
//! DynamoDB refuses (`Invalid`).

use super::item::{store_error, Expr, Item};
use super::DynamoStore;
use crate::ports::StoreError;
use aws_sdk_dynamodb::error::BuildError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};

/// A transaction item the SDK's builder refuses (a required part missing).
pub(crate) fn build_error(e: BuildError) -> StoreError {
    StoreError::Invalid(format!("cannot build a DynamoDB request: {e}"))
}

/// A transaction item that writes `item`, whatever is stored under its key.
pub(crate) fn put(table: &str, item: Item) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder().table_name(table).set_item(Some(item)).build().map_err(build_error)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// A transaction item that writes `item` if `condition` holds (the transaction is canceled
/// otherwise).
pub(crate) fn put_if(table: &str, item: Item, condition: &str, expr: Expr) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression(condition)
        .set_expression_attribute_names(expr.names())
        .set_expression_attribute_values(expr.values())
        .build()
        .map_err(build_error)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// A transaction item that removes the item under `key`, if there is one.
pub(crate) fn delete(table: &str, key: Item) -> Result<TransactWriteItem, StoreError> {
    let delete = Delete::builder().table_name(table).set_key(Some(key)).build().map_err(build_error)?;
    Ok(TransactWriteItem::builder().delete(delete).build())
}

/// A transaction that lost a race: nothing was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Canceled {
    /// The positions, in the request's order, of the items whose condition was false.
    pub(crate) failed_conditions: Vec<usize>,
    /// Another transaction held one of the items (`TransactionConflict`).
    pub(crate) conflict: bool,
}

/// Reads a canceled transaction's reason codes (one per item, in the request's order): the race
/// it lost, or the error when a reason is neither a false condition nor a conflict (the first
/// such reason decides which error).
pub(crate) fn classify(codes: &[&str]) -> Result<Canceled, StoreError> {
    let mut canceled = Canceled { failed_conditions: Vec::new(), conflict: false };
    for (position, code) in codes.iter().enumerate() {
        match *code {
            "None" => {}
            "ConditionalCheckFailed" => canceled.failed_conditions.push(position),
            "TransactionConflict" => canceled.conflict = true,
            "ThrottlingError" | "ProvisionedThroughputExceeded" | "RequestLimitExceeded" => {
                return Err(StoreError::Unavailable(format!("DynamoDB TransactWriteItems throttled: {codes:?}")))
            }
            _ => return Err(StoreError::Invalid(format!("DynamoDB TransactWriteItems refused: {codes:?}"))),
        }
    }
    Ok(canceled)
}

impl DynamoStore {
    /// Runs a transaction: `Ok(Ok(()))` when every item was written, `Ok(Err(canceled))` when it
    /// lost a race (see [`classify`]), so the caller re-reads and decides again.
    pub(super) async fn transact_write(&self, items: Vec<TransactWriteItem>) -> Result<Result<(), Canceled>, StoreError> {
        let Err(e) = self.client.transact_write_items().set_transact_items(Some(items)).send().await else {
            return Ok(Ok(()));
        };
        let Some(TransactWriteItemsError::TransactionCanceledException(canceled)) = e.as_service_error() else {
            return Err(store_error("TransactWriteItems", e));
        };
        let codes: Vec<&str> = canceled.cancellation_reasons().iter().map(|r| r.code().unwrap_or("None")).collect();
        let canceled = classify(&codes)?;
        tracing::debug!(failed_conditions = ?canceled.failed_conditions, conflict = canceled.conflict, "a transaction lost a race");
        Ok(Err(canceled))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn false_conditions_are_named_by_position() {
        let canceled = classify(&["None", "ConditionalCheckFailed", "None", "ConditionalCheckFailed"]).unwrap();
        assert_eq!(canceled, Canceled { failed_conditions: vec![1, 3], conflict: false });
    }

    #[test]
    fn a_conflict_is_a_lost_race_too() {
        let canceled = classify(&["TransactionConflict", "ConditionalCheckFailed"]).unwrap();
        assert_eq!(canceled, Canceled { failed_conditions: vec![1], conflict: true });
    }

    #[test]
    fn throttling_is_unavailable() {
        for code in ["ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"] {
            let e = classify(&["ConditionalCheckFailed", code]).unwrap_err();
            assert!(matches!(&e, StoreError::Unavailable(m) if m.contains(code)), "{code}: {e:?}");
        }
    }

    #[test]
    fn any_other_reason_is_a_refused_request() {
        let e = classify(&["None", "ValidationError"]).unwrap_err();
        assert!(matches!(&e, StoreError::Invalid(m) if m.contains("ValidationError")), "{e:?}");
    }

    #[test]
    fn the_first_reason_that_is_no_race_decides_the_error() {
        assert!(matches!(classify(&["ValidationError", "ThrottlingError"]), Err(StoreError::Invalid(_))));
        assert!(matches!(classify(&["ThrottlingError", "ValidationError"]), Err(StoreError::Unavailable(_))));
    }
}
