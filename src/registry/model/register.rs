//! Instance registration, the registry's hot write, with group commit: registrations
//! that arrive while one transaction runs wait, and go together in the next one, so
//! that their `BEGIN IMMEDIATE` and `COMMIT` (each a round trip to the writer's thread)
//! are paid once per batch. Each registration stays atomic on its own: its one INSERT
//! is atomic by itself in SQLite, and anything longer runs in a savepoint, so a refused
//! registration takes nothing of the others with it. What the model already knows (the
//! service, an instance of the same id) spares the statements that would read it again.

use std::mem;
use std::sync::{Arc, MutexGuard, PoisonError};

use sqlx::{Connection, SqliteConnection};
use tokio::sync::oneshot;

use super::super::domain::{InstanceId, NewInstance, ServiceId, Tenant};
use super::super::error::RegistryError;
use super::super::store::{self, Change, ServiceHead};
use super::{Model, Touched};
use crate::db::Db;

/// A registration's answer: the instance id and, for a new instance, what the
/// watchers are told (nothing for a renewal).
pub type Registered = Result<(InstanceId, Option<Change>), RegistryError>;

struct Registration {
    tenant: Tenant,
    service_id: ServiceId,
    instance: NewInstance,
    now: i64,
    reply: oneshot::Sender<Registered>,
}

/// The registrations waiting for the next transaction, and whether a task is draining
/// them (at most one, so batches commit in arrival order).
#[derive(Default)]
pub(super) struct Queue {
    waiting: Vec<Registration>,
    draining: bool,
}

/// What the model says about a registration, read while the writer is held (so nothing
/// has committed since the model last changed).
enum Known {
    /// The requested id is a live instance: a registration only renews it, as Service
    /// Center does (and as a heartbeat would, in memory).
    Renewed(InstanceId),
    /// The service, with no instance holding the id: one INSERT.
    Insert(Arc<ServiceHead>),
    /// The model has no such service, or an expired instance (one the reaper has not
    /// removed yet) holds the id: the file decides, as [`store::register_instance`].
    Ask,
}

impl Model {
    /// Registers an instance (see [`store::register_instance`] for the rules) in the
    /// next group commit, and answers once it is committed and in the model.
    pub async fn register(
        &self,
        db: &Db,
        tenant: Tenant,
        service_id: ServiceId,
        instance: NewInstance,
        now: i64,
    ) -> Registered {
        let (reply, answer) = oneshot::channel();
        let start = {
            let mut queue = self.queue();
            queue.waiting.push(Registration {
                tenant,
                service_id,
                instance,
                now,
                reply,
            });
            !mem::replace(&mut queue.draining, true)
        };
        if start {
            // A task of its own: a client that hangs up does not cancel the others'
            // transaction with its request.
            let (model, db) = (self.clone(), db.clone());
            tokio::spawn(async move { model.drain(&db).await });
        }
        answer.await.unwrap_or_else(|_| {
            Err(RegistryError::Internal(
                "the registration was dropped before its commit".into(),
            ))
        })
    }

    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.0
            .registrations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    async fn drain(&self, db: &Db) {
        let _stopped = Stopped(self);
        loop {
            let batch = {
                let mut queue = self.queue();
                if queue.waiting.is_empty() {
                    queue.draining = false;
                    return;
                }
                mem::take(&mut queue.waiting)
            };
            self.commit(db, batch).await;
        }
    }

    /// One transaction for the whole batch; each registration's answer goes out after
    /// the commit. A failure of the file itself (full, read-only, I/O) may have undone
    /// the transaction, so it fails the whole batch; any other refusal is its own.
    async fn commit(&self, db: &Db, batch: Vec<Registration>) {
        let outcome = self
            .write(db, async |conn, touched| {
                let mut answers = Vec::with_capacity(batch.len());
                for r in &batch {
                    match self.register_one(conn, touched, r).await {
                        Err(e @ RegistryError::Unavailable(_)) => return Err(e),
                        answer => answers.push(answer),
                    }
                }
                Ok(answers)
            })
            .await;
        // A reply nobody waits for any more belongs to a client that hung up; its
        // registration is committed all the same, as a lone one would be.
        match outcome {
            Ok(answers) => {
                for (r, answer) in batch.into_iter().zip(answers) {
                    let _ = r.reply.send(answer);
                }
            }
            Err(e) => {
                for r in batch {
                    let _ = r.reply.send(Err(again(&e)));
                }
            }
        }
    }

