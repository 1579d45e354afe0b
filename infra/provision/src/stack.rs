//! A stack made from the template in an AWS endpoint (moto): each resource the functions use
//! at run time is created with the properties the template gives it, under a name of this
//! stack's own, and every other resource answers `Ref` / `GetAtt` with the name and ARN
//! CloudFormation would give it.

use crate::template::{self, evaluate, evaluate_string, json_text, Physical, Scope, Template, TemplateError};
use aws_sdk_dynamodb::types as ddb;
use serde_json::Value as Json;
use serde_yaml_ng::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The account moto answers for.
pub const MOTO_ACCOUNT: &str = "123456789012";

/// Why a resource could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error("{resource}: {action} failed: {message}")]
    Aws { resource: String, action: &'static str, message: String },
    #[error("{resource}: {message}")]
    Invalid { resource: String, message: String },
    #[error("{0} is not a resource of the template")]
    NoSuchResource(String),
    #[error("no function of the template is named {0} (LEADFLOW_FUNCTION or logical id)")]
    NoSuchFunction(String),
}

/// The resource types made in the endpoint; every other type is only named.
pub const PROVISIONED_TYPES: &[&str] = &[
    "AWS::KMS::Key",
    "AWS::KMS::Alias",
    "AWS::DynamoDB::Table",
    "AWS::SQS::Queue",
    "AWS::SNS::Topic",
    "AWS::SNS::Subscription",
    "AWS::SSM::Parameter",
];

/// What a stack is called and where it lives.
#[derive(Debug, Clone)]
pub struct StackOptions {
    /// `AWS::StackName`, the prefix of every name made.
    pub name: String,
    pub region: String,
    pub account: String,
    /// Parameter values over the template's defaults.
    pub parameters: BTreeMap<String, String>,
}

impl StackOptions {
    pub fn new(name: impl Into<String>) -> StackOptions {
        StackOptions {
            name: name.into(),
            region: leadflow::adapters::aws::sdk::DEFAULT_REGION.to_string(),
            account: MOTO_ACCOUNT.to_string(),
            parameters: BTreeMap::new(),
        }
    }

    pub fn parameter(mut self, name: &str, value: impl Into<String>) -> StackOptions {
        self.parameters.insert(name.to_string(), value.into());
        self
    }
}

/// The SDK clients a stack is made with.
#[derive(Debug, Clone)]
pub struct Clients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub sns: aws_sdk_sns::Client,
    pub kms: aws_sdk_kms::Client,
    pub ssm: aws_sdk_ssm::Client,
}

impl Clients {
    /// Clients that are never called (a naming-only stack).
    fn unused() -> Clients {
        let config = aws_config::SdkConfig::builder().behavior_version(aws_config::BehaviorVersion::latest()).build();
        Clients::new(&config)
    }

    pub fn new(config: &aws_config::SdkConfig) -> Clients {
        Clients {
            dynamodb: aws_sdk_dynamodb::Client::new(config),
            sqs: aws_sdk_sqs::Client::new(config),
            sns: aws_sdk_sns::Client::new(config),
            kms: aws_sdk_kms::Client::new(config),
            ssm: aws_sdk_ssm::Client::new(config),
        }
    }
}

/// A function of the template: its logical id and its `LEADFLOW_FUNCTION` name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionRef {
    pub id: String,
    pub name: String,
}

/// One stack of the template in an endpoint.
pub struct Stack {
    template: Arc<Template>,
    options: StackOptions,
    parameters: BTreeMap<String, Json>,
    made: BTreeMap<String, Physical>,
    /// `None`: nothing is made; every resource is only named (to read the template's values).
    clients: Option<Clients>,
}

impl Scope for Stack {
    fn template(&self) -> &Template {
        &self.template
    }

    fn parameter(&self, name: &str) -> Option<&Json> {
        self.parameters.get(name)
    }

