//! `POST /webhooks/...`: public routes (no JWT; the providers cannot log in), each verifying
//! its sender with the provider's documented scheme before anything is stored. A verified event
//! is stored once (by the provider's event id) and queued; the answer goes back at once and the
//! heavy work runs in the webhook worker.
//!
//! | route | provider | verification |
//! |---|---|---|
//! | `/webhooks/twilio/sms` | Twilio inbound SMS | `X-Twilio-Signature` |
//! | `/webhooks/sns/sms` | End User Messaging two-way SMS via SNS | SNS signature |
//! | `/webhooks/sns/email` | SES events via SNS | SNS signature |
//! | `/webhooks/calls` | CallRail-style call completed | `Signature` (HMAC-SHA1) |
//! | `/webhooks/appointments` | Calendly-like scheduler | `Calendly-Webhook-Signature` / `X-Leadflow-Signature` |
//! | `/webhooks/payments` | Stripe | `Stripe-Signature` |
//! | `/webhooks/sources/{id}` | configured generic sources | `X-Leadflow-Signature` |

use crate::app::inbound::{accept, Accepted};
use crate::app::webhook_context::{
    source_secret, APPOINTMENTS_SIGNING_SECRET, CALLRAIL_SIGNING_KEY, STRIPE_WEBHOOK_SECRET, TWILIO_AUTH_TOKEN,
};
use crate::app::Services;
use crate::domain::inbound::{InboundEvent, InboundKind, Provider};
use crate::handlers::request::{header, request_id};
use crate::http::{error_response, json_response};
use crate::webhooks::payloads::{self, PayloadError};
use crate::webhooks::signature::{verify_callrail, verify_timestamped, verify_twilio, SignatureError};
use crate::webhooks::sns::{self, SnsError, SnsMessage};
use lambda_http::{Body, Request, Response};
use tracing::{info, warn};

/// Largest webhook body accepted.
pub const MAX_WEBHOOK_BODY: usize = 64 * 1024;

enum Refusal {
    Signature(SignatureError),
    Sns(SnsError),
    Payload(PayloadError),
    NotFound,
    TooLarge,
    Unavailable,
}

impl Refusal {
    fn response(&self, rid: Option<&str>) -> Response<Body> {
        match self {
            // One answer for every verification failure: a prober learns nothing.
            Refusal::Signature(_) | Refusal::Sns(_) => error_response(401, "invalid_signature", "the request could not be verified", rid),
            Refusal::Payload(e) => error_response(400, "invalid_payload", &e.to_string(), rid),
            Refusal::NotFound => error_response(404, "not_found", "no such webhook", rid),
            Refusal::TooLarge => error_response(413, "payload_too_large", "the body is too large", rid),
            Refusal::Unavailable => {
                let mut r = error_response(503, "temporarily_unavailable", "the event could not be stored; retry", rid);
                r.headers_mut().insert("retry-after", http::HeaderValue::from_static("5"));
                r
            }
        }
    }
}

fn body_bytes(req: &Request) -> Result<&[u8], Refusal> {
    let bytes: &[u8] = match req.body() {
        Body::Empty => b"",
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => b"",
    };
    if bytes.len() > MAX_WEBHOOK_BODY {
        return Err(Refusal::TooLarge);
    }
    Ok(bytes)
}

/// Handles one webhook request.
pub async fn handle(services: &Services, req: Request) -> Response<Body> {
    let rid = request_id(&req);
    match verify_and_read(services, &req).await {
        Ok(event) => {
            let span = tracing::info_span!("webhook", provider = event.provider.as_str(), event_id = %event.event_id);
            let _enter = span.enter();
            match accept(services, &event).await {
                Ok(result) => {
                    info!(duplicate = (result == Accepted::Duplicate), "webhook event accepted");
                    ok(event.provider)
                }
                Err(e) => {
                    warn!(error = %e, "webhook event not stored or not queued");
                    Refusal::Unavailable.response(rid.as_deref())
                }
            }
        }
        Err(refusal) => {
            if let Refusal::Signature(e) = &refusal {
                warn!(path = req.uri().path(), reason = %e, "webhook refused");
            }
            if let Refusal::Sns(e) = &refusal {
                warn!(path = req.uri().path(), reason = %e, "SNS delivery refused");
            }
            refusal.response(rid.as_deref())
        }
    }
}

