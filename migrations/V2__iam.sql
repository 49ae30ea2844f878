-- domains: accounts (Huawei "domains"); users, projects and through them every resource belong to one.
CREATE TABLE domains (
    id         TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),
    created_at INTEGER NOT NULL -- unix seconds
) STRICT;

-- projects: a domain's per-region projects; SMS resources are keyed by project id, registry paths name one.
CREATE TABLE projects (
    id         TEXT PRIMARY KEY NOT NULL,
    domain_id  TEXT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    created_at INTEGER NOT NULL,
    UNIQUE (domain_id, name)
) STRICT;

-- users: IAM users; password_hash is an Argon2id PHC string, never the password itself.
CREATE TABLE users (
    id            TEXT PRIMARY KEY NOT NULL,
    domain_id     TEXT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    name          TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    password_hash TEXT NOT NULL CHECK (password_hash LIKE '$argon2%'),
    created_at    INTEGER NOT NULL,
    UNIQUE (domain_id, name)
) STRICT;

-- access_keys: AK/SK pairs of a user; the secret is kept as is because checking an HMAC needs it.
CREATE TABLE access_keys (
    access     TEXT PRIMARY KEY NOT NULL CHECK (length(access) BETWEEN 1 AND 128),
    secret     TEXT NOT NULL CHECK (length(secret) >= 1),
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX access_keys_by_user ON access_keys (user_id);

-- tokens: issued X-Auth-Token values, stored as SHA-256 digests so that reading the table grants nothing.
CREATE TABLE tokens (
    digest     TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id TEXT REFERENCES projects (id) ON DELETE CASCADE, -- NULL: domain-scoped
    issued_at  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL CHECK (expires_at > issued_at)
) STRICT;
CREATE INDEX tokens_by_expiry ON tokens (expires_at);

-- user_actions: what a user may do, e.g. sms:server:batchDeleteTask, cse:microservice:*, or * for everything.
CREATE TABLE user_actions (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    action  TEXT NOT NULL CHECK (length(action) BETWEEN 1 AND 128 AND action NOT LIKE '% %'),
    PRIMARY KEY (user_id, action)
) STRICT, WITHOUT ROWID;