    fn pseudo(&self, name: &str) -> Option<String> {
        Some(match name {
            "AWS::Region" => self.options.region.clone(),
            "AWS::AccountId" => self.options.account.clone(),
            "AWS::StackName" => self.options.name.clone(),
            "AWS::StackId" => format!(
                "arn:aws:cloudformation:{}:{}:stack/{}/00000000-0000-0000-0000-000000000000",
                self.options.region, self.options.account, self.options.name
            ),
            "AWS::Partition" => "aws".to_string(),
            "AWS::URLSuffix" => "amazonaws.com".to_string(),
            _ => return None,
        })
    }

    fn physical(&self, id: &str) -> Result<Physical, TemplateError> {
        if let Some(p) = self.made.get(id) {
            return Ok(p.clone());
        }
        let resource = self.template.resource(id).ok_or_else(|| TemplateError::Unknown(id.to_string()))?;
        if PROVISIONED_TYPES.contains(&resource.kind) && self.clients.is_some() {
            return Err(TemplateError::NotProvisioned(id.to_string()));
        }
        Ok(self.named(id, resource.kind))
    }
}

impl Stack {
    pub fn new(template: Arc<Template>, options: StackOptions, clients: Clients) -> Stack {
        let mut parameters = template.parameter_defaults();
        for (k, v) in &options.parameters {
            parameters.insert(k.clone(), Json::String(v.clone()));
        }
        Stack { template, options, parameters, made: BTreeMap::new(), clients: Some(clients) }
    }

    /// A stack that makes nothing: every resource answers `Ref` and `GetAtt` with the name and
    /// ARN it would have, so the template's values (a function's environment) can be read.
    pub fn naming_only(template: Arc<Template>, options: StackOptions) -> Stack {
        let mut stack = Stack::new(template, options, Clients::unused());
        stack.clients = None;
        stack
    }

    pub fn name(&self) -> &str {
        &self.options.name
    }

    pub fn region(&self) -> &str {
        &self.options.region
    }

    /// The clients it makes resources with (`None` for [`Stack::naming_only`]).
    pub fn clients(&self) -> Option<&Clients> {
        self.clients.as_ref()
    }

    pub fn template(&self) -> &Template {
        &self.template
    }

    /// What `Ref` and `GetAtt` give for a resource made (or named) so far.
    pub fn resource(&self, id: &str) -> Result<Physical, ProvisionError> {
        Ok(Scope::physical(self, id)?)
    }

    /// Evaluates a template value in this stack (resources it names must be made first).
    pub fn evaluate(&self, v: &Value) -> Result<Option<Json>, ProvisionError> {
        Ok(evaluate(self, v)?)
    }

    /// Whether a resource is deployed with the current parameters (its `Condition` holds).
    pub fn deployed(&self, id: &str) -> Result<bool, ProvisionError> {
        let resource = self.template.resource(id).ok_or_else(|| ProvisionError::NoSuchResource(id.to_string()))?;
        match resource.condition {
            Some(c) => Ok(template::condition_holds(self, c)?),
            None => Ok(true),
        }
    }

    /// Makes every resource of a provisioned type whose condition holds.
    pub async fn provision_all(&mut self) -> Result<(), ProvisionError> {
        let ids: Vec<String> =
            self.template.resources().filter(|r| PROVISIONED_TYPES.contains(&r.kind)).map(|r| r.id.to_string()).collect();
        for id in ids {
            if self.deployed(&id)? {
                self.provision(&id).await?;
            }
        }
        Ok(())
    }

    /// Makes one resource, after everything it refers to. Made once per stack.
    pub async fn provision(&mut self, id: &str) -> Result<Physical, ProvisionError> {
        if self.clients.is_none() {
            return self.resource(id);
        }
        for next in self.creation_order(id)? {
            if !self.made.contains_key(&next) {
                let physical = self.create(&next).await?;
                self.made.insert(next, physical);
            }
        }
        self.resource(id)
    }

