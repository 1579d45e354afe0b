//! Counts what the AWS adapters ask of AWS: an interceptor on each SDK client sees every request
//! and its response on the wire, names the service and operation, and turns DynamoDB traffic
//! into the request units AWS bills on demand.
//!
//! moto answers `ReturnConsumedCapacity` with fixed figures (0.5 or 1 whatever the item), so units
//! are computed from item sizes, as DynamoDB does: a read unit per 4 KB read strongly
//! consistently (half for an eventually consistent read, twice in a transaction), a write unit
//! per 1 KB of the larger of the item before and after the write (twice in a transaction), and a
//! write unit on each global secondary index whose entry the write adds or removes (two when its
//! key changes). The size of an item after an update is read back right after the update (with
//! a client of its own, not counted); the size before is the last one this meter saw.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};

/// What one service operation was asked for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// Requests sent (each retry is a request).
    pub calls: f64,
    /// Billed units: DynamoDB read or write request units on the table, SQS and SNS requests
    /// (a request per 64 KB of payload), otherwise the requests.
    pub units: f64,
    /// DynamoDB write request units on global secondary indexes.
    pub index_units: f64,
    pub request_bytes: f64,
    pub response_bytes: f64,
}

/// One function's invocations and the calls they made.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Invocations {
    pub count: f64,
    /// Invocations that started a new instance (an init, billed on a custom runtime).
    pub cold_starts: f64,
    /// AWS calls made during the invocations, per service.
    pub calls: BTreeMap<String, f64>,
    /// The same per "service operation".
    pub operations: BTreeMap<String, f64>,
}

/// Everything counted since the last reset.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    /// Per (service, operation).
    pub operations: BTreeMap<(String, String), Tally>,
    /// Per function (the template's resource name).
    pub functions: BTreeMap<String, Invocations>,
    /// Bytes the functions logged.
    pub log_bytes: f64,
    /// DynamoDB writes per kind of item written (see [`item_kind`]).
    pub written: BTreeMap<String, Written>,
}

/// Writes of one kind of item.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Written {
    pub writes: f64,
    /// Write units on the table and its indexes.
    pub units: f64,
    /// The largest item size seen (before or after a write), bytes.
    pub largest: usize,
}

impl Counts {
    pub fn get(&self, service: &str, operation: &str) -> Tally {
        self.operations.get(&(service.to_string(), operation.to_string())).cloned().unwrap_or_default()
    }

    /// Every figure divided by `n` (per lead).
    pub fn per(&self, n: usize) -> Counts {
        let n = n.max(1) as f64;
        let scale = |m: &BTreeMap<String, f64>| m.iter().map(|(k, v)| (k.clone(), v / n)).collect();
        Counts {
            operations: self
                .operations
                .iter()
                .map(|(k, t)| {
                    (
                        k.clone(),
                        Tally {
                            calls: t.calls / n,
                            units: t.units / n,
                            index_units: t.index_units / n,
                            request_bytes: t.request_bytes / n,
                            response_bytes: t.response_bytes / n,
                        },
                    )
                })
                .collect(),
            functions: self
                .functions
                .iter()
                .map(|(k, f)| {
                    let inv = Invocations {
                        count: f.count / n,
                        cold_starts: f.cold_starts / n,
                        calls: scale(&f.calls),
                        operations: scale(&f.operations),
                    };
                    (k.clone(), inv)
                })
                .collect(),
            log_bytes: self.log_bytes / n,
            written: self
                .written
                .iter()
                .map(|(k, w)| (k.clone(), Written { writes: w.writes / n, units: w.units / n, largest: w.largest }))
                .collect(),
        }
    }
}

/// A global secondary index: its key attributes and the non-key attributes it carries.
#[derive(Debug, Clone)]
struct IndexShape {
    keys: Vec<String>,
    projected: Vec<String>,
}

#[derive(Debug, Clone)]
struct TableShape {
    keys: Vec<String>,
    indexes: Vec<IndexShape>,
}

