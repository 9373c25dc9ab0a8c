//! The web dashboard rest-api serves: login, the Nodes (the first page),
//! Processes, Charts, Flowchart and Channels pages, their static files, and
//! the one task that publishes the pages' live data. Pages are kept live through the engine
//! itself: they subscribe over ws-gateway to `$sys:` channels.

pub mod assets;
pub mod channel_meter;
pub mod html;
pub mod live_feed;
pub mod login;
pub mod node_list;
pub mod pages;
pub mod process_table;
pub mod templates;

use actix_web::web;

/// Registers the dashboard's routes (outside `/api/v1`).
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(assets::file)
        .service(login::login_form)
        .service(login::login)
        .service(login::logout)
        .service(pages::home)
        .service(pages::nodes)
        .service(pages::processes)
        .service(pages::charts)
        .service(pages::flowchart)
        .service(pages::channels)
        .service(pages::token);
}
