-- The request id and W3C trace context of the transaction that wrote an event (JSON text, as
-- billwire_shared.telemetry.trace_headers makes it): the outbox publisher sends them as the
-- event's NATS headers, so the services the event reaches continue the same trace and log the
-- same request id. Rows from before stay NULL and go out without them.
ALTER TABLE outbox ADD COLUMN trace_headers text;
