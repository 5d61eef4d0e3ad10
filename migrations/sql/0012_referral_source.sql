-- Where the referral of an access sheet came from, in INPS's 14 sources (SINBA's
-- FonteSegnalazione), as the domain's stable code (host/domain/src/access.rs, ReferralSource).
ALTER TABLE access_sheets ADD COLUMN referral_source TEXT
