-- http_fault_rules: faults tests inject into the emulated APIs' answers (/_cloudtwin/faults), tried in position order, with how often each fired.
CREATE TABLE http_fault_rules (
    id         TEXT PRIMARY KEY NOT NULL,
    position   INTEGER NOT NULL UNIQUE,
    spec       TEXT NOT NULL CHECK (json_valid(spec)), -- the checked rule: method, path, action, when, status, error_code, latency_ms, probability…
    times      INTEGER CHECK (times IS NULL OR times >= 1), -- how many requests it fires on; NULL: until removed
    fired      INTEGER NOT NULL DEFAULT 0 CHECK (fired >= 0 AND (times IS NULL OR fired <= times)),
    created_ms INTEGER NOT NULL
) STRICT;

-- journal: every request to the emulated APIs (/v3, /v4), oldest first: who sent what and what it got; secrets in bodies are stored as ***.
CREATE TABLE journal (
    id         INTEGER PRIMARY KEY,
    at_ms      INTEGER NOT NULL, -- simulated clock
    request_id TEXT NOT NULL,
    method     TEXT NOT NULL,
    path       TEXT NOT NULL,
    query      TEXT NOT NULL DEFAULT '',
    status     INTEGER NOT NULL, -- 0: a fault reset the connection, the client got no answer
    latency_ms REAL NOT NULL,
    tenant     TEXT, -- domain/project
    caller     TEXT, -- user name or access key, never a secret
    body       TEXT, -- writes only, up to journal.max_body_bytes
    fault_id   TEXT  -- the HTTP fault rule that fired on it
) STRICT;
CREATE INDEX journal_by_request ON journal (request_id);
