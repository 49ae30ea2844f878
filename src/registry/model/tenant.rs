//! One tenant's part of the read model: its services by id and by name, their
//! instances with in-memory leases, and its dependency rules.

use hashbrown::{HashMap, HashSet};
use sha1::{Digest, Sha1};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, OnceLock};

use super::super::domain::{FindQuery, ServiceId, Tenant, Version, VersionRule};
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

/// A [`NameKey`] borrowed from a request, so that discovery looks a name up without
/// copying it. The derived hashes agree: a `String` hashes as its `str`.
#[derive(Hash)]
struct NameRef<'a> {
    environment: &'a str,
    app_id: &'a str,
    service_name: &'a str,
}

impl hashbrown::Equivalent<NameKey> for NameRef<'_> {
    fn equivalent(&self, key: &NameKey) -> bool {
        self.environment == key.environment
            && self.app_id == key.app_id
            && self.service_name == key.service_name
    }
}

/// An instance as the model holds it: its keys, its lease (which heartbeats renew here,
/// written back in batches, see `Model::flush`) and its JSON as the API shows it,
/// rendered once when the committed row came in (a hundred thousand rows as parsed
/// records held three times the memory).
#[derive(Debug)]
pub struct InstanceEntry {
    pub tenant: Arc<Tenant>,
    pub service_id: Box<str>,
    pub instance_id: Box<str>,
    created_at: i64,
    lease_ms: i64,
    heartbeat_ms: AtomicI64,
    /// Queued for the next write-back.
    pub(super) dirty: AtomicBool,
    /// The instance's JSON object, as `GET …/instances/{id}` shows it.
    pub json: Box<str>,
    /// The SHA-1 of `json`, taken the first time discovery lists the instance (not at
    /// start, where it would be a hundred thousand digests nobody may ask for).
    digest: OnceLock<[u8; 20]>,
}

/// Service Center's lease: interval × (times + 1) seconds, at most a year (as the
/// `lease_expires_ms` column computes it).
const MAX_LEASE_SECS: i64 = 31_536_000;

/// Renders a committed instance row as the API shows it (the views' job, handed to the
/// model when it is opened).
pub type Render = fn(InstanceRecord) -> Result<String, RegistryError>;

/// A committed instance row as the model takes it: its keys, its lease and its
/// rendering; the rest of the record went into the rendering.
pub struct InstanceRow {
    service_id: Box<str>,
    instance_id: Box<str>,
    created_at: i64,
    lease_ms: i64,
    last_heartbeat_ms: i64,
    json: Box<str>,
}

impl InstanceRow {
    pub fn render(record: InstanceRecord, render: Render) -> Result<Self, RegistryError> {
        let lease_secs = record
            .health_interval
            .saturating_mul(record.health_times.saturating_add(1))
            .min(MAX_LEASE_SECS);
        Ok(Self {
            service_id: record.service_id.as_str().into(),
            instance_id: record.instance_id.as_str().into(),
            created_at: record.created_at,
            lease_ms: lease_secs * 1000,
            last_heartbeat_ms: record.last_heartbeat_ms,
            json: render(record)?.into(),
        })
    }
}

impl InstanceEntry {
    fn new(tenant: Arc<Tenant>, row: InstanceRow, heartbeat_ms: i64) -> Self {
        Self {
            tenant,
            service_id: row.service_id,
            instance_id: row.instance_id,
            created_at: row.created_at,
            lease_ms: row.lease_ms,
            heartbeat_ms: AtomicI64::new(heartbeat_ms),
            dirty: AtomicBool::new(false),
            json: row.json,
            digest: OnceLock::new(),
        }
    }

    /// The SHA-1 of the instance's JSON: a listing's revision is taken over these, 20
    /// bytes an instance, rather than over its whole body.
    pub fn digest(&self) -> &[u8; 20] {
        self.digest.get_or_init(|| {
            let mut digest = [0; 20];
            digest.copy_from_slice(&Sha1::digest(self.json.as_bytes()));
            digest
        })
    }

    pub fn heartbeat_ms(&self) -> i64 {
        self.heartbeat_ms.load(Ordering::SeqCst)
    }

    pub fn alive(&self, now: i64) -> bool {
        self.expires_ms() >= now
    }

    /// When the lease runs out unless renewed (simulated ms).
    pub fn expires_ms(&self) -> i64 {
        self.heartbeat_ms() + self.lease_ms
    }

    /// Renews the lease to `now` (never backwards); true when it was the first renewal
    /// since the last write-back, so the caller queues it.
    pub(super) fn renew(&self, now: i64) -> bool {
        self.heartbeat_ms.fetch_max(now, Ordering::SeqCst);
        !self.dirty.swap(true, Ordering::SeqCst)
    }
}

#[derive(Default)]
struct NameEntry {
    /// Every version, ordered by creation as the store orders them.
    versions: Vec<Arc<ServiceHead>>,
}

