-- cloudtwin_meta: facts about this database itself (when it was created, by which build).
CREATE TABLE cloudtwin_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;

INSERT INTO cloudtwin_meta (key, value) VALUES ('created_at', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
