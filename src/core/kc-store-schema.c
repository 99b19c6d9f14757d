/* kc-store-schema.c: the call history's tables, version by version
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-store"

#include "kc-store-private.h"

/* Each entry upgrades the schema by one version (user_version = index + 1);
 * later versions append, never edit. */
static const char *const migrations[] = {
  "CREATE TABLE calls ("
  "  id TEXT PRIMARY KEY,"
  "  call_id TEXT NOT NULL UNIQUE,"
  "  direction TEXT NOT NULL CHECK (direction IN ('kiruvchi', 'chiquvchi')),"
  "  from_number TEXT NOT NULL,"
  "  to_number TEXT NOT NULL,"
  "  extension TEXT,"
  "  start_time TEXT NOT NULL,"
  "  end_time TEXT,"
  "  duration INTEGER NOT NULL DEFAULT 0,"
  "  answered_duration INTEGER NOT NULL DEFAULT 0,"
  "  status TEXT NOT NULL"
  "    CHECK (status IN ('javob berildi', 'javobsiz', 'band', 'xatolik')),"
  "  kerio_status INTEGER,"
  "  voicemail INTEGER NOT NULL DEFAULT 0,"
  "  recording_id TEXT,"
  "  recording_path TEXT,"
  "  source TEXT NOT NULL CHECK (source IN ('cdr', 'live')),"
  "  created_at TEXT NOT NULL,"
  "  updated_at TEXT NOT NULL"
  ");"
  /* newest-first keyset paging of the history view */
  "CREATE INDEX calls_start ON calls (start_time DESC, id DESC);"
  /* a number's calls, and matching live rows and recordings to calls */
  "CREATE INDEX calls_from_to_start ON calls (from_number, to_number, start_time);"
  "CREATE INDEX calls_to ON calls (to_number);"
  "CREATE INDEX calls_status_start ON calls (status, start_time);"
  /* the sync's starting point: newest CDR */
  "CREATE INDEX calls_source_start ON calls (source, start_time);",

  /* v2, for a million rows: integer times (no text to parse or compare),
   * time-ordered integer row ids instead of random UUIDs (new rows append
   * to the table's B-tree), the key columns in each filter's index so the
   * history counts and pages read the index alone, a trigram index of the
   * numbers for substring search, a small index of the live rows only (the
   * CDR upsert looks for one per record), no index on source nor on the
   * numbers: a number index takes its rows in random order, so that each
   * page of a big sync wrote ~500 of its B-tree pages (~20 µs a row, more
   * than the rest of the store); a recording finds its call by time. sync_state keeps how far the history is complete, which the sync
   * advances only after its last page: a sync cut short starts over. */
  "CREATE TABLE calls_v2 ("
  "  id INTEGER PRIMARY KEY,"
  "  call_id TEXT NOT NULL UNIQUE,"
  "  direction TEXT NOT NULL CHECK (direction IN ('kiruvchi', 'chiquvchi')),"
  "  from_number TEXT NOT NULL,"
  "  to_number TEXT NOT NULL,"
  "  extension TEXT,"
  "  start_time INTEGER NOT NULL,"
  "  end_time INTEGER,"
  "  duration INTEGER NOT NULL DEFAULT 0,"
  "  answered_duration INTEGER NOT NULL DEFAULT 0,"
  "  status TEXT NOT NULL"
  "    CHECK (status IN ('javob berildi', 'javobsiz', 'band', 'xatolik')),"
  "  kerio_status INTEGER,"
  "  voicemail INTEGER NOT NULL DEFAULT 0,"
  "  recording_id TEXT,"
  "  recording_path TEXT,"
  "  source TEXT NOT NULL CHECK (source IN ('cdr', 'live')),"
  "  created_at INTEGER NOT NULL,"
  "  updated_at INTEGER NOT NULL"
  ");"
  "INSERT INTO calls_v2 (call_id, direction, from_number, to_number, extension, start_time,"
  "  end_time, duration, answered_duration, status, kerio_status, voicemail, recording_id,"
  "  recording_path, source, created_at, updated_at)"
  " SELECT call_id, direction, from_number, to_number, extension,"
  "  CAST(strftime('%s', start_time) AS INTEGER), CAST(strftime('%s', end_time) AS INTEGER),"
  "  duration, answered_duration, status, kerio_status, voicemail, recording_id,"
  "  recording_path, source, CAST(strftime('%s', created_at) AS INTEGER),"
  "  CAST(strftime('%s', updated_at) AS INTEGER)"
  " FROM calls ORDER BY start_time, id;"
  "DROP TABLE calls;"
  "ALTER TABLE calls_v2 RENAME TO calls;"
  "CREATE INDEX calls_start ON calls (start_time, id);"
  "CREATE INDEX calls_direction_start ON calls (direction, start_time, id);"
  "CREATE INDEX calls_status_start ON calls (status, start_time, id);"
  "CREATE INDEX calls_live_start ON calls (start_time) WHERE source = 'live';"
  "CREATE VIRTUAL TABLE calls_numbers USING fts5 ("
  "  from_number, to_number, content = 'calls', content_rowid = 'id', tokenize = 'trigram');"
  /* Each sync page adds a segment to the index; FTS5 merges them as they
   * pile up. Merging 16 at a time rather than 4 halves the longest commit
   * of a big sync (~60 -> ~30 ms for the index alone) for the same search
   * speed. */
  "INSERT INTO calls_numbers (calls_numbers, rank) VALUES ('automerge', 16);"
  "INSERT INTO calls_numbers (calls_numbers, rank) VALUES ('crisismerge', 64);"
  "INSERT INTO calls_numbers (calls_numbers) VALUES ('rebuild');"
  /* The store keeps calls_numbers up to date itself: a trigger would make
   * each of its statements a savepoint, at which FTS5 writes out what it
   * holds, a segment per row (~60 µs a row instead of ~5). */
  "CREATE TABLE sync_state ("
  "  id INTEGER PRIMARY KEY CHECK (id = 1),"
  "  complete_until INTEGER NOT NULL"
  ");"
  /* v1 wrote each sync in one transaction: what it holds is complete. */
  "INSERT INTO sync_state (id, complete_until)"
  " SELECT 1, max(start_time) FROM calls WHERE source = 'cdr' HAVING count(*) > 0;",

  /* v3, for the sync's sake. The status CHECK becomes two lists of two:
   * SQLite tests a list of three or more through a temporary B-tree that
   * each INSERT built anew, a third of the store's instructions in a sync. The rows satisfy
   * either form, so the table's text is edited in place, as SQLite's
   * ALTER TABLE documentation describes for a changed CHECK (migrate()
   * then bumps schema_version), instead of copying a million rows. The
   * number index keeps no token counts per row (columnsize = 0), one
   * B-tree write a row less: only ranking reads them, and the search does
   * not rank. The time indexes are kept newest first: a sync reads newest
   * first, so each of its rows went in at the front of all three, where
   * SQLite rebalanced the same first pages every few rows (6 % of a sync's
   * instructions); now they append. The queries read them either way.
   * Rebuilding the number index and these takes ~5 s of CPU for a million
   * rows. */
  "PRAGMA writable_schema = ON;"
  "UPDATE sqlite_schema"
  " SET sql = replace(sql, 'CHECK (status IN (''javob berildi'', ''javobsiz'', ''band'', ''xatolik''))',"
  "  'CHECK (status IN (''javob berildi'', ''javobsiz'') OR status IN (''band'', ''xatolik''))')"
  " WHERE type = 'table' AND name = 'calls';"
  "PRAGMA writable_schema = OFF;"
  "DROP INDEX calls_start;"
  "DROP INDEX calls_direction_start;"
  "DROP INDEX calls_status_start;"
  "CREATE INDEX calls_start ON calls (start_time DESC, id DESC);"
  "CREATE INDEX calls_direction_start ON calls (direction, start_time DESC, id DESC);"
  "CREATE INDEX calls_status_start ON calls (status, start_time DESC, id DESC);"
  "DROP TABLE calls_numbers;"
  "CREATE VIRTUAL TABLE calls_numbers USING fts5 ("
  "  from_number, to_number, content = 'calls', content_rowid = 'id', tokenize = 'trigram',"
  "  columnsize = 0);"
  "INSERT INTO calls_numbers (calls_numbers, rank) VALUES ('automerge', 16);"
  "INSERT INTO calls_numbers (calls_numbers, rank) VALUES ('crisismerge', 64);"
  "INSERT INTO calls_numbers (calls_numbers) VALUES ('rebuild');",

  /* v4: the design's Call model, read-only, for reporting tools that open
   * this file: its field names, its words, times as ISO 8601 UTC text. The
   * table keeps integer times and row ids (v2) for speed. id is UUID-shaped
   * and stays with the row: a CDR taking a live row over keeps its row id,
   * while callId changes to the PBX's. */
  "CREATE VIEW call AS SELECT"
  "  '00000000-0000-4000-8000-' || printf ('%012x', id) AS id,"
  "  call_id AS callId,"
  "  direction,"
  "  from_number AS fromNumber,"
  "  to_number AS toNumber,"
  "  extension,"
  "  strftime ('%Y-%m-%dT%H:%M:%SZ', start_time, 'unixepoch') AS startTime,"
  "  strftime ('%Y-%m-%dT%H:%M:%SZ', end_time, 'unixepoch') AS endTime,"
  "  duration,"
  "  status,"
  "  recording_path AS recordingPath,"
  "  strftime ('%Y-%m-%dT%H:%M:%SZ', created_at, 'unixepoch') AS createdAt,"
  "  strftime ('%Y-%m-%dT%H:%M:%SZ', updated_at, 'unixepoch') AS updatedAt"
  " FROM calls;",

  /* v5: who is still to be called back (kc-store-call-back.c). A missed
   * incoming call waits until its number is reached, by an answered call
   * with it in either direction that starts at or after it, or until the
   * operator marks it done. follow_up holds the calls that decide that:
   * missed incoming calls (attempts) and answered calls, each under its
   * other party's number cut to the last nine digits (an Uzbek number with
   * or without +998, a trunk prefix or spaces is one caller; extensions stay
   * as they are), each attempt marked waiting or not (NULL: to be worked
   * out again, at the next reading). It holds them from follow_up_state.since
   * on, the start of the local day this version first opened the history:
   * a first sync brings years of missed calls, which are history rather
   * than work, and mirroring a million rows would cost that sync what v2
   * saved. follow_up is kept from calls, never the other way round, so
   * whatever replaces a row (a CDR taking a live row over, the PBX's record
   * turning a missed call into an answered one) leaves it right: rows that
   * change or go are followed by the triggers; rows calls gains are read in
   * after seen_id before each reading, as a trigger on INSERT would give
   * every INSERT of a sync a statement journal. A new row's id is one above
   * the largest left, which may be one already seen if the last rows were
   * removed, hence seen_id never stays above the largest id left. */
  "CREATE TABLE follow_up_state ("
  "  id INTEGER PRIMARY KEY CHECK (id = 1),"
  "  since INTEGER NOT NULL,"
  "  seen_id INTEGER NOT NULL"
  ");"
  "INSERT INTO follow_up_state (id, since, seen_id)"
  " VALUES (1, unixepoch ('now', 'localtime', 'start of day', 'utc'), 0);"
  "CREATE VIEW follow_up_source AS SELECT"
  "  id AS call,"
  "  substr (replace (replace (replace (replace (replace ("
  "    CASE direction WHEN 'kiruvchi' THEN from_number ELSE to_number END,"
  "    '+', ''), ' ', ''), '-', ''), '(', ''), ')', ''), -9) AS number,"
  "  CASE direction WHEN 'kiruvchi' THEN from_number ELSE to_number END AS shown_number,"
  "  start_time,"
  "  status = 'javob berildi' AS answered,"
  "  extension,"
  "  CASE WHEN status = 'javob berildi' THEN 0 END AS waiting"
  " FROM calls"
  " WHERE start_time >= (SELECT since FROM follow_up_state)"
  "  AND (+status = 'javob berildi' OR (+status = 'javobsiz' AND direction = 'kiruvchi'))"
  "  AND CASE direction WHEN 'kiruvchi' THEN from_number ELSE to_number END GLOB '*[0-9]*';"
  "CREATE TABLE follow_up ("
  "  call INTEGER PRIMARY KEY," /* calls.id */
  "  number TEXT NOT NULL,"
  "  shown_number TEXT NOT NULL,"
  "  start_time INTEGER NOT NULL,"
  "  answered INTEGER NOT NULL,"
  "  extension TEXT,"
  "  waiting INTEGER"
  ");"
  "CREATE INDEX follow_up_number ON follow_up (number, answered, start_time);"
  "CREATE INDEX follow_up_waiting ON follow_up (waiting, start_time);"
  "CREATE TABLE follow_up_done ("
  "  number TEXT PRIMARY KEY,"
  "  done_until INTEGER NOT NULL" /* attempts up to this start are done */
  ") WITHOUT ROWID;"
  "INSERT INTO follow_up SELECT * FROM follow_up_source;"
  "UPDATE follow_up_state SET seen_id = (SELECT coalesce (max (id), 0) FROM calls);"
  "CREATE TRIGGER follow_up_changed"
  " AFTER UPDATE OF direction, from_number, to_number, start_time, status, extension ON calls"
  " BEGIN"
  "  UPDATE follow_up SET waiting = NULL WHERE answered = 0"
  "   AND number = (SELECT number FROM follow_up WHERE call = OLD.id);"
  "  DELETE FROM follow_up WHERE call = OLD.id;"
  "  INSERT INTO follow_up SELECT * FROM follow_up_source WHERE call = NEW.id;"
  "  UPDATE follow_up SET waiting = NULL WHERE answered = 0"
  "   AND number = (SELECT number FROM follow_up WHERE call = NEW.id);"
  " END;"
  "CREATE TRIGGER follow_up_removed AFTER DELETE ON calls"
  " BEGIN"
  "  UPDATE follow_up SET waiting = NULL WHERE answered = 0"
  "   AND number = (SELECT number FROM follow_up WHERE call = OLD.id);"
  "  DELETE FROM follow_up WHERE call = OLD.id;"
  "  UPDATE follow_up_state"
  "   SET seen_id = min (seen_id, (SELECT coalesce (max (id), 0) FROM calls));"
  " END;",
  /* v6, who is calling (kc-store-context.c). The other party's number
   * (the caller of an incoming call, the callee of an outgoing one) with
   * the start, newest first: a caller's calls of the last days are counted
   * and their last call found in the index alone, ~0.2 ms for a number with
   * 2,000 calls in a million rows, where a scan of the days' rows took
   * hundreds; queries must spell the expression exactly so. The names of
   * numbers are kept apart from the calls, which a sync rewrites: the PBX's
   * directory of internal numbers as last read (replaced whole), and per
   * number the name the PBX gave with a call (caller ID) and the CRM's
   * answer with when it was asked (looked up again on another day). */
  "CREATE INDEX calls_party_start ON calls ("
  "  CASE direction WHEN 'kiruvchi' THEN from_number ELSE to_number END, start_time DESC);"
  "CREATE TABLE directory ("
  "  number TEXT PRIMARY KEY,"
  "  name TEXT NOT NULL"
  ") WITHOUT ROWID;"
  "CREATE TABLE caller_names ("
  "  number TEXT PRIMARY KEY,"
  "  pbx_name TEXT,"
  "  crm_name TEXT,"
  "  crm_url TEXT,"
  "  crm_checked_at INTEGER"
  ") WITHOUT ROWID;",
};