/// What the meter knows of a stored item.
#[derive(Debug, Clone)]
struct ItemFacts {
    size: usize,
    /// Per index of its table: the entry's keys and carried values, when the item is in it.
    entries: Vec<Option<(String, String)>>,
}

/// Bytes written by the process's log subscriber (see [`count_logs`]).
static LOGGED: AtomicU64 = AtomicU64::new(0);

/// Logs through leadflow's own subscriber (JSON, INFO, redacted: what the functions write to
/// CloudWatch) into a counter instead of stdout. Bytes logged during an invocation are its.
pub fn count_logs() {
    struct Count;
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            LOGGED.fetch_add(buf.len() as u64, Ordering::Relaxed);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let filter = tracing_subscriber::EnvFilter::new("info");
    let _ = tracing::subscriber::set_global_default(leadflow::wiring::logging::subscriber(|| Count, true, filter));
}

#[derive(Default)]
struct State {
    counting: bool,
    counts: Counts,
    tables: HashMap<String, TableShape>,
    items: HashMap<(String, String), ItemFacts>,
    /// Outbox records written since last taken: the inserts the table's stream announces.
    outbox: Vec<(String, String)>,
    /// The function being invoked, if any, and the log bytes written before it began.
    current: Option<String>,
    logged_before: u64,
}

/// The counters, shared by every client's interceptor.
#[derive(Clone)]
pub struct Meter {
    state: Arc<Mutex<State>>,
    reader: Reader,
}

impl std::fmt::Debug for Meter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Meter").finish_non_exhaustive()
    }
}

