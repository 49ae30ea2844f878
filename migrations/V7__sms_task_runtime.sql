-- What the agent and the migration report about a task (progress, rates, host load), the user's settings on it, and the secrets of its secure channel.
ALTER TABLE tasks ADD COLUMN migrate_speed REAL NOT NULL DEFAULT 0;              -- Mbit/s
ALTER TABLE tasks ADD COLUMN compress_rate REAL NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN remain_seconds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN estimate_complete_time INTEGER;                     -- unix ms; NULL while idle
ALTER TABLE tasks ADD COLUMN total_time INTEGER NOT NULL DEFAULT 0;              -- ms
ALTER TABLE tasks ADD COLUMN error_json TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN subtask_info TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN total_cpu_usage REAL NOT NULL DEFAULT 0;            -- %
ALTER TABLE tasks ADD COLUMN agent_cpu_usage REAL NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN total_mem_usage REAL NOT NULL DEFAULT 0;            -- MB
ALTER TABLE tasks ADD COLUMN agent_mem_usage REAL NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN total_disk_io REAL NOT NULL DEFAULT 0;              -- Mbit/s
ALTER TABLE tasks ADD COLUMN agent_disk_io REAL NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN need_migration_test INTEGER NOT NULL DEFAULT 0 CHECK (need_migration_test IN (0, 1));
ALTER TABLE tasks ADD COLUMN network_check_info TEXT CHECK (network_check_info IS NULL OR json_valid(network_check_info)); -- the last report, as sent
ALTER TABLE tasks ADD COLUMN log_collect_status TEXT NOT NULL DEFAULT 'INIT' CHECK (log_collect_status IN ('INIT', 'UPLOADING', 'UPLOAD_FAIL', 'UPLOADED'));
ALTER TABLE tasks ADD COLUMN log_bucket TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN log_upload_time INTEGER;                            -- unix ms
ALTER TABLE tasks ADD COLUMN passphrase TEXT;                                    -- made on first read, then kept
ALTER TABLE tasks ADD COLUMN certificates TEXT CHECK (certificates IS NULL OR json_valid(certificates)); -- made on first read, then kept

-- Source servers: what the agent reports beyond registration.
ALTER TABLE source_servers ADD COLUMN replicatesize INTEGER NOT NULL DEFAULT 0;  -- bytes
ALTER TABLE source_servers ADD COLUMN totalsize INTEGER NOT NULL DEFAULT 0;      -- bytes
ALTER TABLE source_servers ADD COLUMN state_action_time INTEGER;                 -- unix ms of the last state change
ALTER TABLE source_servers ADD COLUMN stage_action_time INTEGER;                 -- unix ms of the last migration_cycle change
ALTER TABLE source_servers ADD COLUMN last_command TEXT NOT NULL DEFAULT '';     -- the last command result the agent posted
ALTER TABLE source_servers ADD COLUMN last_command_result TEXT NOT NULL DEFAULT '' CHECK (last_command_result IN ('', 'success', 'fail'));
ALTER TABLE source_servers ADD COLUMN last_command_detail TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(last_command_detail));

-- task_subtasks: the steps of a migration as the agent reports them (SubTask), in order.
CREATE TABLE task_subtasks (
    task_id       TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    id            INTEGER NOT NULL,
    name          TEXT NOT NULL CHECK (name IN (
                      'CREATE_CLOUD_SERVER', 'SSL_CONFIG', 'ATTACH_AGENT_IMAGE', 'DETTACH_AGENT_IMAGE',
                      'FORMAT_DISK_LINUX', 'FORMAT_DISK_LINUX_FILE', 'FORMAT_DISK_LINUX_BLOCK',
                      'FORMAT_DISK_WINDOWS', 'MIGRATE_LINUX_FILE', 'MIGRATE_LINUX_BLOCK',
                      'MIGRATE_WINDOWS_BLOCK', 'CLONE_VM', 'SYNC_LINUX_FILE', 'SYNC_LINUX_BLOCK',
                      'SYNC_WINDOWS_BLOCK', 'CONFIGURE_LINUX', 'CONFIGURE_LINUX_BLOCK',
                      'CONFIGURE_LINUX_FILE', 'CONFIGURE_WINDOWS')),
    progress      INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    start_date    INTEGER,            -- unix ms; NULL until started
    end_date      INTEGER,            -- unix ms; NULL until done
    migrate_speed REAL NOT NULL DEFAULT 0,
    user_op       TEXT NOT NULL DEFAULT 'REPLICATE',
    process_trace TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (task_id, id),
    UNIQUE (task_id, name)
) STRICT;

-- task_speed_limits: a task's bandwidth schedule (SpeedLimitlJson), 0-5 windows in order.
CREATE TABLE task_speed_limits (
    task_id              TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    position             INTEGER NOT NULL,
    start                TEXT NOT NULL,  -- H:MM or HH:MM
    end                  TEXT NOT NULL,
    speed                INTEGER NOT NULL DEFAULT 0 CHECK (speed BETWEEN 0 AND 1000), -- Mbit/s, 0 = unlimited
    over_speed_threshold REAL NOT NULL DEFAULT 10 CHECK (over_speed_threshold BETWEEN 10 AND 100), -- %
    PRIMARY KEY (task_id, position)
) STRICT;

-- task_config_settings: the agent settings of a task (ConfigBody), one value per key.
CREATE TABLE task_config_settings (
    task_id       TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    config_key    TEXT NOT NULL CHECK (config_key IN (
                      'MIGRATE_EXCLUDE_DIR', 'SYNC_EXCLUDE_DIR', 'ONLY_SYNC_DIR', 'CONSISTENCY_DIR',
                      'CONSISTENCY_DIR_ILLEGAL', 'LINUX_BLOCK_COMPRESS_THREAD_NUM', 'MIGRATE_DST_IP',
                      'LINUX_BLOCK_CACHE_SIZE', 'LINUX_CPU_LIMIT', 'LINUX_MEM_LIMIT', 'LINUX_IO_LIMIT',
                      'NUM_PROCESS_MIGRATE', 'NUM_PROCESS_SYNC', 'CONSISTENCY_RECHECK',
                      'CONSISTENCY_MODE', 'DYNAMIC_PORT', 'INSTALL_PWD_AGENT')),
    config_value  TEXT NOT NULL,
    config_status TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (task_id, config_key)
) STRICT;

-- task_consistency_results: the agent's last consistency check of a task, one row per directory.
CREATE TABLE task_consistency_results (
    task_id               TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    position              INTEGER NOT NULL,
    dir_check             TEXT NOT NULL,
    num_total_files       INTEGER NOT NULL CHECK (num_total_files BETWEEN 0 AND 1000000),
    num_different_files   INTEGER NOT NULL CHECK (num_different_files BETWEEN 0 AND 1000000),
    num_target_miss_files INTEGER NOT NULL CHECK (num_target_miss_files BETWEEN 0 AND 1000000),
    num_target_more_files INTEGER NOT NULL CHECK (num_target_more_files BETWEEN 0 AND 1000000),
    finished_time         INTEGER NOT NULL, -- unix ms of the report
    PRIMARY KEY (task_id, position)
) STRICT;
