//! Hostile inputs: see main.rs.