fn ok(provider: Provider) -> Response<Body> {
    if provider == Provider::Twilio {
        // An empty TwiML answer: leadflow sends its replies itself, through the consent gate.
        return Response::builder()
            .status(200)
            .header("content-type", "text/xml")
            .body(Body::Text("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>".into()))
            .expect("static response");
    }
    json_response(200, &serde_json::json!({"status": "accepted"}))
}

async fn verify_and_read(services: &Services, req: &Request) -> Result<InboundEvent, Refusal> {
    let path = req.uri().path().trim_end_matches('/').to_string();
    let body = body_bytes(req)?;
    let ctx = &services.webhooks;
    let now = services.clock.now();
    let region = services.config.organization.phone_region;
    match path.as_str() {
        "/webhooks/twilio/sms" => {
            let params: Vec<(String, String)> = serde_urlencoded::from_bytes(body).map_err(|_| Refusal::Payload(bad_body()))?;
            // The URL Twilio called: the configured public base, else the host it connected to
            // (API Gateway is HTTPS only). A wrong host only makes the signature not match.
            let base = match ctx.public_base_url.as_str() {
                "" => format!("https://{}", header(req, "host").unwrap_or_default()),
                configured => configured.to_string(),
            };
            let mut url = format!("{base}{path}");
            if let Some(q) = req.uri().query() {
                url.push('?');
                url.push_str(q);
            }
            verify_twilio(&url, &params, header(req, "x-twilio-signature"), ctx.secret(TWILIO_AUTH_TOKEN)).map_err(Refusal::Signature)?;
            payloads::twilio_sms(&params, region, now).map_err(Refusal::Payload)
        }
        "/webhooks/sns/sms" | "/webhooks/sns/email" => {
            let message = SnsMessage::parse(body).map_err(Refusal::Sns)?;
            sns::verify(&message, ctx.sns.as_ref(), &ctx.sns_topics).await.map_err(Refusal::Sns)?;
            match message.kind.as_str() {
                "SubscriptionConfirmation" => {
                    let url = message.subscribe_url.clone().unwrap_or_default();
                    ctx.sns.confirm_subscription(&url).await.map_err(|_| Refusal::Unavailable)?;
                    info!(topic = %message.topic_arn, "SNS subscription confirmed");
                    Ok(ignored(Provider::SnsSms, &message, now, "subscription_confirmation"))
                }
                "UnsubscribeConfirmation" => Ok(ignored(Provider::SnsSms, &message, now, "unsubscribe_confirmation")),
                _ if path.ends_with("/sms") => payloads::sns_sms(&message, region, now).map_err(Refusal::Payload),
                _ => payloads::ses_event(&message, now).map_err(Refusal::Payload),
            }
        }
        "/webhooks/calls" => {
            verify_callrail(header(req, "signature"), body, ctx.secret(CALLRAIL_SIGNING_KEY)).map_err(Refusal::Signature)?;
            payloads::call_completed(body, region, now).map_err(Refusal::Payload)
        }
        "/webhooks/appointments" => {
            let sig = header(req, "calendly-webhook-signature").or_else(|| header(req, "x-leadflow-signature"));
            verify_timestamped(sig, body, ctx.secret(APPOINTMENTS_SIGNING_SECRET), now).map_err(Refusal::Signature)?;
            payloads::appointment(body, region, now).map_err(Refusal::Payload)
        }
        "/webhooks/payments" => {
            verify_timestamped(header(req, "stripe-signature"), body, ctx.secret(STRIPE_WEBHOOK_SECRET), now)
                .map_err(Refusal::Signature)?;
            payloads::stripe(body, region, now).map_err(Refusal::Payload)
        }
        other => {
            let id = other.strip_prefix("/webhooks/sources/").filter(|id| !id.contains('/')).ok_or(Refusal::NotFound)?;
            let settings = services.config.webhooks.sources.get(id).ok_or(Refusal::NotFound)?;
            let secret = ctx.secret(&source_secret(id));
            verify_timestamped(header(req, "x-leadflow-signature"), body, secret, now).map_err(Refusal::Signature)?;
            payloads::source(settings, body, now).map_err(Refusal::Payload)
        }
    }
}

fn bad_body() -> PayloadError {
    PayloadError { field: "body", problem: "is not form-encoded" }
}

fn ignored(provider: Provider, m: &SnsMessage, now: chrono::DateTime<chrono::Utc>, what: &str) -> InboundEvent {
    InboundEvent {
        provider,
        event_id: m.message_id.clone(),
        occurred_at: now,
        received_at: now,
        kind: InboundKind::Ignored { what: what.into() },
    }
}
