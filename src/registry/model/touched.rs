//! What a registry write changed, read back in its own transaction so the model can
//! take it over after the commit.

use hashbrown::{HashMap, HashSet};

use sqlx::SqliteConnection;

use super::super::domain::Tenant;
use super::super::error::RegistryError;
use super::super::store::{self, InstanceRecord, RuleRow, ServiceHead, TenantService};
use super::tenant::name_of;
use super::{InstanceRow, Model, NameKey, TenantModel};

/// Noted by a write as it goes: which rows the model must read again.
#[derive(Default)]
pub struct Touched {
    items: Vec<Touch>,
    everything: bool,
}

enum Touch {
    /// The service row, all its instances, its own rules, and (when it is gone) the
    /// rules of other consumers naming it, which may have gone with it.
    Service(Tenant, String),
    Instance(Tenant, String, String),
    /// An instance row the write itself read back after writing it, in this transaction.
    Read(Tenant, Box<InstanceRecord>),
    /// An instance the write itself deleted: nothing to read back.
    Gone(Tenant, String, String),
    /// One consumer's rules, or every rule of the tenant.
    Rules(Tenant, Option<String>),
}

impl Touched {
    pub fn service(&mut self, tenant: &Tenant, id: &str) {
        self.items
            .push(Touch::Service(tenant.clone(), id.to_owned()));
    }

    pub fn instance(&mut self, tenant: &Tenant, service_id: &str, instance_id: &str) {
        self.items.push(Touch::Instance(
            tenant.clone(),
            service_id.to_owned(),
            instance_id.to_owned(),
        ));
    }

    /// The instance a write read back itself after writing it (a registration's watch
    /// event): the model takes that row instead of reading it a second time, one
    /// statement less on the one writer connection.
    pub fn instance_read(&mut self, tenant: &Tenant, row: InstanceRecord) {
        self.items.push(Touch::Read(tenant.clone(), Box::new(row)));
    }

    /// The instance a write deleted itself (a deregistration's `DELETE … RETURNING`): the
    /// model drops it without a statement to learn that it is gone.
    pub fn instance_gone(&mut self, tenant: &Tenant, service_id: &str, instance_id: &str) {
        self.items.push(Touch::Gone(
            tenant.clone(),
            service_id.to_owned(),
            instance_id.to_owned(),
        ));
    }

    /// The instances the watchers are told about are exactly the ones a write changed.
    pub fn changes(&mut self, changes: &[store::Change]) {
        for c in changes {
            self.instance(&c.tenant, &c.instance.service_id, &c.instance.instance_id);
        }
    }

    pub fn rules(&mut self, tenant: &Tenant, consumer: Option<&str>) {
        self.items
            .push(Touch::Rules(tenant.clone(), consumer.map(str::to_owned)));
    }

    /// Reset, fixtures: read the whole file again.
    pub fn everything(&mut self) {
        self.everything = true;
    }

    pub(super) async fn read(
        self,
        conn: &mut SqliteConnection,
        model: &Model,
    ) -> Result<Vec<Fresh>, RegistryError> {
        if self.everything {
            let instances = store::all_instances(conn)
                .await?
                .into_iter()
                .map(|i| Ok((tenant_of(i.domain, i.project), model.row(i.instance)?)))
                .collect::<Result<_, RegistryError>>()?;
            return Ok(vec![Fresh::Everything {
                services: store::all_services(conn).await?,
                instances,
                rules: store::all_rules(conn).await?,
            }]);
        }
        let mut fresh = Vec::with_capacity(self.items.len());
        for item in self.items {
            fresh.push(match item {
                Touch::Service(tenant, id) => {
                    let head = store::service_head(conn, &tenant, &id).await?.map(Box::new);
                    let instances =
                        rendered(model, store::instances_of(conn, &tenant, &id).await?)?;
                    let rules = pairs(store::rules_of(conn, &tenant, Some(&id)).await?);
                    let held = model
                        .tenants()
                        .get(&tenant)
                        .and_then(|t| t.service(&id).map(|s| name_of(s)));
                    let naming = match (&head, held) {
                        (None, Some(name)) => {
                            let consumers = store::consumers_naming(
                                conn,
                                &tenant,
                                &name.environment,
                                &name.app_id,
                                &name.service_name,
                            )
                            .await?;
                            Some((name, consumers.into_iter().collect()))
                        }
                        _ => None,
                    };
                    Fresh::Service {
                        tenant,
                        id,
                        head,
                        instances,
                        rules,
                        naming,
                    }
                }
                Touch::Instance(tenant, service_id, instance_id) => {
                    let row = store::instance_row(conn, &tenant, &service_id, &instance_id)
                        .await?
                        .map(|r| model.row(r))
                        .transpose()?;
                    Fresh::Instance {
                        tenant,
                        service_id,
                        instance_id,
                        row,
                    }
                }
                Touch::Gone(tenant, service_id, instance_id) => Fresh::Instance {
                    tenant,
                    service_id,
                    instance_id,
                    row: None,
                },
                Touch::Read(tenant, record) => Fresh::Instance {
                    tenant,
                    service_id: record.service_id.clone(),
                    instance_id: record.instance_id.clone(),
                    row: Some(model.row(*record)?),
                },
                Touch::Rules(tenant, consumer) => {
                    let rules = pairs(store::rules_of(conn, &tenant, consumer.as_deref()).await?);
                    Fresh::Rules {
                        tenant,
                        consumer,
                        rules,
                    }
                }
            });
        }
        Ok(fresh)
    }
}

