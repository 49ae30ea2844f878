//! The registry's read model: every tenant's services, instances and dependency rules
//! in memory, so that discovery and heartbeats — a registry's whole load — never wait
//! for SQLite. SQLite stays the truth: the model is loaded from the file at start and
//! changed only after a write commits, with the rows that write touched as the file
//! then holds them, in commit order ([`Model::write`]). A rolled-back write never shows.
//!
//! The one exception is the lease: a heartbeat renews it here and answers at once;
//! renewals reach the file in one transaction every `registry.lease_flush_ms`, and
//! before any other registry write (so every transaction sees exact leases). A crash
//! loses at most that long of renewals, which costs nothing: at start every instance
//! gets a full lease, in memory at once and in the file with the first write-back
//! ([`store::renew_all`]; a hundred thousand rows rewritten took a third of the start).
//! A crash before that write-back renews them again at the next start.

mod group;
mod tenant;
mod touched;

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard};

use hashbrown::HashMap;

use sqlx::SqliteConnection;

use super::domain::{FindQuery, ServiceId, Tenant};
use super::error::RegistryError;
use super::store;
use crate::db::Db;

pub use tenant::{InstanceEntry, InstanceRow, NameKey, NewDependency, Render, TenantModel};
use touched::Fresh;
pub use touched::Touched;

#[derive(Clone)]
pub struct Model(Arc<Inner>);

struct Inner {
    tenants: RwLock<HashMap<Tenant, TenantModel>>,
    render: Render,
    /// Instances renewed since the last write-back.
    renewed: Mutex<Vec<Arc<InstanceEntry>>>,
    /// The start's renewal of every instance, until a write-back carries it to the file.
    renew_all_from: Mutex<Option<i64>>,
    /// Instance registrations and deregistrations waiting for their group commit.
    writes: Mutex<group::Queue>,
}

impl Model {
    /// Reads the file and gives every instance a full lease from `now` (in the file at
    /// the first write-back); `render` renders each instance as the API shows it.
    pub async fn open(db: &Db, now: i64, render: Render) -> Result<Self, RegistryError> {
        let path = db.path().to_owned();
        let started = std::time::Instant::now();
        let failed = |e: String| RegistryError::Internal(format!("loading the registry: {e}"));
        let tenants = tokio::task::spawn_blocking(move || load_file(&path, now, render))
            .await
            .map_err(|e| failed(e.to_string()))?
            .map_err(|e| match e {
                Loading::Db(e) => failed(e.to_string()),
                Loading::Render(e) => e,
                Loading::Panicked => failed("the second loading thread panicked".into()),
            })?;
        let model = Model(Arc::new(Inner {
            tenants: RwLock::new(tenants),
            render,
            renewed: Mutex::default(),
            renew_all_from: Mutex::new(Some(now)),
            writes: Mutex::default(),
        }));
        let (services, instances) = model.counts();
        tracing::info!(
            services,
            instances,
            ms = started.elapsed().as_millis(),
            "registry read model loaded"
        );
        Ok(model)
    }

    /// Reads the whole file again, after a write outside the registry's own (a reset, a
    /// fixture) committed.
    pub async fn reload(&self, db: &Db) -> Result<(), RegistryError> {
        self.write(db, async |_, touched| {
            touched.everything();
            Ok::<_, RegistryError>(())
        })
        .await
    }

    /// A committed row with its rendering.
    fn row(&self, record: store::InstanceRecord) -> Result<InstanceRow, RegistryError> {
        InstanceRow::render(record, self.0.render)
    }

