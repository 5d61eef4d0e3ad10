-- PostgreSQL only, run as one statement: the role the application may run with. It reads and
-- writes every table, but can only add to the access log (INSERT and SELECT on audit_events,
-- no UPDATE, no DELETE, no TRUNCATE), so a compromised server cannot quietly rewrite history.
-- Give a login role its rights with GRANT siso_app TO <login> and connect as that login (see
-- docs/security.md). Migrations keep running as the owner of the tables. Creating a role needs
-- CREATEROLE: without it this migration only warns, and an administrator runs it by hand.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'siso_app') THEN
        CREATE ROLE siso_app NOLOGIN;
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO siso_app', current_schema());
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO siso_app', current_schema());
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO siso_app', current_schema());
    REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM siso_app;
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO siso_app', current_schema());
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT ON SEQUENCES TO siso_app', current_schema());
EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'cannot create or grant the role siso_app: an administrator must run migrations/sql/0010_app_role.postgres.sql';
END
$$
