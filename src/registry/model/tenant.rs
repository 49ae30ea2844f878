//! One tenant's part of the read model: its services by id and by name, their
//! instances with in-memory leases, and its dependency rules.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use super::super::domain::{FindQuery, ServiceId, Tenant, VersionRule};
use super::super::error::RegistryError;
use super::super::store::{InstanceRecord, ServiceHead};

/// A rule discovery learned; recorded by the handler in a write transaction of its own,
/// so that a lookup that finds nothing new never waits for the writer.
pub struct NewDependency {
    pub consumer_id: String,
    pub environment: String,
    pub app_id: String,
    pub service_name: String,
}

/// A provider as dependency rules and discovery name it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NameKey {
    pub environment: String,
    pub app_id: String,
    pub service_name: String,
}

/// An instance as the model holds it: the row as committed, and its lease, which
/// heartbeats renew here (written back in batches, see `Model::flush`).
#[derive(Debug)]
pub struct InstanceEntry {
    pub tenant: Tenant,
    pub record: InstanceRecord,
    lease_ms: i64,
    heartbeat_ms: AtomicI64,
    /// Queued for the next write-back.
    pub(super) dirty: AtomicBool,
}

/// Service Center's lease: interval × (times + 1) seconds, at most a year (as the
/// `lease_expires_ms` column computes it).
const MAX_LEASE_SECS: i64 = 31_536_000;

impl InstanceEntry {
    pub(super) fn new(tenant: Tenant, record: InstanceRecord, heartbeat_ms: i64) -> Self {
        let lease_secs = record
            .health_interval
            .saturating_mul(record.health_times.saturating_add(1))
            .min(MAX_LEASE_SECS);
        Self {
            tenant,
            record,
            lease_ms: lease_secs * 1000,
            heartbeat_ms: AtomicI64::new(heartbeat_ms),
            dirty: AtomicBool::new(false),
        }
    }

    pub fn heartbeat_ms(&self) -> i64 {
        self.heartbeat_ms.load(Ordering::SeqCst)
    }

    pub fn alive(&self, now: i64) -> bool {
        self.heartbeat_ms() + self.lease_ms >= now
    }

    /// Renews the lease to `now` (never backwards); true when it was the first renewal
    /// since the last write-back, so the caller queues it.
    pub(super) fn renew(&self, now: i64) -> bool {
        self.heartbeat_ms.fetch_max(now, Ordering::SeqCst);
        !self.dirty.swap(true, Ordering::SeqCst)
    }
}

/// A rendered discovery answer, kept while the live instances it shows are exactly
/// these (the same entries: an updated instance is a new entry).
pub struct Rendered {
    pub instances: Vec<Arc<InstanceEntry>>,
    /// `[...]`, the instances array alone (the batch find embeds it).
    pub array: Box<serde_json::value::RawValue>,
    /// `{"instances":[...]}` or `{}`.
    pub body: actix_web::web::Bytes,
    pub rev: String,
}

pub type RenderSlot = Arc<Mutex<Option<Arc<Rendered>>>>;

impl Rendered {
    /// Keeps a rendering for the next lookup of the same name.
    pub fn keep(slot: &RenderSlot, rendered: Arc<Rendered>) {
        *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(rendered);
    }
}

#[derive(Default)]
struct NameEntry {
    /// Every version, ordered by creation as the store orders them.
    versions: Vec<Arc<ServiceHead>>,
    /// The last answer for every version of this name.
    rendered: RenderSlot,
}

/// What a lookup found: a still-valid rendered answer, or the live instances to render
/// (and where to keep the rendering).
pub enum Found {
    Cached(Arc<Rendered>),
    Fresh {
        live: Vec<Arc<InstanceEntry>>,
        slot: Option<RenderSlot>,
    },
}

/// One service's instances, by id and in creation order (the order discovery shows).
#[derive(Default)]
struct ServiceInstances {
    by_id: HashMap<String, Arc<InstanceEntry>>,
    ordered: Vec<Arc<InstanceEntry>>,
}

fn order_key(e: &InstanceEntry) -> (i64, &str) {
    (e.record.created_at, e.record.instance_id.as_str())
}

impl ServiceInstances {
    fn insert(&mut self, entry: Arc<InstanceEntry>) {
        self.remove(&entry.record.instance_id);
        let at = self
            .ordered
            .partition_point(|e| order_key(e) < order_key(&entry));
        self.ordered.insert(at, entry.clone());
        self.by_id.insert(entry.record.instance_id.clone(), entry);
    }

    fn remove(&mut self, instance_id: &str) {
        if let Some(old) = self.by_id.remove(instance_id) {
            self.ordered.retain(|e| !Arc::ptr_eq(e, &old));
        }
    }

