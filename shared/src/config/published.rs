//! The operator configuration published for a deployment, read by every function at init.
//!
//! A file in `config/leadflow.toml`'s format is published to one parameter (SSM Parameter Store
//! in AWS; its name is `LEADFLOW_CONFIG_PARAMETER`, `/leadflow/<stage>/config` by default) with
//! `leadflow-local publish-config FILE --parameter NAME` ([`publish`]), which validates it and
//! stores nothing when it does not validate, so the normal path never stores a bad one.
//!
//! At init a function reads the parameter's newest version and validates it as the embedded
//! file is validated: errors name the key, line and column of the file that was published
//! ([`load`]). A version that does not validate never replaces a good one: its problems are
//! logged (line, column, key and message, with every quoted value in the message masked, since
//! the configuration holds staff names and numbers) and the newest earlier version that
//! validates is used (the parameter's history), else the embedded file. The embedded file is
//! also used when no parameter is named or the named one does not exist. A store that cannot be
//! read (throttled, no permission) fails the init instead, as unreadable webhook secrets do:
//! Lambda retries it, and no function runs on another configuration than the published one
//! merely because SSM did not answer.
//!
//! # The stored form
//!
//! SSM holds a standard parameter up to 4 KB (4,096 bytes), free, and an advanced one up to
//! 8 KB, billed per parameter per month and per read. The embedded configuration is 39 KB, more
//! than a third of it comments, and the examples in `config/examples` about 7 KB each. The
//! published value is [`ENCODED_PREFIX`] followed by the base64 of the file's brotli
//! compression against a fixed dictionary ([`DICTIONARY`]: the embedded configuration and the
//! examples, comments removed), with the file's full-line comments blanked first: the lines
//! stay (empty), so line numbers and columns in errors are those of the operator's file, and the
//! comments are dropped only when the parsed document is unchanged (a `#` line inside a
//! multi-line string is text). A file written from the embedded one or an example stores little
//! more than what differs from it: the embedded configuration is stored in about 200 bytes and
//! each example in under 100, standard parameters all; without the dictionary the embedded one
//! would take about 7.5 KB, and a file that shares little with the dictionary may still need
//! the advanced tier. [`publish`] stores on the Intelligent-Tiering tier, which keeps the
//! parameter standard while the value fits 4 KB and makes it advanced only for a value that
//! does not ([`Prepared::tier`]; `publish-config` says so when it happens, and an advanced
//! parameter stays advanced until it is deleted), and refuses a value over 8 KB before storing
//! anything.
//!
//! The dictionary is never edited: every stored value needs it byte for byte to decompress. A
//! better one would be a new file under a new prefix, with this one kept for reading. Values in
//! two other forms are read as well: [`BROTLI_PREFIX`] (brotli without a dictionary) and plain
//! TOML (no prefix), so a small file stored by hand (`aws ssm put-parameter --value
//! file://small.toml`) works too.

use super::{Config, ConfigError, ConfigProblem};
use crate::ports::{ParameterError, ParameterStore, ParameterVersion};
use base64::Engine;
use std::io::Read;

/// The start of a value compressed against [`DICTIONARY`] (the form [`encode`] writes).
pub const ENCODED_PREFIX: &str = "brotli+dict1+base64:";

/// The start of a value compressed without a dictionary.
pub const BROTLI_PREFIX: &str = "brotli+base64:";

/// The dictionary of [`ENCODED_PREFIX`] values. Never edited (see the module's documentation).
pub const DICTIONARY: &str = include_str!("published-dictionary-1.txt");

/// The largest value of a standard-tier SSM parameter, in bytes.
pub const STANDARD_LIMIT: usize = 4096;

/// The largest value of an advanced-tier SSM parameter, in bytes.
pub const ADVANCED_LIMIT: usize = 8192;

/// The largest configuration a value may expand to (the embedded one is 39 KB): a value that
/// would decompress to more is refused rather than read.
const MAX_DECODED: u64 = 1 << 20;

const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// `source` with each line that holds only a comment made empty, when that leaves the parsed
/// document unchanged; `source` itself otherwise.
fn blank_comment_lines(source: &str) -> String {
    let blanked: Vec<&str> = source.split('\n').map(|line| if line.trim_start().starts_with('#') { "" } else { line }).collect();
    let blanked = blanked.join("\n");
    match (toml::from_str::<toml::Table>(source), toml::from_str::<toml::Table>(&blanked)) {
        (Ok(a), Ok(b)) if a == b => blanked,
        _ => source.to_string(),
    }
}

