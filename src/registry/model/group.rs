//! Instance registration and deregistration, the registry's hot writes, with group
//! commit: the ones that arrive while a transaction runs wait, and go together in the
//! next one, so that their `BEGIN IMMEDIATE` and `COMMIT` (each a round trip to the
//! writer's thread) are paid once per batch. Each stays atomic on its own: its one
//! statement is atomic by itself in SQLite, and anything longer runs in a savepoint, so
//! a refused one takes nothing of the others with it. What the model already knows (the
//! service, an instance of the same id) spares the statements that would read it again.

use std::mem;
use std::sync::{Arc, MutexGuard, PoisonError};

use hashbrown::HashSet;

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

/// What a committed write answers.
enum Done {
    Registered(InstanceId, Option<Change>),
    Deregistered(Change),
}

enum Op {
    Register(Box<NewInstance>),
    Deregister(InstanceId),
}

struct Pending {
    tenant: Tenant,
    service_id: ServiceId,
    op: Op,
    now: i64,
    reply: oneshot::Sender<Result<Done, RegistryError>>,
}

/// The writes waiting for the next transaction, and whether a task is draining them (at
/// most one, so batches commit in arrival order).
#[derive(Default)]
pub(super) struct Queue {
    waiting: Vec<Pending>,
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
    /// The model has no such service, an expired instance (one the reaper has not
    /// removed yet) holds the id, or the batch deleted it: the file decides, as
    /// [`store::register_instance`].
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
        match self
            .submit(
                db,
                tenant,
                service_id,
                Op::Register(Box::new(instance)),
                now,
            )
            .await?
        {
            Done::Registered(id, created) => Ok((id, created)),
            Done::Deregistered(_) => Err(mixed_up()),
        }
    }

    /// Deregisters a live instance in the next group commit; the instance as it was,
    /// for the watchers. 400017 when the tenant has no such live instance (an expired
    /// one is the reaper's, which tells the watchers).
    pub async fn deregister(
        &self,
        db: &Db,
        tenant: Tenant,
        service_id: ServiceId,
        instance_id: InstanceId,
        now: i64,
    ) -> Result<Change, RegistryError> {
        match self
            .submit(db, tenant, service_id, Op::Deregister(instance_id), now)
            .await?
        {
            Done::Deregistered(gone) => Ok(gone),
            Done::Registered(..) => Err(mixed_up()),
        }
    }

    async fn submit(
        &self,
        db: &Db,
        tenant: Tenant,
        service_id: ServiceId,
        op: Op,
        now: i64,
    ) -> Result<Done, RegistryError> {
        let (reply, answer) = oneshot::channel();
        let start = {
            let mut queue = self.queue();
            queue.waiting.push(Pending {
                tenant,
                service_id,
                op,
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
                "the write was dropped before its commit".into(),
            ))
        })
    }

    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.0.writes.lock().unwrap_or_else(PoisonError::into_inner)
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

    /// One transaction for the whole batch; each write's answer goes out after the
    /// commit. A failure of the file itself (full, read-only, I/O) may have undone the
    /// transaction, so it fails the whole batch; any other refusal is its own.
    async fn commit(&self, db: &Db, batch: Vec<Pending>) {
        let outcome = self
            .write(db, async |conn, touched| {
                let mut answers: Vec<Option<Answer>> = batch.iter().map(|_| None).collect();
                // Registrations the model lets through go into one INSERT, up to the next
                // write that is not one (so the batch's order still holds).
                let mut group = Group::default();
                // The model learns of this batch's deletions only after its commit: a
                // registration of an id deregistered earlier in the batch must not be
                // taken for a renewal of the instance the model still shows.
                let mut deleted = HashSet::new();
                for (at, p) in batch.iter().enumerate() {
                    let answer = match &p.op {
                        Op::Register(instance) => {
                            let reused = instance.requested_id().is_some_and(|id| {
                                deleted.contains(&(&p.tenant, p.service_id.as_str(), id.as_str()))
                            });
                            let known = if reused {
                                Known::Ask
                            } else {
                                self.known(&p.tenant, &p.service_id, instance, p.now)
                            };
                            if !matches!(known, Known::Insert(_)) {
                                // The group before it goes to the file first.
                                self.insert_group(conn, touched, &batch, &mut group, &mut answers)
                                    .await?;
                            }
                            match known {
                                Known::Insert(head) => {
                                    let joined = Joined {
                                        at,
                                        instance: instance.as_ref(),
                                        head,
                                        id: instance.id(),
                                    };
                                    if let Some(refused) = group.join(p, joined) {
                                        self.insert_group(
                                            conn,
                                            touched,
                                            &batch,
                                            &mut group,
                                            &mut answers,
                                        )
                                        .await?;
                                        // An empty group takes any registration.
                                        let _ = group.join(p, refused);
                                    }
                                    continue;
                                }
                                Known::Renewed(id) => Ok(Done::Registered(id, None)),
                                Known::Ask => self
                                    .ask(conn, touched, p, instance)
                                    .await
                                    .map(|(id, created)| Done::Registered(id, created)),
                            }
                        }
                        Op::Deregister(id) => {
                            self.insert_group(conn, touched, &batch, &mut group, &mut answers)
                                .await?;
                            let gone = self.deregister_one(conn, touched, p, id).await;
                            if gone.is_ok() {
                                deleted.insert((&p.tenant, p.service_id.as_str(), id.as_str()));
                            }
                            gone.map(Done::Deregistered)
                        }
                    };
                    answers[at] = Some(settle(answer)?);
                }
                self.insert_group(conn, touched, &batch, &mut group, &mut answers)
                    .await?;
                Ok(answers)
            })
            .await;
        // A reply nobody waits for any more belongs to a client that hung up; its
        // write is committed all the same, as a lone one would be.
        match outcome {
            Ok(answers) => {
                for (p, answer) in batch.into_iter().zip(answers) {
                    let _ = p.reply.send(answer.unwrap_or_else(|| Err(unanswered())));
                }
            }
            Err(e) => {
                for p in batch {
                    let _ = p.reply.send(Err(again(&e)));
                }
            }
        }
    }

    /// A registration the model cannot decide alone: the file does.
    async fn ask(
        &self,
        conn: &mut SqliteConnection,
        touched: &mut Touched,
        p: &Pending,
        instance: &NewInstance,
    ) -> Registered {
        let registered = ask_file(conn, p, instance).await?;
        self.note(touched, p, &registered);
        Ok(registered)
    }

    /// One INSERT; the file decides when the model has not yet taken in a reset or
    /// fixture that committed (SQLite undid the failed statement alone).
    async fn insert_one(
        &self,
        conn: &mut SqliteConnection,
        touched: &mut Touched,
        p: &Pending,
        instance: &NewInstance,
        head: &ServiceHead,
        id: InstanceId,
    ) -> Registered {
        let (tenant, service_id) = (&p.tenant, &p.service_id);
        let version = head.version.as_str();
        let registered =
            match store::insert_instance(conn, tenant, service_id, &id, version, instance, p.now)
                .await
            {
                Ok(row) => (id, Some(created(p, head, row))),
                Err(sqlx::Error::Database(e))
                    if e.is_unique_violation() || e.is_foreign_key_violation() =>
                {
                    ask_file(conn, p, instance).await?
                }
                Err(e) => return Err(e.into()),
            };
        self.note(touched, p, &registered);
        Ok(registered)
    }

    /// Tells `touched` what a registration changed.
    fn note(&self, touched: &mut Touched, p: &Pending, registered: &(InstanceId, Option<Change>)) {
        match &registered.1 {
            Some(created) => touched.instance_read(&p.tenant, created.instance.clone()),
            None => touched.instance(&p.tenant, p.service_id.as_str(), registered.0.as_str()),
        }
    }

    /// The group's registrations in one INSERT. A unique or foreign-key violation
    /// undoes the whole statement; then each goes alone, and the file decides the one
    /// that violated.
    async fn insert_group(
        &self,
        conn: &mut SqliteConnection,
        touched: &mut Touched,
        batch: &[Pending],
        group: &mut Group<'_>,
        answers: &mut [Option<Answer>],
    ) -> Result<(), RegistryError> {
        let rows = mem::take(&mut group.rows);
        group.keys.clear();
        if rows.len() > 1 {
            let new: Vec<_> = rows
                .iter()
                .map(|j| {
                    let p = &batch[j.at];
                    store::NewRow {
                        tenant: &p.tenant,
                        service_id: &p.service_id,
                        id: &j.id,
                        version: j.head.version.as_str(),
                        instance: j.instance,
                        now_ms: p.now,
                    }
                })
                .collect();
            match store::insert_instances(conn, &new).await {
                Ok(stored) => {
                    // Keys are unique within a group (see `Group::join`).
                    let mut stored: hashbrown::HashMap<_, _> = stored
                        .into_iter()
                        .map(|r| ((r.service_id.clone(), r.instance_id.clone()), r))
                        .collect();
                    for Joined { at, head, id, .. } in rows {
                        let p = &batch[at];
                        let key = (p.service_id.as_str().to_owned(), id.as_str().to_owned());
                        let row = stored.remove(&key).ok_or_else(|| {
                            RegistryError::Internal(format!("instance {} not stored", id.as_str()))
                        })?;
                        let registered = (id, Some(created(p, &head, row)));
                        self.note(touched, p, &registered);
                        answers[at] = Some(Ok(Done::Registered(registered.0, registered.1)));
                    }
                    return Ok(());
                }
                // A failure of the file fails the batch; any other, each goes alone and
                // answers for itself.
                Err(e) => settle(Err(e.into())).map(drop)?,
            }
        }
        for Joined {
            at,
            instance,
            head,
            id,
        } in rows
        {
            let p = &batch[at];
            let answer = self.insert_one(conn, touched, p, instance, &head, id).await;
            answers[at] = Some(settle(answer.map(|(id, c)| Done::Registered(id, c)))?);
        }
        Ok(())
    }

    /// One DELETE, which answers the row it removed; the service comes from the model
    /// (from the file in the moment a reset's rows are not in the model yet).
    async fn deregister_one(
        &self,
        conn: &mut SqliteConnection,
        touched: &mut Touched,
        p: &Pending,
        instance_id: &InstanceId,
    ) -> Result<Change, RegistryError> {
        let (tenant, sid) = (&p.tenant, p.service_id.as_str());
        let instance = store::remove_instance(conn, tenant, sid, instance_id.as_str(), p.now)
            .await?
            .ok_or_else(|| RegistryError::InstanceNotExists("Instance does not exist.".into()))?;
        let held = self
            .tenants()
            .get(tenant)
            .and_then(|t| t.service(sid).cloned());
        let provider = match held {
            Some(head) => ServiceHead::clone(&head),
            None => store::service_head(conn, tenant, sid)
                .await?
                .ok_or_else(|| {
                    RegistryError::Internal(format!("instance of a missing service {sid}"))
                })?,
        };
        touched.instance_gone(tenant, sid, instance_id.as_str());
        Ok(Change {
            action: "DELETE",
            tenant: tenant.clone(),
            provider,
            instance,
            consumers: None,
        })
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
    p: &Pending,
    instance: &NewInstance,
) -> Result<(InstanceId, Option<Change>), RegistryError> {
    let mut savepoint = conn.begin().await?;
    match store::register_instance(&mut savepoint, &p.tenant, &p.service_id, instance, p.now).await
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

type Answer = Result<Done, RegistryError>;

/// A registration waiting in a [`Group`]: its place in the batch, the instance, its
/// service and its id.
struct Joined<'b> {
    at: usize,
    instance: &'b NewInstance,
    head: Arc<ServiceHead>,
    id: InstanceId,
}

