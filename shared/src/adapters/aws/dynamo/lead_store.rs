//! Leads, deduplicated at capture through unique claims.
//!
//! A claim item (`CLAIM#PHONE#…#{line}`, `CLAIM#EMAIL#…#{line}`) names the open lead that owns a
//! phone or email on a service line (one open lead per person per line).
//! A new lead and its claims are written in one transaction whose conditions say "nobody holds
//! this claim, or only the closed lead we saw": two concurrent captures of one person cannot
//! both succeed, and the loser re-reads and matches the winner.

use super::item::{get_n, get_s, n, query_items, s, Expr, Item};
use super::keys::{
    created_sort_key, email_claim_pk, email_index_pk, key, lead_id_from_pk, lead_pk, name_pk, phone_claim_pk, phone_index_pk, CLAIM_SK,
    GSI1, GSI1_PK, GSI1_SK, GSI2, GSI2_PK, GSI2_SK, GSI8_PK, GSI8_SK, LEAD_SK, LISTING_INDEXES, NAMES_SK, PK,
};
use super::sealing::lead_scope;
use super::transaction::{delete, put, put_if, Canceled};
use super::DynamoStore;
use crate::domain::{Email, Lead, LeadId, LeadStatus, Phone};
use crate::ports::{Alongside, CaptureOutcome, LeadStore, StoreError};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::TransactWriteItem;

pub(crate) const DATA: &str = "data";
const STATUS: &str = "status";
const VERSION: &str = "version";
const LEAD_ID: &str = "lead_id";
/// The entries of a lead's `NAMES` record.
const NAMES: &str = "names";

/// Rounds of read-then-transact before giving up with `Conflict` (each lost round means another
/// writer made progress, so a few rounds settle any realistic race).
const ATTEMPTS: usize = 5;

/// Who holds a claim, as seen by the lead about to take it.
enum Holder {
    Free,
    /// The lead itself (an earlier attempt of the same write).
    Mine,
    /// An open lead: the claim stays with it.
    Open(LeadId),
    /// A closed (or vanished) lead: the claim may be taken over from it.
    Stale(LeadId),
}

/// What a lead finds when it goes to take its claims.
#[derive(Default)]
struct ClaimPlan {
    /// Conditional puts for the claims it may take: free ones, and those a closed lead holds.
    puts: Vec<TransactWriteItem>,
    /// A claim already names this lead.
    mine: bool,
    /// The first open lead (phone before email) holding one of them.
    held_by: Option<LeadId>,
}

impl DynamoStore {
    async fn holder(&self, claim_pk: String, me: LeadId) -> Result<Holder, StoreError> {
        let Some(item) = self.read(key(claim_pk, CLAIM_SK), None).await? else {
            return Ok(Holder::Free);
        };
        let holder: LeadId = get_s(&item, LEAD_ID)?.parse().map_err(|_| StoreError::Invalid("malformed claim holder".into()))?;
        if holder == me {
            return Ok(Holder::Mine);
        }
        Ok(match self.lead_status(holder).await? {
            Some(status) if status.is_open() => Holder::Open(holder),
            _ => Holder::Stale(holder),
        })
    }

    async fn lead_status(&self, id: LeadId) -> Result<Option<LeadStatus>, StoreError> {
        let Some(item) = self.read(key(lead_pk(id), LEAD_SK), Some(("#status", Expr::new().name("#status", STATUS)))).await? else {
            return Ok(None);
        };
        let raw = get_s(&item, STATUS)?;
        LeadStatus::parse(raw).map(Some).ok_or_else(|| StoreError::Invalid(format!("unknown lead status {raw:?}")))
    }

    async fn stored_version(&self, id: LeadId) -> Result<Option<i64>, StoreError> {
        let projection = Some(("#version", Expr::new().name("#version", VERSION)));
        self.read(key(lead_pk(id), LEAD_SK), projection).await?.map(|item| get_n(&item, VERSION)).transpose()
    }

    /// Which claims `lead` may take now. Each put is conditional on the holder seen here, so
    /// the transaction fails if any claim changed hands in between.
    async fn plan_claims(&self, lead: &Lead) -> Result<ClaimPlan, StoreError> {
        let mut plan = ClaimPlan::default();
        for claim_pk in claim_pks(lead) {
            match self.holder(claim_pk.clone(), lead.id).await? {
                Holder::Free => plan.puts.push(self.claim_put(claim_pk, lead.id, None)?),
                Holder::Stale(old) => plan.puts.push(self.claim_put(claim_pk, lead.id, Some(old))?),
                Holder::Mine => plan.mine = true,
                Holder::Open(other) => plan.held_by = plan.held_by.or(Some(other)),
            }
        }
        Ok(plan)
    }

