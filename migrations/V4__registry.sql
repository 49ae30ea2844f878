-- microservices: the static definition of each registered microservice, one row per (tenant, environment, app, name, version).
CREATE TABLE microservices (
    service_id   TEXT PRIMARY KEY NOT NULL CHECK (length(service_id) BETWEEN 1 AND 64),
    domain       TEXT NOT NULL,
    project      TEXT NOT NULL,
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
    modified_at  INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX microservices_key
    ON microservices (domain, project, environment, app_id, service_name, version);

-- instances: running instances of a microservice, each with a heartbeat lease that expires after interval × (times + 1) seconds.
CREATE TABLE instances (
    service_id        TEXT NOT NULL REFERENCES microservices (service_id) ON DELETE CASCADE,
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
        (last_heartbeat_ms + health_interval * (health_times + 1) * 1000) VIRTUAL,
    PRIMARY KEY (service_id, instance_id)
) STRICT;

CREATE INDEX instances_lease ON instances (lease_expires_ms);

-- service_schemas: the schema documents (contracts) a microservice publishes, by schema id.
CREATE TABLE service_schemas (
    service_id TEXT NOT NULL REFERENCES microservices (service_id) ON DELETE CASCADE,
    schema_id  TEXT NOT NULL,
    summary    TEXT NOT NULL DEFAULT '',
    schema     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (service_id, schema_id)
) STRICT;

-- service_tags: free key/value tags attached to a microservice.
CREATE TABLE service_tags (
    service_id TEXT NOT NULL REFERENCES microservices (service_id) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (service_id, key)
) STRICT;

-- dependencies: consumer service → provider by environment/app/name (any version, as Service Center's 0.0.0+ rules).
CREATE TABLE dependencies (
    consumer_id      TEXT NOT NULL REFERENCES microservices (service_id) ON DELETE CASCADE,
    provider_env     TEXT NOT NULL,
    provider_app     TEXT NOT NULL,
    provider_name    TEXT NOT NULL,
    PRIMARY KEY (consumer_id, provider_env, provider_app, provider_name)
) STRICT;

CREATE INDEX dependencies_provider ON dependencies (provider_env, provider_app, provider_name);