/// Registrations waiting for one INSERT. One tenant's `(service, id)` pair at most once,
/// and no pair twice across tenants, so each stored row is known by its pair.
#[derive(Default)]
struct Group<'b> {
    rows: Vec<Joined<'b>>,
    keys: HashSet<(String, String)>,
}

impl<'b> Group<'b> {
    /// Adds a registration when it can join; when not (the group is full, or holds its
    /// pair), gives it back, and the group is inserted before it starts the next one.
    fn join(&mut self, p: &Pending, joined: Joined<'b>) -> Option<Joined<'b>> {
        let key = (
            p.service_id.as_str().to_owned(),
            joined.id.as_str().to_owned(),
        );
        if self.rows.len() >= store::MAX_INSERT_ROWS || !self.keys.insert(key) {
            return Some(joined);
        }
        self.rows.push(joined);
        None
    }
}

/// The watch event of a new instance.
fn created(p: &Pending, head: &ServiceHead, row: store::InstanceRecord) -> Change {
    Change {
        action: "CREATE",
        tenant: p.tenant.clone(),
        provider: head.clone(),
        instance: row,
        consumers: None,
    }
}

/// A failure of the file fails the whole batch; any other answer is the write's own.
fn settle(answer: Answer) -> Result<Answer, RegistryError> {
    match answer {
        Err(e @ RegistryError::Unavailable(_)) => Err(e),
        answer => Ok(answer),
    }
}

/// A write the batch never answered (not expected: every write gets one).
fn unanswered() -> RegistryError {
    RegistryError::Internal("a write of the group commit got no answer".into())
}

/// The batch's failure, as each of its writes answers it.
fn again(e: &RegistryError) -> RegistryError {
    match e {
        RegistryError::Unavailable(m) => RegistryError::Unavailable(m.clone()),
        RegistryError::Internal(m) => RegistryError::Internal(m.clone()),
        other => RegistryError::Internal(other.to_string()),
    }
}

/// A write answered as another kind: each `submit` sends one `Op` and gets its answer.
fn mixed_up() -> RegistryError {
    RegistryError::Internal("a group commit answered the wrong kind of write".into())
}

/// Ends the draining when its task does, even by a panic: the writes still waiting are
/// answered (their senders dropped: an internal error), and the next one starts a new
/// task instead of waiting for this one forever.
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

#[cfg(test)]
mod tests;