    fn live(&self, now: i64) -> impl Iterator<Item = &Arc<InstanceEntry>> {
        self.ordered.iter().filter(move |e| e.alive(now))
    }
}

#[derive(Default)]
pub struct TenantModel {
    services: HashMap<String, Arc<ServiceHead>>,
    names: HashMap<NameKey, NameEntry>,
    aliases: HashMap<NameKey, Vec<Arc<ServiceHead>>>,
    /// By service id, then instance id.
    instances: HashMap<String, ServiceInstances>,
    /// Consumer id → the provider names it depends on.
    rules: HashMap<String, HashSet<NameKey>>,
}

fn name_of(s: &ServiceHead) -> NameKey {
    NameKey {
        environment: s.environment.clone(),
        app_id: s.app_id.clone(),
        service_name: s.service_name.clone(),
    }
}

fn alias_of(s: &ServiceHead) -> Option<NameKey> {
    (!s.alias.is_empty()).then(|| NameKey {
        environment: s.environment.clone(),
        app_id: s.app_id.clone(),
        service_name: s.alias.clone(),
    })
}

fn by_creation(list: &mut [Arc<ServiceHead>]) {
    list.sort_by(|a, b| (a.created_at, &a.service_id).cmp(&(b.created_at, &b.service_id)));
}

fn provider_missing() -> RegistryError {
    RegistryError::ServiceNotExists("Provider does not exist.".into())
}

impl TenantModel {
    /// Nothing left: no service holds instances or rules without a row.
    pub fn is_empty(&self) -> bool {
        self.services.is_empty() && self.instances.is_empty() && self.rules.is_empty()
    }

    pub fn service_count(&self) -> usize {
        self.services.len()
    }

    pub fn service(&self, id: &str) -> Option<&Arc<ServiceHead>> {
        self.services.get(id)
    }

    pub fn put_service(&mut self, head: ServiceHead) {
        self.remove_service_head(&head.service_id);
        let head = Arc::new(head);
        let entry = self.names.entry(name_of(&head)).or_default();
        entry.versions.push(head.clone());
        by_creation(&mut entry.versions);
        if let Some(alias) = alias_of(&head) {
            let list = self.aliases.entry(alias).or_default();
            list.push(head.clone());
            by_creation(list);
        }
        self.services.insert(head.service_id.clone(), head);
    }

    /// Removes the service row only (its instances and rules are refreshed apart).
    fn remove_service_head(&mut self, id: &str) {
        let Some(old) = self.services.remove(id) else {
            return;
        };
        let name = name_of(&old);
        if let Some(entry) = self.names.get_mut(&name) {
            entry.versions.retain(|s| s.service_id != id);
            if entry.versions.is_empty() {
                self.names.remove(&name);
            }
        }
        if let Some(alias) = alias_of(&old)
            && let Some(list) = self.aliases.get_mut(&alias)
        {
            list.retain(|s| s.service_id != id);
            if list.is_empty() {
                self.aliases.remove(&alias);
            }
        }
    }

    /// A service that is gone takes its instances and its own rules along.
    pub fn remove_service(&mut self, id: &str) {
        self.remove_service_head(id);
        self.instances.remove(id);
        self.rules.remove(id);
    }

    /// The entry an instance row becomes: it keeps a newer lease renewed in memory.
    fn entry_for(&self, tenant: &Tenant, record: InstanceRecord) -> Arc<InstanceEntry> {
        let held = self
            .instances
            .get(&record.service_id)
            .and_then(|m| m.by_id.get(&record.instance_id))
            .map_or(i64::MIN, |e| e.heartbeat_ms());
        let heartbeat = record.last_heartbeat_ms.max(held);
        Arc::new(InstanceEntry::new(tenant.clone(), record, heartbeat))
    }

    pub fn put_instance(&mut self, tenant: &Tenant, record: InstanceRecord) {
        let entry = self.entry_for(tenant, record);
        self.instances
            .entry(entry.record.service_id.clone())
            .or_default()
            .insert(entry);
    }

    pub fn remove_instance(&mut self, service_id: &str, instance_id: &str) {
        if let Some(map) = self.instances.get_mut(service_id) {
            map.remove(instance_id);
            if map.by_id.is_empty() {
                self.instances.remove(service_id);
            }
        }
    }

    /// Replaces all the instances of one service.
    pub fn set_instances(&mut self, tenant: &Tenant, service_id: &str, rows: Vec<InstanceRecord>) {
        let mut fresh = ServiceInstances::default();
        for row in rows {
            fresh.insert(self.entry_for(tenant, row));
        }
        if fresh.by_id.is_empty() {
            self.instances.remove(service_id);
        } else {
            self.instances.insert(service_id.to_owned(), fresh);
        }
    }

