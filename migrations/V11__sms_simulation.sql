-- task_runs: the migration the twin simulates for a task started by an action (one row per task); progress between transitions is computed from the clock at read time, and next_due_ms says when the next transition falls due.
CREATE TABLE task_runs (
    task_id         TEXT PRIMARY KEY NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('full', 'sync', 'cutover')), -- full replication, an incremental sync, launching the target
    phase           TEXT NOT NULL CHECK (phase IN ('running', 'stopping', 'paused', 'failed', 'waiting')), -- waiting: in the sync stage, nothing running
    steps           TEXT NOT NULL DEFAULT '', -- the subtask names of this run, in order, comma-separated
    step            INTEGER NOT NULL DEFAULT 0 CHECK (step >= 0), -- index into steps of the one running now
    step_started_ms INTEGER NOT NULL, -- simulated ms when the current stretch of that step began
    step_done       INTEGER NOT NULL DEFAULT 0 CHECK (step_done >= 0), -- work done on it before that stretch: bytes for a data step, ms for the others
    data_bytes      INTEGER NOT NULL CHECK (data_bytes >= 0), -- what the data step of this run copies
    rate_mbit       REAL NOT NULL CHECK (rate_mbit > 0), -- the simulated transfer rate, already capped by the task's speed_limit
    windows         TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(windows)), -- the task's speed-limit windows as [start_minute, end_minute, mbit] (UTC on the simulated clock)
    next_due_ms     INTEGER -- when the running step (or the stop) completes; NULL while nothing is due
) STRICT;
CREATE INDEX task_runs_due ON task_runs (next_due_ms) WHERE next_due_ms IS NOT NULL;

-- task_faults: a failure a test armed on a task: the migration fails when it reaches the named subtask, or the source's agent goes silent.
CREATE TABLE task_faults (
    task_id           TEXT PRIMARY KEY NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    subtask           TEXT CHECK (subtask IS NULL OR subtask IN (
                          'CREATE_CLOUD_SERVER', 'SSL_CONFIG', 'ATTACH_AGENT_IMAGE', 'DETTACH_AGENT_IMAGE',
                          'FORMAT_DISK_LINUX', 'FORMAT_DISK_LINUX_FILE', 'FORMAT_DISK_LINUX_BLOCK',
                          'FORMAT_DISK_WINDOWS', 'MIGRATE_LINUX_FILE', 'MIGRATE_LINUX_BLOCK',
                          'MIGRATE_WINDOWS_BLOCK', 'CLONE_VM', 'SYNC_LINUX_FILE', 'SYNC_LINUX_BLOCK',
                          'SYNC_WINDOWS_BLOCK', 'CONFIGURE_LINUX', 'CONFIGURE_LINUX_BLOCK',
                          'CONFIGURE_LINUX_FILE', 'CONFIGURE_WINDOWS')),
    error_code        TEXT NOT NULL,
    error_param       TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(error_param) AND json_type(error_param) = 'array'),
    disconnect        INTEGER NOT NULL DEFAULT 0 CHECK (disconnect IN (0, 1)),
    disconnect_due_ms INTEGER, -- when the silent agent counts as disconnected (armed + sms.simulation.agent_timeout_secs)
    armed_ms          INTEGER NOT NULL,
    fired_ms          INTEGER, -- when it took effect; a fault fires once
    CHECK (subtask IS NOT NULL OR disconnect = 1)
) STRICT;
CREATE INDEX task_faults_due ON task_faults (disconnect_due_ms) WHERE fired_ms IS NULL AND disconnect_due_ms IS NOT NULL;