impl Meter {
    /// A meter whose read-backs go to `endpoint` (moto).
    pub fn new(endpoint: &str) -> Meter {
        Meter { state: Arc::new(Mutex::new(State { counting: true, ..State::default() })), reader: Reader::start(endpoint) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The interceptor to attach to a client of `service` ("DynamoDB", "SQS", ...).
    pub fn interceptor(&self, service: &'static str) -> Counting {
        Counting { service, meter: self.clone() }
    }

    /// Learns a table's key and its indexes (from `DescribeTable`, not counted).
    pub async fn learn_table(&self, client: &aws_sdk_dynamodb::Client, table: &str) -> anyhow::Result<()> {
        let was = self.counting(false);
        let described = client.describe_table().table_name(table).send().await;
        self.counting(was);
        let t = described?.table.ok_or_else(|| anyhow::anyhow!("{table}: no description"))?;
        let names = |schema: &[aws_sdk_dynamodb::types::KeySchemaElement]| schema.iter().map(|k| k.attribute_name().to_string()).collect();
        let shape = TableShape {
            keys: names(t.key_schema()),
            indexes: t
                .global_secondary_indexes()
                .iter()
                .map(|i| IndexShape {
                    keys: names(i.key_schema()),
                    projected: i.projection().map(|p| p.non_key_attributes().to_vec()).unwrap_or_default(),
                })
                .collect(),
        };
        self.lock().tables.insert(table.to_string(), shape);
        Ok(())
    }

    /// Turns counting on or off (the bench's own bookkeeping is not counted); returns what it was.
    pub fn counting(&self, on: bool) -> bool {
        std::mem::replace(&mut self.lock().counting, on)
    }

    pub fn reset(&self) {
        self.lock().counts = Counts::default();
    }

    pub fn counts(&self) -> Counts {
        self.lock().counts.clone()
    }

    /// Adds requests made on the functions' behalf by AWS itself (an SQS event source mapping's
    /// receives and deletes).
    pub fn add(&self, service: &str, operation: &str, calls: u64) {
        let mut s = self.lock();
        if !s.counting {
            return;
        }
        let t = s.counts.operations.entry((service.to_string(), operation.to_string())).or_default();
        t.calls += calls as f64;
        t.units += calls as f64;
    }

    /// Counts a new instance of `function` (its next invocation pays for an init).
    pub fn cold_start(&self, function: &str) {
        let mut s = self.lock();
        if s.counting {
            s.counts.functions.entry(function.to_string()).or_default().cold_starts += 1.0;
        }
    }

    /// Marks the start of an invocation of `function`; the calls until [`Meter::end`] are its.
    pub fn begin(&self, function: &str) {
        let mut s = self.lock();
        if s.counting {
            s.counts.functions.entry(function.to_string()).or_default().count += 1.0;
        }
        s.current = Some(function.to_string());
        s.logged_before = LOGGED.load(Ordering::Relaxed);
    }

    pub fn end(&self) {
        let mut s = self.lock();
        s.current = None;
        if s.counting {
            s.counts.log_bytes += LOGGED.load(Ordering::Relaxed).saturating_sub(s.logged_before) as f64;
        }
    }

    /// The outbox records inserted since the last call: `(PK, SK)`.
    pub fn take_outbox(&self) -> Vec<(String, String)> {
        std::mem::take(&mut self.lock().outbox)
    }

    fn record(&self, service: &'static str, attempt: Attempt) {
        let Attempt { operation, request, response, ok } = attempt;
        // Read-backs happen outside the lock (they wait for moto).
        let (tables, counting) = {
            let s = self.lock();
            (s.tables.clone(), s.counting)
        };
        let mut billed = Billed { units: 1.0, index_units: 0.0 };
        let mut writes = Vec::new();
        if service == "DynamoDB" {
            let req: Value = serde_json::from_slice(&request).unwrap_or(Value::Null);
            let resp: Value = serde_json::from_slice(&response).unwrap_or(Value::Null);
            billed = dynamodb_reads(&operation, &req, &resp);
            writes = dynamodb_writes(&operation, &req, &tables);
            for w in &mut writes {
                if ok && w.after.is_none() && w.kind == WriteKind::Update {
                    w.after = self.reader.item(&w.table, &w.key);
                }
            }
        } else if service == "SQS" || service == "SNS" {
            billed.units = request.len().div_ceil(64 * 1024).max(1) as f64;
        }
        let traced = writes.iter().map(|w| item_kind(&w.key)).collect::<Vec<_>>().join(" ");
        let mut s = self.lock();
        for w in writes {
            let Some(shape) = tables.get(&w.table) else { continue };
            let id = (w.table.clone(), key_string(&w.key));
            let before = s.items.get(&id).cloned();
            let after = if ok {
                match w.kind {
                    WriteKind::Delete => None,
                    WriteKind::Check => before.clone(),
                    _ => w.after.as_ref().map(|item| facts(item, shape)),
                }
            } else {
                before.clone()
            };
            let size = before.as_ref().map_or(0, |f| f.size).max(after.as_ref().map_or(0, |f| f.size));
            let factor = if w.transactional { 2.0 } else { 1.0 };
            let units = factor * size.div_ceil(1024).max(1) as f64;
            billed.units += units;
            let index_units = if ok { index_writes(before.as_ref(), after.as_ref(), shape.indexes.len()) } else { 0.0 };
            billed.index_units += index_units;
            if counting {
                let kind = s.counts.written.entry(item_kind(&w.key)).or_default();
                kind.writes += 1.0;
                kind.units += units + index_units;
                kind.largest = kind.largest.max(size);
            }
            if ok {
                if w.kind == WriteKind::Put && before.is_none() {
                    if let (Some(Value::Object(key)), true) = (Some(&w.key), w.table_is_first) {
                        let text = |name: &str| key.get(name).and_then(|v| v.get("S")).and_then(Value::as_str).map(str::to_string);
                        if let (Some(pk), Some(sk)) = (text("PK"), text("SK")) {
                            if sk.starts_with(leadflow::ports::outbox::PREFIX) {
                                s.outbox.push((pk, sk));
                            }
                        }
                    }
                }
                match after {
                    Some(f) => s.items.insert(id, f),
                    None => s.items.remove(&id),
                };
            }
        }
        if !counting {
            return;
        }
        if std::env::var_os("LEADFLOW_COST_TRACE").is_some() {
            eprintln!(
                "{} {service} {operation} {:.1}+{:.1}i {}",
                s.current.as_deref().unwrap_or("-"),
                billed.units,
                billed.index_units,
                traced
            );
        }
        if let Some(f) = s.current.clone() {
            let inv = s.counts.functions.entry(f).or_default();
            *inv.calls.entry(service.to_string()).or_default() += 1.0;
            *inv.operations.entry(format!("{service} {operation}")).or_default() += 1.0;
        }
        let label = match (service, operation.as_str()) {
            ("SNS", "Publish") if String::from_utf8_lossy(&request).contains("PhoneNumber=") => "Publish (SMS)".to_string(),
            ("SNS", "Publish") => "Publish (topic)".to_string(),
            _ => operation,
        };
        let t = s.counts.operations.entry((service.to_string(), label)).or_default();
        t.calls += 1.0;
        t.units += billed.units;
        t.index_units += billed.index_units;
        t.request_bytes += request.len() as f64;
        t.response_bytes += response.len() as f64;
    }
}

/// The SDK interceptor: the request body before it is sent, the response after.
#[derive(Debug)]
pub struct Counting {
    service: &'static str,
    meter: Meter,
}

/// A request on its way, kept in the operation's config bag until its response.
#[derive(Debug, Clone)]
struct Sent {
    operation: String,
    body: Vec<u8>,
}

impl Storable for Sent {
    type Storer = StoreReplace<Self>;
}

struct Attempt {
    operation: String,
    request: Vec<u8>,
    response: Vec<u8>,
    ok: bool,
}

impl Intercept for Counting {
    fn name(&self) -> &'static str {
        "leadflow-cost-meter"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = cfg.load::<Metadata>().map(|m| m.name().to_string()).unwrap_or_else(|| "unknown".into());
        let body = context.request().body().bytes().map(<[u8]>::to_vec).unwrap_or_default();
        cfg.interceptor_state().store_put(Sent { operation, body });
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(sent) = cfg.load::<Sent>().cloned() else { return Ok(()) };
        let Some(response) = context.response() else { return Ok(()) };
        let body = response.body().bytes().map(<[u8]>::to_vec).unwrap_or_default();
        let ok = response.status().is_success();
        self.meter.record(self.service, Attempt { operation: sent.operation, request: sent.body, response: body, ok });
        Ok(())
    }
}

struct Billed {
    units: f64,
    index_units: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WriteKind {
    Put,
    Update,
    Delete,
    Check,
}

struct Write {
    table: String,
    key: Value,
    kind: WriteKind,
    transactional: bool,
    /// The item after the write, when the request says it (a put).
    after: Option<Value>,
    /// Whether the key names the item by `PK`/`SK` (the leads table's layout).
    table_is_first: bool,
}

/// Read units of a DynamoDB call, or 0 for a write (its units come from [`dynamodb_writes`]).
fn dynamodb_reads(operation: &str, req: &Value, resp: &Value) -> Billed {
    let consistent = |v: &Value| v.get("ConsistentRead").and_then(Value::as_bool).unwrap_or(false);
    let factor = |strong: bool| if strong { 1.0 } else { 0.5 };
    let units = match operation {
        "GetItem" => factor(consistent(req)) * read_units(resp.get("Item").map_or(0, item_size)),
        "Query" | "Scan" => {
            let items = resp.get("Items").and_then(Value::as_array).cloned().unwrap_or_default();
            let mut size: usize = items.iter().map(item_size).sum();
            // A filter drops items after they were read (and billed): scale by what was scanned.
            let count = resp.get("Count").and_then(Value::as_u64).unwrap_or(0) as usize;
            let scanned = resp.get("ScannedCount").and_then(Value::as_u64).unwrap_or(0) as usize;
            if scanned > count {
                size = (size * scanned).checked_div(count).unwrap_or(scanned * 1024);
            }
            factor(consistent(req)) * read_units(size)
        }
        "BatchGetItem" => {
            let mut units = 0.0;
            for (table, request) in req.get("RequestItems").and_then(Value::as_object).into_iter().flatten() {
                let asked = request.get("Keys").and_then(Value::as_array).map_or(0, Vec::len);
                let found = resp.pointer(&format!("/Responses/{table}")).and_then(Value::as_array).cloned().unwrap_or_default();
                let got: f64 = found.iter().map(|i| read_units(item_size(i))).sum();
                units += factor(consistent(request)) * (got + asked.saturating_sub(found.len()) as f64);
            }
            units
        }
        "TransactGetItems" => {
            let found = resp.get("Responses").and_then(Value::as_array).cloned().unwrap_or_default();
            2.0 * found.iter().map(|r| read_units(r.get("Item").map_or(0, item_size))).sum::<f64>()
        }
        "PutItem" | "UpdateItem" | "DeleteItem" | "BatchWriteItem" | "TransactWriteItems" => 0.0,
        // Table management: no request units.
        _ => 0.0,
    };
    Billed { units, index_units: 0.0 }
}

fn read_units(size: usize) -> f64 {
    size.div_ceil(4096).max(1) as f64
}

/// The items a DynamoDB call writes (or checks, in a transaction).
fn dynamodb_writes(operation: &str, req: &Value, tables: &HashMap<String, TableShape>) -> Vec<Write> {
    let key_of = |table: &str, item: &Value| -> Value {
        let keys = tables.get(table).map(|t| t.keys.clone()).unwrap_or_default();
        let map: serde_json::Map<String, Value> = keys.iter().filter_map(|k| item.get(k).map(|v| (k.clone(), v.clone()))).collect();
        Value::Object(map)
    };
    let first = |table: &str| tables.get(table).is_some_and(|t| t.keys.first().is_some_and(|k| k == "PK"));
    let table_of = |v: &Value| v.get("TableName").and_then(Value::as_str).unwrap_or_default().to_string();
    let one = |v: &Value, kind: WriteKind, transactional: bool| -> Write {
        let table = table_of(v);
        let (key, after) = match kind {
            WriteKind::Put => (key_of(&table, v.get("Item").unwrap_or(&Value::Null)), v.get("Item").cloned()),
            _ => (v.get("Key").cloned().unwrap_or(Value::Null), None),
        };
        Write { table_is_first: first(&table), table, key, kind, transactional, after }
    };
    match operation {
        "PutItem" => vec![one(req, WriteKind::Put, false)],
        "UpdateItem" => vec![one(req, WriteKind::Update, false)],
        "DeleteItem" => vec![one(req, WriteKind::Delete, false)],
        "TransactWriteItems" => req
            .get("TransactItems")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|t| {
                [
                    ("Put", WriteKind::Put),
                    ("Update", WriteKind::Update),
                    ("Delete", WriteKind::Delete),
                    ("ConditionCheck", WriteKind::Check),
                ]
                .into_iter()
                .find_map(|(name, kind)| t.get(name).map(|v| one(v, kind, true)))
            })
            .collect(),
        "BatchWriteItem" => {
            let mut out = Vec::new();
            for (table, requests) in req.get("RequestItems").and_then(Value::as_object).into_iter().flatten() {
                for r in requests.as_array().into_iter().flatten() {
                    let mut v = r.get("PutRequest").or_else(|| r.get("DeleteRequest")).cloned().unwrap_or(Value::Null);
                    if let Value::Object(m) = &mut v {
                        m.insert("TableName".into(), Value::String(table.clone()));
                    }
                    out.push(one(&v, if r.get("PutRequest").is_some() { WriteKind::Put } else { WriteKind::Delete }, false));
                }
            }
            out
        }
        _ => Vec::new(),
    }
}

/// Write units on the indexes: an entry added or removed is one, a moved key two, a changed
/// carried value one.
fn index_writes(before: Option<&ItemFacts>, after: Option<&ItemFacts>, indexes: usize) -> f64 {
    let entry = |f: Option<&ItemFacts>, i: usize| f.and_then(|f| f.entries.get(i).cloned().flatten());
    (0..indexes)
        .map(|i| match (entry(before, i), entry(after, i)) {
            (None, None) => 0.0,
            (Some(_), None) | (None, Some(_)) => 1.0,
            (Some((k1, _)), Some((k2, _))) if k1 != k2 => 2.0,
            (Some((_, v1)), Some((_, v2))) if v1 != v2 => 1.0,
            _ => 0.0,
        })
        .sum()
}

fn facts(item: &Value, shape: &TableShape) -> ItemFacts {
    let entries = shape
        .indexes
        .iter()
        .map(|index| {
            let keys: Option<Vec<String>> = index.keys.iter().map(|k| item.get(k).map(Value::to_string)).collect();
            keys.map(|k| (k.join("|"), index.projected.iter().map(|p| item.get(p).map(Value::to_string).unwrap_or_default()).collect()))
        })
        .collect();
    ItemFacts { size: item_size(item), entries }
}

/// What kind of item a key names: the partition and sort keys up to their first `#` (`LEAD/TL`
/// for a timeline entry); a segment that is a time or an id reads `*`.
fn item_kind(key: &Value) -> String {
    let text = |name: &str| key.get(name).and_then(|v| v.get("S")).and_then(Value::as_str);
    let head = |k: &str| {
        let h = k.split('#').next().unwrap_or(k);
        if h.chars().next().is_some_and(|c| c.is_ascii_digit()) || h.len() > 20 {
            "*".to_string()
        } else {
            h.to_string()
        }
    };
    match (text("PK"), text("SK")) {
        (Some(pk), Some(sk)) => format!("{}/{}", head(pk), head(sk)),
        (Some(pk), None) => head(pk),
        _ => key.as_object().map(|m| m.keys().cloned().collect::<Vec<_>>().join("+")).unwrap_or_default(),
    }
}

fn key_string(key: &Value) -> String {
    match key {
        Value::Object(m) => m.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&"),
        other => other.to_string(),
    }
}

/// An item's size as DynamoDB counts it: each attribute's name plus its value (strings and
/// binaries by length, numbers about one byte per two digits, containers 3 bytes plus their
/// elements and a byte each).
pub fn item_size(item: &Value) -> usize {
    match item.get("M").filter(|_| item.as_object().is_some_and(|m| m.len() == 1)) {
        Some(_) => value_size(item),
        None => item.as_object().map_or(0, |m| m.iter().map(|(name, v)| name.len() + value_size(v)).sum()),
    }
}

fn value_size(v: &Value) -> usize {
    let Some((kind, inner)) = v.as_object().and_then(|m| m.iter().next()) else { return 0 };
    match kind.as_str() {
        "S" => inner.as_str().map_or(0, str::len),
        "N" => inner.as_str().map_or(1, |n| n.trim_start_matches('-').len().div_ceil(2) + 1),
        "B" => inner.as_str().map_or(0, |b| b.len() * 3 / 4),
        "BOOL" | "NULL" => 1,
        "SS" | "NS" | "BS" => inner.as_array().map_or(0, |a| a.iter().map(|s| s.as_str().map_or(0, str::len)).sum()),
        "L" => 3 + inner.as_array().map_or(0, |a| a.iter().map(|e| 1 + value_size(e)).sum::<usize>()),
        "M" => 3 + inner.as_object().map_or(0, |m| m.iter().map(|(k, e)| 1 + k.len() + value_size(e)).sum::<usize>()),
        _ => 0,
    }
}

/// Reads items back after an update, on a thread and client of its own (so the waiting
/// interceptor never blocks the client it observes), consistently.
#[derive(Clone)]
struct Reader {
    tx: mpsc::Sender<(String, Value, mpsc::Sender<Option<Value>>)>,
}

impl Reader {
    fn start(endpoint: &str) -> Reader {
        let (tx, rx) = mpsc::channel::<(String, Value, mpsc::Sender<Option<Value>>)>();
        let endpoint = endpoint.to_string();
        std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async move {
                use leadflow::adapters::aws::sdk::{load, AwsOptions};
                let config = load(AwsOptions {
                    endpoint_url: Some(endpoint),
                    region: Some("us-east-1".into()),
                    static_credentials: Some(("bench".into(), "bench".into())),
                })
                .await;
                let client = aws_sdk_dynamodb::Client::new(&config);
                while let Ok((table, key, reply)) = rx.recv() {
                    let key: HashMap<String, aws_sdk_dynamodb::types::AttributeValue> =
                        key.as_object().into_iter().flatten().filter_map(|(k, v)| Some((k.clone(), key_value(v)?))).collect();
                    let got = client.get_item().table_name(table).set_key(Some(key)).consistent_read(true).send().await;
                    let _ = reply.send(got.ok().and_then(|o| o.item).map(|item| wire_item(&item)));
                }
            });
        });
        Reader { tx }
    }

    fn item(&self, table: &str, key: &Value) -> Option<Value> {
        let (reply, answer) = mpsc::channel();
        self.tx.send((table.to_string(), key.clone(), reply)).ok()?;
        answer.recv().ok().flatten()
    }
}

