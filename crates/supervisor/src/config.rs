//! `asynchronio.toml`: which processes and pipeline stages to supervise and
//! how. Parsing turns the file into [`ProgramSpec`]s; every error names the
//! file, the line and the field, and says what is allowed.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use asynchronio_protocol::channel::kind_of;
use asynchronio_protocol::{ChannelKind, ChannelName, ChannelRules};
use nix::sys::signal::Signal;
use serde::Deserialize;

use crate::lines::DEFAULT_MAX_LINE;

/// Name of the program `up` adds when no Redis URL is configured. With an
/// external Redis, `depends_on = ["redis"]` names that Redis instead, and
/// is satisfied before any program starts (the manager connects first).
pub const PRIVATE_REDIS: &str = "redis";

/// Most instances of one program, in the file and through `scale`: each
/// instance is a task with its own state, and a typo of a few zeros should
/// not cost gigabytes.
pub const MAX_INSTANCES: u32 = 10_000;

/// Bounds of `max_line_bytes`: the longest output line the manager holds.
const MAX_LINE_RANGE: std::ops::RangeInclusive<u64> = 1024..=64 * 1024 * 1024;

/// A configuration file that cannot be used, with where and why.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}; give the file with --config FILE")]
    Read {
        /// The configuration file.
        path: PathBuf,
        /// Why it cannot be read.
        #[source]
        source: std::io::Error,
    },
    /// The file is not TOML of the expected shape.
    #[error("{path}: {message}")]
    Parse {
        /// The configuration file.
        path: PathBuf,
        /// toml's message, with the line.
        message: String,
    },
    /// A setting is wrong: where, and what is allowed.
    #[error("{path}, line {line}: {message}")]
    Invalid {
        /// The configuration file.
        path: PathBuf,
        /// 1-based line of the offending section or field.
        line: usize,
        /// What is wrong and what is allowed.
        message: String,
    },
}

/// The whole file, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSection {
    #[serde(default)]
    redis: RedisSection,
    #[serde(default)]
    process: BTreeMap<String, ProgramSection>,
    #[serde(default)]
    pipeline: Vec<ProgramSection>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RedisSection {
    url: Option<String>,
    /// Port of the private redis-server when no URL is given.
    port: Option<u16>,
    /// Data directory of the private redis-server.
    dir: Option<PathBuf>,
    key_prefix: Option<String>,
}

/// One `[process.NAME]` table or `[[pipeline]]` entry. Both share the
/// supervision settings; the pipeline fields are refused on processes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProgramSection {
    name: Option<String>,
    command: String,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    cwd: Option<PathBuf>,
    instances: Option<u32>,
    max_line_bytes: Option<u64>,
    #[serde(default)]
    restart: RestartPolicy,
    #[serde(default)]
    backoff: BackoffSection,
    max_quick_failures: Option<u32>,
    start_timeout_ms: Option<u64>,
    stop_signal: Option<String>,
    stop_grace_ms: Option<u64>,
    #[serde(default)]
    depends_on: Vec<String>,
    ready: Option<ReadySection>,
    autostart: Option<bool>,
    // Pipeline stages only.
    input: Option<String>,
    outputs: Option<Vec<String>>,
    max_retries: Option<u32>,
    max_in_flight: Option<u32>,
    timeout_ms: Option<u64>,
    retry_backoff_ms: Option<u64>,
    claim_idle_ms: Option<u64>,
    start: Option<StageStart>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
struct BackoffSection {
    #[serde(default = "default_initial_ms")]
    initial_ms: u64,
    #[serde(default = "default_max_ms")]
    max_ms: u64,
    #[serde(default = "default_reset_after_ms")]
    reset_after_ms: u64,
}

fn default_initial_ms() -> u64 {
    100
}
fn default_max_ms() -> u64 {
    30_000
}
fn default_reset_after_ms() -> u64 {
    60_000
}

