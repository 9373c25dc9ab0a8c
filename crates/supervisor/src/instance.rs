//! One supervised instance of a program, as a task: wait for its
//! dependencies, spawn it, probe readiness, capture its output, and when it
//! exits apply the restart policy with backoff, until it gives up
//! (`fatal`). It stops (signal, grace period, SIGKILL of the whole group)
//! when told to through its [`Want`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use asynchronio_bus::Backoff;
use asynchronio_protocol::process::{InstanceState, LastExit, ProcessStatus, ProgramKind};
use nix::sys::signal::Signal;
use tokio::process::Child;
use tokio::sync::watch;

use crate::config::{ProgramSpec, RestartPolicy};
use crate::log_capture::{LogLine, LogSink};
use crate::procfs;
use crate::ready::wait_until_ready;
use asynchronio_protocol::clock::now_ms;

use crate::reporter::{Report, Reporter};
use crate::spawn::{self, ChildEnvironment, Stdin, group_alive, signal_group};
use crate::stage::StageContext;

/// What the supervisor wants of an instance. Raising `generation` while it
/// runs restarts it; while it has given up (`fatal`, `exited`) starts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Want {
    /// Whether the instance should run.
    pub run: bool,
    /// Raised by start and restart commands.
    pub generation: u64,
}

/// How many instances of a program are running, and a watch that is true
/// while at least one is: what programs depending on it wait for.
#[derive(Debug)]
pub struct Readiness {
    running: AtomicU32,
    ready: watch::Sender<bool>,
}

impl Readiness {
    /// No instance running yet.
    pub fn new() -> Arc<Readiness> {
        Arc::new(Readiness {
            running: AtomicU32::new(0),
            ready: watch::Sender::new(false),
        })
    }

    /// A watch that is true while at least one instance runs.
    pub fn subscribe(&self) -> watch::Receiver<bool> {
        self.ready.subscribe()
    }

    /// How many instances run (are past their readiness probe).
    pub fn running(&self) -> u32 {
        self.running.load(Ordering::Relaxed)
    }

    fn up(&self) {
        let now = self.running.fetch_add(1, Ordering::AcqRel) + 1;
        self.ready.send_replace(now > 0);
    }

    fn down(&self) {
        let now = self
            .running
            .fetch_sub(1, Ordering::AcqRel)
            .saturating_sub(1);
        self.ready.send_replace(now > 0);
    }
}

/// Everything an instance task needs, shared with its siblings.
#[derive(Clone)]
pub struct InstanceContext {
    /// The program.
    pub spec: Arc<ProgramSpec>,
    /// What every child is told about Redis.
    pub environment: ChildEnvironment,
    /// Where states go.
    pub reporter: Reporter,
    /// Where output lines go.
    pub logs: LogSink,
    /// Readiness of each program this one depends on.
    pub dependencies: Vec<watch::Receiver<bool>>,
    /// This program's readiness, raised while an instance runs.
    pub readiness: Arc<Readiness>,
    /// Set for pipeline stages: the runner that feeds the processor.
    pub stage: Option<StageContext>,
}

/// The supervisor's handle on a running instance task.
pub struct InstanceHandle {
    /// What the supervisor wants of the instance.
    pub want: watch::Sender<Want>,
    /// The instance's status, after its state was reported.
    pub status: watch::Receiver<ProcessStatus>,
    /// The instance task.
    pub task: tokio::task::JoinHandle<()>,
}

impl InstanceHandle {
    /// Waits until the instance is in a state where no process of it runs
    /// (or its task ended), up to `limit`.
    pub async fn settled(&mut self, limit: Duration) -> bool {
        let wait = self
            .status
            .wait_for(|s| !s.is_alive() && *s != ProcessStatus::Backoff);
        matches!(tokio::time::timeout(limit, wait).await, Ok(Ok(_))) || self.task.is_finished()
    }
}

/// Starts the task of instance `index`.
pub fn start(context: InstanceContext, index: u32, want: Want) -> InstanceHandle {
    let (want_tx, want_rx) = watch::channel(want);
    let (status_tx, status_rx) = watch::channel(ProcessStatus::Stopped);
    let task = tokio::spawn(run(context, index, want_rx, status_tx));
    InstanceHandle {
        want: want_tx,
        status: status_rx,
        task,
    }
}

