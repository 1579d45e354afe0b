//! Amazon SNS message signatures, verified as AWS documents: the certificate must come from an
//! SNS host over HTTPS, the signature (SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA) must
//! match the canonical string of the message's fields, and the topic must be one this
//! deployment subscribed to (anyone can create a topic and get validly signed messages).

use crate::ports::sns_https::{is_sns_url, SnsHttps};
use base64::Engine;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use rsa::RsaPublicKey;
use serde::Deserialize;
use x509_cert::der::referenced::OwnedToRef;
use x509_cert::der::DecodePem;

/// An SNS HTTP(S) delivery.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
pub struct SnsMessage {
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(rename = "MessageId")]
    pub message_id: String,
    #[serde(rename = "Token", default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(rename = "TopicArn")]
    pub topic_arn: String,
    #[serde(rename = "Subject", default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(rename = "Message")]
    pub message: String,
    #[serde(rename = "Timestamp")]
    pub timestamp: String,
    #[serde(rename = "SignatureVersion")]
    pub signature_version: String,
    #[serde(rename = "Signature")]
    pub signature: String,
    #[serde(rename = "SigningCertURL")]
    pub signing_cert_url: String,
    #[serde(rename = "SubscribeURL", default, skip_serializing_if = "Option::is_none")]
    pub subscribe_url: Option<String>,
}

/// Why an SNS delivery was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnsError {
    #[error("the body is not an SNS message")]
    Malformed,
    #[error("the signing certificate is not on an SNS host")]
    UntrustedCertificate,
    #[error("the signing certificate could not be fetched or read")]
    CertificateUnavailable,
    #[error("the signature does not match")]
    Mismatch,
    #[error("the topic is not one this deployment subscribed to")]
    UnknownTopic,
    #[error("unsupported signature version")]
    UnsupportedVersion,
}

impl SnsMessage {
    pub fn parse(body: &[u8]) -> Result<SnsMessage, SnsError> {
        serde_json::from_slice(body).map_err(|_| SnsError::Malformed)
    }

    /// The canonical string SNS signs, per message type.
    pub fn string_to_sign(&self) -> Result<String, SnsError> {
        let mut out = String::new();
        let mut field = |name: &str, value: &str| {
            out.push_str(name);
            out.push('\n');
            out.push_str(value);
            out.push('\n');
        };
        match self.kind.as_str() {
            "Notification" => {
                field("Message", &self.message);
                field("MessageId", &self.message_id);
                if let Some(subject) = &self.subject {
                    field("Subject", subject);
                }
                field("Timestamp", &self.timestamp);
                field("TopicArn", &self.topic_arn);
                field("Type", &self.kind);
            }
            "SubscriptionConfirmation" | "UnsubscribeConfirmation" => {
                field("Message", &self.message);
                field("MessageId", &self.message_id);
                field("SubscribeURL", self.subscribe_url.as_deref().ok_or(SnsError::Malformed)?);
                field("Timestamp", &self.timestamp);
                field("Token", self.token.as_deref().ok_or(SnsError::Malformed)?);
                field("TopicArn", &self.topic_arn);
                field("Type", &self.kind);
            }
            _ => return Err(SnsError::Malformed),
        }
        Ok(out)
    }
}

/// The RSA public key of a PEM certificate.
pub fn public_key(pem: &[u8]) -> Result<RsaPublicKey, SnsError> {
    let cert = x509_cert::Certificate::from_pem(pem).map_err(|_| SnsError::CertificateUnavailable)?;
    let spki = cert.tbs_certificate.subject_public_key_info.owned_to_ref();
    RsaPublicKey::try_from(spki).map_err(|_| SnsError::CertificateUnavailable)
}

/// Checks the signature of `message` with `key` (no certificate or topic checks).
pub fn verify_with_key(message: &SnsMessage, key: &RsaPublicKey) -> Result<(), SnsError> {
    let data = message.string_to_sign()?;
    let raw = base64::engine::general_purpose::STANDARD.decode(message.signature.trim()).map_err(|_| SnsError::Mismatch)?;
    let signature = Signature::try_from(raw.as_slice()).map_err(|_| SnsError::Mismatch)?;
    match message.signature_version.as_str() {
        "1" => VerifyingKey::<sha1::Sha1>::new(key.clone()).verify(data.as_bytes(), &signature).map_err(|_| SnsError::Mismatch),
        "2" => VerifyingKey::<sha2::Sha256>::new(key.clone()).verify(data.as_bytes(), &signature).map_err(|_| SnsError::Mismatch),
        _ => Err(SnsError::UnsupportedVersion),
    }
}

/// Verifies an SNS delivery: trusted certificate URL, known topic, valid signature.
pub async fn verify(message: &SnsMessage, https: &dyn SnsHttps, allowed_topics: &[String]) -> Result<(), SnsError> {
    if !is_sns_url(&message.signing_cert_url) {
        return Err(SnsError::UntrustedCertificate);
    }
    if !allowed_topics.iter().any(|t| t == &message.topic_arn) {
        return Err(SnsError::UnknownTopic);
    }
    let pem = https.certificate(&message.signing_cert_url).await.map_err(|_| SnsError::CertificateUnavailable)?;
    verify_with_key(message, &public_key(&pem)?)
}

/// Signs `message` (SignatureVersion 1, SHA1withRSA) with a PKCS#8 PEM private key, as SNS
/// does. For the local runner's `sign-webhook sns` and for tests with a test key and
/// certificate; production messages are signed by SNS.
pub fn sign(message: &mut SnsMessage, private_key_pem: &str) -> Result<(), String> {
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::signature::{SignatureEncoding, Signer};
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(private_key_pem).map_err(|e| format!("not a PKCS#8 PEM RSA key: {e}"))?;
    message.signature_version = "1".into();
    let data = message.string_to_sign().map_err(|e| e.to_string())?;
    let signature = rsa::pkcs1v15::SigningKey::<sha1::Sha1>::new(key).sign(data.as_bytes());
    message.signature = base64::engine::general_purpose::STANDARD.encode(signature.to_bytes());
    Ok(())
}