impl Default for BackoffSection {
    fn default() -> Self {
        Self {
            initial_ms: default_initial_ms(),
            max_ms: default_max_ms(),
            reset_after_ms: default_reset_after_ms(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadySection {
    tcp: Option<String>,
    http: Option<String>,
    command: Option<String>,
}

/// When a process that exited is started again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RestartPolicy {
    /// Always start it again (with backoff).
    #[default]
    Always,
    /// Start it again only when it failed (exit code other than 0).
    OnFailure,
    /// Never start it again.
    Never,
}

/// Where a new stage's consumer group starts in its input channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StageStart {
    /// Only messages published after the stage first ran.
    #[default]
    End,
    /// Every message still in the channel's history.
    Beginning,
}

/// How readiness of a started process is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadyProbe {
    /// Ready once this address accepts TCP connections.
    Tcp(String),
    /// Ready once this URL answers a GET with 2xx.
    Http(String),
    /// Ready once this shell command exits with 0.
    Command(String),
}

/// Exponential restart backoff of one program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffSpec {
    /// Delay before the first restart.
    pub initial: Duration,
    /// Longest delay: each restart doubles it up to this.
    pub max: Duration,
    /// A run this long counts as stable: the backoff and the quick-failure
    /// count start again.
    pub reset_after: Duration,
}

/// What a pipeline stage adds to a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageSpec {
    /// The channel the stage reads, through its consumer group.
    pub input: String,
    /// The only channels its processor may publish to; the first is the default.
    pub outputs: Vec<String>,
    /// Failed attempts retried before a message is dead-lettered.
    pub max_retries: u32,
    /// Messages handed to one processor and not yet answered, at most.
    pub max_in_flight: u32,
    /// How long an answer may take before the attempt fails.
    pub timeout: Duration,
    /// Delay before the first retry (doubling per attempt, at most 10 s).
    pub retry_backoff: Duration,
    /// Entries another consumer left pending this long are taken over.
    pub claim_idle: Duration,
    /// Where a new consumer group starts.
    pub start: StageStart,
}

/// One supervised program, ready to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramSpec {
    /// Unique among processes and stages; names states, logs and commands.
    pub name: String,
    /// The program to run (resolved beside the manager, in `cwd`, or on PATH).
    pub command: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// Extra environment variables (besides `REDIS_URL` and the key prefix).
    pub env: BTreeMap<String, String>,
    /// Working directory, relative paths resolved against the file's directory.
    pub cwd: PathBuf,
    /// Instances configured (at most [`MAX_INSTANCES`]); `scale` changes the desired number.
    pub instances: u32,
    /// When an exited instance starts again.
    pub restart: RestartPolicy,
    /// Delays between restarts.
    pub backoff: BackoffSpec,
    /// Quick failures in a row after which the instance gives up (`fatal`).
    pub max_quick_failures: u32,
    /// How long the readiness probe may take.
    pub start_timeout: Duration,
    /// Signal sent to the process group to stop it.
    pub stop_signal: Signal,
    /// How long a stopping group may take before SIGKILL.
    pub stop_grace: Duration,
    /// Programs that must run (be ready) before this one starts.
    pub depends_on: Vec<String>,
    /// How readiness is told; none: ready once spawned.
    pub ready: Option<ReadyProbe>,
    /// Whether it starts with the manager (else on `asynchronio start`).
    pub autostart: bool,
    /// Longest stdout/stderr line held: longer log lines are split, longer
    /// processor answers fail their message.
    pub max_line_bytes: usize,
    /// Set for pipeline stages.
    pub stage: Option<StageSpec>,
}

/// Where the manager finds Redis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedisPlacement {
    /// A Redis the user runs.
    External(String),
    /// A redis-server the manager starts (the `redis` program).
    Private {
        /// Port it listens on, on loopback.
        port: u16,
    },
}

/// A parsed, checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from (read again on reload).
    pub path: PathBuf,
    /// Where Redis is.
    pub redis: RedisPlacement,
    /// The file's `[redis] key_prefix`, if given.
    pub key_prefix: Option<String>,
    /// Programs in file order: processes first, then pipeline stages.
    pub programs: Vec<Arc<ProgramSpec>>,
}