/// One service's instances, by id and in creation order (the order discovery shows).
#[derive(Default)]
struct ServiceInstances {
    by_id: HashMap<String, Arc<InstanceEntry>>,
    ordered: Vec<Arc<InstanceEntry>>,
}

fn order_key(e: &InstanceEntry) -> (i64, &str) {
    (e.created_at, &e.instance_id)
}

impl ServiceInstances {
    fn insert(&mut self, entry: Arc<InstanceEntry>) {
        self.remove(&entry.instance_id);
        let at = self
            .ordered
            .partition_point(|e| order_key(e) < order_key(&entry));
        self.ordered.insert(at, entry.clone());
        self.by_id.insert(entry.instance_id.to_string(), entry);
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

pub struct TenantModel {
    /// Shared by every instance entry of the tenant.
    me: Arc<Tenant>,
    services: HashMap<String, Arc<ServiceHead>>,
    names: HashMap<NameKey, NameEntry>,
    aliases: HashMap<NameKey, Vec<Arc<ServiceHead>>>,
    /// By service id, then instance id.
    instances: HashMap<String, ServiceInstances>,
    /// Consumer id → the provider names it depends on.
    rules: HashMap<String, HashSet<NameKey>>,
}

pub(super) fn name_of(s: &ServiceHead) -> NameKey {
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
    pub fn new(tenant: Tenant) -> Self {
        Self {
            me: Arc::new(tenant),
            services: HashMap::new(),
            names: HashMap::new(),
            aliases: HashMap::new(),
            instances: HashMap::new(),
            rules: HashMap::new(),
        }
    }

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
    fn entry_for(&self, row: InstanceRow) -> Arc<InstanceEntry> {
        let held = self
            .instances
            .get(&*row.service_id)
            .and_then(|m| m.by_id.get(&*row.instance_id))
            .map_or(i64::MIN, |e| e.heartbeat_ms());
        let heartbeat = row.last_heartbeat_ms.max(held);
        Arc::new(InstanceEntry::new(self.me.clone(), row, heartbeat))
    }

    pub fn put_instance(&mut self, row: InstanceRow) {
        let entry = self.entry_for(row);
        self.instances
            .entry_ref(&*entry.service_id)
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
    pub fn set_instances(&mut self, service_id: &str, rows: Vec<InstanceRow>) {
        let mut fresh = ServiceInstances::default();
        for row in rows {
            fresh.insert(self.entry_for(row));
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
            self.add_rule(consumer, name);
        }
    }

    pub fn add_rule(&mut self, consumer: String, name: NameKey) {
        self.rules.entry(consumer).or_default().insert(name);
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

    /// The live instances of these services, service after service.
    fn live_of<'s>(
        &self,
        services: impl Iterator<Item = &'s Arc<ServiceHead>>,
        now: i64,
    ) -> Vec<Arc<InstanceEntry>> {
        services
            .filter_map(|p| self.instances.get(&p.service_id))
            .flat_map(|m| m.live(now).cloned())
            .collect()
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
    ) -> Result<(Vec<Arc<InstanceEntry>>, Option<NewDependency>), RegistryError> {
        let environment = match consumer {
            Some(id) => self
                .services
                .get(id.as_str())
                .ok_or_else(|| RegistryError::ServiceNotExists("Consumer does not exist.".into()))?
                .environment
                .as_str(),
            None => query.environment.as_str(),
        };
        let key = NameRef {
            environment,
            app_id: &query.app_id,
            service_name: &query.service_name,
        };
        let versions = match self.names.get(&key) {
            Some(entry) => &entry.versions[..],
            None if query.alias_fallback => self.aliases.get(&key).map_or(&[][..], |v| &v[..]),
            None => &[][..],
        };
        let selected = (!matches!(query.versions, VersionRule::All)).then(|| {
            query.versions.select(versions.iter().collect(), |s| {
                Version::parse(&s.version).ok()
            })
        });
        let first = match &selected {
            Some(chosen) => chosen.first().copied(),
            None => versions.first(),
        };
        let Some(first) = first else {
            return Err(provider_missing());
        };
        let new_dependency = consumer.and_then(|c| {
            let rule = NameRef {
                service_name: &first.service_name,
                ..key
            };
            let known = self
                .rules
                .get(c.as_str())
                .is_some_and(|r| r.contains(&rule));
            (!known).then(|| NewDependency {
                consumer_id: c.as_str().to_owned(),
                environment: rule.environment.to_owned(),
                app_id: rule.app_id.to_owned(),
                service_name: rule.service_name.to_owned(),
            })
        });
        let live = match selected {
            Some(chosen) => self.live_of(chosen.into_iter(), now),
            None => self.live_of(versions.iter(), now),
        };
        Ok((live, new_dependency))
    }
}