    /// Makes what a template value refers to, then evaluates it.
    pub async fn provision_value(&mut self, v: &Value) -> Result<Option<Json>, ProvisionError> {
        for id in template::references(self, v)? {
            if PROVISIONED_TYPES.contains(&self.kind(&id)?) {
                self.provision(&id).await?;
            }
        }
        self.evaluate(v)
    }

    /// The functions of the template.
    pub fn functions(&self) -> Vec<FunctionRef> {
        self.template
            .resources()
            .filter(|r| r.kind == "AWS::Serverless::Function")
            .map(|r| FunctionRef { id: r.id.to_string(), name: function_name(r.properties).unwrap_or(r.id).to_string() })
            .collect()
    }

    /// The environment the template gives a function (`Globals` then its own variables, a
    /// variable whose value is `AWS::NoValue` left out), after making what it refers to.
    pub async fn function_environment(&mut self, function: &str) -> Result<BTreeMap<String, String>, ProvisionError> {
        let f = self
            .functions()
            .into_iter()
            .find(|f| f.name == function || f.id == function)
            .ok_or_else(|| ProvisionError::NoSuchFunction(function.to_string()))?;
        let mut declared: Vec<(String, Value)> = Vec::new();
        for (k, v) in self.template.global_function_variables().into_iter().flatten() {
            declared.push((k.as_str().unwrap_or_default().to_string(), v.clone()));
        }
        let own = self.template.resource(&f.id).map(|r| r.property("Environment").get("Variables").cloned());
        for (k, v) in own.flatten().as_ref().and_then(Value::as_mapping).into_iter().flatten() {
            let k = k.as_str().unwrap_or_default().to_string();
            declared.retain(|(name, _)| *name != k);
            declared.push((k, v.clone()));
        }
        let mut env = BTreeMap::new();
        for (k, v) in declared {
            if let Some(value) = self.provision_value(&v).await? {
                env.insert(k, json_text(&value));
            }
        }
        Ok(env)
    }

    /// Stores a `SecureString` parameter (what an operator does for secrets, which
    /// CloudFormation cannot create).
    pub async fn put_secure_string(&self, name: &str, value: &str) -> Result<(), ProvisionError> {
        self.made_with(name)?
            .ssm
            .put_parameter()
            .name(name)
            .value(value)
            .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
            .overwrite(true)
            .send()
            .await
            .map_err(|e| aws_error(name, "PutParameter", e))?;
        Ok(())
    }

    fn made_with(&self, id: &str) -> Result<&Clients, ProvisionError> {
        self.clients.as_ref().ok_or_else(|| invalid(id, "this stack makes nothing (naming only)"))
    }

    fn kind(&self, id: &str) -> Result<&str, ProvisionError> {
        self.template.resource(id).map(|r| r.kind).ok_or_else(|| ProvisionError::NoSuchResource(id.to_string()))
    }

    /// `id` and the provisioned resources it needs, dependencies first.
    fn creation_order(&self, id: &str) -> Result<Vec<String>, ProvisionError> {
        fn visit(stack: &Stack, id: &str, seen: &mut BTreeSet<String>, order: &mut Vec<String>) -> Result<(), ProvisionError> {
            if !seen.insert(id.to_string()) {
                return Ok(());
            }
            let resource = stack.template.resource(id).ok_or_else(|| ProvisionError::NoSuchResource(id.to_string()))?;
            if !PROVISIONED_TYPES.contains(&resource.kind) {
                return Ok(());
            }
            for dep in template::references(stack, resource.properties)? {
                visit(stack, &dep, seen, order)?;
            }
            order.push(id.to_string());
            Ok(())
        }
        let mut order = Vec::new();
        visit(self, id, &mut BTreeSet::new(), &mut order)?;
        Ok(order)
    }

    /// The name CloudFormation would generate (shorter: the stack name and the logical id).
    fn generated_name(&self, id: &str) -> String {
        format!("{}-{id}", self.options.name)
    }

