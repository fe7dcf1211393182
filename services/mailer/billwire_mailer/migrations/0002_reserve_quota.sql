-- A quota reservation in one round trip: the statements of `repository.reserve_quota` as one
-- function, atomic like the transaction they ran in (all or nothing; a repeated reservation id
-- counts once; another account's id is refused).
CREATE FUNCTION reserve_quota(p_reservation uuid, p_account uuid, p_day date, p_count int, p_limit int,
                              OUT granted boolean, OUT used_after int)
LANGUAGE plpgsql AS $$
DECLARE
    owner uuid;
BEGIN
    IF p_reservation IS NOT NULL THEN
        INSERT INTO quota_reservations (reservation_id, account_id, day, count)
        VALUES (p_reservation, p_account, p_day, p_count)
        ON CONFLICT (reservation_id) DO NOTHING;
        IF NOT FOUND THEN  -- a repeat: the first call counted it
            SELECT r.account_id INTO owner FROM quota_reservations r WHERE r.reservation_id = p_reservation;
            granted := owner = p_account;
            SELECT coalesce(max(q.used), 0) INTO used_after FROM quota_usage q WHERE q.account_id = p_account AND q.day = p_day;
            RETURN;
        END IF;
    END IF;
    IF p_limit = 0 OR p_count <= p_limit THEN
        -- The row lock makes concurrent reservations queue up; each sees the last.
        INSERT INTO quota_usage AS q (account_id, day, used) VALUES (p_account, p_day, p_count)
        ON CONFLICT (account_id, day) DO UPDATE SET used = q.used + EXCLUDED.used
        WHERE p_limit = 0 OR q.used + EXCLUDED.used <= p_limit
        RETURNING q.used INTO used_after;
    END IF;
    granted := used_after IS NOT NULL;
    IF NOT granted THEN
        DELETE FROM quota_reservations r WHERE r.reservation_id = p_reservation;
        SELECT coalesce(max(q.used), 0) INTO used_after FROM quota_usage q WHERE q.account_id = p_account AND q.day = p_day;
    END IF;
END $$;
