//! What each Lambda function reads from its environment, in one place: the AWS wiring reads a
//! function's settings from this list and nothing else, refuses to start when a required one is
//! missing (naming every one that is), and the template test checks `template.yaml` against it
//! (every setting a function reads is set for it there, and it sets nothing the function does
//! not read).

use crate::ports::Consumer;

/// A setting a function reads from its environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Setting {
    /// `LEADFLOW_FUNCTION`: the entry point the executable runs.
    Function,
    /// `LEADFLOW_TABLE`: the leads table.
    Table,
    /// `LEADFLOW_AUDIT_TABLE`: the append-only audit trail.
    AuditTable,
    /// `LEADFLOW_FIELD_KEY`: the KMS key that wraps the data keys of sealed fields. Required
    /// everywhere: a function never stores the health concern unsealed.
    FieldKey,
    /// `LEADFLOW_QUEUE_<CONSUMER>`: the queue URL of a consumer the function publishes to.
    Queue(Consumer),
    /// `LEADFLOW_SMS_ORIGINATION_NUMBER`: the number texts are sent from (empty: SNS chooses).
    SmsOriginationNumber,
    /// `LEADFLOW_SMS_SENDER_ID`: the alphanumeric sender ID, where a country allows one.
    SmsSenderId,
    /// `LEADFLOW_EMAIL_FROM`: the address email is sent from (under the SES identity).
    EmailFrom,
    /// `LEADFLOW_SES_CONFIGURATION_SET`: publishes engagement events of sent email.
    SesConfigurationSet,
    /// `LEADFLOW_TEAM_TOPIC_ARN_PREFIX`: team notices go to `{prefix}{member_id}`.
    TeamTopicArnPrefix,
    /// `LEADFLOW_SECRETS_PATH`: the SSM path of the webhook secrets and the link signing key.
    SecretsPath,
    /// `LEADFLOW_PUBLIC_BASE_URL`: the API's public URL (Twilio signs the URL it called).
    PublicBaseUrl,
    /// `LEADFLOW_SNS_TOPIC_ARNS`: the topics whose SNS deliveries are accepted.
    SnsTopicArns,
    /// `LEADFLOW_ALERT_TOPIC_ARN`: the topic team alerts go to.
    AlertTopicArn,
    /// `LEADFLOW_CONSOLE_AUTH_DOMAIN`: the Cognito hosted UI staff sign in through.
    ConsoleAuthDomain,
    /// `LEADFLOW_CONSOLE_ISSUER`: the user pool that issues the console's tokens.
    ConsoleIssuer,
    /// `LEADFLOW_CONSOLE_CLIENT_ID_PARAMETER`: the SSM parameter holding the app client's id.
    ConsoleClientIdParameter,
    /// `LEADFLOW_CONSOLE_IDLE_MINUTES`: the console's idle sign-out, over the configuration's.
    ConsoleIdleMinutes,
    /// `LEADFLOW_METRICS_NAMESPACE`: the CloudWatch namespace of the business metrics
    /// (`leadflow/<stack>`, the namespace of the template's own metrics and dashboard).
    MetricsNamespace,
    /// `LEADFLOW_CONFIG_PARAMETER`: the SSM parameter the operator configuration is published
    /// to (`config::published`); the embedded file when unset or when the parameter does not exist.
    ConfigParameter,
}