    fn arn(&self, service: &str, rest: &str) -> String {
        format!("arn:aws:{service}:{}:{}:{rest}", self.options.region, self.options.account)
    }

    /// What a resource that is not made answers: its name, and an ARN of its service's form.
    fn named(&self, id: &str, kind: &str) -> Physical {
        let resource = self.template.resource(id);
        let property =
            |name: &str| resource.as_ref().and_then(|r| r.properties.get(name)).and_then(|v| evaluate_string(self, v).ok().flatten());
        let (name, arn) = match kind {
            "AWS::Serverless::Function" | "AWS::Lambda::Function" => {
                let name = property("FunctionName").unwrap_or_else(|| self.generated_name(id));
                let arn = self.arn("lambda", &format!("function:{name}"));
                (name, arn)
            }
            "AWS::IAM::Role" => {
                let name = property("RoleName").unwrap_or_else(|| self.generated_name(id));
                let arn = format!("arn:aws:iam::{}:role/{name}", self.options.account);
                (name, arn)
            }
            "AWS::Logs::LogGroup" => {
                let name = property("LogGroupName").unwrap_or_else(|| self.generated_name(id));
                let arn = self.arn("logs", &format!("log-group:{name}:*"));
                (name, arn)
            }
            "AWS::SQS::Queue" => {
                let name = property("QueueName").unwrap_or_else(|| self.generated_name(id));
                let url = format!("https://sqs.{}.amazonaws.com/{}/{name}", self.options.region, self.options.account);
                let arn = self.arn("sqs", &name);
                let attributes = [("Arn", arn), ("QueueName", name), ("QueueUrl", url.clone())];
                return Physical { reference: url, attributes: attributes.map(|(k, v)| (k.to_string(), v)).into() };
            }
            "AWS::SNS::Topic" => {
                let name = property("TopicName").unwrap_or_else(|| self.generated_name(id));
                let arn = self.arn("sns", &name);
                let attributes = [("TopicArn", arn.clone()), ("TopicName", name)];
                return Physical { reference: arn, attributes: attributes.map(|(k, v)| (k.to_string(), v)).into() };
            }
            "AWS::DynamoDB::Table" => {
                let name = property("TableName").unwrap_or_else(|| self.generated_name(id));
                let arn = self.arn("dynamodb", &format!("table/{name}"));
                let attributes = [("StreamArn", format!("{arn}/stream/1970-01-01T00:00:00.000")), ("Arn", arn)];
                return Physical { reference: name, attributes: attributes.map(|(k, v)| (k.to_string(), v)).into() };
            }
            "AWS::KMS::Key" => {
                let key_id = format!("00000000-0000-0000-0000-{:012}", id.len());
                let attributes = [("Arn", self.arn("kms", &format!("key/{key_id}"))), ("KeyId", key_id.clone())];
                return Physical { reference: key_id, attributes: attributes.map(|(k, v)| (k.to_string(), v)).into() };
            }
            "AWS::KMS::Alias" | "AWS::SSM::Parameter" => {
                let name = property("AliasName").or_else(|| property("Name")).unwrap_or_else(|| self.generated_name(id));
                let service = if kind == "AWS::KMS::Alias" { "kms" } else { "ssm" };
                let arn = self.arn(service, &name);
                (name, arn)
            }
            _ => {
                let service = kind.split("::").nth(1).unwrap_or("cloudformation").to_ascii_lowercase();
                let name = self.generated_name(id);
                let arn = self.arn(&service, &name);
                (name, arn)
            }
        };
        Physical { reference: name, attributes: BTreeMap::from([("Arn".to_string(), arn)]) }
    }

