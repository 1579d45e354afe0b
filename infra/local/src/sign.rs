//! `leadflow-local sign-webhook`: computes the signature a provider would send, so webhooks can
//! be tried by hand against the local runner (with the secrets it was given).
//!
//! ```text
//! leadflow-local sign-webhook twilio  --secret TOKEN --url http://127.0.0.1:3000/webhooks/twilio/sms < body.form
//! leadflow-local sign-webhook stripe  --secret whsec_... < event.json        # also: appointments, source
//! leadflow-local sign-webhook callrail --secret KEY < call.json
//! leadflow-local sign-webhook sns     --key tests/fixtures/sns-test-key.pem < message.json   # prints the signed message
//! ```

use anyhow::{bail, Context};
use leadflow::webhooks::signature::{callrail_sign, timestamped_sign, twilio_sign};
use std::io::Read;

pub const USAGE: &str = "usage: leadflow-local sign-webhook twilio|stripe|appointments|source|callrail|sns [--secret S] [--url URL] [--key PEM] [--body FILE] [--t UNIX]  (body from stdin without --body)";

/// Runs the command; returns what to print.
pub fn run(args: &[String]) -> anyhow::Result<String> {
    let scheme = args.first().context(USAGE)?.as_str();
    let mut secret = None;
    let mut url = None;
    let mut key = None;
    let mut body_file = None;
    let mut t = None;
    let mut rest = args[1..].iter();
    while let Some(a) = rest.next() {
        let mut value = || rest.next().cloned().with_context(|| format!("{a} needs a value"));
        match a.as_str() {
            "--secret" => secret = Some(value()?),
            "--url" => url = Some(value()?),
            "--key" => key = Some(value()?),
            "--body" => body_file = Some(value()?),
            "--t" => t = Some(value()?.parse::<i64>().context("--t must be a unix time")?),
            other => bail!("unknown argument {other:?}\n{USAGE}"),
        }
    }
    let body = match body_file {
        Some(f) => std::fs::read(&f).with_context(|| format!("cannot read {f}"))?,
        None => {
            let mut b = Vec::new();
            std::io::stdin().read_to_end(&mut b)?;
            b
        }
    };
    let body_text = || String::from_utf8(body.clone()).context("the body is not UTF-8");
    Ok(match scheme {
        "twilio" => {
            let params: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).context("the body is not form-encoded")?;
            twilio_sign(&url.context("--url is required (the public URL Twilio calls)")?, &params, &secret.context("--secret is required")?)
        }
        "stripe" | "appointments" | "source" => {
            timestamped_sign(&body, &secret.context("--secret is required")?, t.unwrap_or_else(|| chrono::Utc::now().timestamp()))
        }
        "callrail" => callrail_sign(&body, &secret.context("--secret is required")?),
        "sns" => {
            let pem = std::fs::read_to_string(key.context("--key is required (a PKCS#8 PEM RSA key)")?)?;
            let mut message: serde_json::Value = serde_json::from_str(&body_text()?).context("the body is not JSON")?;
            for field in ["Signature", "SignatureVersion"] {
                if message.get(field).is_none() {
                    message[field] = serde_json::json!("");
                }
            }
            let mut sns: leadflow::webhooks::sns::SnsMessage = serde_json::from_value(message).context("the body is not an SNS message")?;
            leadflow::webhooks::sns::sign(&mut sns, &pem).map_err(anyhow::Error::msg)?;
            serde_json::to_string_pretty(&sns)?
        }
        other => bail!("unknown scheme {other:?}\n{USAGE}"),
    })
}

#[cfg(test)]
mod tests {
    use super::run;

    fn with_body(body: &str, args: &[&str]) -> String {
        let path = std::env::temp_dir().join(format!("leadflow-sign-{}.txt", ulid::Ulid::new()));
        std::fs::write(&path, body).unwrap();
        let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        all.extend(["--body".to_string(), path.display().to_string()]);
        let out = run(&all).unwrap();
        std::fs::remove_file(&path).ok();
        out
    }

    #[test]
    fn each_scheme_signs_as_the_verifiers_expect() {
        use leadflow::webhooks::signature::{verify_callrail, verify_timestamped, verify_twilio};
        let form = "Body=STOP&From=%2B12015550123&MessageSid=SM1";
        let url = "http://127.0.0.1:3000/webhooks/twilio/sms";
        let sig = with_body(form, &["twilio", "--secret", "tok", "--url", url]);
        let params: Vec<(String, String)> = serde_urlencoded::from_str(form).unwrap();
        assert_eq!(verify_twilio(url, &params, Some(&sig), Some("tok")), Ok(()));
        let json = r#"{"id":"evt_1"}"#;
        let header = with_body(json, &["stripe", "--secret", "whsec", "--t", "1772551800"]);
        let now = chrono::DateTime::from_timestamp(1772551800, 0).unwrap();
        assert_eq!(verify_timestamped(Some(&header), json.as_bytes(), Some("whsec"), now), Ok(1772551800));
        let sig = with_body(json, &["callrail", "--secret", "key"]);
        assert_eq!(verify_callrail(Some(&sig), json.as_bytes(), Some("key")), Ok(()));
        assert!(run(&["nope".to_string()]).is_err());
    }
}
