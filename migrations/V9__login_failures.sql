-- login_failures: wrong passwords per user within the current window; a user past auth.login_failures_max is refused (429) until the window ends.
CREATE TABLE login_failures (
    user_id      TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    failures     INTEGER NOT NULL CHECK (failures >= 1),
    window_start INTEGER NOT NULL -- unix seconds of the first failure of the window
) STRICT;