    /// Replaces one consumer's rules, or (`consumer` None) every rule of the tenant.
    pub fn set_rules(&mut self, consumer: Option<&str>, rules: Vec<(String, NameKey)>) {
        match consumer {
            Some(id) => {
                self.rules.remove(id);
            }
            None => self.rules.clear(),
        }
        for (consumer, name) in rules {
            self.rules.entry(consumer).or_default().insert(name);
        }
    }

    /// Forgets every consumer's rule naming `name`, except those `keep` still holds.
    pub fn set_consumers_of(&mut self, name: &NameKey, keep: &HashSet<String>) {
        for (consumer, names) in &mut self.rules {
            if !keep.contains(consumer) {
                names.remove(name);
            }
        }
        self.rules.retain(|_, names| !names.is_empty());
    }

    pub fn instance(&self, service_id: &str, instance_id: &str) -> Option<&Arc<InstanceEntry>> {
        self.instances.get(service_id)?.by_id.get(instance_id)
    }

    /// The live instances of a service, in creation order.
    pub fn live_instances(&self, service_id: &str, now: i64) -> Vec<Arc<InstanceEntry>> {
        self.instances
            .get(service_id)
            .map(|m| m.live(now).cloned().collect())
            .unwrap_or_default()
    }

    pub fn all_instances(&self) -> impl Iterator<Item = &Arc<InstanceEntry>> {
        self.instances.values().flat_map(|m| m.ordered.iter())
    }

    /// Discovery, as Service Center does it: a consumer looks in its own environment; the
    /// versions of the name (or, for `GET /instances`, of the alias), the live instances
    /// of the selected ones, and the rule to record when the consumer had none yet.
    pub fn find(
        &self,
        query: &FindQuery,
        consumer: Option<&ServiceId>,
        now: i64,
    ) -> Result<(Found, Option<NewDependency>), RegistryError> {
        let environment = match consumer {
            Some(id) => self
                .services
                .get(id.as_str())
                .ok_or_else(|| RegistryError::ServiceNotExists("Consumer does not exist.".into()))?
                .environment
                .clone(),
            None => query.environment.as_str().to_owned(),
        };
        let key = NameKey {
            environment,
            app_id: query.app_id.clone(),
            service_name: query.service_name.clone(),
        };
        let (versions, slot) = match self.names.get(&key) {
            Some(entry) => (&entry.versions[..], Some(&entry.rendered)),
            None if query.alias_fallback => {
                (self.aliases.get(&key).map_or(&[][..], |v| &v[..]), None)
            }
            None => (&[][..], None),
        };
        let all = matches!(query.versions, VersionRule::All);
        let providers: Vec<&Arc<ServiceHead>> = if all {
            versions.iter().collect()
        } else {
            query.versions.select(versions.iter().collect(), |s| {
                super::super::domain::Version::parse(&s.version).ok()
            })
        };
        let Some(first) = providers.first() else {
            return Err(provider_missing());
        };
        let new_dependency = consumer.and_then(|c| {
            let rule = NameKey {
                environment: key.environment.clone(),
                app_id: key.app_id.clone(),
                service_name: first.service_name.clone(),
            };
            let known = self
                .rules
                .get(c.as_str())
                .is_some_and(|r| r.contains(&rule));
            (!known).then(|| NewDependency {
                consumer_id: c.as_str().to_owned(),
                environment: rule.environment,
                app_id: rule.app_id,
                service_name: rule.service_name,
            })
        });
        let slot = slot.filter(|_| all);
        if let Some(cached) =
            slot.and_then(|s| s.lock().unwrap_or_else(PoisonError::into_inner).clone())
            && self.still_shows(&providers, &cached, now)
        {
            return Ok((Found::Cached(cached), new_dependency));
        }
        let live = providers
            .iter()
            .flat_map(|p| self.live_instances(&p.service_id, now))
            .collect();
        Ok((
            Found::Fresh {
                live,
                slot: slot.cloned(),
            },
            new_dependency,
        ))
    }

    /// Whether the live instances of `providers` are exactly those `cached` shows.
    fn still_shows(&self, providers: &[&Arc<ServiceHead>], cached: &Rendered, now: i64) -> bool {
        let mut shown = cached.instances.iter();
        for p in providers {
            let Some(map) = self.instances.get(&p.service_id) else {
                continue;
            };
            for entry in map.live(now) {
                if !shown.next().is_some_and(|c| Arc::ptr_eq(c, entry)) {
                    return false;
                }
            }
        }
        shown.next().is_none()
    }
}