    /// A property's value as text, if set (and not `AWS::NoValue`).
    fn text(&self, id: &str, name: &str) -> Result<Option<String>, ProvisionError> {
        let resource = self.template.resource(id).ok_or_else(|| ProvisionError::NoSuchResource(id.to_string()))?;
        Ok(match resource.properties.get(name) {
            Some(v) => evaluate_string(self, v)?,
            None => None,
        })
    }

    fn json(&self, id: &str, name: &str) -> Result<Option<Json>, ProvisionError> {
        let resource = self.template.resource(id).ok_or_else(|| ProvisionError::NoSuchResource(id.to_string()))?;
        Ok(match resource.properties.get(name) {
            Some(v) => evaluate(self, v)?,
            None => None,
        })
    }

    async fn create(&self, id: &str) -> Result<Physical, ProvisionError> {
        match self.kind(id)? {
            "AWS::KMS::Key" => self.create_key(id).await,
            "AWS::KMS::Alias" => self.create_alias(id).await,
            "AWS::DynamoDB::Table" => self.create_table(id).await,
            "AWS::SQS::Queue" => self.create_queue(id).await,
            "AWS::SNS::Topic" => self.create_topic(id).await,
            "AWS::SNS::Subscription" => self.create_subscription(id).await,
            "AWS::SSM::Parameter" => self.create_parameter(id).await,
            other => Err(ProvisionError::Invalid { resource: id.to_string(), message: format!("{other} is not provisioned") }),
        }
    }

    async fn create_key(&self, id: &str) -> Result<Physical, ProvisionError> {
        let mut request = self.made_with(id)?.kms.create_key().description(self.text(id, "Description")?.unwrap_or_else(|| id.to_string()));
        if let Some(usage) = self.text(id, "KeyUsage")? {
            request = request.key_usage(usage.as_str().into());
        }
        if let Some(spec) = self.text(id, "KeySpec")? {
            request = request.key_spec(spec.as_str().into());
        }
        let out = request.send().await.map_err(|e| aws_error(id, "CreateKey", e))?;
        let meta = out.key_metadata().ok_or_else(|| invalid(id, "CreateKey answered no metadata"))?;
        let key_id = meta.key_id().to_string();
        let arn = meta.arn().map(str::to_string).unwrap_or_else(|| self.arn("kms", &format!("key/{key_id}")));
        Ok(Physical { reference: key_id.clone(), attributes: BTreeMap::from([("Arn".to_string(), arn), ("KeyId".to_string(), key_id)]) })
    }

    async fn create_alias(&self, id: &str) -> Result<Physical, ProvisionError> {
        let name = self.text(id, "AliasName")?.ok_or_else(|| invalid(id, "no AliasName"))?;
        let target = self.text(id, "TargetKeyId")?.ok_or_else(|| invalid(id, "no TargetKeyId"))?;
        self.made_with(id)?
            .kms
            .create_alias()
            .alias_name(&name)
            .target_key_id(target)
            .send()
            .await
            .map_err(|e| aws_error(id, "CreateAlias", e))?;
        let arn = self.arn("kms", &name);
        Ok(Physical { reference: name, attributes: BTreeMap::from([("Arn".to_string(), arn)]) })
    }

