-- zoombot's PostgreSQL schema, version 1. Each record is the codec's bytes ({"v":1,"d":…}, as sled
-- keeps them), so a record from a newer zoombot is refused by this one, never misread; beside it
-- are the columns the queries select and sort by.

CREATE TABLE meetings (
    guild bigint NOT NULL,
    zoom_id bigint NOT NULL,
    -- When the meeting (a series: its last occurrence) ends: lists and pruning.
    ends_at timestamptz NOT NULL,
    -- When the scheduler looks at it next; NULL: never.
    reminder_due timestamptz,
    record bytea NOT NULL,
    PRIMARY KEY (guild, zoom_id)
);
CREATE INDEX meetings_by_zoom_id ON meetings (zoom_id);
CREATE INDEX meetings_by_guild_end ON meetings (guild, ends_at);
CREATE INDEX meetings_by_end ON meetings (ends_at);
CREATE INDEX meetings_by_due ON meetings (reminder_due, guild, zoom_id)
    WHERE reminder_due IS NOT NULL;

CREATE TABLE guild_settings (
    guild bigint PRIMARY KEY,
    record bytea NOT NULL
);

CREATE TABLE member_prefs (
    member bigint PRIMARY KEY,
    record bytea NOT NULL
);

-- Daily quotas: plain columns, so taking one is a single conditional upsert.
CREATE TABLE daily_counts (
    counter text PRIMARY KEY,
    day date NOT NULL,
    count integer NOT NULL CHECK (count >= 0)
);

-- Every webhook event's key: a redelivery is a duplicate.
CREATE TABLE webhook_keys (
    key text PRIMARY KEY,
    received_at timestamptz NOT NULL
);
CREATE INDEX webhook_keys_by_time ON webhook_keys (received_at);

-- Events received and not applied yet, in the order received.
CREATE SEQUENCE webhook_inbox_seq;
CREATE TABLE webhook_inbox (
    seq bigint PRIMARY KEY,
    record bytea NOT NULL
);

CREATE TABLE pending_links (
    key text PRIMARY KEY,
    expires_at timestamptz NOT NULL,
    record bytea NOT NULL
);

CREATE TABLE member_links (
    member bigint PRIMARY KEY,
    zoom_user text NOT NULL,
    record bytea NOT NULL
);
CREATE INDEX member_links_by_zoom_user ON member_links (zoom_user);

-- Sliding-window slots (rate limits shared by every replica).
CREATE TABLE slots (
    id bigserial PRIMARY KEY,
    key text NOT NULL,
    taken timestamptz NOT NULL
);
CREATE INDEX slots_by_key ON slots (key, taken);
CREATE INDEX slots_by_time ON slots (taken);

-- Deliveries seen (interaction ids, …), remembered until `until`.
CREATE TABLE deliveries (
    key text PRIMARY KEY,
    until timestamptz NOT NULL
);
CREATE INDEX deliveries_by_until ON deliveries (until);

-- Leases: one owner at a time (a scheduler among replicas).
CREATE TABLE leases (
    name text PRIMARY KEY,
    owner text NOT NULL,
    until timestamptz NOT NULL
);