    fn claim_put(&self, claim_pk: String, holder: LeadId, stale: Option<LeadId>) -> Result<TransactWriteItem, StoreError> {
        let mut item = key(claim_pk, CLAIM_SK);
        item.insert(LEAD_ID.into(), s(holder.to_string()));
        let (condition, expr) = match stale {
            None => ("attribute_not_exists(PK)", Expr::new()),
            Some(old) => {
                ("attribute_not_exists(PK) OR #lead_id = :stale", Expr::new().name("#lead_id", LEAD_ID).value(":stale", s(old.to_string())))
            }
        };
        put_if(&self.table, item, condition, expr)
    }

    async fn lead_put(&self, lead: &Lead, condition: &str, expr: Expr) -> Result<TransactWriteItem, StoreError> {
        put_if(&self.table, self.lead_item(lead).await?, condition, expr)
    }

    /// The timeline entries (sealed, unconditional: their ids derive from the change, so a
    /// retried write puts the same entry) and outbox records written with a lead.
    async fn alongside_puts(&self, alongside: &Alongside) -> Result<Vec<TransactWriteItem>, StoreError> {
        let mut out = Vec::with_capacity(alongside.entries.len() + alongside.events.len());
        for e in &alongside.entries {
            let mut item = key(lead_pk(e.lead_id), super::keys::timeline_sk(e.id));
            let scope = super::sealing::timeline_scope(e.lead_id, e.id);
            item.insert(DATA.into(), self.encode_sealed(e, crate::crypto::fields::TIMELINE, &scope).await?);
            out.push(put(&self.table, item)?);
        }
        for event in &alongside.events {
            let (pk, sk) = crate::ports::outbox::record_key(event);
            let mut item = key(pk, sk);
            let expires = event.occurred_at + chrono::Duration::days(crate::ports::outbox::RETENTION_DAYS);
            item.insert(super::keys::EXPIRES_AT.into(), n(expires.timestamp()));
            out.push(put(&self.table, item)?);
        }
        Ok(out)
    }

    async fn query_index(&self, index: &str, hash_attribute: &str, value: String) -> Result<Vec<LeadId>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", hash_attribute)
            .expression_attribute_values(":pk", s(value))
            .scan_index_forward(false);
        query_items(query, None, None).await?.iter().map(|item| lead_id_from_pk(get_s(item, PK)?)).collect()
    }
}

/// The unique claims a lead's contact details make on its service line: phone first, then email.
pub(crate) fn claim_pks(lead: &Lead) -> Vec<String> {
    let line = &lead.context.service_line;
    let phone = lead.contact.phone.as_ref().map(|p| phone_claim_pk(p, line));
    let email = lead.contact.email.as_ref().map(|e| email_claim_pk(e, line));
    phone.into_iter().chain(email).collect()
}

/// The claims a stored lead item names through its index attributes (its addresses and its
/// service line), without opening the record.
pub(crate) fn item_claim_pks(item: &Item) -> Vec<String> {
    let line = match item.get(LINE_INDEX_PK) {
        Some(aws_sdk_dynamodb::types::AttributeValue::S(l)) => l.strip_prefix("LINE#").unwrap_or(l),
        _ => return Vec::new(),
    };
    [GSI1_PK, GSI2_PK]
        .iter()
        .filter_map(|k| match item.get(*k) {
            Some(aws_sdk_dynamodb::types::AttributeValue::S(address)) => Some(super::keys::claim_pk(address, &line)),
            _ => None,
        })
        .collect()
}

/// The listing index attribute holding `LINE#{service line}`.
const LINE_INDEX_PK: &str = "GSI5PK";

impl DynamoStore {
    /// The lead item: the whole lead under `data` (sensitive free text sealed, the document
    /// packed: see `sealing`), plus the attributes conditions and indexes use. An erased lead has
    /// no phone or email, so it leaves both indexes.
    pub(crate) async fn lead_item(&self, lead: &Lead) -> Result<Item, StoreError> {
        let data = self.encode_sealed_packed(lead, crate::crypto::fields::LEAD, &lead_scope(lead.id)).await?;
        Ok(lead_item_with(lead, data))
    }

    /// Reads a lead item's `data`, opening sealed fields.
    pub(crate) async fn lead_from_item(&self, id: LeadId, item: &mut Item) -> Result<Lead, StoreError> {
        self.decode_sealed(item, DATA, &lead_scope(id)).await
    }
}

