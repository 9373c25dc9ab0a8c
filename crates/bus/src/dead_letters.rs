//! A pipeline stage's dead letters: read, count and delete them (the stage
//! itself appends them with [`Bus::append_capped`]). Replaying one is the
//! process manager's work: only the stage's processor may handle it.

use asynchronio_protocol::dead_letter::DeadLetter;
use fred::prelude::*;

use crate::{Bus, BusError, group, reply};

impl Bus {
    /// Up to `count` dead letters of `stage`, oldest first, after the
    /// dead-letter id `after` (from the first when `None`).
    pub async fn dead_letters(
        &self,
        stage: &str,
        after: Option<&str>,
        count: u64,
    ) -> Result<Vec<DeadLetter>, BusError> {
        let key = self.keys().pm_dead_letters(stage);
        let start = match after {
            Some(id) => format!("({id}"),
            None => "-".to_owned(),
        };
        let value: Value = self.client.xrange(&key, start, "+", Some(count)).await?;
        let entries = group::entries_as_bytes("XRANGE", value)?;
        Ok(entries
            .iter()
            .map(|entry| DeadLetter::from_fields(&entry.id, &entry.fields))
            .collect())
    }

    /// The dead letter `id` of `stage`, if it is there.
    pub async fn dead_letter(&self, stage: &str, id: &str) -> Result<Option<DeadLetter>, BusError> {
        let key = self.keys().pm_dead_letters(stage);
        let value: Value = self.client.xrange(&key, id, id, Some(1)).await?;
        let entries = group::entries_as_bytes("XRANGE", value)?;
        Ok(entries
            .first()
            .map(|entry| DeadLetter::from_fields(&entry.id, &entry.fields)))
    }

    /// How many dead letters `stage` has.
    pub async fn dead_letter_count(&self, stage: &str) -> Result<u64, BusError> {
        let key = self.keys().pm_dead_letters(stage);
        let value: Value = self.client.xlen(&key).await?;
        reply::as_u64("XLEN", &value)
    }

    /// Deletes dead letters of `stage` by id; answers how many were there.
    pub async fn delete_dead_letters(&self, stage: &str, ids: &[String]) -> Result<u64, BusError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let key = self.keys().pm_dead_letters(stage);
        let value: Value = self.client.xdel(&key, ids.to_vec()).await?;
        reply::as_u64("XDEL", &value)
    }
}