    async fn create_table(&self, id: &str) -> Result<Physical, ProvisionError> {
        let name = self.text(id, "TableName")?.unwrap_or_else(|| self.generated_name(id));
        let field = |j: &Json, k: &str| j.get(k).map(json_text).unwrap_or_default();
        let key_schema = |j: Option<&Json>| -> Result<Vec<ddb::KeySchemaElement>, ProvisionError> {
            j.and_then(Json::as_array)
                .into_iter()
                .flatten()
                .map(|k| {
                    ddb::KeySchemaElement::builder()
                        .attribute_name(field(k, "AttributeName"))
                        .key_type(field(k, "KeyType").as_str().into())
                        .build()
                        .map_err(|e| invalid(id, &e.to_string()))
                })
                .collect()
        };
        let projection = |j: Option<&Json>| {
            let j = j.cloned().unwrap_or(Json::Null);
            let non_key: Vec<String> = j.get("NonKeyAttributes").and_then(Json::as_array).into_iter().flatten().map(json_text).collect();
            ddb::Projection::builder()
                .projection_type(j.get("ProjectionType").map(json_text).unwrap_or_else(|| "ALL".into()).as_str().into())
                .set_non_key_attributes((!non_key.is_empty()).then_some(non_key))
                .build()
        };
        let provisioned = self.text(id, "BillingMode")?.unwrap_or_else(|| "PROVISIONED".into()) == "PROVISIONED";
        let throughput = |j: Option<&Json>| -> Result<Option<ddb::ProvisionedThroughput>, ProvisionError> {
            if !provisioned {
                return Ok(None);
            }
            let read = j.and_then(|t| t.get("ReadCapacityUnits")).map(json_text).and_then(|v| v.parse().ok()).unwrap_or(5);
            let write = j.and_then(|t| t.get("WriteCapacityUnits")).map(json_text).and_then(|v| v.parse().ok()).unwrap_or(5);
            ddb::ProvisionedThroughput::builder()
                .read_capacity_units(read)
                .write_capacity_units(write)
                .build()
                .map(Some)
                .map_err(|e| invalid(id, &e.to_string()))
        };
        let mut request = self
            .made_with(id)?
            .dynamodb
            .create_table()
            .table_name(&name)
            .billing_mode(if provisioned { ddb::BillingMode::Provisioned } else { ddb::BillingMode::PayPerRequest })
            .set_key_schema(Some(key_schema(self.json(id, "KeySchema")?.as_ref())?))
            .set_provisioned_throughput(throughput(self.json(id, "ProvisionedThroughput")?.as_ref())?);
        for a in self.json(id, "AttributeDefinitions")?.as_ref().and_then(Json::as_array).into_iter().flatten() {
            request = request.attribute_definitions(
                ddb::AttributeDefinition::builder()
                    .attribute_name(field(a, "AttributeName"))
                    .attribute_type(field(a, "AttributeType").as_str().into())
                    .build()
                    .map_err(|e| invalid(id, &e.to_string()))?,
            );
        }
        for g in self.json(id, "GlobalSecondaryIndexes")?.as_ref().and_then(Json::as_array).into_iter().flatten() {
            request = request.global_secondary_indexes(
                ddb::GlobalSecondaryIndex::builder()
                    .index_name(field(g, "IndexName"))
                    .set_key_schema(Some(key_schema(g.get("KeySchema"))?))
                    .projection(projection(g.get("Projection")))
                    .set_provisioned_throughput(throughput(g.get("ProvisionedThroughput"))?)
                    .build()
                    .map_err(|e| invalid(id, &e.to_string()))?,
            );
        }
        for l in self.json(id, "LocalSecondaryIndexes")?.as_ref().and_then(Json::as_array).into_iter().flatten() {
            request = request.local_secondary_indexes(
                ddb::LocalSecondaryIndex::builder()
                    .index_name(field(l, "IndexName"))
                    .set_key_schema(Some(key_schema(l.get("KeySchema"))?))
                    .projection(projection(l.get("Projection")))
                    .build()
                    .map_err(|e| invalid(id, &e.to_string()))?,
            );
        }
        if let Some(stream) = self.json(id, "StreamSpecification")? {
            request = request.stream_specification(
                ddb::StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(field(&stream, "StreamViewType").as_str().into())
                    .build()
                    .map_err(|e| invalid(id, &e.to_string()))?,
            );
        }
        request.send().await.map_err(|e| aws_error(id, "CreateTable", e))?;
        if let Some(ttl) = self.json(id, "TimeToLiveSpecification")? {
            if ttl.get("Enabled").map(json_text).as_deref() == Some("true") {
                let spec = ddb::TimeToLiveSpecification::builder()
                    .attribute_name(field(&ttl, "AttributeName"))
                    .enabled(true)
                    .build()
                    .map_err(|e| invalid(id, &e.to_string()))?;
                self.made_with(id)?
                    .dynamodb
                    .update_time_to_live()
                    .table_name(&name)
                    .time_to_live_specification(spec)
                    .send()
                    .await
                    .map_err(|e| aws_error(id, "UpdateTimeToLive", e))?;
            }
        }
        let described =
            self.made_with(id)?.dynamodb.describe_table().table_name(&name).send().await.map_err(|e| aws_error(id, "DescribeTable", e))?;
        let table = described.table().ok_or_else(|| invalid(id, "DescribeTable answered no table"))?;
        let mut attributes = BTreeMap::new();
        attributes.insert(
            "Arn".to_string(),
            table.table_arn().map(str::to_string).unwrap_or_else(|| self.arn("dynamodb", &format!("table/{name}"))),
        );
        if let Some(stream) = table.latest_stream_arn() {
            attributes.insert("StreamArn".to_string(), stream.to_string());
        }
        Ok(Physical { reference: name, attributes })
    }