fn lead_item_with(lead: &Lead, data: aws_sdk_dynamodb::types::AttributeValue) -> Item {
    let mut item = key(lead_pk(lead.id), LEAD_SK);
    item.insert(STATUS.into(), s(lead.status.as_str()));
    item.insert(VERSION.into(), n(lead.version));
    item.insert(DATA.into(), data);
    // An archived lead's personal data expires by DynamoDB TTL; a lead re-opened since
    // is no longer `unresponsive` and loses the expiry on this save.
    if let Some(at) = lead.personal_data_expires_at.filter(|_| lead.status == LeadStatus::Unresponsive) {
        item.insert(super::keys::EXPIRES_AT.into(), n(at.timestamp()));
    }
    let sort = created_sort_key(lead);
    if let Some(phone) = &lead.contact.phone {
        item.insert(GSI1_PK.into(), s(phone_index_pk(phone)));
        item.insert(GSI1_SK.into(), s(sort.clone()));
    }
    if let Some(email) = &lead.contact.email {
        item.insert(GSI2_PK.into(), s(email_index_pk(email)));
        item.insert(GSI2_SK.into(), s(sort));
    }
    // The change index: the hygiene job reads what changed since its last run.
    item.insert(super::keys::GSI7_PK.into(), s(super::keys::changed_pk(lead.updated_at.date_naive())));
    item.insert(super::keys::GSI7_SK.into(), s(super::keys::changed_sk(lead.updated_at, &lead.id.to_string())));
    // The listing indexes: maintained on every save, so a status change moves the lead.
    let sort = crate::ports::lead_listing::index_sort_key(lead);
    for ((_, pk, sk), partition) in LISTING_INDEXES.iter().zip(crate::ports::lead_listing::index_partitions(lead)) {
        if let Some(partition) = partition {
            item.insert((*pk).into(), s(partition));
            item.insert((*sk).into(), s(sort.clone()));
        }
    }
    // The work queue: open leads only, so closing a lead takes it out of every inbox.
    if let Some(partition) = crate::ports::lead_listing::inbox_partition(lead) {
        item.insert(GSI8_PK.into(), s(partition));
        item.insert(GSI8_SK.into(), s(crate::ports::lead_listing::inbox_sort_key(lead)));
    }
    item
}

/// The name-index partitions a lead belongs in, sorted.
fn name_pks(lead: &Lead) -> Vec<String> {
    let mut pks: Vec<String> = crate::domain::search::index_prefixes(&lead.contact).iter().map(|p| name_pk(p)).collect();
    pks.sort();
    pks.dedup();
    pks
}

impl DynamoStore {
    /// The name-index entries a lead holds now (its `NAMES` record).
    pub(crate) async fn indexed_names(&self, id: LeadId) -> Result<Vec<String>, StoreError> {
        let Some(item) = self.read(key(lead_pk(id), NAMES_SK), None).await? else { return Ok(Vec::new()) };
        Ok(match item.get(NAMES) {
            Some(aws_sdk_dynamodb::types::AttributeValue::L(l)) => l.iter().filter_map(|v| v.as_s().ok().cloned()).collect(),
            _ => Vec::new(),
        })
    }

    /// The writes that make the name index hold `lead` under its names now, given the entries
    /// it holds (`indexed`): new entries, removed ones, and the `NAMES` record. Empty when
    /// nothing changed.
    fn name_index_writes(&self, lead: &Lead, indexed: &[String]) -> Result<Vec<TransactWriteItem>, StoreError> {
        let wanted = name_pks(lead);
        let mut current = indexed.to_vec();
        current.sort();
        if wanted == current {
            return Ok(Vec::new());
        }
        // An archived lead's entries expire with its personal data (DynamoDB TTL).
        let expires = lead.personal_data_expires_at.filter(|_| lead.status == LeadStatus::Unresponsive).map(|t| n(t.timestamp()));
        let mut out = Vec::new();
        for pk in wanted.iter().filter(|pk| !current.contains(pk)) {
            let mut item = key(pk.clone(), lead_pk(lead.id));
            item.insert(LEAD_ID.into(), s(lead.id.to_string()));
            if let Some(e) = &expires {
                item.insert(super::keys::EXPIRES_AT.into(), e.clone());
            }
            out.push(put(&self.table, item)?);
        }
        for pk in current.iter().filter(|pk| !wanted.contains(pk)) {
            out.push(delete(&self.table, key(pk.clone(), lead_pk(lead.id)))?);
        }
        let record = key(lead_pk(lead.id), NAMES_SK);
        if wanted.is_empty() {
            out.push(delete(&self.table, record)?);
        } else {
            let mut item = record;
            item.insert(NAMES.into(), aws_sdk_dynamodb::types::AttributeValue::L(wanted.iter().map(|p| s(p.clone())).collect()));
            if let Some(e) = &expires {
                item.insert(super::keys::EXPIRES_AT.into(), e.clone());
            }
            out.push(put(&self.table, item)?);
        }
        Ok(out)
    }

