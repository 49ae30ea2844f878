//! What every handler may need, shared by all workers. It depends only on the database,
//! the settings and the handles built on them (clock, fault rules, journal), so that any
//! module can take it without importing the server.

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::Db;
use crate::http_faults::HttpFaults;
use crate::journal::Journal;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Settings,
    pub clock: Clock,
    pub faults: HttpFaults,
    pub journal: Journal,
}