/// How one run of the process ended.
enum RunEnd {
    /// It exited on its own.
    Exited {
        code: Option<i32>,
        signal: Option<i32>,
        uptime: Duration,
    },
    /// The supervisor stopped it; `restart` when it should start again.
    Stopped { restart: bool },
    /// It could not be started at all.
    SpawnFailed,
    /// The supervisor dropped the instance.
    Gone,
}

/// The instance's loop and its current state.
struct Supervised {
    context: InstanceContext,
    state: InstanceState,
    want: watch::Receiver<Want>,
    status: watch::Sender<ProcessStatus>,
    generation: u64,
}

async fn run(
    context: InstanceContext,
    index: u32,
    want: watch::Receiver<Want>,
    status: watch::Sender<ProcessStatus>,
) {
    let spec = context.spec.clone();
    let state = InstanceState {
        name: spec.name.clone(),
        instance: index,
        kind: if spec.stage.is_some() {
            ProgramKind::Stage
        } else {
            ProgramKind::Process
        },
        pid: None,
        status: ProcessStatus::Stopped,
        exit_code: None,
        exit_signal: None,
        restarts: 0,
        started_ms: None,
        uptime_ms: 0,
        cpu_percent: 0.0,
        rss_bytes: 0,
        updated_ms: now_ms(),
        manager: String::new(),
        last_exit: None,
    };
    let generation = want.borrow().generation;
    let mut me = Supervised {
        context,
        state,
        want,
        status,
        generation,
    };
    me.supervise().await;
}

impl Supervised {
    async fn set_status(&mut self, status: ProcessStatus) {
        self.state.status = status;
        self.state.updated_ms = now_ms();
        self.state.uptime_ms = self.state.uptime_at(self.state.updated_ms);
        // Report first: whoever sees the new status and then asks the
        // reporter for a barrier finds the state already queued.
        self.context
            .reporter
            .send(Report::State(self.state.clone()))
            .await;
        self.status.send_replace(status);
    }

    /// The instance's whole life: run when wanted, apply the restart
    /// policy when the process exits, give up after too many quick
    /// failures, until the supervisor drops the instance.
    async fn supervise(&mut self) {
        let spec = self.context.spec.clone();
        let mut backoff = Backoff::new(spec.backoff.initial, spec.backoff.max);
        let mut quick_failures = 0u32;
        self.set_status(ProcessStatus::Stopped).await;
        loop {
            if !self.until_wanted().await {
                return;
            }
            let (code, signal, uptime, spawn_failed) = match self.run_once().await {
                RunEnd::Gone => return,
                RunEnd::Stopped { restart: true } => continue,
                RunEnd::Stopped { restart: false } => {
                    self.set_status(ProcessStatus::Stopped).await;
                    continue;
                }
                RunEnd::SpawnFailed => (None, None, Duration::ZERO, true),
                RunEnd::Exited {
                    code,
                    signal,
                    uptime,
                } => (code, signal, uptime, false),
            };
            self.state.exit_code = code;
            self.state.exit_signal = signal;
            self.state.last_exit = Some(LastExit {
                at_ms: now_ms(),
                code,
                signal,
                spawn_failed,
            });
            if uptime >= spec.backoff.reset_after {
                backoff.reset();
                quick_failures = 0;
            }
            if let Some(final_status) = self.gives_up(code, uptime, &mut quick_failures) {
                self.set_status(final_status).await;
                if !self.until_started_again().await {
                    return;
                }
                backoff.reset();
                quick_failures = 0;
                continue;
            }
            if !self.back_off(backoff.next_delay(), code, signal).await {
                return;
            }
            self.state.restarts += 1;
            crate::metrics::restarted(&self.state.name);
        }
    }

    /// Waits until the supervisor wants the instance to run (reporting
    /// `stopped` meanwhile); false when the instance is dropped.
    async fn until_wanted(&mut self) -> bool {
        loop {
            let want = *self.want.borrow_and_update();
            if want.run {
                self.generation = want.generation;
                return true;
            }
            if !matches!(self.state.status, ProcessStatus::Stopped) {
                self.set_status(ProcessStatus::Stopped).await;
            }
            if self.want.changed().await.is_err() {
                return false;
            }
        }
    }