    async fn create_queue(&self, id: &str) -> Result<Physical, ProvisionError> {
        use aws_sdk_sqs::types::QueueAttributeName as A;
        let fifo = self.text(id, "FifoQueue")?.as_deref() == Some("true");
        let name = self.text(id, "QueueName")?.unwrap_or_else(|| {
            let base = self.generated_name(id);
            if fifo {
                format!("{base}.fifo")
            } else {
                base
            }
        });
        let mut attributes = BTreeMap::new();
        for (property, attribute) in [
            ("VisibilityTimeout", A::VisibilityTimeout),
            ("MessageRetentionPeriod", A::MessageRetentionPeriod),
            ("DelaySeconds", A::DelaySeconds),
            ("MaximumMessageSize", A::MaximumMessageSize),
            ("ReceiveMessageWaitTimeSeconds", A::ReceiveMessageWaitTimeSeconds),
            ("FifoQueue", A::FifoQueue),
            ("ContentBasedDeduplication", A::ContentBasedDeduplication),
            ("DeduplicationScope", A::DeduplicationScope),
            ("FifoThroughputLimit", A::FifoThroughputLimit),
            ("KmsMasterKeyId", A::KmsMasterKeyId),
            ("KmsDataKeyReusePeriodSeconds", A::KmsDataKeyReusePeriodSeconds),
            ("SqsManagedSseEnabled", A::SqsManagedSseEnabled),
        ] {
            if let Some(v) = self.text(id, property)? {
                attributes.insert(attribute, v);
            }
        }
        for (property, attribute) in [("RedrivePolicy", A::RedrivePolicy), ("RedriveAllowPolicy", A::RedriveAllowPolicy)] {
            if let Some(v) = self.json(id, property)? {
                // The template gives an object; SQS takes it as a JSON string.
                attributes.insert(attribute, if let Json::String(s) = v { s } else { v.to_string() });
            }
        }
        let out = self
            .made_with(id)?
            .sqs
            .create_queue()
            .queue_name(&name)
            .set_attributes(Some(attributes.into_iter().collect()))
            .send()
            .await
            .map_err(|e| aws_error(id, "CreateQueue", e))?;
        let url = out.queue_url.ok_or_else(|| invalid(id, "CreateQueue answered no URL"))?;
        let described = self
            .made_with(id)?
            .sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(A::QueueArn)
            .send()
            .await
            .map_err(|e| aws_error(id, "GetQueueAttributes", e))?;
        let arn = described.attributes.and_then(|mut a| a.remove(&A::QueueArn)).ok_or_else(|| invalid(id, "no QueueArn"))?;
        Ok(Physical {
            reference: url.clone(),
            attributes: BTreeMap::from([("Arn".to_string(), arn), ("QueueName".to_string(), name), ("QueueUrl".to_string(), url)]),
        })
    }

