-- clock: the one simulated clock (a single row): its mode and where it stands, so that simulated time never goes backwards, not across restarts nor mode switches.
CREATE TABLE clock (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    mode      TEXT NOT NULL DEFAULT 'real' CHECK (mode IN ('real', 'manual')),
    offset_ms INTEGER NOT NULL DEFAULT 0, -- real mode: simulated time = wall clock + offset
    at_ms     INTEGER NOT NULL DEFAULT 0  -- manual mode: the simulated instant; either mode: a floor it never goes below
) STRICT;
INSERT INTO clock (id) VALUES (1);
