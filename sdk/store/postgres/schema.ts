/**
 * The PostgreSQL schema, as numbered migrations: migration `n` (1-based) brings a database at version `n - 1` to
 * `n`. Applied in order on open (see `PostgresDatabase`), each recorded in `swap_schema`. Never edit a released
 * migration: add the next one.
 *
 * Amounts are `NUMERIC(78, 0)`: every uint256 fits exactly. Addresses are lower-case text. A chequebook's total
 * issued is the sum of its `issued` rows, read when asked: there is no running total that a lost update could skew.
 *
 * The cheque tables defend themselves against any writer, not only this SDK: a trigger refuses an update that
 * lowers a cheque's cumulative payout, or that keeps it and changes the signature (two different cheques with one
 * amount), and a row is never deleted, nor a table truncated. So a buggy or hostile process sharing the database
 * cannot take back a received cheque or hand out a second meaning of an issued one through ordinary SQL.
 */
const V1 = `
CREATE TABLE received (
  chequebook TEXT NOT NULL, beneficiary TEXT NOT NULL, cumulative NUMERIC(78, 0) NOT NULL CHECK (cumulative > 0),
  signature TEXT NOT NULL, received_at BIGINT NOT NULL, PRIMARY KEY (chequebook, beneficiary));
CREATE TABLE issued (
  chequebook TEXT NOT NULL, beneficiary TEXT NOT NULL, cumulative NUMERIC(78, 0) NOT NULL CHECK (cumulative > 0),
  signature TEXT NOT NULL, issued_at BIGINT NOT NULL, PRIMARY KEY (chequebook, beneficiary));
CREATE TABLE cashouts (
  id TEXT PRIMARY KEY, chequebook TEXT NOT NULL, beneficiary TEXT NOT NULL, cumulative NUMERIC(78, 0) NOT NULL,
  status TEXT NOT NULL, tx_hash TEXT, paid NUMERIC(78, 0), bounced BOOLEAN, still_owed NUMERIC(78, 0),
  gas_used NUMERIC(78, 0), error TEXT, updated_at BIGINT NOT NULL);
CREATE INDEX cashouts_by_chequebook ON cashouts (chequebook, updated_at);
CREATE TABLE pending_txs (key TEXT PRIMARY KEY, hash TEXT NOT NULL, sender TEXT NOT NULL, nonce BIGINT NOT NULL, created_at BIGINT NOT NULL);
CREATE TABLE chequebooks (
  chequebook TEXT PRIMARY KEY, issuer TEXT NOT NULL, token TEXT NOT NULL, factory TEXT NOT NULL, issuer_is_contract BOOLEAN NOT NULL);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE swap_ledger (peer TEXT PRIMARY KEY, record TEXT NOT NULL, version BIGINT NOT NULL);

CREATE FUNCTION swap_cheque_only_rises() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'a % cheque is never deleted', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF NEW.chequebook <> OLD.chequebook OR NEW.beneficiary <> OLD.beneficiary OR NEW.cumulative < OLD.cumulative
     OR (NEW.cumulative = OLD.cumulative AND NEW.signature <> OLD.signature) THEN
    RAISE EXCEPTION 'a % cheque only rises (held %, offered %)', TG_TABLE_NAME, OLD.cumulative, NEW.cumulative
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER received_only_rises BEFORE UPDATE OR DELETE ON received FOR EACH ROW EXECUTE FUNCTION swap_cheque_only_rises();
CREATE TRIGGER issued_only_rises BEFORE UPDATE OR DELETE ON issued FOR EACH ROW EXECUTE FUNCTION swap_cheque_only_rises();
`;

/**
 * TRUNCATE fires no row trigger: without these, one statement (a test's clean-up run against the wrong database)
 * would empty the cheque tables, and every old cheque a peer re-sent would then be credited a second time.
 */
const V2 = `
CREATE FUNCTION swap_cheque_never_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the % cheques are never truncated', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER received_never_truncated BEFORE TRUNCATE ON received FOR EACH STATEMENT EXECUTE FUNCTION swap_cheque_never_truncated();
CREATE TRIGGER issued_never_truncated BEFORE TRUNCATE ON issued FOR EACH STATEMENT EXECUTE FUNCTION swap_cheque_never_truncated();
`;

/**
 * Each received cheque carries a random token of the write that stored it: a write whose connection broke at the
 * commit (outcome unknown) reads it back to learn whether it was the one committed, and never takes another
 * process's receipt of the same cheque for its own.
 */
const V3 = `
ALTER TABLE received ADD COLUMN writer TEXT;
`;

/** Every migration, in order; the schema version is their count. */
export const MIGRATIONS: readonly string[] = [V1, V2, V3];
