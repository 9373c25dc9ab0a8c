//! Schema migrations, applied in order on connect. Each has a fixed name:
//! the name is what the database remembers as applied.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::Schema;

use crate::entity::{api_key, archived_message, audit_log};

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(CreateKeysAndAudit), Box::new(CreateArchive)]
    }
}

/// API keys and the audit log.
struct CreateKeysAndAudit;

impl MigrationName for CreateKeysAndAudit {
    fn name(&self) -> &str {
        "m0001_keys_and_audit"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateKeysAndAudit {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let schema = Schema::new(manager.get_database_backend());
        manager
            .create_table(
                schema
                    .create_table_from_entity(api_key::Entity)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                schema
                    .create_table_from_entity(audit_log::Entity)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("audit_log_at")
                    .table(audit_log::Entity)
                    .col(audit_log::Column::AtMs)
                    .to_owned(),
            )
            .await
    }
}

/// The message archive.
struct CreateArchive;

impl MigrationName for CreateArchive {
    fn name(&self) -> &str {
        "m0002_archive"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateArchive {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let schema = Schema::new(manager.get_database_backend());
        manager
            .create_table(
                schema
                    .create_table_from_entity(archived_message::Entity)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }
}
