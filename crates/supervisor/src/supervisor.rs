//! [`Supervisor`]: every configured program with its instance tasks, and
//! the commands that change them (start, stop, restart, scale, reload).
//! It applies a command at once and hands back a future that waits for the
//! result, so a slow stop never holds up the next command. Desired states
//! are written to Redis so that a restarted manager restores them.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use asynchronio_bus::Bus;
use asynchronio_protocol::dead_letter;
use asynchronio_protocol::process::{DesiredState, ProcessAction, ProcessStatus, state_field};
use tokio::sync::watch;

use crate::config::{Config, MAX_INSTANCES, ProgramSpec, RedisPlacement};
use crate::instance::{self, InstanceContext, InstanceHandle, Readiness, Want};
use crate::log_capture::LogSink;

use crate::reporter::{Report, Reporter};
use crate::spawn::ChildEnvironment;
use crate::stage::replay;
use crate::stage::{StageContext, StageCounters, StageShared};

/// The answer to a command, once it is known.
pub type Outcome = Pin<Box<dyn Future<Output = Result<String, String>> + Send>>;

/// Extra time allowed beyond a program's own timeouts when waiting for it.
const MARGIN: Duration = Duration::from_secs(2);

/// One configured program and its instances.
struct Program {
    spec: Arc<ProgramSpec>,
    desired: DesiredState,
    instances: Vec<InstanceHandle>,
    generation: u64,
    /// For a stage: its counters and replay queue.
    shared: Option<StageShared>,
}

/// Owns every program; driven by the manager's main loop.
pub struct Supervisor {
    config: Config,
    environment: ChildEnvironment,
    reporter: Reporter,
    logs: LogSink,
    bus: watch::Receiver<Option<Bus>>,
    programs: BTreeMap<String, Program>,
    /// Kept across reloads so dependents' watches stay valid.
    readiness: HashMap<String, Arc<Readiness>>,
    /// The configured stages, for the holds and statistics tasks; sent
    /// again after every command and launch.
    stages: watch::Sender<Vec<ConfiguredStage>>,
}

/// A configured pipeline stage as the holds and statistics tasks see it:
/// its spec, its instances' shared counters and readiness, and what the
/// supervisor wants of it.
#[derive(Debug, Clone)]
pub struct ConfiguredStage {
    /// The stage's program; `spec.stage` is always set.
    pub spec: Arc<ProgramSpec>,
    /// Messages processed, failed and dead-lettered by its instances.
    pub counters: Arc<StageCounters>,
    /// Whether it should run, and how many instances.
    pub desired: DesiredState,
    /// How many of its instances run.
    pub readiness: Arc<Readiness>,
}

impl Supervisor {
    /// A supervisor of `config`'s programs, none started yet; `bus` holds
    /// the connection once the manager has one.
    pub fn new(
        config: Config,
        environment: ChildEnvironment,
        reporter: Reporter,
        logs: LogSink,
        bus: watch::Receiver<Option<Bus>>,
    ) -> Supervisor {
        Supervisor {
            config,
            environment,
            reporter,
            logs,
            bus,
            programs: BTreeMap::new(),
            readiness: HashMap::new(),
            stages: watch::Sender::new(Vec::new()),
        }
    }

    /// The configuration in force (the last one loaded or reloaded).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The configured stages, kept up to date as commands change them
    /// (what the holds and statistics tasks follow).
    pub fn stages(&self) -> watch::Receiver<Vec<ConfiguredStage>> {
        self.stages.subscribe()
    }

    /// Sends the configured stages to the holds and statistics tasks.
    fn send_stages(&mut self) {
        let mut stages = Vec::new();
        for program in self.programs.values() {
            let Some(counters) = program
                .shared
                .as_ref()
                .map(|shared| shared.counters.clone())
            else {
                continue;
            };
            let readiness = match self.readiness.get(&program.spec.name) {
                Some(readiness) => readiness.clone(),
                None => continue,
            };
            stages.push(ConfiguredStage {
                spec: program.spec.clone(),
                counters,
                desired: program.desired,
                readiness,
            });
        }
        self.stages.send_replace(stages);
    }

    /// Starts the tasks of the named programs (all when `names` is empty),
    /// with the desired states a previous manager left, if any.
    pub fn launch(&mut self, names: &[&str], desired: &HashMap<String, DesiredState>) {
        let specs: Vec<Arc<ProgramSpec>> = self
            .config
            .programs
            .iter()
            .filter(|p| names.is_empty() || names.contains(&p.name.as_str()))
            .filter(|p| !self.programs.contains_key(&p.name))
            .cloned()
            .collect();
        for spec in specs {
            let wanted = desired.get(&spec.name).copied().unwrap_or(DesiredState {
                running: spec.autostart,
                instances: spec.instances,
            });
            self.add_program(spec, wanted);
        }
        self.send_stages();
    }

