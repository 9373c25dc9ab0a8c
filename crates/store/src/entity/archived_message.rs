//! A message copied from a channel's Redis stream, kept after Redis trims it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "archived_messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub channel: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub epoch: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub offset: i64,
    pub ts_ms: i64,
    /// The envelope exactly as Redis held it (MessagePack).
    pub envelope: Vec<u8>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