impl Setting {
    /// The environment variable.
    pub fn var(self) -> String {
        match self {
            Setting::Function => "LEADFLOW_FUNCTION".into(),
            Setting::Table => "LEADFLOW_TABLE".into(),
            Setting::AuditTable => "LEADFLOW_AUDIT_TABLE".into(),
            Setting::FieldKey => "LEADFLOW_FIELD_KEY".into(),
            Setting::Queue(consumer) => format!("LEADFLOW_QUEUE_{}", consumer.as_str().to_ascii_uppercase()),
            Setting::SmsOriginationNumber => "LEADFLOW_SMS_ORIGINATION_NUMBER".into(),
            Setting::SmsSenderId => "LEADFLOW_SMS_SENDER_ID".into(),
            Setting::EmailFrom => "LEADFLOW_EMAIL_FROM".into(),
            Setting::SesConfigurationSet => "LEADFLOW_SES_CONFIGURATION_SET".into(),
            Setting::TeamTopicArnPrefix => "LEADFLOW_TEAM_TOPIC_ARN_PREFIX".into(),
            Setting::SecretsPath => "LEADFLOW_SECRETS_PATH".into(),
            Setting::PublicBaseUrl => "LEADFLOW_PUBLIC_BASE_URL".into(),
            Setting::SnsTopicArns => "LEADFLOW_SNS_TOPIC_ARNS".into(),
            Setting::AlertTopicArn => "LEADFLOW_ALERT_TOPIC_ARN".into(),
            Setting::ConsoleAuthDomain => "LEADFLOW_CONSOLE_AUTH_DOMAIN".into(),
            Setting::ConsoleIssuer => "LEADFLOW_CONSOLE_ISSUER".into(),
            Setting::ConsoleClientIdParameter => "LEADFLOW_CONSOLE_CLIENT_ID_PARAMETER".into(),
            Setting::ConsoleIdleMinutes => "LEADFLOW_CONSOLE_IDLE_MINUTES".into(),
            Setting::MetricsNamespace => "LEADFLOW_METRICS_NAMESPACE".into(),
            Setting::ConfigParameter => "LEADFLOW_CONFIG_PARAMETER".into(),
        }
    }
}

/// A setting a function reads, and whether it cannot start without it. An optional setting is
/// still set by the template, possibly only when a parameter is given (`!If`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Need {
    pub setting: Setting,
    pub required: bool,
}

const fn required(setting: Setting) -> Need {
    Need { setting, required: true }
}

const fn optional(setting: Setting) -> Need {
    Need { setting, required: false }
}

/// What every function reads (`Globals` in the template, and the entry point's name). Without
/// the metrics namespace, metrics go to `leadflow`; without the configuration parameter, every
/// function runs on the embedded configuration.
pub const EVERY_FUNCTION: &[Need] = &[
    required(Setting::Function),
    required(Setting::Table),
    required(Setting::AuditTable),
    required(Setting::FieldKey),
    optional(Setting::MetricsNamespace),
    optional(Setting::ConfigParameter),
];

/// Variables a function may read that the template must not set: Lambda, the SDK or a local
/// run provides them.
pub const OUTSIDE_THE_TEMPLATE: &[(&str, &str)] = &[
    ("AWS_ENDPOINT_URL", "an AWS emulator's URL, for local runs and tests"),
    ("LEADFLOW_CONFIG", "another operator configuration file than the embedded or published one, for local runs"),
    ("LEADFLOW_CONSOLE_CLIENT_ID", "a fixed app client id instead of the SSM parameter, for local runs"),
    ("AWS_REGION", "set by Lambda"),
    ("AWS_LAMBDA_RUNTIME_API", "set by Lambda"),
    ("AWS_LAMBDA_LOG_FORMAT", "set by Lambda from the function's LoggingConfig"),
    ("AWS_LAMBDA_LOG_LEVEL", "set by Lambda from the function's LoggingConfig"),
    ("RUST_LOG", "a log filter for local runs"),
];

/// One function's own settings (beyond [`EVERY_FUNCTION`]).
#[derive(Debug)]
pub struct FunctionSettings {
    /// Its `LEADFLOW_FUNCTION` name.
    pub function: &'static str,
    /// Whether its handlers parse or classify phone numbers (`domain::phone`: a number typed
    /// into a form or the API, a webhook's sender, a text's destination checked against the
    /// numbering plan). Such a function loads libphonenumber's metadata at init, so that its
    /// first request does not pay for it; any other loads it on first use, if ever.
    pub phone_numbers: bool,
    /// Whether it composes messages to leads (`app::compose`: the names it fills in are
    /// screened and the hosts a text names checked, with the link patterns of
    /// `domain::screen`). Such a function compiles the patterns at init; any other compiles
    /// them on first use, if ever.
    pub composes_messages: bool,
    pub own: &'static [Need],
}

