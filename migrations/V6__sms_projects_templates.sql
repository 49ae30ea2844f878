-- migprojects: SMS migration projects; every IAM project has one default (created on first need), and new source servers join it.
CREATE TABLE migprojects (
    id                  TEXT PRIMARY KEY NOT NULL,
    project_id          TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name                TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description         TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 255),
    isdefault           INTEGER NOT NULL DEFAULT 0 CHECK (isdefault IN (0, 1)),
    region              TEXT NOT NULL DEFAULT '',
    start_target_server INTEGER NOT NULL DEFAULT 1 CHECK (start_target_server IN (0, 1)),
    speed_limit         INTEGER NOT NULL DEFAULT 0 CHECK (speed_limit BETWEEN 0 AND 10000), -- Mbit/s, 0 = unlimited
    use_public_ip       INTEGER NOT NULL DEFAULT 1 CHECK (use_public_ip IN (0, 1)),
    exist_server        INTEGER NOT NULL DEFAULT 1 CHECK (exist_server IN (0, 1)),
    type                TEXT NOT NULL DEFAULT 'MIGRATE_BLOCK' CHECK (type IN ('MIGRATE_BLOCK', 'MIGRATE_FILE')),
    enterprise_project  TEXT NOT NULL DEFAULT 'default',
    syncing             INTEGER NOT NULL DEFAULT 0 CHECK (syncing IN (0, 1)),
    start_network_check INTEGER NOT NULL DEFAULT 0 CHECK (start_network_check IN (0, 1)),
    created_at          INTEGER NOT NULL, -- unix milliseconds
    UNIQUE (project_id, name)
) STRICT;
-- At most one default per IAM project.
CREATE UNIQUE INDEX migprojects_one_default ON migprojects (project_id) WHERE isdefault = 1;

-- Source servers registered before migration projects existed join their project's default one.
INSERT INTO migprojects (id, project_id, name, description, isdefault, region, created_at)
SELECT lower(hex(randomblob(16))), p.id, 'SystemProject', 'the default migration project', 1, p.name,
       CAST(unixepoch('subsec') * 1000 AS INTEGER)
  FROM projects p
 WHERE EXISTS (SELECT 1 FROM source_servers s WHERE s.project_id = p.id);
UPDATE source_servers
   SET migproject = (SELECT m.id FROM migprojects m
                      WHERE m.project_id = source_servers.project_id AND m.isdefault = 1)
 WHERE migproject = '';
CREATE INDEX source_servers_by_migproject ON source_servers (project_id, migproject);

-- vm_templates: target-server templates (the ECS a task creates as its target); vpc, nics, security_groups, publicip and disk are JSON as sent.
CREATE TABLE vm_templates (
    id                 TEXT PRIMARY KEY NOT NULL,
    project_id         TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name               TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    is_template        INTEGER NOT NULL DEFAULT 1 CHECK (is_template IN (0, 1)),
    region             TEXT NOT NULL DEFAULT '',
    projectid          TEXT NOT NULL DEFAULT '', -- the target project id named in the template
    target_server_name TEXT NOT NULL DEFAULT '',
    availability_zone  TEXT NOT NULL DEFAULT '',
    volumetype         TEXT NOT NULL DEFAULT '',
    flavor             TEXT NOT NULL DEFAULT '',
    vpc                TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(vpc)),
    nics               TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(nics)),
    security_groups    TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(security_groups)),
    publicip           TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(publicip)),
    disk               TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(disk)),
    data_volume_type   TEXT NOT NULL DEFAULT '',
    target_password    TEXT NOT NULL DEFAULT '',
    image_id           TEXT NOT NULL DEFAULT '',
    created_at         INTEGER NOT NULL, -- unix milliseconds
    UNIQUE (project_id, name)
) STRICT;

-- A task may name the template its target is created from; deleting the template leaves the task without one.
ALTER TABLE tasks ADD COLUMN vm_template_id TEXT REFERENCES vm_templates (id) ON DELETE SET NULL;
CREATE INDEX tasks_by_vm_template ON tasks (vm_template_id);

-- privacy_agreements: the IAM domains whose users agreed to SMS's privacy statement.
CREATE TABLE privacy_agreements (
    domain_id TEXT PRIMARY KEY NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    agreed_at INTEGER NOT NULL -- unix milliseconds
) STRICT;
