//! Public us-east-1 list prices the cost model uses, and the stated latencies from which Lambda
//! durations are estimated. Free tiers are left out (they end; a clinic's account may use them
//! up elsewhere).

/// The day the prices below were taken from AWS's public pricing pages.
pub const PRICES_AS_OF: &str = "2026-12-03";

/// Dollars per unit.
#[derive(Debug, Clone)]
pub struct Prices {
    /// DynamoDB on-demand write request unit ($0.625 per million since the November 2024 cut).
    pub dynamodb_write_unit: f64,
    /// DynamoDB on-demand read request unit ($0.125 per million).
    pub dynamodb_read_unit: f64,
    /// SQS standard queue request, per 64 KB chunk ($0.40 per million).
    pub sqs_request: f64,
    /// SNS publish, per 64 KB chunk ($0.50 per million; SMS delivery fees are separate).
    pub sns_publish: f64,
    /// KMS request ($0.03 per 10,000).
    pub kms_request: f64,
    /// SSM Parameter Store API interaction with an advanced parameter ($0.05 per 10,000). The
    /// published operator configuration is one only when its stored value is over the standard
    /// tier's 4 KB (the embedded configuration's is about 200 bytes, a standard parameter):
    /// every new instance reads it at init with one GetParameter (GetParameterHistory only when
    /// the newest version does not validate, which publishing prevents). The webhook secrets
    /// and the link key are standard parameters, read at standard throughput: free.
    pub ssm_advanced_request: f64,
    /// SSM Parameter Store advanced parameter storage ($0.05 per parameter per month): the
    /// published operator configuration.
    pub ssm_advanced_parameter_month: f64,
    /// SES outbound email ($0.10 per 1,000): a message fee, like SMS, outside the target.
    pub ses_email: f64,
    /// CloudWatch Logs ingestion ($0.50 per GB).
    pub logs_ingested_gb: f64,
    /// API Gateway HTTP API request ($1.00 per million, first 300 million a month).
    pub http_api_request: f64,
    /// Lambda request ($0.20 per million).
    pub lambda_request: f64,
    /// Lambda duration on arm64 ($0.0000133334 per GB-second).
    pub lambda_gb_second: f64,
    /// Stated compute time of an invocation beside its AWS calls (Rust handlers take
    /// microseconds; this covers the runtime's own round trip), ms.
    pub compute_ms: f64,
    /// Stated init of a new instance, ms (a Rust function with the DynamoDB SDK, 128 MB arm64,
    /// published 2026: 112 ms); billed on a custom runtime.
    pub init_ms: f64,
    /// Requests an SQS event source mapping makes on an idle queue in a month: five long polls
    /// of 20 s each at a time.
    pub sqs_polls_per_queue_month: f64,
}

impl Default for Prices {
    fn default() -> Self {
        Prices {
            dynamodb_write_unit: 0.625 / 1e6,
            dynamodb_read_unit: 0.125 / 1e6,
            sqs_request: 0.40 / 1e6,
            sns_publish: 0.50 / 1e6,
            kms_request: 0.03 / 1e4,
            ssm_advanced_request: 0.05 / 1e4,
            ssm_advanced_parameter_month: 0.05,
            ses_email: 0.10 / 1e3,
            logs_ingested_gb: 0.50,
            http_api_request: 1.00 / 1e6,
            lambda_request: 0.20 / 1e6,
            lambda_gb_second: 0.000_013_333_4,
            compute_ms: 2.0,
            init_ms: 112.0,
            sqs_polls_per_queue_month: 5.0 * 3.0 * 60.0 * 24.0 * 30.0,
        }
    }
}

impl Prices {
    /// Stated in-region latency of one call to `service`, ms (DynamoDB single-digit ms; the
    /// messaging services somewhat more).
    pub fn latency_ms(&self, service: &str) -> f64 {
        match service {
            "DynamoDB" => 6.0,
            "SQS" => 10.0,
            "KMS" => 10.0,
            "SSM" => 15.0,
            "SNS" => 30.0,
            "SES" => 40.0,
            _ => 10.0,
        }
    }

    /// The prices and assumptions, as printed under the figures.
    pub fn describe(&self) -> String {
        format!(
            "prices (us-east-1, public list prices as of {PRICES_AS_OF}, free tiers left out):\n\
             \x20 DynamoDB on-demand: ${:.3} per million write request units (since the November 2024 cut), ${:.3} per million read request units\n\
             \x20 SQS standard: ${:.2} per million requests (each 64 KB chunk a request)\n\
             \x20 SNS: ${:.2} per million publishes (SMS delivery fees excluded)\n\
             \x20 KMS: ${:.2} per 10,000 requests\n\
             \x20 SSM Parameter Store: standard parameters free; advanced ${:.2} per parameter per month and ${:.2} per 10,000 API interactions\n\
             \x20   (the operator configuration is one only when over 4 KB stored; it is read once per new instance)\n\
             \x20 SES: ${:.2} per 1,000 emails (a message fee, shown apart like SMS)\n\
             \x20 CloudWatch Logs: ${:.2} per GB ingested\n\
             \x20 API Gateway HTTP API: ${:.2} per million requests\n\
             \x20 Lambda arm64: ${:.2} per million requests + ${:.10} per GB-second\n\
             assumptions: an invocation lasts {} ms plus DynamoDB 6 ms, SQS 10 ms, KMS 10 ms, SNS 30 ms, SES 40 ms per call,\n\
             \x20 and a new instance's init {} ms (billed on provided.al2023),\n\
             \x20 at the function's MemorySize in template.yaml; an SQS event source mapping polls an idle queue\n\
             \x20 {:.0} times a month (5 long polls of 20 s at a time); DynamoDB stream reads by Lambda are free",
            self.dynamodb_write_unit * 1e6,
            self.dynamodb_read_unit * 1e6,
            self.sqs_request * 1e6,
            self.sns_publish * 1e6,
            self.kms_request * 1e4,
            self.ssm_advanced_parameter_month,
            self.ssm_advanced_request * 1e4,
            self.ses_email * 1e3,
            self.logs_ingested_gb,
            self.http_api_request * 1e6,
            self.lambda_request * 1e6,
            self.lambda_gb_second,
            self.compute_ms,
            self.init_ms,
            self.sqs_polls_per_queue_month,
        )
    }
}
