-- task_passes: the in-between state of a source server that an action passes through before it lands (clearing before cleared, premiging before premiged, cloning and back), and when it lands.
CREATE TABLE task_passes (
    task_id       TEXT PRIMARY KEY NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    between_state TEXT NOT NULL CHECK (between_state IN ('clearing', 'premiging', 'cloning')),
    lands_state   TEXT NOT NULL, -- a source_servers.state value
    lands_ms      INTEGER NOT NULL -- simulated ms
) STRICT;
CREATE INDEX task_passes_due ON task_passes (lands_ms);