impl Config {
    /// Reads and checks `path`. `redis_url` (from `--redis-url` or
    /// `REDIS_URL`) wins over the file's `[redis] url`.
    pub fn load(path: &Path, redis_url: Option<&str>) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::parse(path, &text, redis_url)
    }

    /// Parses `text` as if read from `path`: the sections in file order
    /// (the private Redis, processes, pipeline stages), then the checks
    /// that span programs (unique names, known dependencies, no cycle).
    pub fn parse(path: &Path, text: &str, redis_url: Option<&str>) -> Result<Config, ConfigError> {
        let file: FileSection = toml::from_str(text).map_err(|error| ConfigError::Parse {
            path: path.to_owned(),
            message: describe_toml_error(text, &error),
        })?;
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let checker = Checker { path, text };
        let redis = placement(&file.redis, redis_url);

        let mut programs = Vec::new();
        if let RedisPlacement::Private { port } = redis {
            let dir = file
                .redis
                .dir
                .clone()
                .unwrap_or_else(|| PathBuf::from("data/redis"));
            programs.push(Arc::new(private_redis(&base, port, &dir)));
        }
        for (name, section) in file.process {
            programs.push(Arc::new(checker.process(name, section, &base, &redis)?));
        }
        for (index, section) in file.pipeline.into_iter().enumerate() {
            programs.push(Arc::new(checker.stage(index, section, &base)?));
        }
        checker.unique_names(&programs)?;
        if matches!(redis, RedisPlacement::External(_)) {
            external_redis_dependencies(&mut programs);
        }
        checker.known_dependencies(&programs)?;
        if let Some(cycle) = find_cycle(&programs) {
            return Err(checker.invalid(
                "depends_on",
                format!("depends_on forms a cycle: {}", cycle.join(" → ")),
            ));
        }
        Ok(Config {
            path: path.to_owned(),
            redis,
            key_prefix: file.redis.key_prefix,
            programs,
        })
    }

    /// The program named `name`.
    pub fn program(&self, name: &str) -> Option<&Arc<ProgramSpec>> {
        self.programs.iter().find(|p| p.name == name)
    }

    /// The data directory of the private redis-server, if there is one.
    pub fn private_redis_dir(&self) -> Option<PathBuf> {
        let redis = self.program(PRIVATE_REDIS)?;
        let at = redis.args.iter().position(|a| a == "--dir")?;
        redis.args.get(at + 1).map(PathBuf::from)
    }

    /// The Redis URL children get: the external one, or the private one's.
    pub fn redis_url(&self) -> String {
        match &self.redis {
            RedisPlacement::External(url) => url.clone(),
            RedisPlacement::Private { port } => format!("redis://127.0.0.1:{port}"),
        }
    }
}

/// Where Redis is: `--redis-url` (or `REDIS_URL`) wins over the file's
/// `[redis] url`; without either, a private redis-server.
fn placement(section: &RedisSection, redis_url: Option<&str>) -> RedisPlacement {
    match redis_url
        .filter(|u| !u.is_empty())
        .or(section.url.as_deref())
    {
        Some(url) => RedisPlacement::External(url.to_owned()),
        None => RedisPlacement::Private {
            port: section.port.unwrap_or(6379),
        },
    }
}

/// With an external Redis and no program of that name, a dependency on
/// "redis" is the external Redis: it is reachable before any program
/// starts, because the manager connects to it first. Such dependencies are
/// dropped.
fn external_redis_dependencies(programs: &mut [Arc<ProgramSpec>]) {
    if programs.iter().any(|p| p.name == PRIVATE_REDIS) {
        return;
    }
    for program in programs {
        if program.depends_on.iter().any(|d| d == PRIVATE_REDIS) {
            Arc::make_mut(program)
                .depends_on
                .retain(|d| d != PRIVATE_REDIS);
        }
    }
}

/// The pipeline fields, refused on `[process.NAME]` tables.
const STAGE_FIELDS: [&str; 9] = [
    "name",
    "input",
    "outputs",
    "max_retries",
    "max_in_flight",
    "timeout_ms",
    "retry_backoff_ms",
    "claim_idle_ms",
    "start",
];

impl ProgramSection {
    fn has_stage_field(&self, field: &str) -> bool {
        match field {
            "name" => self.name.is_some(),
            "input" => self.input.is_some(),
            "outputs" => self.outputs.is_some(),
            "max_retries" => self.max_retries.is_some(),
            "max_in_flight" => self.max_in_flight.is_some(),
            "timeout_ms" => self.timeout_ms.is_some(),
            "retry_backoff_ms" => self.retry_backoff_ms.is_some(),
            "claim_idle_ms" => self.claim_idle_ms.is_some(),
            "start" => self.start.is_some(),
            _ => false,
        }
    }
}

