-- The first page of a project's tasks read the whole project twice: once to count it and
-- once to sort it (every seeded task can share one create_date, and the id that breaks
-- the tie was not in the index). The index now holds the list's whole order, and the
-- count is kept in step by the transactions that add and remove tasks.
DROP INDEX tasks_by_project;
CREATE INDEX tasks_by_project ON tasks (project_id, create_date DESC, id);

-- task_counts: how many tasks each project holds, kept by the triggers below in the transaction that adds or removes one (what an unfiltered GET /v3/tasks reports as count).
CREATE TABLE task_counts (
    project_id TEXT PRIMARY KEY NOT NULL,
    tasks      INTEGER NOT NULL CHECK (tasks >= 0)
) STRICT;

INSERT INTO task_counts (project_id, tasks)
    SELECT project_id, COUNT(*) FROM tasks GROUP BY project_id;

CREATE TRIGGER task_counts_on_insert AFTER INSERT ON tasks BEGIN
    INSERT INTO task_counts (project_id, tasks) VALUES (new.project_id, 1)
        ON CONFLICT (project_id) DO UPDATE SET tasks = tasks + 1;
END;

CREATE TRIGGER task_counts_on_delete AFTER DELETE ON tasks BEGIN
    UPDATE task_counts SET tasks = tasks - 1 WHERE project_id = old.project_id;
END;
