-- zoombot's PostgreSQL schema, version 3: a sliding-window slot is taken in one call (one round
-- trip) instead of a transaction of five statements. The function does what that transaction did:
-- under an advisory lock on the key (so takers of one key, in any replica, count one after the
-- other), it frees the key's slots taken at or before `cutoff` (NULL: none), counts those held,
-- and takes one at `taken_at` when fewer than `slot_limit` are. Each statement of a volatile function
-- sees a fresh snapshot, so the count after the lock sees every slot committed before it.

CREATE FUNCTION take_slot(
    slot_key text,
    slot_limit bigint,
    cutoff timestamptz,
    taken_at timestamptz,
    OUT took boolean,
    OUT oldest_held timestamptz
) LANGUAGE plpgsql AS $$
DECLARE
    held bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext(slot_key));
    IF cutoff IS NOT NULL THEN
        DELETE FROM slots WHERE key = slot_key AND taken <= cutoff;
    END IF;
    SELECT count(*), min(taken) INTO held, oldest_held FROM slots WHERE key = slot_key;
    took := held < slot_limit;
    IF took THEN
        INSERT INTO slots (key, taken) VALUES (slot_key, taken_at);
    END IF;
END
$$;