impl FunctionSettings {
    /// Everything the function reads.
    pub fn needs(&self) -> impl Iterator<Item = Need> + '_ {
        EVERY_FUNCTION.iter().chain(self.own).copied()
    }

    /// Whether the function reads `setting`.
    pub fn reads(&self, setting: Setting) -> bool {
        self.needs().any(|n| n.setting == setting)
    }

    /// The consumers whose queues the function publishes to.
    pub fn queues(&self) -> Vec<Consumer> {
        self.needs()
            .filter_map(|n| match n.setting {
                Setting::Queue(c) => Some(c),
                _ => None,
            })
            .collect()
    }

    /// The required settings `lookup` has no value for, by variable name.
    pub fn missing(&self, lookup: impl Fn(&str) -> Option<String>) -> Vec<String> {
        self.needs().filter(|n| n.required).map(|n| n.setting.var()).filter(|var| lookup(var).is_none()).collect()
    }
}

use Consumer::{Acknowledge, Analytics, Cadence, Score, Webhooks};
use Setting::*;

/// How texts are sent (both optional: SNS chooses a number, and most countries take no sender ID).
const TEXTS: [Need; 2] = [optional(SmsOriginationNumber), optional(SmsSenderId)];
/// How email is sent (optional: without a sender identity, email is not sent).
const EMAIL: [Need; 2] = [optional(EmailFrom), optional(SesConfigurationSet)];

