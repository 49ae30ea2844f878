-- source_servers: machines registered by the SMS agent; their state and connected flag decide whether their task may be deleted.
CREATE TABLE source_servers (
    id                    TEXT PRIMARY KEY NOT NULL,
    project_id            TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name                  TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    ip                    TEXT NOT NULL DEFAULT '',
    ipv6                  TEXT NOT NULL DEFAULT '',
    hostname              TEXT NOT NULL DEFAULT '',
    os_type               TEXT CHECK (os_type IN ('WINDOWS', 'LINUX')),
    os_version            TEXT NOT NULL DEFAULT '',
    state                 TEXT NOT NULL DEFAULT 'waiting' CHECK (state IN (
                              'unavailable', 'waiting', 'initialize', 'replicate', 'syncing', 'stopping',
                              'stopped', 'skipping', 'deleting', 'clearing', 'cleared', 'clearfailed',
                              'premigready', 'premiging', 'premiged', 'premigfailed', 'cloning',
                              'cutovering', 'finished', 'error')),
    connected             INTEGER NOT NULL DEFAULT 1 CHECK (connected IN (0, 1)),
    migration_cycle       TEXT NOT NULL DEFAULT '',
    cpu_quantity          INTEGER,
    memory                INTEGER,
    agent_version         TEXT NOT NULL DEFAULT '',
    migproject            TEXT NOT NULL DEFAULT '',
    enterprise_project_id TEXT NOT NULL DEFAULT '0',
    current_task_id       TEXT REFERENCES tasks (id) ON DELETE SET NULL,
    details               TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details)), -- the rest of the agent's registration body (disks, networks, …) as sent
    add_date              INTEGER NOT NULL, -- unix milliseconds
    last_visit_time       INTEGER NOT NULL,
    CHECK (ip <> '' OR ipv6 <> '')
) STRICT;
-- The agent re-registers on every start: same ip and name in a project is the same server.
CREATE UNIQUE INDEX source_servers_by_agent ON source_servers (project_id, ip, name);
CREATE INDEX source_servers_by_state ON source_servers (project_id, state);

-- tasks: migration tasks, at most one per source server; the source's current_task points back here.
CREATE TABLE tasks (
    id                    TEXT PRIMARY KEY NOT NULL,
    project_id            TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    source_server_id      TEXT NOT NULL UNIQUE REFERENCES source_servers (id) ON DELETE CASCADE,
    name                  TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    type                  TEXT NOT NULL CHECK (type IN ('MIGRATE_FILE', 'MIGRATE_BLOCK')),
    os_type               TEXT NOT NULL CHECK (os_type IN ('WINDOWS', 'LINUX')),
    state                 TEXT NOT NULL DEFAULT 'READY' CHECK (state IN (
                              'READY', 'RUNNING', 'SYNCING', 'MIGRATE_SUCCESS', 'SYNC_SUCCESS',
                              'MIGRATE_FAIL', 'SYNC_FAIL', 'ABORTING', 'ABORT', 'SKIPPING', 'DELETING',
                              'RESETING', 'SYNC_F_ROLLBACKING', 'SYNC_F_ROLLBACK_SUCCESS')),
    priority              INTEGER NOT NULL DEFAULT 1 CHECK (priority IN (0, 1, 2)),
    migration_ip          TEXT NOT NULL DEFAULT '',
    region_id             TEXT NOT NULL DEFAULT '',
    region_name           TEXT NOT NULL DEFAULT '',
    target_project_id     TEXT NOT NULL DEFAULT '', -- the destination project named in the request
    target_project_name   TEXT NOT NULL DEFAULT '',
    enterprise_project_id TEXT NOT NULL DEFAULT '0',
    start_target_server   INTEGER NOT NULL DEFAULT 0 CHECK (start_target_server IN (0, 1)),
    syncing               INTEGER NOT NULL DEFAULT 0 CHECK (syncing IN (0, 1)),
    speed_limit           INTEGER NOT NULL DEFAULT 0 CHECK (speed_limit >= 0),
    target_server         TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(target_server)),
    create_date           INTEGER NOT NULL, -- unix milliseconds
    start_date            INTEGER,
    finish_date           INTEGER
) STRICT;
CREATE INDEX tasks_by_project ON tasks (project_id, create_date);
