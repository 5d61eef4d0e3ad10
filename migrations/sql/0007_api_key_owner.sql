-- An API key acts for the operator who created it: it holds only roles its creator holds, its
-- access is cut to the creator's at every request, and the access log names the creator for
-- every read or change made with the key. Keys whose creator cannot be found stop working
-- (there is no person behind them). (No semicolons in comments: the runner splits on them.)
ALTER TABLE api_keys ADD COLUMN created_by_operator_id BIGINT REFERENCES operators(id);
UPDATE api_keys SET created_by_operator_id = (SELECT o.id FROM operators o WHERE o.username = api_keys.created_by);