/// Brotli at its best quality with a 4 MiB window (larger than any configuration), against
/// `dictionary` (raw text the value may copy from; empty for none).
fn compress(text: &[u8], dictionary: &[u8]) -> Vec<u8> {
    let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
    let mut compressed = Vec::new();
    let (mut input_buffer, mut output_buffer) = ([0u8; 4096], [0u8; 4096]);
    let mut no_callback = |_: &mut brotli::interface::PredictionModeContextMap<brotli::InputReferenceMut>,
                           _: &mut [brotli::interface::StaticCommand],
                           _: brotli::InputPair,
                           _: &mut brotli::enc::StandardAlloc| ();
    brotli::BrotliCompressCustomIoCustomDict(
        &mut brotli::IoReaderWrapper(&mut &text[..]),
        &mut brotli::IoWriterWrapper(&mut compressed),
        &mut input_buffer,
        &mut output_buffer,
        &params,
        brotli::enc::StandardAlloc::default(),
        &mut no_callback,
        dictionary,
        std::io::Error::from(std::io::ErrorKind::UnexpectedEof),
    )
    .expect("compressing into memory");
    compressed
}

/// The stored form of a configuration file: [`ENCODED_PREFIX`] and the base64 of its brotli
/// compression against [`DICTIONARY`] (full-line comments blanked).
pub fn encode(source: &str) -> String {
    let text = blank_comment_lines(source);
    format!("{ENCODED_PREFIX}{}", BASE64.encode(compress(text.as_bytes(), DICTIONARY.as_bytes())))
}

/// The configuration text a stored value holds: decompressed when it has [`ENCODED_PREFIX`] or
/// [`BROTLI_PREFIX`], the value itself (plain TOML) otherwise.
pub fn decode(value: &str) -> Result<String, String> {
    let trimmed = value.trim();
    let (prefix, encoded, dictionary) = if let Some(encoded) = trimmed.strip_prefix(ENCODED_PREFIX) {
        (ENCODED_PREFIX, encoded, DICTIONARY.as_bytes())
    } else if let Some(encoded) = trimmed.strip_prefix(BROTLI_PREFIX) {
        (BROTLI_PREFIX, encoded, &[][..])
    } else {
        return Ok(value.to_string());
    };
    let compressed = BASE64.decode(encoded.trim()).map_err(|_| format!("the value after `{prefix}` is not base64"))?;
    let mut text = String::new();
    brotli::Decompressor::new_with_custom_dict(compressed.as_slice(), 4096, dictionary.to_vec().into())
        .take(MAX_DECODED + 1)
        .read_to_string(&mut text)
        .map_err(|_| format!("the value after `{prefix}` is not brotli-compressed UTF-8 text"))?;
    if text.len() as u64 > MAX_DECODED {
        return Err(format!("the value expands to more than {MAX_DECODED} bytes"));
    }
    Ok(text)
}

/// Where the configuration in use came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The file compiled into the executable.
    Embedded,
    /// A version of the published parameter.
    Parameter { name: String, version: i64 },
}

/// A version of the parameter that was passed over, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub version: i64,
    pub error: ConfigError,
}

/// The configuration a function runs with.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    pub origin: Origin,
    /// The versions newer than the one used that do not validate, newest first.
    pub rejected: Vec<Rejected>,
}

/// Why no configuration could be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read the configuration parameter {name}: {source}")]
    Store {
        name: String,
        #[source]
        source: ParameterError,
    },
    /// The embedded file does not validate (the tests load it: a build that ships one is a bug).
    #[error(transparent)]
    Embedded(#[from] ConfigError),
}

/// How a version is named in errors and logs.
fn origin_of(name: &str, version: i64) -> String {
    format!("{name} version {version}")
}

/// One stored version, decoded and validated.
pub fn validate_version(name: &str, version: &ParameterVersion) -> Result<Config, ConfigError> {
    let origin = origin_of(name, version.version);
    let text = decode(&version.value).map_err(|message| ConfigError {
        origin: origin.clone(),
        problems: vec![ConfigProblem { key: String::new(), line: None, column: None, message }],
    })?;
    Config::from_toml(&text, &origin)
}

