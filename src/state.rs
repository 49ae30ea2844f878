//! What every handler may need, shared by all workers. It depends only on the database
//! and the settings, so that any module can take it without importing the server.

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::Db;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Settings,
    pub clock: Clock,
}