fn key_value(v: &Value) -> Option<aws_sdk_dynamodb::types::AttributeValue> {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    let (kind, inner) = v.as_object()?.iter().next()?;
    let text = inner.as_str()?.to_string();
    match kind.as_str() {
        "S" => Some(A::S(text)),
        "N" => Some(A::N(text)),
        "B" => {
            use base64::Engine;
            Some(A::B(aws_smithy_types::Blob::new(base64::engine::general_purpose::STANDARD.decode(text).ok()?)))
        }
        _ => None,
    }
}

/// An SDK item in DynamoDB's JSON wire format (what [`item_size`] reads).
fn wire_item(item: &HashMap<String, aws_sdk_dynamodb::types::AttributeValue>) -> Value {
    Value::Object(item.iter().map(|(k, v)| (k.clone(), wire_value(v))).collect())
}

fn wire_value(v: &aws_sdk_dynamodb::types::AttributeValue) -> Value {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    use base64::Engine;
    let b64 = |b: &aws_smithy_types::Blob| base64::engine::general_purpose::STANDARD.encode(b.as_ref());
    let (kind, inner) = match v {
        A::S(s) => ("S", Value::String(s.clone())),
        A::N(n) => ("N", Value::String(n.clone())),
        A::B(b) => ("B", Value::String(b64(b))),
        A::Bool(b) => ("BOOL", Value::Bool(*b)),
        A::Null(b) => ("NULL", Value::Bool(*b)),
        A::Ss(s) => ("SS", s.iter().cloned().map(Value::String).collect()),
        A::Ns(s) => ("NS", s.iter().cloned().map(Value::String).collect()),
        A::Bs(s) => ("BS", s.iter().map(|b| Value::String(b64(b))).collect()),
        A::L(l) => ("L", l.iter().map(wire_value).collect()),
        A::M(m) => ("M", wire_item(m)),
        _ => ("NULL", Value::Bool(true)),
    };
    serde_json::json!({ kind: inner })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_sizes_count_names_and_values() {
        let item = serde_json::json!({"PK": {"S": "LEAD#1"}, "n": {"N": "1234"}, "m": {"M": {"a": {"BOOL": true}}}});
        // "PK"+6, "n"+3, "m"+(3 + 1 + "a" + 1)
        assert_eq!(item_size(&item), 8 + 4 + 7);
    }

    #[test]
    fn a_moved_index_key_costs_two_writes_and_a_new_entry_one() {
        let f = |k: &str| ItemFacts { size: 10, entries: vec![Some((k.to_string(), String::new())), None] };
        assert_eq!(index_writes(Some(&f("a")), Some(&f("b")), 2), 2.0);
        assert_eq!(index_writes(None, Some(&f("a")), 2), 1.0);
        assert_eq!(index_writes(Some(&f("a")), Some(&f("a")), 2), 0.0);
    }
}