/// A problem as it may be logged: its place and key, and its message with every quoted value
/// (`"..."`, `'...'`, `` `...` ``) masked, since a message may quote what the file holds (staff
/// names, numbers, addresses). `check-config` on the file shows the message in full.
pub fn loggable(problem: &ConfigProblem) -> String {
    static QUOTED: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let quoted = QUOTED.get_or_init(|| regex::Regex::new(r#""(?:[^"\\]|\\.)*"|'[^']*'|`[^`]*`"#).expect("quoted pattern"));
    let masked = ConfigProblem { message: quoted.replace_all(&problem.message, "\"…\"").into_owned(), ..problem.clone() };
    masked.to_string()
}

fn log_rejected(name: &str, rejected: &Rejected) {
    tracing::error!(
        parameter = name,
        version = rejected.version,
        problems = rejected.error.problems.len(),
        "the published configuration does not validate: this version is passed over"
    );
    for p in &rejected.error.problems {
        tracing::error!(parameter = name, version = rejected.version, problem = %loggable(p), "configuration problem");
    }
}

/// The configuration of the parameter `name`: its newest version that validates, else the
/// embedded file (see the module's documentation). Every version passed over is logged.
pub async fn load(store: &dyn ParameterStore, name: &str) -> Result<Loaded, LoadError> {
    let read_error = |source: ParameterError| LoadError::Store { name: name.to_string(), source };
    let Some(current) = store.current(name).await.map_err(read_error)? else {
        tracing::info!(parameter = name, "no published configuration: using the embedded one");
        return Ok(Loaded { config: Config::embedded_default()?, origin: Origin::Embedded, rejected: Vec::new() });
    };
    let mut rejected = Vec::new();
    match validate_version(name, &current) {
        Ok(config) => {
            tracing::info!(parameter = name, version = current.version, "published configuration loaded");
            return Ok(Loaded { config, origin: Origin::Parameter { name: name.to_string(), version: current.version }, rejected });
        }
        Err(error) => {
            let r = Rejected { version: current.version, error };
            log_rejected(name, &r);
            rejected.push(r);
        }
    }
    let mut earlier: Vec<ParameterVersion> =
        store.history(name).await.map_err(read_error)?.into_iter().filter(|v| v.version < current.version).collect();
    earlier.sort_by_key(|v| std::cmp::Reverse(v.version));
    for version in earlier {
        match validate_version(name, &version) {
            Ok(config) => {
                tracing::warn!(
                    parameter = name,
                    version = version.version,
                    newest = current.version,
                    "using the newest earlier version of the published configuration that validates"
                );
                return Ok(Loaded { config, origin: Origin::Parameter { name: name.to_string(), version: version.version }, rejected });
            }
            Err(error) => {
                let r = Rejected { version: version.version, error };
                log_rejected(name, &r);
                rejected.push(r);
            }
        }
    }
    tracing::warn!(
        parameter = name,
        newest = current.version,
        "no version of the published configuration validates: using the embedded one"
    );
    Ok(Loaded { config: Config::embedded_default()?, origin: Origin::Embedded, rejected })
}

/// Why a configuration was not published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Invalid(#[from] ConfigError),
    #[error(
        "the stored configuration would be {bytes} bytes, over the {ADVANCED_LIMIT} bytes an SSM parameter holds: shorten the texts or remove what the deployment does not use"
    )]
    TooLarge { bytes: usize },
    #[error("cannot store the configuration in {name}: {source}")]
    Store {
        name: String,
        #[source]
        source: ParameterError,
    },
}

/// A validated configuration in its stored form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub value: String,
}

impl Prepared {
    /// The value's size in bytes.
    pub fn bytes(&self) -> usize {
        self.value.len()
    }

