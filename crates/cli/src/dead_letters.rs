//! `asynchronio dead-letters`: a stage's dead letters listed, shown in
//! full, replayed (through the process manager, which hands them to the
//! stage's processor again) and deleted.

use asynchronio_bus::Bus;
use asynchronio_protocol::dead_letter::{self, DeadLetter};
use asynchronio_protocol::process::ProcessAction;
use clap::Subcommand;

use crate::{ansi, processes, style, table};

/// What to do with a stage's dead letters.
#[derive(Debug, Subcommand)]
pub enum DeadLetters {
    /// List a stage's dead letters, oldest first, with their last error.
    List {
        /// The stage.
        name: String,
        /// Most letters shown.
        #[arg(long, default_value_t = 50)]
        limit: u64,
        /// Only the letters after this id.
        #[arg(long)]
        after: Option<String>,
        /// One JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Show one dead letter in full.
    Show {
        /// The stage.
        name: String,
        /// The dead letter's id (from `list`).
        id: String,
    },
    /// Hand dead letters to the stage's processor again (after fixing it).
    /// A replay that succeeds deletes its letter; outputs are published once
    /// however often a letter is replayed (within a day: idempotency keys
    /// are remembered that long).
    Replay {
        /// The stage.
        name: String,
        /// The letters' ids.
        ids: Vec<String>,
        /// Every letter.
        #[arg(long, conflicts_with = "ids")]
        all: bool,
    },
    /// Delete dead letters for good.
    Delete {
        /// The stage.
        name: String,
        /// The letters' ids.
        ids: Vec<String>,
        /// Every letter.
        #[arg(long, conflicts_with = "ids")]
        all: bool,
    },
}

/// Runs one `dead-letters` subcommand.
pub async fn run(bus: &Bus, command: DeadLetters) -> anyhow::Result<()> {
    match command {
        DeadLetters::List {
            name,
            limit,
            after,
            json,
        } => list(bus, &name, limit.clamp(1, 10_000), after.as_deref(), json).await,
        DeadLetters::Show { name, id } => show(bus, &name, &id).await,
        DeadLetters::Replay { name, ids, all } => {
            chosen(&ids, all)?;
            processes::send(bus, ProcessAction::Replay { name, ids }).await
        }
        DeadLetters::Delete { name, ids, all } => {
            chosen(&ids, all)?;
            let ids = if all {
                every_id(bus, &name).await?
            } else {
                ids
            };
            let deleted = bus.delete_dead_letters(&name, &ids).await?;
            emit!("deleted {deleted} dead letter(s) of {name}");
            Ok(())
        }
    }
}

/// Ids or `--all`, one of the two, and ids that are ids.
fn chosen(ids: &[String], all: bool) -> anyhow::Result<()> {
    if ids.is_empty() && !all {
        anyhow::bail!("name the dead letters (ids from `asynchronio dead-letters list`), or --all");
    }
    dead_letter::checked_ids(ids).map_err(anyhow::Error::msg)
}

async fn every_id(bus: &Bus, name: &str) -> anyhow::Result<Vec<String>> {
    let mut ids = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = bus.dead_letters(name, after.as_deref(), 1000).await?;
        let Some(last) = page.last() else {
            return Ok(ids);
        };
        after = Some(last.id.clone());
        ids.extend(page.into_iter().map(|letter| letter.id));
    }
}

async fn list(
    bus: &Bus,
    name: &str,
    limit: u64,
    after: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    if let Some(after) = after {
        dead_letter::checked_ids(&[after.to_owned()]).map_err(anyhow::Error::msg)?;
    }
    let letters = bus.dead_letters(name, after, limit).await?;
    if json {
        emit!("{}", serde_json::to_string(&letters)?);
        return Ok(());
    }
    if letters.is_empty() {
        let total = bus.dead_letter_count(name).await?;
        if total == 0 {
            emit!("no dead letters for {name}");
        } else {
            emit!("no dead letters after that id ({total} in all)");
        }
        return Ok(());
    }
    let rows: Vec<Vec<String>> = letters
        .iter()
        .map(|letter| {
            vec![
                letter.id.clone(),
                letter.offset.trim_start_matches('0').to_owned(),
                letter.attempts.to_string(),
                shorten(&ansi::printable(&letter.error, false), 60),
                shorten(&ansi::printable(&letter.data, false), 40),
            ]
        })
        .collect();
    emit!(
        "{}",
        table::render(
            &["ID", "OFFSET", "ATTEMPTS", "LAST ERROR", "DATA"],
            &[false, true, true, false, false],
            &rows
        )
    );
    Ok(())
}

async fn show(bus: &Bus, name: &str, id: &str) -> anyhow::Result<()> {
    dead_letter::checked_ids(&[id.to_owned()]).map_err(anyhow::Error::msg)?;
    let Some(letter) = bus.dead_letter(name, id).await? else {
        anyhow::bail!(
            "no dead letter {id} for {name}: it was replayed or deleted; see `asynchronio dead-letters list {name}`"
        );
    };
    print_letter(&letter);
    Ok(())
}

fn print_letter(letter: &DeadLetter) {
    let colours = style::colours();
    for (label, value) in [
        ("id", letter.id.as_str()),
        ("entry", letter.entry.as_str()),
        ("channel", letter.channel.as_str()),
        ("offset", letter.offset.as_str()),
    ] {
        emit!(
            "{} {}",
            style::dim(&format!("{label:>9}")),
            ansi::printable(value, false)
        );
    }
    emit!(
        "{} {}",
        style::dim(&format!("{:>9}", "attempts")),
        letter.attempts
    );
    emit!(
        "{} {}",
        style::dim(&format!("{:>9}", "replay")),
        if letter.replayable {
            "possible"
        } else {
            "not possible (no message kept)"
        }
    );
    emit!(
        "{} {}",
        style::dim(&format!("{:>9}", "error")),
        ansi::printable(&letter.error, colours)
    );
    emit!(
        "{} {}",
        style::dim(&format!("{:>9}", "data")),
        ansi::printable(&letter.data, false)
    );
}

/// `text` cut to `most` characters, with an ellipsis when cut.
fn shorten(text: &str, most: usize) -> String {
    if text.chars().count() <= most {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(most.saturating_sub(1)).collect();
    cut.push('…');
    cut
}
