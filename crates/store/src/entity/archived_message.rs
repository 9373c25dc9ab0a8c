//! A message copied from a channel's Redis stream, kept after Redis trims it.

use sea_orm::entity::prelude::*;

/// A row of the table (sea-orm derives the entity, columns and active
/// model from it).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "archived_messages")]
pub struct Model {
    /// The channel the message was published on.
    #[sea_orm(primary_key, auto_increment = false)]
    pub channel: String,
    /// The channel's stream epoch the offset belongs to.
    #[sea_orm(primary_key, auto_increment = false)]
    pub epoch: String,
    /// The message's offset within that epoch (SQL's signed type).
    #[sea_orm(primary_key, auto_increment = false)]
    pub offset: i64,
    /// When Redis stored the message.
    pub ts_ms: i64,
    /// The envelope exactly as Redis held it (MessagePack).
    pub envelope: Vec<u8>,
}

/// The table relates to no other table.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