    async fn create_topic(&self, id: &str) -> Result<Physical, ProvisionError> {
        let fifo = self.text(id, "FifoTopic")?.as_deref() == Some("true");
        let name = self.text(id, "TopicName")?.unwrap_or_else(|| {
            let base = self.generated_name(id);
            if fifo {
                format!("{base}.fifo")
            } else {
                base
            }
        });
        let mut request = self.made_with(id)?.sns.create_topic().name(&name);
        for property in ["DisplayName", "FifoTopic", "ContentBasedDeduplication", "KmsMasterKeyId"] {
            if let Some(v) = self.text(id, property)? {
                request = request.attributes(property, v);
            }
        }
        let arn = request.send().await.map_err(|e| aws_error(id, "CreateTopic", e))?.topic_arn.ok_or_else(|| invalid(id, "no TopicArn"))?;
        Ok(Physical {
            reference: arn.clone(),
            attributes: BTreeMap::from([("TopicArn".to_string(), arn), ("TopicName".to_string(), name)]),
        })
    }

    async fn create_subscription(&self, id: &str) -> Result<Physical, ProvisionError> {
        let topic = self.text(id, "TopicArn")?.ok_or_else(|| invalid(id, "no TopicArn"))?;
        let protocol = self.text(id, "Protocol")?.ok_or_else(|| invalid(id, "no Protocol"))?;
        let mut request = self.made_with(id)?.sns.subscribe().topic_arn(topic).protocol(protocol).set_endpoint(self.text(id, "Endpoint")?);
        for property in ["RawMessageDelivery", "FilterPolicyScope"] {
            if let Some(v) = self.text(id, property)? {
                request = request.attributes(property, v);
            }
        }
        for property in ["FilterPolicy", "RedrivePolicy"] {
            if let Some(v) = self.json(id, property)? {
                request = request.attributes(property, if let Json::String(s) = v { s } else { v.to_string() });
            }
        }
        let out = request.return_subscription_arn(true).send().await.map_err(|e| aws_error(id, "Subscribe", e))?;
        let arn = out.subscription_arn.unwrap_or_default();
        Ok(Physical { reference: arn.clone(), attributes: BTreeMap::from([("Arn".to_string(), arn)]) })
    }

    async fn create_parameter(&self, id: &str) -> Result<Physical, ProvisionError> {
        let name = self.text(id, "Name")?.unwrap_or_else(|| format!("/{}", self.generated_name(id)));
        let kind = self.text(id, "Type")?.unwrap_or_else(|| "String".into());
        let value = self.text(id, "Value")?.ok_or_else(|| invalid(id, "no Value"))?;
        self.made_with(id)?
            .ssm
            .put_parameter()
            .name(&name)
            .value(&value)
            .r#type(kind.as_str().into())
            .overwrite(true)
            .send()
            .await
            .map_err(|e| aws_error(id, "PutParameter", e))?;
        Ok(Physical { reference: name, attributes: BTreeMap::from([("Type".to_string(), kind), ("Value".to_string(), value)]) })
    }
}

/// A function's `LEADFLOW_FUNCTION`, if it is a plain name.
fn function_name(properties: &Value) -> Option<&str> {
    properties.get("Environment")?.get("Variables")?.get("LEADFLOW_FUNCTION")?.as_str()
}

fn invalid(id: &str, message: &str) -> ProvisionError {
    ProvisionError::Invalid { resource: id.to_string(), message: message.to_string() }
}

fn aws_error<E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::fmt::Debug>(
    id: &str,
    action: &'static str,
    e: aws_sdk_dynamodb::error::SdkError<E>,
) -> ProvisionError {
    let message = match e.as_service_error() {
        Some(s) => format!("{}: {}", s.code().unwrap_or("error"), s.message().unwrap_or_default()),
        None => format!("{e:?}"),
    };
    ProvisionError::Aws { resource: id.to_string(), action, message }
}
