//! One state-changing call: who did what to what, when, and how it ended.

use sea_orm::entity::prelude::*;

/// A row of the table (sea-orm derives the entity, columns and active
/// model from it).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    /// Row number, assigned by the database.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// When the call was made.
    pub at_ms: i64,
    /// The API key id, or "bootstrap" / "anonymous".
    pub actor: String,
    /// What was done (`key.create`, `publish`, …).
    pub action: String,
    /// What it was done to.
    pub target: String,
    /// "ok" or the error code.
    pub result: String,
}

/// The table relates to no other table.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