    fn tenants(&self) -> RwLockReadGuard<'_, HashMap<Tenant, TenantModel>> {
        self.0
            .tenants
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs a registry write transaction: first the pending lease renewals, then `work`,
    /// which notes in `touched` what it changed; those rows are read back in the same
    /// transaction and put in the model after the commit, before the next write begins.
    pub async fn write<T, E>(
        &self,
        db: &Db,
        work: impl AsyncFnOnce(&mut SqliteConnection, &mut Touched) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<sqlx::Error> + From<RegistryError>,
    {
        let mut flushed = Vec::new();
        let mut renewed_all = None;
        let outcome = db
            .write_then(
                async |conn| {
                    renewed_all = self.lock_renew_all().take();
                    if let Some(from) = renewed_all {
                        store::renew_all(conn, from).await?;
                    }
                    flushed = self.take_renewed();
                    save(conn, &flushed).await?;
                    let mut touched = Touched::default();
                    let value = work(conn, &mut touched).await?;
                    let fresh = touched.read(conn, self).await?;
                    Ok((value, fresh))
                },
                |(value, fresh)| {
                    self.apply(fresh);
                    value
                },
            )
            .await;
        if outcome.is_err() {
            // Rolled back with the rest: they go with the next write.
            self.requeue(flushed);
            if renewed_all.is_some() {
                *self.lock_renew_all() = renewed_all;
            }
        }
        outcome
    }

    fn lock_renew_all(&self) -> std::sync::MutexGuard<'_, Option<i64>> {
        self.0
            .renew_all_from
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes the pending renewals back (the `lease_flush_ms` tick).
    pub async fn flush(&self, db: &Db) -> Result<(), RegistryError> {
        let nothing_renewed = self
            .0
            .renewed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty();
        if nothing_renewed && self.lock_renew_all().is_none() {
            return Ok(());
        }
        self.write(db, async |_, _| Ok::<_, RegistryError>(()))
            .await
    }

    fn take_renewed(&self) -> Vec<Arc<InstanceEntry>> {
        let taken = std::mem::take(
            &mut *self
                .0
                .renewed
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        // Cleared before the lease is read (in `save`): a renewal racing this one is
        // either in what is read, or queued again for the next write-back.
        for entry in &taken {
            entry.dirty.store(false, Ordering::SeqCst);
        }
        taken
    }

    fn requeue(&self, entries: Vec<Arc<InstanceEntry>>) {
        let mut renewed = self
            .0
            .renewed
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for entry in entries {
            if !entry.dirty.swap(true, Ordering::SeqCst) {
                renewed.push(entry);
            }
        }
    }

    /// A heartbeat: renews a live instance's lease in memory. False when the tenant has
    /// no such live instance.
    pub fn renew(&self, tenant: &Tenant, service_id: &str, instance_id: &str, now: i64) -> bool {
        // Under the read lock: a write replacing the entry waits, then carries this
        // renewal over (it keeps the newer lease of the entry it replaces).
        let tenants = self.tenants();
        let Some(entry) = tenants
            .get(tenant)
            .and_then(|t| t.instance(service_id, instance_id))
            .filter(|e| e.alive(now))
        else {
            return false;
        };
        if entry.renew(now) {
            self.0
                .renewed
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(entry.clone());
        }
        true
    }

    /// Discovery; see [`TenantModel::find`].
    pub fn find(
        &self,
        tenant: &Tenant,
        query: &FindQuery,
        consumer: Option<&ServiceId>,
        now: i64,
    ) -> Result<(Vec<Arc<InstanceEntry>>, Option<NewDependency>), RegistryError> {
        let tenants = self.tenants();
        match tenants.get(tenant) {
            Some(t) => t.find(query, consumer, now),
            None => TenantModel::new(tenant.clone()).find(query, consumer, now),
        }
    }

    /// The live instances of one service of the tenant; 400012 when there is no such
    /// service.
    pub fn instances_of(
        &self,
        tenant: &Tenant,
        service_id: &str,
        now: i64,
    ) -> Result<Vec<Arc<InstanceEntry>>, RegistryError> {
        let tenants = self.tenants();
        let t = tenants
            .get(tenant)
            .filter(|t| t.service(service_id).is_some())
            .ok_or_else(|| RegistryError::ServiceNotExists("Service does not exist.".into()))?;
        Ok(t.live_instances(service_id, now))
    }

    /// One live instance: 400012 without the service, 400017 without the instance.
    pub fn instance(
        &self,
        tenant: &Tenant,
        service_id: &str,
        instance_id: &str,
        now: i64,
    ) -> Result<Arc<InstanceEntry>, RegistryError> {
        let tenants = self.tenants();
        let t = tenants
            .get(tenant)
            .filter(|t| t.service(service_id).is_some())
            .ok_or_else(|| RegistryError::ServiceNotExists("Service does not exist.".into()))?;
        t.instance(service_id, instance_id)
            .filter(|e| e.alive(now))
            .cloned()
            .ok_or_else(|| RegistryError::InstanceNotExists("Instance does not exist.".into()))
    }

    /// Whether any instance's lease has run out (the reaper's probe).
    pub fn any_expired(&self, now: i64) -> bool {
        self.tenants()
            .values()
            .any(|t| t.all_instances().any(|e| !e.alive(now)))
    }

    /// Every tenant with its services and live instances, for the console.
    pub fn tenant_counts(&self, now: i64) -> Vec<(Tenant, usize, usize)> {
        let tenants = self.tenants();
        let mut out: Vec<_> = tenants
            .iter()
            .map(|(tenant, t)| {
                let live = t.all_instances().filter(|e| e.alive(now)).count();
                (tenant.clone(), t.service_count(), live)
            })
            .collect();
        out.sort_by(|a, b| (&a.0.domain, &a.0.project).cmp(&(&b.0.domain, &b.0.project)));
        out
    }

    /// How many live instances each of the tenant's services has (0 for an unknown one).
    pub fn live_counts(&self, tenant: &Tenant, service_ids: &[&str], now: i64) -> Vec<usize> {
        let tenants = self.tenants();
        let t = tenants.get(tenant);
        service_ids
            .iter()
            .map(|id| t.map_or(0, |t| t.live_instances(id, now).len()))
            .collect()
    }

    /// Services and instances held, for the start-up log line.
    pub fn counts(&self) -> (usize, usize) {
        let tenants = self.tenants();
        let services = tenants.values().map(TenantModel::service_count).sum();
        let instances = tenants.values().map(|t| t.all_instances().count()).sum();
        (services, instances)
    }

    fn apply(&self, fresh: Vec<Fresh>) {
        if fresh.is_empty() {
            return;
        }
        let mut tenants = self
            .0
            .tenants
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        for f in fresh {
            f.apply(&mut tenants);
        }
        tenants.retain(|_, t| !t.is_empty());
    }
}

/// Why the start's load failed.
enum Loading {
    Db(rusqlite::Error),
    Render(RegistryError),
    Panicked,
}

fn open_for_load(path: &std::path::Path) -> Result<rusqlite::Connection, Loading> {
    let conn = rusqlite::Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(conn)
}

/// The start's load. Reading and rendering the instances is most of a start, so the
/// upper half of them (by rowid) is read and rendered on a second thread while this one
/// builds the model from the rest; then those rows go in. The halves are two read
/// transactions: nothing else writes the registry's tables before the server serves.
fn load_file(
    path: &std::path::Path,
    now: i64,
    render: Render,
) -> Result<HashMap<Tenant, TenantModel>, Loading> {
    // What each loaded instance becomes, on either thread: a full lease from the start,
    // then its rendering.
    let fresh = move |mut instance: store::InstanceRecord| {
        instance.last_heartbeat_ms = instance.last_heartbeat_ms.max(now);
        InstanceRow::render(instance, render).map_err(Loading::Render)
    };
    let mut conn = open_for_load(path)?;
    let split = store::instance_split(&conn)?;
    let upper_path = path.to_owned();
    let upper = std::thread::spawn(move || {
        let mut conn = open_for_load(&upper_path)?;
        let mut rows: Vec<(Arc<Tenant>, InstanceRow)> = Vec::new();
        let mut last: Option<Arc<Tenant>> = None;
        store::load_instances_after(&mut conn, split, |row| {
            if let store::Loaded::Instance(tenant, instance) = row {
                let row = fresh(instance)?;
                let tenant = match &last {
                    Some(t) if **t == *tenant => t.clone(),
                    _ => last.insert(Arc::new(tenant.clone())).clone(),
                };
                rows.push((tenant, row));
            }
            Ok::<_, Loading>(())
        })?;
        Ok::<_, Loading>(rows)
    });
    let mut tenants: HashMap<Tenant, TenantModel> = HashMap::new();
    store::load(&mut conn, split, |row| {
        match row {
            store::Loaded::Service(tenant, service) => {
                touched::held(&mut tenants, tenant).put_service(service);
            }
            store::Loaded::Instance(tenant, instance) => {
                touched::held(&mut tenants, tenant).put_instance(fresh(instance)?);
            }
            store::Loaded::Rule(r) => {
                let (tenant, consumer, name) = touched::rule(r);
                touched::held(&mut tenants, &tenant).add_rule(consumer, name);
            }
        }
        Ok::<_, Loading>(())
    })?;
    for (tenant, row) in upper.join().map_err(|_| Loading::Panicked)?? {
        touched::held(&mut tenants, &tenant).put_instance(row);
    }
    Ok(tenants)
}

impl From<rusqlite::Error> for Loading {
    fn from(e: rusqlite::Error) -> Self {
        Loading::Db(e)
    }
}

/// Writes renewals back, in the caller's transaction.
async fn save(
    conn: &mut SqliteConnection,
    entries: &[Arc<InstanceEntry>],
) -> Result<(), RegistryError> {
    if entries.is_empty() {
        return Ok(());
    }
    let renewals: Vec<store::Renewal<'_>> = entries
        .iter()
        .map(|e| store::Renewal {
            tenant: &e.tenant,
            service_id: &e.service_id,
            instance_id: &e.instance_id,
            at_ms: e.heartbeat_ms(),
        })
        .collect();
    store::save_renewals(conn, &renewals).await
}