    async fn register_one(
        &self,
        conn: &mut SqliteConnection,
        touched: &mut Touched,
        r: &Registration,
    ) -> Registered {
        let (tenant, service_id, instance) = (&r.tenant, &r.service_id, &r.instance);
        let registered = match self.known(tenant, service_id, instance, r.now) {
            Known::Renewed(id) => return Ok((id, None)),
            Known::Ask => ask_file(conn, r).await?,
            Known::Insert(head) => {
                let id = instance.id();
                match store::insert_instance(
                    conn,
                    tenant,
                    service_id,
                    &id,
                    &head.version,
                    instance,
                    r.now,
                )
                .await
                {
                    Ok(row) => (
                        id,
                        Some(Change {
                            action: "CREATE",
                            tenant: tenant.clone(),
                            provider: ServiceHead::clone(&head),
                            instance: row,
                            consumers: None,
                        }),
                    ),
                    // The model has not yet taken in a reset or fixture that committed.
                    // SQLite undid the failed statement alone, so the file can decide.
                    Err(sqlx::Error::Database(e))
                        if e.is_unique_violation() || e.is_foreign_key_violation() =>
                    {
                        ask_file(conn, r).await?
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        };
        match &registered.1 {
            Some(created) => touched.instance_read(tenant, created.instance.clone()),
            None => touched.instance(tenant, service_id.as_str(), registered.0.as_str()),
        }
        Ok(registered)
    }

    fn known(
        &self,
        tenant: &Tenant,
        service_id: &ServiceId,
        instance: &NewInstance,
        now: i64,
    ) -> Known {
        let sid = service_id.as_str();
        let (head, held) = {
            let tenants = self.tenants();
            let Some(t) = tenants.get(tenant) else {
                return Known::Ask;
            };
            let Some(head) = t.service(sid).cloned() else {
                return Known::Ask;
            };
            let held = instance
                .requested_id()
                .is_some_and(|id| t.instance(sid, id.as_str()).is_some());
            (head, held)
        };
        // `renew` takes the model's lock itself, so the guard above is gone by now.
        match instance.requested_id() {
            Some(id) if held && self.renew(tenant, sid, id.as_str(), now) => {
                Known::Renewed(id.clone())
            }
            _ if held => Known::Ask,
            _ => Known::Insert(head),
        }
    }
}

/// The registration as the file decides it, in a savepoint: its statements go
/// together or not at all, whatever else the batch holds.
async fn ask_file(
    conn: &mut SqliteConnection,
    r: &Registration,
) -> Result<(InstanceId, Option<Change>), RegistryError> {
    let mut savepoint = conn.begin().await?;
    match store::register_instance(&mut savepoint, &r.tenant, &r.service_id, &r.instance, r.now)
        .await
    {
        Ok(registered) => {
            savepoint.commit().await?;
            Ok(registered)
        }
        Err(e) => {
            savepoint.rollback().await?;
            Err(e)
        }
    }
}

/// The batch's failure, as each of its registrations answers it.
fn again(e: &RegistryError) -> RegistryError {
    match e {
        RegistryError::Unavailable(m) => RegistryError::Unavailable(m.clone()),
        RegistryError::Internal(m) => RegistryError::Internal(m.clone()),
        other => RegistryError::Internal(other.to_string()),
    }
}

/// Ends the draining when its task does, even by a panic: the registrations still
/// waiting are answered (their senders dropped: an internal error), and the next one
/// starts a new task instead of waiting for this one forever.
struct Stopped<'m>(&'m Model);

impl Drop for Stopped<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let mut queue = self.0.queue();
            queue.waiting.clear();
            queue.draining = false;
        }
    }
}
