//! An API key for the REST API; only a hash of its secret is stored.

use sea_orm::entity::prelude::*;

/// A row of the table (sea-orm derives the entity, columns and active
/// model from it).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    /// Public part of the key (`ak_{id}_{secret}`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// What the admin called the key.
    pub name: String,
    /// Hex SHA-256 of the secret part.
    pub secret_hash: String,
    /// Comma-separated scopes: publish, read, admin.
    pub scopes: String,
    /// When the key was created.
    pub created_ms: i64,
    /// When the key was revoked, if it was.
    pub revoked_ms: Option<i64>,
}

/// The table relates to no other table.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