    /// The SSM tier Intelligent-Tiering gives it.
    pub fn tier(&self) -> &'static str {
        if self.bytes() <= STANDARD_LIMIT {
            "Standard"
        } else {
            "Advanced"
        }
    }

    /// For a value over [`STANDARD_LIMIT`]: what the advanced tier costs and what makes the
    /// file fit a standard parameter.
    pub fn advanced_tier_notice(&self) -> Option<String> {
        (self.tier() == "Advanced").then(|| {
            format!(
                "note: {} bytes stored is over the {STANDARD_LIMIT} bytes of a standard SSM parameter, so the parameter is an advanced one: \
                 $0.05 a month and $0.05 per 10,000 reads (one per new execution environment). The stored form keeps only what differs \
                 from config/leadflow.toml and the examples: start from one of them, keep their wording where it serves, and remove \
                 what the deployment does not use. An advanced parameter stays advanced until it is deleted.",
                self.bytes()
            )
        })
    }
}

/// Validates `source` (errors name the key and line of `origin`), encodes it, checks that it
/// fits a parameter and that the stored form reads back as the same configuration.
pub fn prepare(source: &str, origin: &str) -> Result<Prepared, PublishError> {
    let config = Config::from_toml(source, origin)?;
    let value = encode(source);
    if value.len() > ADVANCED_LIMIT {
        return Err(PublishError::TooLarge { bytes: value.len() });
    }
    let same = decode(&value).ok().and_then(|back| Config::from_toml(&back, origin).ok()).is_some_and(|back| back == config);
    if !same {
        let message = "the stored form does not read back as the same configuration".to_string();
        return Err(ConfigError {
            origin: origin.to_string(),
            problems: vec![ConfigProblem { key: String::new(), line: None, column: None, message }],
        }
        .into());
    }
    Ok(Prepared { value })
}

