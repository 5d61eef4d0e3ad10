-- Operators sign in through OpenID Connect providers (SPID and CIE through a broker, a
-- Region's identity provider...). An identity is bound to an operator by the provider's issuer
-- and the token's subject, one namespace per provider: a name claimed by one provider never
-- signs in an operator of another. (No semicolons in comments: the runner splits on them.)
CREATE TABLE operator_identities (
    id {ID},
    operator_id BIGINT NOT NULL REFERENCES operators(id),
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    created_at {TS} NOT NULL
);
CREATE UNIQUE INDEX operator_identities_subject ON operator_identities(issuer, subject);
CREATE INDEX operator_identities_operator ON operator_identities(operator_id);
CREATE UNIQUE INDEX operators_fiscal_code ON operators(fiscal_code);