    fn readiness_of(&mut self, name: &str) -> Arc<Readiness> {
        self.readiness
            .entry(name.to_owned())
            .or_insert_with(Readiness::new)
            .clone()
    }

    fn context(
        &mut self,
        spec: &Arc<ProgramSpec>,
        shared: &Option<StageShared>,
    ) -> InstanceContext {
        let dependencies = spec
            .depends_on
            .iter()
            .map(|dep| self.readiness_of(dep).subscribe())
            .collect();
        InstanceContext {
            spec: spec.clone(),
            environment: self.environment.clone(),
            reporter: self.reporter.clone(),
            logs: self.logs.clone(),
            dependencies,
            readiness: self.readiness_of(&spec.name),
            stage: shared.as_ref().map(|shared| StageContext {
                spec: spec.clone(),
                bus: self.bus.clone(),
                counters: shared.counters.clone(),
                replays: shared.replays.clone(),
            }),
        }
    }

    fn add_program(&mut self, spec: Arc<ProgramSpec>, desired: DesiredState) {
        let shared = spec.stage.as_ref().map(|_| StageShared::default());
        let context = self.context(&spec, &shared);
        let want = Want {
            run: desired.running,
            generation: 0,
        };
        let instances = (0..desired.instances)
            .map(|i| instance::start(context.clone(), i, want))
            .collect();
        self.programs.insert(
            spec.name.clone(),
            Program {
                spec,
                desired,
                instances,
                generation: 0,
                shared,
            },
        );
    }

    async fn persist(&self, name: &str) {
        let Some(program) = self.programs.get(name) else {
            return;
        };
        let bus = self.bus.borrow().clone();
        if let Some(bus) = bus
            && let Err(error) = bus.set_desired_state(name, program.desired).await
        {
            tracing::warn!(%error, program = name, "cannot save the desired state");
        }
    }

    /// Applies a command; the returned future resolves to its result.
    pub async fn handle(&mut self, action: ProcessAction) -> Outcome {
        let result = match action {
            ProcessAction::Start { name } => self.start(&name).await,
            ProcessAction::Stop { name } => self.stop(&name).await,
            ProcessAction::Restart { name, instance } => self.restart(&name, instance).await,
            ProcessAction::Scale { name, instances } => self.scale(&name, instances).await,
            ProcessAction::Reload => self.reload().await,
            ProcessAction::Replay { name, ids } => self.replay(&name, ids).await,
        };
        self.send_stages();
        let reporter = self.reporter.clone();
        match result {
            Ok(outcome) => Box::pin(async move {
                let result = outcome.await;
                reporter.barrier().await;
                result
            }),
            Err(message) => Box::pin(async move { Err(message) }),
        }
    }

    fn program_mut(&mut self, name: &str) -> Result<&mut Program, String> {
        let known = self.programs.keys().cloned().collect::<Vec<_>>().join(", ");
        self.programs
            .get_mut(name)
            .ok_or_else(|| format!("no program named \"{name}\"; known programs: {known}"))
    }

    async fn start(&mut self, name: &str) -> Result<Outcome, String> {
        let program = self.program_mut(name)?;
        program.desired.running = true;
        program.generation += 1;
        let generation = program.generation;
        let mut waits = Vec::new();
        for handle in &program.instances {
            let status = *handle.status.borrow();
            handle.want.send_modify(|want| {
                want.run = true;
                // Wake instances that gave up; leave running ones alone.
                if matches!(status, ProcessStatus::Fatal | ProcessStatus::Exited) {
                    want.generation = generation;
                }
            });
            waits.push(handle.status.clone());
        }
        let limit = program.spec.start_timeout + MARGIN;
        let count = program.instances.len();
        self.persist(name).await;
        let name = name.to_owned();
        Ok(Box::pin(async move {
            let settled = wait_all(waits, limit, |s| {
                matches!(
                    s,
                    ProcessStatus::Running | ProcessStatus::Fatal | ProcessStatus::Exited
                )
            })
            .await;
            describe(&name, "started", count, &settled)
        }))
    }