/// Every function, by its `LEADFLOW_FUNCTION` name.
pub const FUNCTIONS: &[FunctionSettings] = &[
    FunctionSettings {
        function: "acknowledge",
        phone_numbers: true,
        composes_messages: true,
        // Paced acknowledgements go back to its own queue with a delay.
        own: &[
            required(Queue(Acknowledge)),
            required(Queue(Analytics)),
            TEXTS[0],
            TEXTS[1],
            EMAIL[0],
            EMAIL[1],
            required(SecretsPath),
            optional(PublicBaseUrl),
        ],
    },
    FunctionSettings { function: "analytics", phone_numbers: false, composes_messages: false, own: &[] },
    FunctionSettings { function: "audit", phone_numbers: false, composes_messages: false, own: &[] },
    FunctionSettings { function: "cadence", phone_numbers: true, composes_messages: true, own: &[] },
    FunctionSettings { function: "cadence-api", phone_numbers: false, composes_messages: false, own: &[] },
    FunctionSettings {
        function: "console",
        phone_numbers: true,
        composes_messages: true,
        // The API's handlers it calls in-process publish what they change; sessions and CSRF
        // tokens are signed with the link signing key (under the secrets path).
        own: &[
            required(Queue(Score)),
            required(Queue(Cadence)),
            required(Queue(Analytics)),
            required(TeamTopicArnPrefix),
            TEXTS[0],
            TEXTS[1],
            EMAIL[0],
            EMAIL[1],
            required(SecretsPath),
            optional(PublicBaseUrl),
            required(ConsoleAuthDomain),
            required(ConsoleIssuer),
            // LEADFLOW_CONSOLE_CLIENT_ID may stand in for it in a local run.
            optional(ConsoleClientIdParameter),
            optional(ConsoleIdleMinutes),
        ],
    },
    FunctionSettings {
        function: "contacts",
        phone_numbers: true,
        composes_messages: true,
        own: &[required(Queue(Cadence)), required(Queue(Analytics)), TEXTS[0], TEXTS[1], EMAIL[0], EMAIL[1]],
    },
    FunctionSettings {
        function: "followup",
        phone_numbers: true,
        composes_messages: true,
        own: &[optional(PublicBaseUrl), TEXTS[0], TEXTS[1], required(TeamTopicArnPrefix), EMAIL[0], EMAIL[1], required(SecretsPath)],
    },
    FunctionSettings { function: "forms", phone_numbers: false, composes_messages: false, own: &[required(SecretsPath)] },
    FunctionSettings {
        function: "hygiene",
        phone_numbers: false,
        composes_messages: false,
        own: &[required(Queue(Cadence)), required(Queue(Analytics))],
    },
    // Intake stores the inquiry with its outbox record; the relay queues it.
    FunctionSettings { function: "intake", phone_numbers: true, composes_messages: false, own: &[required(SecretsPath)] },
    FunctionSettings {
        function: "leads-api",
        phone_numbers: true,
        composes_messages: false,
        own: &[required(Queue(Cadence)), required(Queue(Score)), required(Queue(Analytics)), required(TeamTopicArnPrefix)],
    },
    FunctionSettings {
        function: "links",
        phone_numbers: false,
        composes_messages: false,
        own: &[required(SecretsPath), required(Queue(Score)), required(Queue(Analytics))],
    },
    FunctionSettings { function: "merges", phone_numbers: false, composes_messages: false, own: &[required(Queue(Analytics))] },
    FunctionSettings { function: "people", phone_numbers: false, composes_messages: false, own: &[] },
    // Every consumer of a relayed event (`app::relay::required_consumers`, checked below).
    FunctionSettings {
        function: "relay",
        phone_numbers: false,
        composes_messages: false,
        own: &[required(Queue(Acknowledge)), required(Queue(Score)), required(Queue(Cadence)), required(Queue(Analytics))],
    },
    FunctionSettings { function: "reports", phone_numbers: false, composes_messages: false, own: &[] },
    FunctionSettings {
        function: "score",
        phone_numbers: false,
        composes_messages: false,
        own: &[optional(PublicBaseUrl), required(TeamTopicArnPrefix), required(Queue(Cadence)), required(Queue(Analytics))],
    },
    FunctionSettings {
        function: "sla",
        phone_numbers: false,
        composes_messages: false,
        own: &[required(Queue(Score)), required(Queue(Analytics)), optional(PublicBaseUrl), required(TeamTopicArnPrefix)],
    },
    FunctionSettings {
        function: "sources",
        phone_numbers: false,
        composes_messages: false,
        own: &[required(Queue(Score)), required(Queue(Analytics))],
    },
    FunctionSettings { function: "team", phone_numbers: false, composes_messages: false, own: &[] },
    FunctionSettings {
        function: "touchpoints",
        phone_numbers: false,
        composes_messages: false,
        own: &[required(Queue(Score)), required(Queue(Analytics))],
    },
    FunctionSettings {
        function: "unsubscribe",
        phone_numbers: false,
        composes_messages: false,
        own: &[required(SecretsPath), required(Queue(Cadence)), required(Queue(Analytics))],
    },
    FunctionSettings {
        function: "webhook-worker",
        phone_numbers: true,
        composes_messages: true,
        // Paced keyword replies go back to its own queue with a delay.
        own: &[
            required(SecretsPath),
            required(Queue(Webhooks)),
            required(Queue(Score)),
            required(Queue(Cadence)),
            required(Queue(Analytics)),
            required(AlertTopicArn),
            TEXTS[0],
            TEXTS[1],
        ],
    },
    FunctionSettings {
        function: "webhooks",
        phone_numbers: true,
        composes_messages: false,
        own: &[required(Queue(Webhooks)), required(SecretsPath), optional(PublicBaseUrl), optional(SnsTopicArns)],
    },
    FunctionSettings { function: "weekly-summary", phone_numbers: false, composes_messages: false, own: &[required(EmailFrom)] },
];

/// The settings of the function `LEADFLOW_FUNCTION` names.
pub fn of(function: &str) -> Option<&'static FunctionSettings> {
    FUNCTIONS.iter().find(|f| f.function == function)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_missing_names_every_absent_required_setting() {
        let mut names: Vec<&str> = FUNCTIONS.iter().map(|f| f.function).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FUNCTIONS.len());
        let relay = of("relay").unwrap();
        let missing = relay.missing(|var| (var != "LEADFLOW_QUEUE_CADENCE" && var != "LEADFLOW_TABLE").then(|| "x".into()));
        assert_eq!(missing, ["LEADFLOW_TABLE", "LEADFLOW_QUEUE_CADENCE"]);
    }

    #[test]
    fn the_relay_requires_the_queue_of_every_consumer_of_a_relayed_event() {
        let mut queues = of("relay").unwrap().queues();
        queues.sort();
        assert_eq!(queues, crate::app::relay::required_consumers());
    }
}