    /// The restart policy after an exit: the final status when the
    /// instance gives up (`exited` by policy, `fatal` after
    /// `max_quick_failures` short runs in a row), `None` to restart.
    fn gives_up(
        &self,
        code: Option<i32>,
        uptime: Duration,
        quick_failures: &mut u32,
    ) -> Option<ProcessStatus> {
        let spec = &self.context.spec;
        let success = code == Some(0);
        let final_status = match spec.restart {
            RestartPolicy::Never => Some(ProcessStatus::Exited),
            RestartPolicy::OnFailure if success => Some(ProcessStatus::Exited),
            _ => {
                if uptime < spec.backoff.reset_after {
                    *quick_failures += 1;
                }
                (*quick_failures >= spec.max_quick_failures).then_some(ProcessStatus::Fatal)
            }
        };
        if final_status == Some(ProcessStatus::Fatal) {
            tracing::error!(
                program = %spec.name, instance = self.state.instance, failures = *quick_failures,
                "gave up after {} quick failures in a row; fix it and run `asynchronio start {}`", *quick_failures, spec.name
            );
        }
        final_status
    }

    /// After giving up, waits for a start (new generation) or a stop;
    /// false when the instance is dropped.
    async fn until_started_again(&mut self) -> bool {
        loop {
            if self.want.changed().await.is_err() {
                return false;
            }
            let want = *self.want.borrow_and_update();
            if !want.run || want.generation != self.generation {
                return true;
            }
        }
    }

    /// Waits out the restart backoff (status `backoff`); a stop or a
    /// restart during it is honoured by the next [`Self::until_wanted`].
    /// False when the instance is dropped.
    async fn back_off(&mut self, delay: Duration, code: Option<i32>, signal: Option<i32>) -> bool {
        tracing::info!(
            program = %self.context.spec.name, instance = self.state.instance, ?code, ?signal,
            delay_ms = delay.as_millis() as u64, "exited; restarting after backoff"
        );
        self.set_status(ProcessStatus::Backoff).await;
        tokio::select! {
            _ = tokio::time::sleep(delay) => true,
            changed = self.want.changed() => changed.is_ok(),
        }
    }

    /// Waits for dependencies, runs the process once and tells how it ended.
    async fn run_once(&mut self) -> RunEnd {
        self.state.pid = None;
        self.state.started_ms = None;
        self.set_status(ProcessStatus::Starting).await;
        if let Some(end) = self.wait_for_dependencies().await {
            return end;
        }
        let Some((mut child, pid, started)) = self.spawn_child().await else {
            return RunEnd::SpawnFailed;
        };
        let processor = self.attach_output(&mut child);
        self.set_status(ProcessStatus::Starting).await;
        if let Some(end) = self.wait_for_readiness(&mut child, pid, started).await {
            return end;
        }
        self.context.readiness.up();
        self.set_status(ProcessStatus::Running).await;
        self.while_running(&mut child, pid, started, processor)
            .await
    }

    /// Waits until every program this one depends on runs; how the run
    /// ended when the supervisor wants otherwise first.
    async fn wait_for_dependencies(&mut self) -> Option<RunEnd> {
        let mut dependencies = self.context.dependencies.clone();
        for dependency in &mut dependencies {
            tokio::select! {
                ready = dependency.wait_for(|ready| *ready) => {
                    if ready.is_err() { return Some(RunEnd::Gone); }
                }
                end = self.until_told_otherwise() => return Some(end),
            }
        }
        None
    }

    /// Spawns the process in its own group and records it (the reporter's
    /// group list, the state's pid and start); `None` when it cannot start,
    /// with the reason in the program's log.
    async fn spawn_child(&mut self) -> Option<(Child, u32, Instant)> {
        let spec = self.context.spec.clone();
        let stdin = if spec.stage.is_some() {
            Stdin::Piped
        } else {
            Stdin::Null
        };
        let child = match spawn::spawn(&spec, self.state.instance, &self.context.environment, stdin)
        {
            Ok(child) => child,
            Err(error) => {
                tracing::error!(%error, "spawn failed");
                self.context.logs.push(LogLine {
                    program: Arc::from(spec.name.as_str()),
                    instance: self.state.instance,
                    stream: "manager",
                    line: error.to_string(),
                });
                return None;
            }
        };
        let pid = child.id()?;
        let started = Instant::now();
        let start_ticks = procfs::stat(pid).map_or(0, |s| s.start_ticks);
        self.context
            .reporter
            .send(Report::GroupStarted(pid, start_ticks))
            .await;
        self.state.pid = Some(pid);
        self.state.started_ms = Some(now_ms());
        self.state.exit_code = None;
        self.state.exit_signal = None;
        Some((child, pid, started))
    }

