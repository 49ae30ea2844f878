-- instances: a lease now lasts at most 365 days however large the client's interval and times (2^31-1 each is accepted), so that it always fits an integer and always expires.
DROP INDEX instances_lease;
ALTER TABLE instances DROP COLUMN lease_expires_ms;
ALTER TABLE instances ADD COLUMN lease_expires_ms INTEGER GENERATED ALWAYS AS
    (last_heartbeat_ms + MIN(health_interval * (health_times + 1), 31536000) * 1000) VIRTUAL;
CREATE INDEX instances_lease ON instances (lease_expires_ms);