/// Turns sections into specs, with errors pointing into the file.
struct Checker<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Checker<'_> {
    /// A `[process.NAME]` table: no pipeline field, a name the private
    /// Redis does not take, limits in range.
    fn process(
        &self,
        name: String,
        section: ProgramSection,
        base: &Path,
        redis: &RedisPlacement,
    ) -> Result<ProgramSpec, ConfigError> {
        let header = format!("[process.{name}]");
        if name == PRIVATE_REDIS && matches!(redis, RedisPlacement::Private { .. }) {
            return Err(self.invalid(
                &header,
                format!("the name \"{PRIVATE_REDIS}\" is taken by the private redis-server the manager starts when [redis] has no url; rename the process or set [redis] url"),
            ));
        }
        if let Some(field) = STAGE_FIELDS
            .into_iter()
            .find(|field| section.has_stage_field(field))
        {
            return Err(self.invalid(
                &header,
                format!("field `{field}` belongs to [[pipeline]] stages, not to [process.{name}]"),
            ));
        }
        self.check_limits(&header, 0, &name, &section)?;
        self.program(&header, name, section, base, None)
    }

    /// The `index`th `[[pipeline]]` entry: a name, an input, valid channels,
    /// limits in range. Errors point at the entry's header.
    fn stage(
        &self,
        index: usize,
        section: ProgramSection,
        base: &Path,
    ) -> Result<ProgramSpec, ConfigError> {
        let header = "[[pipeline]]";
        let Some(name) = section.name.clone() else {
            return Err(self.invalid_nth(
                header,
                index,
                "pipeline stage has no `name`; give it one, e.g. name = \"uppercase\"".into(),
            ));
        };
        let Some(input) = section.input.clone() else {
            return Err(self.invalid_nth(
                header,
                index,
                format!("pipeline stage \"{name}\" has no `input` channel; add input = \"orders\""),
            ));
        };
        self.check_limits(header, index, &name, &section)?;
        let outputs = section.outputs.clone().unwrap_or_default();
        self.check_stage_channels(index, &name, &input, &outputs)?;
        let stage = StageSpec {
            input,
            outputs,
            max_retries: section.max_retries.unwrap_or(3),
            max_in_flight: section.max_in_flight.unwrap_or(32).max(1),
            timeout: Duration::from_millis(section.timeout_ms.unwrap_or(30_000).max(1)),
            retry_backoff: Duration::from_millis(section.retry_backoff_ms.unwrap_or(200)),
            claim_idle: Duration::from_millis(section.claim_idle_ms.unwrap_or(30_000).max(100)),
            start: section.start.unwrap_or_default(),
        };
        // `program` points at the first line holding the header; a stage's
        // errors belong to its own entry.
        self.program(header, name, section, base, Some(stage))
            .map_err(|e| match e {
                ConfigError::Invalid { path, message, .. } => ConfigError::Invalid {
                    line: self.line_of_nth(header, index),
                    path,
                    message,
                },
                other => other,
            })
    }

    /// A stage's channels: valid names, no output on a system channel, no
    /// output on its own input.
    fn check_stage_channels(
        &self,
        index: usize,
        name: &str,
        input: &str,
        outputs: &[String],
    ) -> Result<(), ConfigError> {
        let header = "[[pipeline]]";
        let rules = ChannelRules::default();
        for channel in std::iter::once(input).chain(outputs.iter().map(String::as_str)) {
            ChannelName::parse(channel, &rules).map_err(|error| {
                self.invalid_nth(header, index, format!("pipeline stage \"{name}\": {error}"))
            })?;
        }
        if let Some(system) = outputs.iter().find(|c| kind_of(c) == ChannelKind::System) {
            return Err(self.invalid_nth(
                header,
                index,
                format!("pipeline stage \"{name}\" outputs to the system channel \"{system}\"; only the services publish on $sys: channels"),
            ));
        }
        if outputs.iter().any(|output| output == input) {
            return Err(self.invalid_nth(
                header,
                index,
                format!("pipeline stage \"{name}\" outputs to its own input \"{input}\", which would loop for ever"),
            ));
        }
        Ok(())
    }

    /// Processes and stages share one namespace.
    fn unique_names(&self, programs: &[Arc<ProgramSpec>]) -> Result<(), ConfigError> {
        let mut seen = HashSet::new();
        for program in programs {
            if !seen.insert(program.name.as_str()) {
                return Err(self.invalid(
                    &program.name,
                    format!("two programs are named \"{}\"; names of processes and pipeline stages must be unique", program.name),
                ));
            }
        }
        Ok(())
    }

    /// Every `depends_on` names a configured program.
    fn known_dependencies(&self, programs: &[Arc<ProgramSpec>]) -> Result<(), ConfigError> {
        for program in programs {
            for dep in &program.depends_on {
                if !programs.iter().any(|p| &p.name == dep) {
                    let known: Vec<&str> = programs.iter().map(|p| p.name.as_str()).collect();
                    return Err(self.invalid(
                        "depends_on",
                        format!(
                            "\"{}\" depends on \"{dep}\", which is not configured; known programs: {}",
                            program.name,
                            known.join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The settings every program has, checked, as a spec (`stage` set for
    /// pipeline stages).
    fn program(
        &self,
        header: &str,
        name: String,
        section: ProgramSection,
        base: &Path,
        stage: Option<StageSpec>,
    ) -> Result<ProgramSpec, ConfigError> {
        if !asynchronio_protocol::process::is_program_name(&name) {
            return Err(self.invalid(
                header,
                format!(
                    "program name {name:?} may hold only letters, digits, '-', '_' and '.' (at most 100)"
                ),
            ));
        }
        if section.command.trim().is_empty() {
            return Err(self.invalid(header, format!("\"{name}\": `command` is empty")));
        }
        let stop_signal = match &section.stop_signal {
            None => Signal::SIGTERM,
            Some(text) => parse_signal(text).ok_or_else(|| {
                self.invalid(
                    "stop_signal",
                    format!("\"{name}\": stop_signal {text:?} is not a signal; use TERM, INT, QUIT, HUP, KILL, USR1 or USR2"),
                )
            })?,
        };
        let ready = self.ready_probe(&name, section.ready)?;
        let backoff = section.backoff;
        if backoff.initial_ms == 0 || backoff.max_ms < backoff.initial_ms {
            return Err(self.invalid(
                "backoff",
                format!("\"{name}\": backoff needs 0 < initial_ms <= max_ms"),
            ));
        }
        let cwd = match section.cwd {
            Some(dir) if dir.is_absolute() => dir,
            Some(dir) => base.join(dir),
            None => base.to_path_buf(),
        };
        Ok(ProgramSpec {
            name,
            command: section.command,
            args: section.args,
            env: section.env,
            cwd,
            instances: section.instances.unwrap_or(1),
            restart: section.restart,
            backoff: BackoffSpec {
                initial: Duration::from_millis(backoff.initial_ms),
                max: Duration::from_millis(backoff.max_ms),
                reset_after: Duration::from_millis(backoff.reset_after_ms),
            },
            max_quick_failures: section.max_quick_failures.unwrap_or(5).max(1),
            start_timeout: Duration::from_millis(section.start_timeout_ms.unwrap_or(30_000)),
            stop_signal,
            stop_grace: Duration::from_millis(section.stop_grace_ms.unwrap_or(10_000)),
            depends_on: section.depends_on,
            ready,
            autostart: section.autostart.unwrap_or(true),
            max_line_bytes: section
                .max_line_bytes
                .map_or(DEFAULT_MAX_LINE, |bytes| bytes as usize),
            stage,
        })
    }

    /// The `ready` table: exactly one probe, an http probe with an http://
    /// URL.
    fn ready_probe(
        &self,
        name: &str,
        ready: Option<ReadySection>,
    ) -> Result<Option<ReadyProbe>, ConfigError> {
        let probe = match ready {
            None => None,
            Some(ReadySection {
                tcp: Some(addr),
                http: None,
                command: None,
            }) => Some(ReadyProbe::Tcp(addr)),
            Some(ReadySection {
                tcp: None,
                http: Some(url),
                command: None,
            }) => {
                if !url.starts_with("http://") {
                    return Err(self.invalid(
                        "ready",
                        format!("\"{name}\": ready.http must be an http:// URL, got {url:?}"),
                    ));
                }
                Some(ReadyProbe::Http(url))
            }
            Some(ReadySection {
                tcp: None,
                http: None,
                command: Some(cmd),
            }) => Some(ReadyProbe::Command(cmd)),
            Some(_) => {
                return Err(self.invalid(
                    "ready",
                    format!("\"{name}\": `ready` takes exactly one of tcp, http or command"),
                ));
            }
        };
        Ok(probe)
    }

    /// The fields whose size the manager pays for: `instances` (at most
    /// [`MAX_INSTANCES`]) and `max_line_bytes`. Errors point at the field's
    /// line in the `nth` section headed `header`.
    fn check_limits(
        &self,
        header: &str,
        nth: usize,
        name: &str,
        section: &ProgramSection,
    ) -> Result<(), ConfigError> {
        if let Some(instances) = section.instances
            && instances > MAX_INSTANCES
        {
            return Err(self.invalid_field(
                header,
                nth,
                "instances",
                format!(
                    "\"{name}\": instances = {instances} is more than the limit of {MAX_INSTANCES}"
                ),
            ));
        }
        if let Some(bytes) = section.max_line_bytes
            && !MAX_LINE_RANGE.contains(&bytes)
        {
            return Err(self.invalid_field(
                header,
                nth,
                "max_line_bytes",
                format!(
                    "\"{name}\": max_line_bytes = {bytes} is out of range; use {} to {} (default {DEFAULT_MAX_LINE})",
                    MAX_LINE_RANGE.start(),
                    MAX_LINE_RANGE.end()
                ),
            ));
        }
        Ok(())
    }

    /// An error on `field` of the `nth` section headed `header`, at the
    /// field's line (the header's when the field cannot be found).
    fn invalid_field(&self, header: &str, nth: usize, field: &str, message: String) -> ConfigError {
        let start = self.line_of_nth(header, nth);
        let line = self
            .text
            .lines()
            .enumerate()
            .skip(start)
            .take_while(|(_, line)| !line.trim_start().starts_with('['))
            .find(|(_, line)| {
                line.trim_start()
                    .strip_prefix(field)
                    .is_some_and(|rest| rest.trim_start().starts_with('='))
            })
            .map_or(start, |(i, _)| i + 1);
        ConfigError::Invalid {
            path: self.path.to_owned(),
            line,
            message: format!("field `{field}`: {message}"),
        }
    }

    fn invalid(&self, needle: &str, message: String) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.to_owned(),
            line: line_of(self.text, needle, 0),
            message,
        }
    }

    fn invalid_nth(&self, needle: &str, nth: usize, message: String) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.to_owned(),
            line: self.line_of_nth(needle, nth),
            message,
        }
    }

    fn line_of_nth(&self, needle: &str, nth: usize) -> usize {
        line_of(self.text, needle, nth)
    }
}

/// 1-based line of the `nth` occurrence of `needle` (1 if absent).
fn line_of(text: &str, needle: &str, nth: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, line)| line.contains(needle))
        .nth(nth)
        .map_or(1, |(i, _)| i + 1)
}

/// toml's message already quotes the line; put the line number first.
fn describe_toml_error(text: &str, error: &toml::de::Error) -> String {
    match error.span() {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!("line {line}: {}", error.message())
        }
        None => error.message().to_owned(),
    }
}

