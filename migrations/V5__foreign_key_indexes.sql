-- An index on each foreign-key child column that lacked one: without it SQLite scans the
-- whole child table for every parent row deleted (each task deleted scanned every source
-- server for current_task_id), which made a 50-id batch delete over 20,000 tasks ~250 ms.
CREATE INDEX IF NOT EXISTS source_servers_by_current_task ON source_servers (current_task_id);
