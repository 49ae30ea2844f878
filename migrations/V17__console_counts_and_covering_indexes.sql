-- The console's overview counted 100,000 tasks and source servers by state on every
-- load, and its filtered lists read every task's row to test its state or name. The
-- counts by state are now kept in step by the transactions that change them (as
-- task_counts is), and the indexes hold what the lists filter on.

-- task_state_counts: tasks per project and state, kept by the triggers below in the transaction that adds, removes or moves a task (the console's overview reads it).
CREATE TABLE task_state_counts (
    project_id TEXT NOT NULL,
    state      TEXT NOT NULL,
    tasks      INTEGER NOT NULL CHECK (tasks >= 0),
    PRIMARY KEY (project_id, state)
) STRICT;

INSERT INTO task_state_counts (project_id, state, tasks)
    SELECT project_id, state, COUNT(*) FROM tasks GROUP BY project_id, state;

CREATE TRIGGER task_state_counts_on_insert AFTER INSERT ON tasks BEGIN
    INSERT INTO task_state_counts (project_id, state, tasks) VALUES (new.project_id, new.state, 1)
        ON CONFLICT (project_id, state) DO UPDATE SET tasks = tasks + 1;
END;

CREATE TRIGGER task_state_counts_on_delete AFTER DELETE ON tasks BEGIN
    UPDATE task_state_counts SET tasks = tasks - 1
     WHERE project_id = old.project_id AND state = old.state;
END;

CREATE TRIGGER task_state_counts_on_update AFTER UPDATE OF project_id, state ON tasks
    WHEN old.project_id IS NOT new.project_id OR old.state IS NOT new.state BEGIN
    UPDATE task_state_counts SET tasks = tasks - 1
     WHERE project_id = old.project_id AND state = old.state;
    INSERT INTO task_state_counts (project_id, state, tasks) VALUES (new.project_id, new.state, 1)
        ON CONFLICT (project_id, state) DO UPDATE SET tasks = tasks + 1;
END;

-- source_state_counts: source servers per project and state, and how many of them are connected, kept by the triggers below (the console's overview reads it).
CREATE TABLE source_state_counts (
    project_id TEXT NOT NULL,
    state      TEXT NOT NULL,
    servers    INTEGER NOT NULL CHECK (servers >= 0),
    connected  INTEGER NOT NULL CHECK (connected BETWEEN 0 AND servers),
    PRIMARY KEY (project_id, state)
) STRICT;

INSERT INTO source_state_counts (project_id, state, servers, connected)
    SELECT project_id, state, COUNT(*), SUM(connected) FROM source_servers
     GROUP BY project_id, state;

CREATE TRIGGER source_state_counts_on_insert AFTER INSERT ON source_servers BEGIN
    INSERT INTO source_state_counts (project_id, state, servers, connected)
        VALUES (new.project_id, new.state, 1, new.connected)
        ON CONFLICT (project_id, state) DO UPDATE
        SET servers = servers + 1, connected = connected + new.connected;
END;

CREATE TRIGGER source_state_counts_on_delete AFTER DELETE ON source_servers BEGIN
    UPDATE source_state_counts SET servers = servers - 1, connected = connected - old.connected
     WHERE project_id = old.project_id AND state = old.state;
END;

CREATE TRIGGER source_state_counts_on_update AFTER UPDATE OF project_id, state, connected
    ON source_servers
    WHEN old.project_id IS NOT new.project_id OR old.state IS NOT new.state
      OR old.connected IS NOT new.connected BEGIN
    UPDATE source_state_counts SET servers = servers - 1, connected = connected - old.connected
     WHERE project_id = old.project_id AND state = old.state;
    INSERT INTO source_state_counts (project_id, state, servers, connected)
        VALUES (new.project_id, new.state, 1, new.connected)
        ON CONFLICT (project_id, state) DO UPDATE
        SET servers = servers + 1, connected = connected + new.connected;
END;

-- The task list's order with the state and name it filters on: a filter that matches
-- few tasks reads the index, not every row.
DROP INDEX tasks_by_project;
CREATE INDEX tasks_by_project ON tasks (project_id, create_date DESC, id, state, name);

-- A project's source servers in id order (the console's list pages by id).
CREATE INDEX source_servers_by_project ON source_servers (project_id, id);