    /// Removes a lead from the name index (its entries and `NAMES` record): an erased or
    /// deleted lead leaves no trace of its names.
    pub(crate) async fn drop_name_index(&self, id: LeadId) -> Result<usize, StoreError> {
        let indexed = self.indexed_names(id).await?;
        for pk in &indexed {
            self.delete(key(pk.clone(), lead_pk(id))).await?;
        }
        if !indexed.is_empty() {
            self.delete(key(lead_pk(id), NAMES_SK)).await?;
        }
        Ok(indexed.len())
    }
}

#[async_trait]
impl LeadStore for DynamoStore {
    async fn create_or_match(&self, lead: &Lead, alongside: &Alongside) -> Result<CaptureOutcome, StoreError> {
        for _ in 0..ATTEMPTS {
            let plan = self.plan_claims(lead).await?;
            if plan.mine {
                // A claim names this lead: an earlier attempt stored it (with its claims, atomically).
                return Ok(CaptureOutcome::Created);
            }
            if let Some(holder) = plan.held_by {
                // An open lead holds the phone or email, unless this very lead was stored by an
                // earlier attempt (and a newer lead took the claim over after this one closed).
                let stored = self.stored_version(lead.id).await?.is_some();
                return Ok(if stored { CaptureOutcome::Created } else { CaptureOutcome::Matched(holder) });
            }
            let mut items = vec![self.lead_put(lead, "attribute_not_exists(PK)", Expr::new()).await?];
            items.extend(plan.puts);
            // Its blocking keys, so duplicate detection finds it by Query, and its names.
            items.extend(self.blocking_key_puts(lead)?);
            items.extend(self.alongside_puts(alongside).await?);
            items.extend(self.name_index_writes(lead, &[])?);
            match self.transact_write(items).await? {
                Ok(()) => return Ok(CaptureOutcome::Created),
                Err(Canceled { .. }) if self.stored_version(lead.id).await?.is_some() => return Ok(CaptureOutcome::Created),
                Err(Canceled { .. }) => continue,
            }
        }
        Err(StoreError::Conflict)
    }

    async fn get(&self, id: LeadId) -> Result<Option<Lead>, StoreError> {
        let Some(mut item) = self.read(key(lead_pk(id), LEAD_SK), None).await? else {
            return Ok(None);
        };
        self.lead_from_item(id, &mut item).await.map(Some)
    }

    async fn save_alongside(&self, lead: &Lead, alongside: &Alongside) -> Result<(), StoreError> {
        let expected = lead.version.checked_sub(1).ok_or(StoreError::Conflict)?;
        let condition = "#version = :expected";
        let expr = || Expr::new().name("#version", VERSION).value(":expected", n(expected));
        for _ in 0..ATTEMPTS {
            // Point the claims at this lead where no open lead holds them (a closed lead leaves
            // them be: a closed holder counts as none anyway), and the name index at its names
            // (in the same transaction, so a renamed lead is never missing from it).
            let mut claims = if lead.status.is_open() { self.plan_claims(lead).await?.puts } else { Vec::new() };
            claims.extend(self.name_index_writes(lead, &self.indexed_names(lead.id).await?)?);
            if claims.is_empty() && alongside.entries.is_empty() && alongside.events.is_empty() {
                return match self.put_if(self.lead_item(lead).await?, Some((condition, expr()))).await? {
                    true => Ok(()),
                    false => Err(StoreError::Conflict),
                };
            }
            let mut items = vec![self.lead_put(lead, condition, expr()).await?];
            items.extend(claims);
            items.extend(self.alongside_puts(alongside).await?);
            match self.transact_write(items).await? {
                Ok(()) => return Ok(()),
                Err(Canceled { .. }) if self.stored_version(lead.id).await? != i64::try_from(expected).ok() => {
                    return Err(StoreError::Conflict)
                }
                // Only a claim changed hands meanwhile: look again.
                Err(Canceled { .. }) => continue,
            }
        }
        Err(StoreError::Conflict)
    }

    async fn find_by_phone(&self, phone: &Phone) -> Result<Vec<LeadId>, StoreError> {
        self.query_index(GSI1, GSI1_PK, phone_index_pk(phone)).await
    }

    async fn find_by_email(&self, email: &Email) -> Result<Vec<LeadId>, StoreError> {
        self.query_index(GSI2, GSI2_PK, email_index_pk(email)).await
    }

    async fn find_by_name(&self, prefix: &str, limit: usize) -> Result<Vec<LeadId>, StoreError> {
        let query = self.partition_query(name_pk(prefix), None);
        let items = query_items(query, None, Some(limit)).await?;
        items.iter().map(|item| get_s(item, LEAD_ID)?.parse().map_err(|_| StoreError::Invalid("malformed name entry".into()))).collect()
    }
}