gboolean
kc_store_migrate (KcStore  *self,
                  GError  **error)
{
  const gint64 latest = G_N_ELEMENTS (migrations);
  g_autofree char *set_version = NULL;
  gint64 version;
  gint64 schema_version = 0;

  if (!kc_store_query_int (self, "PRAGMA user_version", &version, error))
    return FALSE;
  if (version == latest)
    return TRUE;

  if (!kc_store_begin (self, error))
    return FALSE;
  /* Another instance may have migrated while we waited for the lock. */
  if (!kc_store_query_int (self, "PRAGMA user_version", &version, error))
    goto fail;
  if (version > latest)
    {
      g_set_error (error, KC_STORE_ERROR, KC_STORE_ERROR_FAILED,
                   "%s was written by a newer version of Kerio CTI (schema %" G_GINT64_FORMAT
                   ", this version knows %" G_GINT64_FORMAT ")",
                   kc_store_get_path (self), version, latest);
      goto fail;
    }

  for (gint64 v = version; v < latest; v++)
    if (!kc_store_exec_sql (self, migrations[v], error))
      goto fail;
  /* v3 edits sqlite_schema itself: a new schema_version makes every
   * connection, this one too, read the schema again. */
  if (!kc_store_query_int (self, "PRAGMA schema_version", &schema_version, error))
    goto fail;

  /* PRAGMAs take no bound parameters; these are our own constants. */
  set_version = g_strdup_printf ("PRAGMA application_id = %d;"
                                 "PRAGMA user_version = %" G_GINT64_FORMAT ";"
                                 "PRAGMA schema_version = %" G_GINT64_FORMAT,
                                 KC_STORE_APPLICATION_ID, latest, schema_version + 1);
  if (!kc_store_exec_sql (self, set_version, error) || !kc_store_commit (self, error))
    goto fail;
  return TRUE;

fail:
  kc_store_rollback (self);
  return FALSE;
}