    async fn stop(&mut self, name: &str) -> Result<Outcome, String> {
        let program = self.program_mut(name)?;
        program.desired.running = false;
        let mut waits = Vec::new();
        for handle in &program.instances {
            handle.want.send_modify(|want| want.run = false);
            waits.push(handle.status.clone());
        }
        let limit = program.spec.stop_grace + MARGIN;
        let count = program.instances.len();
        self.persist(name).await;
        let name = name.to_owned();
        Ok(Box::pin(async move {
            let settled = wait_all(waits, limit, |s| {
                !s.is_alive() && s != ProcessStatus::Backoff
            })
            .await;
            describe(&name, "stopped", count, &settled)
        }))
    }

    /// Restarts every instance of `name`, or only `instance` of a running
    /// program.
    async fn restart(&mut self, name: &str, instance: Option<u32>) -> Result<Outcome, String> {
        let program = self.program_mut(name)?;
        if let Some(instance) = instance {
            if !program.desired.running {
                return Err(format!(
                    "{name} is stopped: start it (asynchronio start {name}) rather than one instance"
                ));
            }
            if instance as usize >= program.instances.len() {
                return Err(format!(
                    "{name} has no instance {instance}: it runs {} (numbered from 0)",
                    program.instances.len()
                ));
            }
        }
        program.desired.running = true;
        program.generation += 1;
        let generation = program.generation;
        let mut waits = Vec::new();
        let chosen = program
            .instances
            .iter()
            .enumerate()
            .filter(|(i, _)| instance.is_none_or(|only| *i as u32 == only))
            .map(|(_, handle)| handle);
        for handle in chosen {
            let mut status = handle.status.clone();
            status.mark_unchanged();
            handle.want.send_modify(|want| {
                want.run = true;
                want.generation = generation;
            });
            waits.push(status);
        }
        let limit = program.spec.stop_grace + program.spec.start_timeout + MARGIN;
        let count = waits.len();
        self.persist(name).await;
        let name = match instance {
            Some(instance) => format!("{name} instance {instance}"),
            None => name.to_owned(),
        };
        Ok(Box::pin(async move {
            let mut changed = Vec::new();
            for mut status in waits {
                let _ = tokio::time::timeout(limit, status.changed()).await;
                changed.push(status);
            }
            let settled = wait_all(changed, limit, |s| {
                matches!(
                    s,
                    ProcessStatus::Running | ProcessStatus::Fatal | ProcessStatus::Exited
                )
            })
            .await;
            describe(&name, "restarted", count, &settled)
        }))
    }

    /// Queues dead letters of stage `name` (the ones `ids` names, or every
    /// one up to the queue's bound) for its instances to handle again.
    async fn replay(&mut self, name: &str, ids: Vec<String>) -> Result<Outcome, String> {
        dead_letter::checked_ids(&ids)?;
        let program = self
            .programs
            .get(name)
            .ok_or_else(|| format!("no program named {name:?}; see `asynchronio pipelines`"))?;
        let Some(shared) = program.shared.clone() else {
            return Err(format!(
                "{name} is not a pipeline stage; only stages have dead letters"
            ));
        };
        let running = program.desired.running && program.desired.instances > 0;
        let Some(bus) = self.bus.borrow().clone() else {
            return Err("the manager is not connected to Redis yet; try again".to_owned());
        };
        let unreadable = |error: asynchronio_bus::BusError| {
            format!("cannot read the dead letters of {name}: {error}")
        };
        let (letters, missing) = if ids.is_empty() {
            let letters = bus
                .dead_letters(name, None, replay::MAX_QUEUED as u64)
                .await
                .map_err(unreadable)?;
            (letters, 0)
        } else {
            let mut letters = Vec::new();
            let mut missing = 0;
            for id in &ids {
                match bus.dead_letter(name, id).await.map_err(unreadable)? {
                    Some(letter) => letters.push(letter),
                    None => missing += 1,
                }
            }
            (letters, missing)
        };
        let unreplayable = letters.iter().filter(|letter| !letter.replayable).count();
        let done = shared.replays.push(
            letters
                .into_iter()
                .filter(|letter| letter.replayable)
                .map(|letter| letter.id),
        );
        let mut message = format!("replaying {} dead letter(s) of {name}", done.queued);
        for (count, what) in [
            (done.already, "already being replayed"),
            (missing, "not found (deleted, or replayed already)"),
            (
                unreplayable,
                "kept no message to replay (written by an older version)",
            ),
            (
                done.over,
                "left for later: the replay queue is full, run it again when it drains",
            ),
        ] {
            if count > 0 {
                message.push_str(&format!("; {count} {what}"));
            }
        }
        if !running {
            message.push_str(&format!("; {name} is stopped: they wait until it runs"));
        }
        Ok(Box::pin(async move { Ok(message) }))
    }