fn parse_signal(text: &str) -> Option<Signal> {
    let upper = text.trim().to_ascii_uppercase();
    let name = if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    };
    name.parse().ok()
}

fn find_cycle(programs: &[Arc<ProgramSpec>]) -> Option<Vec<String>> {
    fn visit(
        name: &str,
        deps: &HashMap<&str, &[String]>,
        path: &mut Vec<String>,
        done: &mut HashMap<String, ()>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == name) {
            let mut cycle = path[at..].to_vec();
            cycle.push(name.to_owned());
            return Some(cycle);
        }
        if done.contains_key(name) {
            return None;
        }
        path.push(name.to_owned());
        for dep in deps.get(name).copied().unwrap_or(&[]) {
            if let Some(cycle) = visit(dep, deps, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(name.to_owned(), ());
        None
    }
    let deps: HashMap<&str, &[String]> = programs
        .iter()
        .map(|p| (p.name.as_str(), p.depends_on.as_slice()))
        .collect();
    let mut done = HashMap::new();
    for program in programs {
        if let Some(cycle) = visit(&program.name, &deps, &mut Vec::new(), &mut done) {
            return Some(cycle);
        }
    }
    None
}

/// The redis-server `up` starts when no URL is configured: AOF on, bound to
/// loopback, data in `dir`.
fn private_redis(base: &Path, port: u16, dir: &Path) -> ProgramSpec {
    let dir = if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        base.join(dir)
    };
    ProgramSpec {
        name: PRIVATE_REDIS.to_owned(),
        command: "redis-server".to_owned(),
        args: vec![
            "--port".into(),
            port.to_string(),
            "--bind".into(),
            "127.0.0.1".into(),
            "--dir".into(),
            dir.display().to_string(),
            "--appendonly".into(),
            "yes".into(),
            "--appendfsync".into(),
            "everysec".into(),
            "--save".into(),
            String::new(),
        ],
        env: BTreeMap::new(),
        cwd: base.to_path_buf(),
        instances: 1,
        restart: RestartPolicy::Always,
        backoff: BackoffSpec {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(5),
            reset_after: Duration::from_secs(60),
        },
        max_quick_failures: 10,
        start_timeout: Duration::from_secs(30),
        stop_signal: Signal::SIGTERM,
        stop_grace: Duration::from_secs(30),
        depends_on: Vec::new(),
        ready: Some(ReadyProbe::Tcp(format!("127.0.0.1:{port}"))),
        autostart: true,
        max_line_bytes: DEFAULT_MAX_LINE,
        stage: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("conf/asynchronio.toml"), text, None)
    }

    #[test]
    fn the_documented_shape_parses() {
        let config = parse(
            r#"
[redis]
url = "redis://127.0.0.1:6379"

[process.ws-gateway]
command = "ws-gateway"
args = ["--listen", "0.0.0.0:8080"]
instances = 1
restart = "always"
backoff = { initial_ms = 100, max_ms = 30000, reset_after_ms = 60000 }
max_quick_failures = 5
stop_signal = "TERM"
stop_grace_ms = 10000
ready = { tcp = "127.0.0.1:8080" }
env = { RUST_LOG = "info" }

[[pipeline]]
name = "uppercase"
input = "orders"
outputs = ["orders.upper"]
command = "python3"
args = ["examples/processors/upper.py"]
instances = 2
max_retries = 3
depends_on = ["ws-gateway"]
"#,
        )
        .expect("parses");
        assert_eq!(
            config.redis,
            RedisPlacement::External("redis://127.0.0.1:6379".into())
        );
        let gateway = config.program("ws-gateway").expect("gateway");
        assert_eq!(
            gateway.ready,
            Some(ReadyProbe::Tcp("127.0.0.1:8080".into()))
        );
        assert_eq!(gateway.cwd, PathBuf::from("conf"));
        let stage = config.program("uppercase").expect("stage");
        assert_eq!(stage.instances, 2);
        let spec = stage.stage.as_ref().expect("stage spec");
        assert_eq!(spec.outputs, vec!["orders.upper".to_owned()]);
        assert_eq!(spec.max_retries, 3);
    }

    #[test]
    fn no_url_adds_a_private_redis() {
        let config =
            parse("[process.a]\ncommand = \"sleep\"\ndepends_on = [\"redis\"]\n").expect("parses");
        assert_eq!(config.redis, RedisPlacement::Private { port: 6379 });
        assert_eq!(config.programs[0].name, PRIVATE_REDIS);
        assert_eq!(config.redis_url(), "redis://127.0.0.1:6379");
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let error = parse("[process.a]\ncommand = \"x\"\ninstances = \"two\"\n")
            .expect_err("bad type")
            .to_string();
        assert!(error.contains("conf/asynchronio.toml"), "{error}");
        assert!(error.contains("line 3"), "{error}");
        let error = parse("[process.a]\ncommand = \"x\"\nrestrat = \"always\"\n")
            .expect_err("unknown field")
            .to_string();
        assert!(
            error.contains("line 3") && error.contains("restrat"),
            "{error}"
        );
        let error = parse(
            "[redis]\nurl=\"redis://x\"\n[process.a]\ncommand = \"x\"\ndepends_on = [\"nope\"]\n",
        )
        .expect_err("unknown dependency")
        .to_string();
        assert!(
            error.contains("line 5") && error.contains("nope"),
            "{error}"
        );
        let error = parse(
            "[redis]\nurl=\"redis://x\"\n[process.a]\ncommand = \"x\"\nstop_signal = \"STOPNOW\"\n",
        )
        .expect_err("bad signal")
        .to_string();
        assert!(
            error.contains("line 5") && error.contains("stop_signal"),
            "{error}"
        );
        let error =
            parse("[redis]\nurl=\"redis://x\"\n[process.a]\ncommand = \"x\"\ninput = \"orders\"\n")
                .expect_err("stage field on a process")
                .to_string();
        assert!(
            error.contains("`input`") && error.contains("line 3"),
            "{error}"
        );
    }

    #[test]
    fn pipeline_errors_point_at_their_entry() {
        let error = parse(
            "[redis]\nurl=\"redis://x\"\n[[pipeline]]\nname=\"a\"\ninput=\"in\"\ncommand=\"x\"\n[[pipeline]]\nname=\"b\"\ncommand=\"x\"\n",
        )
        .expect_err("no input")
        .to_string();
        assert!(
            error.contains("line 7") && error.contains("\"b\""),
            "{error}"
        );
        let error = parse(
            "[redis]\nurl=\"redis://x\"\n[[pipeline]]\nname=\"a\"\ninput=\"in\"\noutputs=[\"in\"]\ncommand=\"x\"\n",
        )
        .expect_err("loop")
        .to_string();
        assert!(error.contains("loop"), "{error}");
    }

    #[test]
    fn an_external_redis_satisfies_depends_on_redis() {
        // The default asynchronio.toml, run with REDIS_URL or --redis-url.
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../asynchronio.toml"),
        )
        .expect("the default asynchronio.toml");
        let config = Config::parse(
            Path::new("asynchronio.toml"),
            &text,
            Some("redis://elsewhere:6379"),
        )
        .expect("the default file runs on an external Redis");
        assert_eq!(
            config.redis,
            RedisPlacement::External("redis://elsewhere:6379".into())
        );
        assert!(config.program(PRIVATE_REDIS).is_none());
        for program in &config.programs {
            assert!(
                !program.depends_on.iter().any(|d| d == PRIVATE_REDIS),
                "{} still waits for a private redis",
                program.name
            );
        }
        // A program really named "redis" is still a dependency.
        let config = parse(
            "[redis]\nurl=\"redis://x\"\n[process.redis]\ncommand=\"x\"\n[process.a]\ncommand=\"x\"\ndepends_on=[\"redis\"]\n",
        )
        .expect("parses");
        assert_eq!(
            config.program("a").expect("a").depends_on,
            vec!["redis".to_owned()]
        );
    }

    #[test]
    fn instances_are_capped_like_scale() {
        let error = parse(
            "[redis]\nurl=\"redis://x\"\n[process.a]\ncommand=\"x\"\n[process.b]\ncommand=\"x\"\n# many\ninstances = 100000\n",
        )
        .expect_err("100,000 instances")
        .to_string();
        assert!(
            error.contains("conf/asynchronio.toml")
                && error.contains("line 8")
                && error.contains("`instances`")
                && error.contains("10000"),
            "{error}"
        );
        let error = parse(
            "[redis]\nurl=\"redis://x\"\n[[pipeline]]\nname=\"a\"\ninput=\"i\"\ncommand=\"x\"\n[[pipeline]]\nname=\"b\"\ninput=\"i\"\ncommand=\"x\"\ninstances = 10001\n",
        )
        .expect_err("10,001 stage instances")
        .to_string();
        assert!(
            error.contains("line 11") && error.contains("\"b\""),
            "{error}"
        );
        let config = parse(&format!(
            "[redis]\nurl=\"redis://x\"\n[process.a]\ncommand=\"x\"\ninstances = {MAX_INSTANCES}\n"
        ))
        .expect("the limit itself is allowed");
        assert_eq!(config.programs[0].instances, MAX_INSTANCES);
    }

    #[test]
    fn max_line_bytes_defaults_to_1_mib_and_is_bounded() {
        let config =
            parse("[redis]\nurl=\"redis://x\"\n[process.a]\ncommand=\"x\"\n").expect("parses");
        assert_eq!(config.programs[0].max_line_bytes, 1024 * 1024);
        let config = parse(
            "[redis]\nurl=\"redis://x\"\n[process.a]\ncommand=\"x\"\nmax_line_bytes = 4096\n",
        )
        .expect("parses");
        assert_eq!(config.programs[0].max_line_bytes, 4096);
        let error =
            parse("[redis]\nurl=\"redis://x\"\n[process.a]\ncommand=\"x\"\nmax_line_bytes = 1\n")
                .expect_err("too small")
                .to_string();
        assert!(
            error.contains("line 5") && error.contains("max_line_bytes"),
            "{error}"
        );
    }

    #[test]
    fn stages_may_not_output_to_system_channels() {
        let error = parse(
            "[redis]\nurl=\"redis://x\"\n[[pipeline]]\nname=\"a\"\ninput=\"in\"\noutputs=[\"$sys:processes\"]\ncommand=\"x\"\n",
        )
        .expect_err("system output")
        .to_string();
        assert!(error.contains("$sys:processes"), "{error}");
    }

    #[test]
    fn dependency_cycles_are_refused() {
        let error = parse(
            "[redis]\nurl=\"redis://x\"\n[process.a]\ncommand=\"x\"\ndepends_on=[\"b\"]\n[process.b]\ncommand=\"x\"\ndepends_on=[\"a\"]\n",
        )
        .expect_err("cycle")
        .to_string();
        assert!(error.contains("cycle"), "{error}");
    }
}