/// [`prepare`]s `source` and only then stores it as the new version of `name`, which functions
/// read at their next init. Returns the version stored.
pub async fn publish(store: &dyn ParameterStore, name: &str, source: &str, origin: &str) -> Result<(Prepared, i64), PublishError> {
    let prepared = prepare(source, origin)?;
    let version = store.put(name, &prepared.value).await.map_err(|source| PublishError::Store { name: name.to_string(), source })?;
    Ok((prepared, version))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::memory::MemoryParameters;
    use crate::config::DEFAULT_CONFIG;

    fn example(name: &str) -> String {
        std::fs::read_to_string(format!("{}/../config/examples/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    #[test]
    fn the_embedded_configuration_and_the_examples_fit_a_standard_parameter_and_read_back_the_same() {
        let embedded = prepare(DEFAULT_CONFIG, "config/leadflow.toml").unwrap();
        assert!(embedded.bytes() < 300, "{}", embedded.bytes());
        assert_eq!(embedded.tier(), "Standard");
        assert_eq!(Config::from_toml(&decode(&embedded.value).unwrap(), "x").unwrap(), Config::embedded_default().unwrap());
        for name in ["addiction-treatment.toml", "franchise-brand.toml", "med-spa.toml"] {
            let text = example(name);
            assert!(text.len() > STANDARD_LIMIT, "{name}: the plain file would not fit a standard parameter");
            let prepared = prepare(&text, name).unwrap();
            assert!(prepared.bytes() < 200, "{name}: {} bytes", prepared.bytes());
            assert_eq!(Config::from_toml(&decode(&prepared.value).unwrap(), name).unwrap(), Config::from_toml(&text, name).unwrap());
        }
    }

    #[test]
    fn a_file_unlike_the_dictionary_is_stored_compressed_and_an_advanced_one_when_it_must_be() {
        // The embedded file with every service line renamed: the dictionary helps less.
        let renamed = DEFAULT_CONFIG.replace("med_spa", "line_a").replace("dental", "line_b").replace("addiction", "line_c");
        let prepared = prepare(&renamed, "renamed.toml").unwrap();
        assert!(prepared.bytes() > embedded_size() && prepared.bytes() <= ADVANCED_LIMIT, "{}", prepared.bytes());
        assert_eq!(decode(&prepared.value).unwrap().lines().count(), renamed.lines().count());
        // Without the dictionary the embedded file needs the advanced tier.
        let without = format!("{BROTLI_PREFIX}{}", BASE64.encode(compress(blank_comment_lines(DEFAULT_CONFIG).as_bytes(), &[])));
        assert!(without.len() > STANDARD_LIMIT, "{}", without.len());
        assert_eq!(Prepared { value: without.clone() }.tier(), "Advanced");
        assert!(Prepared { value: without.clone() }.advanced_tier_notice().unwrap().contains("advanced one"));
        assert_eq!(prepared.advanced_tier_notice(), None);
        // A value in that form is still read.
        assert_eq!(Config::from_toml(&decode(&without).unwrap(), "x").unwrap(), Config::embedded_default().unwrap());
    }

    fn embedded_size() -> usize {
        prepare(DEFAULT_CONFIG, "config/leadflow.toml").unwrap().bytes()
    }

    #[test]
    fn the_dictionary_is_the_one_stored_values_were_compressed_against() {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(DICTIONARY.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex, "79ef55327a1f4ae2494ffc9e6931cd2c3749ec087976d2fde3d270456c4234f3",
            "the dictionary must never change: values stored against it would not read"
        );
    }

    #[test]
    fn blanking_comments_keeps_every_line_and_what_multi_line_strings_hold() {
        let source = "# a comment\n[organization]\n  # indented\nname = \"\"\"Harbor\n# not a comment\n\"\"\"\n";
        // The `#` line inside the string is text: the file is kept whole.
        assert_eq!(blank_comment_lines(source), source);
        let plain = "# a comment\n[organization]\n  # indented\nname = \"Harbor\" # trailing\n";
        assert_eq!(blank_comment_lines(plain), "\n[organization]\n\nname = \"Harbor\" # trailing\n");
        assert_eq!(blank_comment_lines(plain).lines().count(), plain.lines().count());
    }

    #[test]
    fn errors_in_a_stored_version_name_the_lines_of_the_published_file() {
        let broken = DEFAULT_CONFIG.replacen("response_minutes = 5", "response_minutes = \"soon\"", 1);
        let line = broken.lines().position(|l| l.contains("response_minutes = \"soon\"")).unwrap() + 1;
        let stored = ParameterVersion { version: 3, value: encode(&broken) };
        let error = validate_version("/leadflow/prod/config", &stored).unwrap_err();
        assert_eq!(error.origin, "/leadflow/prod/config version 3");
        assert_eq!(error.problems[0].line, Some(line), "{error}");
        // The same as the file itself.
        assert_eq!(Config::from_toml(&broken, "/leadflow/prod/config version 3").unwrap_err(), error);
        // And plain TOML stored by hand is read as it is.
        let plain = validate_version("p", &ParameterVersion { version: 1, value: broken.clone() }).unwrap_err();
        assert_eq!(plain.problems[0].line, Some(line));
    }

    #[test]
    fn a_value_that_is_not_a_stored_configuration_is_a_problem_not_a_panic() {
        for value in [
            format!("{ENCODED_PREFIX}not base64!"),
            format!("{ENCODED_PREFIX}{}", BASE64.encode(b"not brotli at all")),
            format!("{BROTLI_PREFIX}{}", BASE64.encode(b"not brotli at all")),
        ] {
            let e = validate_version("p", &ParameterVersion { version: 1, value }).unwrap_err();
            assert_eq!(e.problems.len(), 1, "{e}");
            assert_eq!(e.problems[0].line, None);
        }
    }

    #[test]
    fn logged_problems_mask_quoted_values() {
        let p = ConfigProblem {
            key: "team[0].phone".into(),
            line: Some(12),
            column: Some(9),
            message: "invalid type: string \"Ann Lee\", expected a boolean; unknown variant `Ann`, expected 'x'".into(),
        };
        let line = loggable(&p);
        assert!(!line.contains("Ann"), "{line}");
        assert!(line.starts_with("line 12, column 9: `team[0].phone`: invalid type: string"), "{line}");
    }

    #[tokio::test]
    async fn a_file_that_does_not_validate_is_not_stored() {
        let store = MemoryParameters::new();
        let broken = DEFAULT_CONFIG.replacen("response_minutes = 5", "response_minutes = -5", 1);
        let e = publish(&store, "/p", &broken, "leadflow.toml").await.unwrap_err();
        assert!(matches!(e, PublishError::Invalid(ref c) if c.problems[0].line.is_some()), "{e}");
        assert_eq!(store.current("/p").await.unwrap(), None);
        let (prepared, version) = publish(&store, "/p", DEFAULT_CONFIG, "leadflow.toml").await.unwrap();
        assert_eq!(version, 1);
        assert_eq!(store.current("/p").await.unwrap().unwrap().value, prepared.value);
    }
}