fn rendered(model: &Model, rows: Vec<InstanceRecord>) -> Result<Vec<InstanceRow>, RegistryError> {
    rows.into_iter().map(|r| model.row(r)).collect()
}

pub(super) fn tenant_of(domain: String, project: String) -> Tenant {
    Tenant { domain, project }
}

/// A rule row as the model holds it: its tenant, its consumer and the provider's name.
pub(super) fn rule(r: RuleRow) -> (Tenant, String, NameKey) {
    let name = NameKey {
        environment: r.provider_env,
        app_id: r.provider_app,
        service_name: r.provider_name,
    };
    (tenant_of(r.domain, r.project), r.consumer_id, name)
}

fn pairs(rows: Vec<RuleRow>) -> Vec<(String, NameKey)> {
    rows.into_iter()
        .map(|r| {
            let (_, consumer, name) = rule(r);
            (consumer, name)
        })
        .collect()
}

/// Rows as a committed write left them.
pub(super) enum Fresh {
    Service {
        tenant: Tenant,
        id: String,
        head: Option<Box<ServiceHead>>,
        instances: Vec<InstanceRow>,
        rules: Vec<(String, NameKey)>,
        /// A deleted service's name and the consumers whose rules still name it.
        naming: Option<(NameKey, HashSet<String>)>,
    },
    Instance {
        tenant: Tenant,
        service_id: String,
        instance_id: String,
        row: Option<InstanceRow>,
    },
    Rules {
        tenant: Tenant,
        consumer: Option<String>,
        rules: Vec<(String, NameKey)>,
    },
    Everything {
        services: Vec<TenantService>,
        instances: Vec<(Tenant, InstanceRow)>,
        rules: Vec<RuleRow>,
    },
}

/// The tenant's part of the model, made when it has none; the key is copied only then
/// (at start this runs once per row).
pub(super) fn held<'m>(
    tenants: &'m mut HashMap<Tenant, TenantModel>,
    tenant: &Tenant,
) -> &'m mut TenantModel {
    tenants
        .entry_ref(tenant)
        .or_insert_with(|| TenantModel::new(tenant.clone()))
}

impl Fresh {
    pub(super) fn apply(self, tenants: &mut HashMap<Tenant, TenantModel>) {
        match self {
            Fresh::Service {
                tenant,
                id,
                head,
                instances,
                rules,
                naming,
            } => {
                let t = held(tenants, &tenant);
                match head {
                    Some(head) => {
                        t.put_service(*head);
                        t.set_instances(&id, instances);
                        t.set_rules(Some(&id), rules);
                    }
                    None => t.remove_service(&id),
                }
                if let Some((name, keep)) = naming {
                    t.set_consumers_of(&name, &keep);
                }
            }
            Fresh::Instance {
                tenant,
                service_id,
                instance_id,
                row,
            } => {
                let t = held(tenants, &tenant);
                match row {
                    Some(row) => t.put_instance(row),
                    None => t.remove_instance(&service_id, &instance_id),
                }
            }
            Fresh::Rules {
                tenant,
                consumer,
                rules,
            } => {
                held(tenants, &tenant).set_rules(consumer.as_deref(), rules);
            }
            Fresh::Everything {
                services,
                instances,
                rules,
            } => {
                tenants.clear();
                for s in services {
                    held(tenants, &tenant_of(s.domain, s.project)).put_service(s.service);
                }
                for (tenant, row) in instances {
                    held(tenants, &tenant).put_instance(row);
                }
                for r in rules {
                    let (tenant, consumer, name) = rule(r);
                    held(tenants, &tenant).add_rule(consumer, name);
                }
            }
        }
    }
}
