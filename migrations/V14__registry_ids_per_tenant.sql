-- Service and instance ids become unique per tenant (domain + project), as in Service
-- Center, whose keys start with the tenant: another tenant may use the same custom id.
-- Every registry table now carries the tenant and the children reference their service by
-- (domain, project, service_id). The tables are rebuilt and their rows carried over.
ALTER TABLE dependencies RENAME TO old_dependencies;
ALTER TABLE service_tags RENAME TO old_service_tags;
ALTER TABLE service_schemas RENAME TO old_service_schemas;
ALTER TABLE instances RENAME TO old_instances;
ALTER TABLE microservices RENAME TO old_microservices;
DROP INDEX microservices_key;
DROP INDEX instances_lease;
DROP INDEX dependencies_provider;

-- microservices: the static definition of each registered microservice, one row per (tenant, environment, app, name, version); its id is unique within the tenant.
CREATE TABLE microservices (
    domain       TEXT NOT NULL,
    project      TEXT NOT NULL,
    service_id   TEXT NOT NULL CHECK (length(service_id) BETWEEN 1 AND 64),
    environment  TEXT NOT NULL CHECK (environment IN ('', 'development', 'testing', 'acceptance', 'production')),
    app_id       TEXT NOT NULL,
    service_name TEXT NOT NULL,
    version      TEXT NOT NULL,
    alias        TEXT NOT NULL DEFAULT '',
    description  TEXT NOT NULL DEFAULT '',
    level        TEXT NOT NULL CHECK (level IN ('FRONT', 'MIDDLE', 'BACK')),
    status       TEXT NOT NULL CHECK (status IN ('UP', 'DOWN')),
    register_by  TEXT NOT NULL DEFAULT '' CHECK (register_by IN ('', 'SDK', 'SIDECAR', 'PLATFORM')),
    schemas      TEXT NOT NULL DEFAULT '[]' CHECK (json_type(schemas) = 'array'),
    paths        TEXT NOT NULL DEFAULT '[]' CHECK (json_type(paths) = 'array'),
    properties   TEXT NOT NULL DEFAULT '{}' CHECK (json_type(properties) = 'object'),
    framework    TEXT CHECK (framework IS NULL OR json_type(framework) = 'object'),
    created_at   INTEGER NOT NULL,
    modified_at  INTEGER NOT NULL,
    PRIMARY KEY (domain, project, service_id)
) STRICT;

CREATE UNIQUE INDEX microservices_key
    ON microservices (domain, project, environment, app_id, service_name, version);

-- instances: running instances of a microservice, each with a heartbeat lease that expires after interval × (times + 1) seconds (at most 365 days).
CREATE TABLE instances (
    domain            TEXT NOT NULL,
    project           TEXT NOT NULL,
    service_id        TEXT NOT NULL,
    instance_id       TEXT NOT NULL CHECK (length(instance_id) BETWEEN 1 AND 64),
    host_name         TEXT NOT NULL,
    endpoints         TEXT NOT NULL DEFAULT '[]' CHECK (json_type(endpoints) = 'array'),
    status            TEXT NOT NULL CHECK (status IN ('UP', 'DOWN', 'STARTING', 'TESTING', 'OUTOFSERVICE')),
    properties        TEXT NOT NULL DEFAULT '{}' CHECK (json_type(properties) = 'object'),
    health_mode       TEXT NOT NULL CHECK (health_mode IN ('push', 'pull')),
    health_interval   INTEGER NOT NULL CHECK (health_interval >= 1),
    health_times      INTEGER NOT NULL CHECK (health_times >= 0),
    health_port       INTEGER NOT NULL DEFAULT 0 CHECK (health_port BETWEEN 0 AND 65535),
    health_url        TEXT NOT NULL DEFAULT '',
    data_center       TEXT CHECK (data_center IS NULL OR json_type(data_center) = 'object'),
    version           TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
    modified_at       INTEGER NOT NULL,
    last_heartbeat_ms INTEGER NOT NULL,
    lease_expires_ms  INTEGER GENERATED ALWAYS AS
        (last_heartbeat_ms + MIN(health_interval * (health_times + 1), 31536000) * 1000) VIRTUAL,
    PRIMARY KEY (domain, project, service_id, instance_id),
    FOREIGN KEY (domain, project, service_id)
        REFERENCES microservices (domain, project, service_id) ON DELETE CASCADE
) STRICT;