    /// Captures stderr into the logs, and stdout too for a process; a
    /// stage's stdin and stdout go to its runner, returned to be awaited.
    fn attach_output(&self, child: &mut Child) -> Option<Processor> {
        let spec = &self.context.spec;
        let program: Arc<str> = Arc::from(spec.name.as_str());
        if let Some(stderr) = child.stderr.take() {
            tokio::spawn(self.context.logs.clone().capture(
                stderr,
                program.clone(),
                self.state.instance,
                "stderr",
                spec.max_line_bytes,
            ));
        }
        match (&self.context.stage, child.stdin.take(), child.stdout.take()) {
            (Some(stage), Some(stdin), Some(stdout)) => Some(Box::pin(stage.clone().run(
                self.state.instance,
                stdin,
                stdout,
                self.context.logs.clone(),
            ))),
            (_, _, Some(stdout)) => {
                tokio::spawn(self.context.logs.clone().capture(
                    stdout,
                    program,
                    self.state.instance,
                    "stdout",
                    spec.max_line_bytes,
                ));
                None
            }
            _ => None,
        }
    }

    /// Runs the readiness probe, if any, within `start_timeout`. `None`
    /// once ready; how the run ended when the probe times out (the process
    /// is stopped), the process exits or the supervisor wants otherwise.
    async fn wait_for_readiness(
        &mut self,
        child: &mut Child,
        pid: u32,
        started: Instant,
    ) -> Option<RunEnd> {
        let spec = self.context.spec.clone();
        let probe = spec.ready.clone()?;
        let ready = tokio::time::timeout(spec.start_timeout, wait_until_ready(&probe, &spec.cwd));
        tokio::select! {
            result = ready => {
                if result.is_ok() {
                    return None;
                }
                tracing::error!(program = %spec.name, instance = self.state.instance,
                    "not ready within {} ms; stopping it (raise start_timeout_ms if it needs longer)",
                    spec.start_timeout.as_millis());
                self.stop_process(child, pid).await;
                let uptime = started.elapsed();
                self.finish_run(pid, false).await;
                Some(RunEnd::Exited { code: None, signal: None, uptime })
            }
            status = child.wait() => Some(self.exited(status, pid, started, false).await),
            end = self.until_told_otherwise() => {
                self.stop_process(child, pid).await;
                self.finish_run(pid, false).await;
                Some(end)
            }
        }
    }

    /// A running process until it exits, the supervisor wants otherwise,
    /// or (a stage) its runner stops reading the processor's answers.
    async fn while_running(
        &mut self,
        child: &mut Child,
        pid: u32,
        started: Instant,
        mut processor: Option<Processor>,
    ) -> RunEnd {
        tokio::select! {
            status = child.wait() => {
                finish_processor(processor.take()).await;
                self.exited(status, pid, started, true).await
            }
            end = self.until_told_otherwise() => {
                self.stop_process(child, pid).await;
                finish_processor(processor.take()).await;
                self.finish_run(pid, true).await;
                end
            }
            why = async {
                match processor.as_mut() {
                    Some(p) => p.await,
                    None => std::future::pending().await,
                }
            } => self.processor_stopped(child, pid, started, why).await,
        }
    }