    async fn scale(&mut self, name: &str, instances: u32) -> Result<Outcome, String> {
        if instances > MAX_INSTANCES {
            return Err(format!(
                "{instances} instances is more than the limit of {MAX_INSTANCES}"
            ));
        }
        let spec = self.program_mut(name)?.spec.clone();
        let shared = self.programs.get(name).and_then(|p| p.shared.clone());
        let context = self.context(&spec, &shared);
        let program = self.program_mut(name)?;
        let before = program.instances.len() as u32;
        program.desired.instances = instances;
        let want = Want {
            run: program.desired.running,
            generation: program.generation,
        };
        let mut waits = Vec::new();
        let mut removed = Vec::new();
        if instances > before {
            for i in before..instances {
                let handle = instance::start(context.clone(), i, want);
                waits.push(handle.status.clone());
                program.instances.push(handle);
            }
        } else {
            removed = program.instances.split_off(instances as usize);
            for handle in &removed {
                handle.want.send_modify(|want| want.run = false);
            }
        }
        let limit = spec.stop_grace.max(spec.start_timeout) + MARGIN;
        self.persist(name).await;
        let reporter = self.reporter.clone();
        let name = name.to_owned();
        let running = want.run;
        Ok(Box::pin(async move {
            for (offset, mut handle) in removed.into_iter().enumerate() {
                handle.settled(limit).await;
                handle.task.abort();
                let index = instances + offset as u32;
                reporter
                    .send(Report::Removed(state_field(&name, index)))
                    .await;
            }
            if running {
                wait_all(waits, limit, |s| {
                    matches!(
                        s,
                        ProcessStatus::Running | ProcessStatus::Fatal | ProcessStatus::Exited
                    )
                })
                .await;
            }
            Ok(format!(
                "{name} scaled from {before} to {instances} instance(s)"
            ))
        }))
    }

    /// Re-reads the configuration: new programs start, removed ones stop,
    /// changed ones restart with their new settings. (The holds task gives
    /// back the holds of removed stages once it is sent the new stages.)
    async fn reload(&mut self) -> Result<Outcome, String> {
        let redis_url = match &self.config.redis {
            RedisPlacement::External(url) => Some(url.clone()),
            RedisPlacement::Private { .. } => None,
        };
        let fresh =
            Config::load(&self.config.path, redis_url.as_deref()).map_err(|e| e.to_string())?;
        if fresh.redis != self.config.redis {
            return Err("[redis] changed; restart the process manager to apply it".into());
        }
        let plan = self.take_changed(&fresh);
        self.config = fresh;
        // Old instances must be gone before their replacements start.
        self.settle_removed(plan.stopping).await;
        for (spec, desired) in &plan.changed {
            self.add_program(spec.clone(), *desired);
            self.persist(&spec.name).await;
        }
        let added: Vec<&str> = plan.added.iter().map(String::as_str).collect();
        if !added.is_empty() {
            self.launch(&added, &HashMap::new());
        }
        if let Some(bus) = self.bus.borrow().clone()
            && let Err(error) = bus.remove_desired_states(&plan.removed).await
        {
            tracing::warn!(%error, "cannot forget desired states of removed programs");
        }
        let message = format!(
            "reloaded: {} added, {} changed, {} removed",
            plan.added.len(),
            plan.changed.len(),
            plan.removed.len()
        );
        Ok(Box::pin(async move { Ok(message) }))
    }

    /// Compares the programs with `fresh`: takes out every program removed
    /// or changed and tells its instances to stop, and lists what to start.
    fn take_changed(&mut self, fresh: &Config) -> ReloadPlan {
        let mut plan = ReloadPlan::default();
        let old_names: Vec<String> = self.programs.keys().cloned().collect();
        for name in &old_names {
            let new_spec = fresh.program(name).cloned();
            let same = new_spec
                .as_ref()
                .is_some_and(|spec| self.programs.get(name).is_some_and(|p| p.spec == *spec));
            if same {
                continue;
            }
            let Some(program) = self.programs.remove(name) else {
                continue;
            };
            for handle in &program.instances {
                handle.want.send_modify(|want| want.run = false);
            }
            plan.stopping.push((
                name.clone(),
                program.instances,
                program.spec.stop_grace + MARGIN,
            ));
            match new_spec {
                Some(spec) => {
                    let desired = if spec.instances != program.spec.instances {
                        DesiredState {
                            running: program.desired.running,
                            instances: spec.instances,
                        }
                    } else {
                        program.desired
                    };
                    plan.changed.push((spec, desired));
                }
                None => plan.removed.push(name.clone()),
            }
        }
        for spec in &fresh.programs {
            if !self.programs.contains_key(&spec.name)
                && !plan.changed.iter().any(|(c, _)| c.name == spec.name)
            {
                plan.added.push(spec.name.clone());
            }
        }
        plan
    }