-- service_schemas: the schema documents (contracts) a microservice publishes, by schema id.
CREATE TABLE service_schemas (
    domain     TEXT NOT NULL,
    project    TEXT NOT NULL,
    service_id TEXT NOT NULL,
    schema_id  TEXT NOT NULL,
    summary    TEXT NOT NULL DEFAULT '',
    schema     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (domain, project, service_id, schema_id),
    FOREIGN KEY (domain, project, service_id)
        REFERENCES microservices (domain, project, service_id) ON DELETE CASCADE
) STRICT;

-- service_tags: free key/value tags attached to a microservice.
CREATE TABLE service_tags (
    domain     TEXT NOT NULL,
    project    TEXT NOT NULL,
    service_id TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (domain, project, service_id, key),
    FOREIGN KEY (domain, project, service_id)
        REFERENCES microservices (domain, project, service_id) ON DELETE CASCADE
) STRICT;

-- dependencies: consumer service → provider by environment/app/name in the consumer's tenant (any version, as Service Center's 0.0.0+ rules).
CREATE TABLE dependencies (
    domain        TEXT NOT NULL,
    project       TEXT NOT NULL,
    consumer_id   TEXT NOT NULL,
    provider_env  TEXT NOT NULL,
    provider_app  TEXT NOT NULL,
    provider_name TEXT NOT NULL,
    PRIMARY KEY (domain, project, consumer_id, provider_env, provider_app, provider_name),
    FOREIGN KEY (domain, project, consumer_id)
        REFERENCES microservices (domain, project, service_id) ON DELETE CASCADE
) STRICT;

INSERT INTO microservices (domain, project, service_id, environment, app_id, service_name,
        version, alias, description, level, status, register_by, schemas, paths, properties,
        framework, created_at, modified_at)
    SELECT domain, project, service_id, environment, app_id, service_name, version, alias,
           description, level, status, register_by, schemas, paths, properties, framework,
           created_at, modified_at
      FROM old_microservices;
INSERT INTO instances (domain, project, service_id, instance_id, host_name, endpoints, status,
        properties, health_mode, health_interval, health_times, health_port, health_url,
        data_center, version, created_at, modified_at, last_heartbeat_ms)
    SELECT m.domain, m.project, i.service_id, i.instance_id, i.host_name, i.endpoints, i.status,
           i.properties, i.health_mode, i.health_interval, i.health_times, i.health_port,
           i.health_url, i.data_center, i.version, i.created_at, i.modified_at,
           i.last_heartbeat_ms
      FROM old_instances i JOIN old_microservices m ON m.service_id = i.service_id;
INSERT INTO service_schemas (domain, project, service_id, schema_id, summary, schema)
    SELECT m.domain, m.project, s.service_id, s.schema_id, s.summary, s.schema
      FROM old_service_schemas s JOIN old_microservices m ON m.service_id = s.service_id;
INSERT INTO service_tags (domain, project, service_id, key, value)
    SELECT m.domain, m.project, t.service_id, t.key, t.value
      FROM old_service_tags t JOIN old_microservices m ON m.service_id = t.service_id;
INSERT INTO dependencies (domain, project, consumer_id, provider_env, provider_app, provider_name)
    SELECT m.domain, m.project, d.consumer_id, d.provider_env, d.provider_app, d.provider_name
      FROM old_dependencies d JOIN old_microservices m ON m.service_id = d.consumer_id;

DROP TABLE old_dependencies;
DROP TABLE old_service_tags;
DROP TABLE old_service_schemas;
DROP TABLE old_instances;
DROP TABLE old_microservices;

CREATE INDEX instances_lease ON instances (lease_expires_ms);
CREATE INDEX dependencies_provider
    ON dependencies (domain, project, provider_env, provider_app, provider_name);