    /// The stage runner ended (`why`). Usually the processor closed its
    /// stdout because it is exiting. If it still runs, nothing reads its
    /// answers any more: restart it rather than leave the stage "running"
    /// with its messages pending for ever.
    async fn processor_stopped(
        &mut self,
        child: &mut Child,
        pid: u32,
        started: Instant,
        why: String,
    ) -> RunEnd {
        tokio::select! {
            status = child.wait() => {
                return self.exited(status, pid, started, true).await;
            }
            () = tokio::time::sleep(PROCESSOR_EXIT_WAIT) => {}
            end = self.until_told_otherwise() => {
                self.stop_process(child, pid).await;
                self.finish_run(pid, true).await;
                return end;
            }
        }
        let spec = self.context.spec.clone();
        let line = format!(
            "the stage stopped reading the processor's answers ({why}) while it still runs; restarting it"
        );
        tracing::warn!(program = %spec.name, instance = self.state.instance, "{line}");
        self.context.logs.push(LogLine {
            program: Arc::from(spec.name.as_str()),
            instance: self.state.instance,
            stream: "manager",
            line,
        });
        self.stop_process(child, pid).await;
        let uptime = started.elapsed();
        self.finish_run(pid, true).await;
        RunEnd::Exited {
            code: None,
            signal: None,
            uptime,
        }
    }

    /// Resolves when the supervisor wants something other than the current
    /// run: a stop, or a restart (new generation).
    async fn until_told_otherwise(&mut self) -> RunEnd {
        loop {
            if self.want.changed().await.is_err() {
                return RunEnd::Gone;
            }
            let want = *self.want.borrow_and_update();
            if !want.run {
                return RunEnd::Stopped { restart: false };
            }
            if want.generation != self.generation {
                self.generation = want.generation;
                return RunEnd::Stopped { restart: true };
            }
        }
    }

    async fn exited(
        &mut self,
        status: std::io::Result<std::process::ExitStatus>,
        pid: u32,
        started: Instant,
        was_running: bool,
    ) -> RunEnd {
        use std::os::unix::process::ExitStatusExt;
        let uptime = started.elapsed();
        let (code, signal) = match status {
            Ok(status) => (status.code(), status.signal()),
            Err(error) => {
                tracing::warn!(%error, pid, "cannot collect exit status");
                (None, None)
            }
        };
        // Whatever the leader left in its group goes with it.
        signal_group(pid, Signal::SIGKILL);
        self.finish_run(pid, was_running).await;
        RunEnd::Exited {
            code,
            signal,
            uptime,
        }
    }

    async fn finish_run(&mut self, pid: u32, was_running: bool) {
        if was_running {
            self.context.readiness.down();
        }
        self.context.reporter.send(Report::GroupEnded(pid)).await;
        self.state.pid = None;
        self.state.started_ms = None;
    }

    /// Stop signal to the whole group, wait up to the grace period for
    /// every process of it to exit, then SIGKILL what is left. Reaps the
    /// leader, so no zombie remains.
    async fn stop_process(&mut self, child: &mut Child, pgid: u32) {
        let spec = self.context.spec.clone();
        self.set_status(ProcessStatus::Stopping).await;
        // A processor also learns it should finish from its stdin closing.
        drop(child.stdin.take());
        signal_group(pgid, spec.stop_signal);
        let deadline = tokio::time::Instant::now() + spec.stop_grace;
        let mut leader_done = false;
        loop {
            if !leader_done {
                if tokio::time::timeout(Duration::from_millis(20), child.wait())
                    .await
                    .is_ok()
                {
                    leader_done = true;
                }
            } else {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            if leader_done && !group_alive(pgid) {
                return;
            }
            if tokio::time::Instant::now() >= deadline {
                break;
            }
        }
        tracing::warn!(program = %spec.name, pgid, grace_ms = spec.stop_grace.as_millis() as u64,
            "still running after the grace period; killing the process group");
        signal_group(pgid, Signal::SIGKILL);
        let _ = child.wait().await;
        let mut tries = 0;
        while group_alive(pgid) && tries < 100 {
            tokio::time::sleep(Duration::from_millis(10)).await;
            tries += 1;
        }
    }
}

/// A stage runner feeding the processor, as [`StageContext::run`] returns
/// it: resolves, with the reason, when it stops reading answers.
type Processor = Pin<Box<dyn Future<Output = String> + Send>>;

/// How long a processor whose stdout closed may take to exit on its own
/// before it is stopped and restarted.
const PROCESSOR_EXIT_WAIT: Duration = Duration::from_secs(2);

/// Lets a stage runner settle its books after its processor exited (its
/// stdout is closed by then, so this is quick).
async fn finish_processor(processor: Option<Processor>) {
    if let Some(processor) = processor {
        let _ = tokio::time::timeout(Duration::from_secs(2), processor).await;
    }
}