    /// Waits for the instances of programs taken out to settle (each within
    /// its grace), ends their tasks and removes their states.
    async fn settle_removed(&self, stopping: Vec<(String, Vec<InstanceHandle>, Duration)>) {
        for (name, handles, limit) in stopping {
            for (index, mut handle) in handles.into_iter().enumerate() {
                handle.settled(limit).await;
                handle.task.abort();
                self.reporter
                    .send(Report::Removed(state_field(&name, index as u32)))
                    .await;
            }
        }
    }

    /// Stops everything, dependents before what they depend on, each level
    /// within its programs' grace periods.
    pub async fn shutdown(&mut self) {
        let mut levels: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        for name in self.programs.keys() {
            levels
                .entry(self.depth(name, 0))
                .or_default()
                .push(name.clone());
        }
        for (_, names) in levels.into_iter().rev() {
            let mut waits = Vec::new();
            for name in names {
                if let Some(program) = self.programs.get_mut(&name) {
                    for handle in &program.instances {
                        handle.want.send_modify(|want| want.run = false);
                    }
                    let limit = program.spec.stop_grace + MARGIN;
                    for handle in &mut program.instances {
                        waits.push((handle.status.clone(), limit));
                    }
                }
            }
            let all = waits.into_iter().map(|(mut status, limit)| async move {
                let _ = tokio::time::timeout(
                    limit,
                    status.wait_for(|s| !s.is_alive() && *s != ProcessStatus::Backoff),
                )
                .await;
            });
            spawn_and_join_all(all).await;
        }
        for program in self.programs.values() {
            for handle in &program.instances {
                handle.task.abort();
            }
        }
    }

    fn depth(&self, name: &str, guard: usize) -> usize {
        if guard > 64 {
            return guard;
        }
        self.programs
            .get(name)
            .map(|p| {
                p.spec
                    .depends_on
                    .iter()
                    .map(|dep| self.depth(dep, guard + 1) + 1)
                    .max()
                    .unwrap_or(0)
            })
            .unwrap_or(0)
    }
}

/// What a reload does to the programs.
#[derive(Default)]
struct ReloadPlan {
    /// Programs taken out (removed or changed), told to stop: name,
    /// instances, how long to wait for them.
    stopping: Vec<(String, Vec<InstanceHandle>, Duration)>,
    /// Changed programs, to start again with their new spec.
    changed: Vec<(Arc<ProgramSpec>, DesiredState)>,
    /// New programs.
    added: Vec<String>,
    /// Programs no longer configured.
    removed: Vec<String>,
}

/// Waits until each status satisfies `done` (or `limit` passes); returns
/// the final statuses.
async fn wait_all(
    waits: Vec<watch::Receiver<ProcessStatus>>,
    limit: Duration,
    done: impl Fn(ProcessStatus) -> bool + Copy + Send,
) -> Vec<ProcessStatus> {
    let deadline = tokio::time::Instant::now() + limit;
    let mut out = Vec::with_capacity(waits.len());
    for mut status in waits {
        let _ = tokio::time::timeout_at(deadline, status.wait_for(|s| done(*s))).await;
        out.push(*status.borrow());
    }
    out
}

fn describe(
    name: &str,
    verb: &str,
    count: usize,
    statuses: &[ProcessStatus],
) -> Result<String, String> {
    let mut tally: BTreeMap<&str, usize> = BTreeMap::new();
    for status in statuses {
        *tally.entry(status.as_str()).or_default() += 1;
    }
    let summary = tally
        .iter()
        .map(|(s, n)| format!("{n} {s}"))
        .collect::<Vec<_>>()
        .join(", ");
    let failed = statuses
        .iter()
        .any(|s| matches!(s, ProcessStatus::Fatal | ProcessStatus::Exited))
        && verb != "stopped";
    let message = format!("{name}: {verb} ({count} instance(s): {summary})");
    if failed {
        Err(format!("{message}; see `asynchronio logs {name}`"))
    } else {
        Ok(message)
    }
}

/// Spawns each future as its own task and waits for all of them: the waits
/// run at the same time, so the slowest bounds the total, not their sum.
async fn spawn_and_join_all<F: Future<Output = ()> + Send + 'static>(
    futures: impl IntoIterator<Item = F>,
) {
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    for handle in handles {
        let _ = handle.await;
    }
}
