-- Sessions: a signed token carries the user's token_version; raising it (logout, password change,
-- disabling) makes every token issued before unusable at once.
ALTER TABLE users ADD COLUMN token_version integer NOT NULL DEFAULT 0;
