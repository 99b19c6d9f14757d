/* kc-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-store"

#include <errno.h>
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <sqlite3.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "kerio/kc-kerio-types.h"
#include "kc-store.h"
#include "kc-store-private.h"

/* A recording belongs to a call whose span contains its start, give or take
 * the PBX's clock granularity. */
#define RECORDING_SLACK 3

#define BUSY_TIMEOUT_MS 5000

#define CALL_COLUMNS                                                                   \
  "id, call_id, direction, from_number, to_number, extension, start_time, end_time, " \
  "duration, answered_duration, status, kerio_status, voicemail, recording_id, "      \
  "recording_path, source, created_at, updated_at"

/* The record fields a CDR carries, bound as ?1..?12 by bind_record_fields() */
#define RECORD_CHANGED                                                                    \
  "(call_id IS NOT ?1 OR direction IS NOT ?2 OR from_number IS NOT ?3 "                  \
  "OR to_number IS NOT ?4 OR extension IS NOT ?5 OR start_time IS NOT ?6 "                \
  "OR end_time IS NOT ?7 OR duration IS NOT ?8 OR answered_duration IS NOT ?9 "           \
  "OR status IS NOT ?10 OR kerio_status IS NOT ?11 OR voicemail IS NOT ?12 "              \
  "OR source IS NOT 'cdr')"

/* The span GDateTime can write as ISO 8601 (years 1 to 9999); a date bound
 * beyond it is as good as open. */
#define HISTORY_TIME_MIN G_GINT64_CONSTANT (-62135596800)
#define HISTORY_TIME_MAX G_GINT64_CONSTANT (253402300799)


/* The trigram index finds substrings of at least this many characters;
 * shorter ones are a scan (and match most rows anyway). */
#define TRIGRAM 3

/* A bigger page cache than SQLite's 2 MB: a sync of a million rows touches
 * the leaves of every index, which then stay in memory instead of being read
 * back from the file for each row. Filled only as pages are used. */
#define CACHE_KIB 16384

/* WAL frames (pages) after which the log is copied into the database file;
 * SQLite's own automatic checkpoint comes at the same size. */
#define CHECKPOINT_FRAMES 1000

typedef enum
{
  STMT_BEGIN,
  STMT_COMMIT,
  STMT_ROLLBACK,
  STMT_FIND_BY_CALL_ID,
  STMT_FIND_LIVE_MATCH,
  STMT_FIND_CDR_MATCH,
  STMT_UPDATE_FROM_CDR,
  STMT_INSERT,
  STMT_INSERT_NEW,
  STMT_ANY_LIVE,
  STMT_LOOKUP,
  STMT_LATEST_CDR,
  STMT_COUNT,
  STMT_LONGEST_CALL,
  STMT_RECORDING_MATCH,
  STMT_SET_RECORDING,
  STMT_SET_RECORDING_PATH,
  STMT_BY_ROWID,
  STMT_GET_COMPLETE,
  STMT_SET_COMPLETE,
  STMT_NUMBERS_INSERT,
  STMT_NUMBERS_DELETE,
  STMT_LAST_ID,
  STMT_NUMBERS_INSERT_SINCE,
  STMT_FIND_LIVE_ROW,
  STMT_UPDATE_LIVE,
  STMT_DELETE_ROW,
  N_STMTS
} StmtId;

/* ?1 from, ?2 to, ?3..?4 the start's slack window, ?5 the start: the row of
 * the same call seen the other way (live vs CDR), the closest start first.
 * The source is a literal so that the live one reads the partial index. */
#define FIND_MATCH(source)                                                      \
  "SELECT id FROM calls"                                                        \
  " WHERE source = '" source "' AND start_time BETWEEN ?3 AND ?4"               \
  " AND from_number = ?1 AND to_number = ?2"                                    \
  " ORDER BY abs(start_time - ?5), id LIMIT 1"

#define INSERT_CALL                                                             \
  "INSERT INTO calls (" CALL_COLUMNS ")"                                        \
  " VALUES (NULL, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"           \
  " ?16, ?17, ?15, ?13, ?13)"

static const char *const stmt_sql[N_STMTS] = {
  [STMT_BEGIN] = "BEGIN IMMEDIATE",
  [STMT_COMMIT] = "COMMIT",
  [STMT_ROLLBACK] = "ROLLBACK",
  [STMT_FIND_BY_CALL_ID] = "SELECT id, from_number, to_number FROM calls WHERE call_id = ?1",
  [STMT_FIND_LIVE_MATCH] = FIND_MATCH ("live"),
  [STMT_FIND_CDR_MATCH] = FIND_MATCH ("cdr"),
  [STMT_UPDATE_FROM_CDR] = "UPDATE calls SET call_id = ?1, direction = ?2, from_number = ?3,"
                           " to_number = ?4, extension = ?5, start_time = ?6, end_time = ?7,"
                           " duration = ?8, answered_duration = ?9, status = ?10,"
                           " kerio_status = ?11, voicemail = ?12, source = 'cdr',"
                           " updated_at = ?13"
                           " WHERE id = ?14 AND " RECORD_CHANGED,
  [STMT_INSERT] = INSERT_CALL,
  /* A new call_id is inserted; a known one is left for the caller */
  [STMT_INSERT_NEW] = INSERT_CALL " ON CONFLICT (call_id) DO NOTHING",
  [STMT_ANY_LIVE] = "SELECT 1 FROM calls"
                    " WHERE source = 'live' AND start_time BETWEEN ?1 AND ?2 LIMIT 1",
  [STMT_LOOKUP] = "SELECT " CALL_COLUMNS " FROM calls WHERE call_id = ?1",
  /* Live rows are only the last few calls: few steps down the time index */
  [STMT_LATEST_CDR] = "SELECT start_time FROM calls WHERE source = 'cdr'"
                      " ORDER BY start_time DESC LIMIT 1",
  [STMT_COUNT] = "SELECT count(*) FROM calls",
  [STMT_LONGEST_CALL] = "SELECT max(coalesce(end_time, start_time + duration) - start_time)"
                       " FROM calls WHERE start_time BETWEEN ?1 AND ?2",
  /* ?1 extension, ?2 caller id, ?3 STARTED + slack, ?4 STARTED - slack,
   * ?5 STARTED, ?6 the longest call that may hold it (STMT_LONGEST_CALL):
   * the calls that started before it in that span, through the time index */
  [STMT_RECORDING_MATCH] = "SELECT id, start_time FROM calls"
                           " WHERE start_time BETWEEN ?4 - ?6 AND ?3"
                           " AND ((from_number = ?1 AND to_number = ?2)"
                           " OR (from_number = ?2 AND to_number = ?1))"
                           " AND coalesce(end_time, start_time + duration) >= ?4"
                           " ORDER BY abs(start_time - ?5), id LIMIT 1",
  [STMT_SET_RECORDING] = "UPDATE calls SET recording_id = ?1, updated_at = ?2"
                         " WHERE id = ?3 AND recording_id IS NOT ?1",
  [STMT_SET_RECORDING_PATH] = "UPDATE calls SET recording_path = ?1, updated_at = ?2"
                              " WHERE call_id = ?3 AND recording_path IS NOT ?1",
  [STMT_BY_ROWID] = "SELECT " CALL_COLUMNS " FROM calls WHERE id = ?1",
  [STMT_GET_COMPLETE] = "SELECT complete_until FROM sync_state WHERE id = 1",
  [STMT_SET_COMPLETE] = "INSERT INTO sync_state (id, complete_until) VALUES (1, ?1)"
                        " ON CONFLICT (id) DO UPDATE"
                        " SET complete_until = max(complete_until, excluded.complete_until)",
  [STMT_NUMBERS_INSERT] = "INSERT INTO calls_numbers (rowid, from_number, to_number)"
                          " VALUES (?1, ?2, ?3)",
  [STMT_NUMBERS_DELETE] = "INSERT INTO calls_numbers (calls_numbers, rowid, from_number, to_number)"
                          " VALUES ('delete', ?1, ?2, ?3)",
  /* The rightmost row of the table's B-tree */
  [STMT_LAST_ID] = "SELECT max(id) FROM calls",
  /* New rows take the ids after the last one: the rows a batch added, in
   * one statement rather than one each */
  [STMT_NUMBERS_INSERT_SINCE] = "INSERT INTO calls_numbers (rowid, from_number, to_number)"
                                " SELECT id, from_number, to_number FROM calls WHERE id > ?1",
  [STMT_FIND_LIVE_ROW] = "SELECT id, from_number, to_number FROM calls"
                         " WHERE call_id = ?1 AND source = 'live'",
  [STMT_UPDATE_LIVE] = "UPDATE calls SET direction = ?2, from_number = ?3,"
                       " to_number = ?4, extension = ?5, start_time = ?6, end_time = ?7,"
                       " duration = ?8, answered_duration = ?9, status = ?10,"
                       " kerio_status = ?11, voicemail = ?12, updated_at = ?13"
                       " WHERE id = ?14",
  [STMT_DELETE_ROW] = "DELETE FROM calls WHERE id = ?1",
};

/* Column order of CALL_COLUMNS */
enum
{
  COL_ID,
  COL_CALL_ID,
  COL_DIRECTION,
  COL_FROM,
  COL_TO,
  COL_EXTENSION,
  COL_START,
  COL_END,
  COL_DURATION,
  COL_ANSWERED,
  COL_STATUS,
  COL_KERIO_STATUS,
  COL_VOICEMAIL,
  COL_RECORDING_ID,
  COL_RECORDING_PATH,
  COL_SOURCE,
  COL_CREATED,
  COL_UPDATED,
};

struct _KcStore
{
  GObject       parent_instance;

  char         *path;
  sqlite3      *db;
  sqlite3_stmt *stmts[N_STMTS];
  GHashTable   *history_stmts; /* SQL text -> sqlite3_stmt, one per filter shape */

  guint64       n_added;
  guint64       n_edited;

  /* Checkpoints run on a thread with a connection of its own. SQLite's
   * automatic one runs inside the COMMIT that fills the log: a copy of
   * 4 MB and two fsyncs that held the main loop for 100-300 ms every few
   * pages of a big sync. */
  GThreadPool  *checkpointer;
  sqlite3      *checkpoint_db; /* the checkpointer's thread only */
  gint          checkpoint_queued; /* atomic */
};

G_DEFINE_FINAL_TYPE (KcStore, kc_store, G_TYPE_OBJECT)

enum
{
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_QUARK (kc-store-error-quark, kc_store_error)

/* A cached statement: leaving scope resets it, which ends its read of the
 * database, instead of finalizing it. */
typedef sqlite3_stmt KcCachedStmt;

static void
cached_stmt_release (KcCachedStmt *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KcCachedStmt, cached_stmt_release)

static gboolean
is_out_of_space (int saved_errno)
{
  return saved_errno == ENOSPC || saved_errno == EDQUOT || saved_errno == EFBIG;
}

/* The errno of a write that failed. sqlite3_system_errno() has it only when
 * nothing touched errno in between; SQLite also keeps it with the file that
 * failed, the database or its WAL. */
static int
failed_write_errno (sqlite3 *db)
{
  sqlite3_file *journal = NULL;
  int saved_errno = sqlite3_system_errno (db);

  if (is_out_of_space (saved_errno))
    return saved_errno;
  saved_errno = 0;
  if (sqlite3_file_control (db, "main", SQLITE_FCNTL_LAST_ERRNO, &saved_errno) == SQLITE_OK &&
      is_out_of_space (saved_errno))
    return saved_errno;
  saved_errno = 0;
  if (sqlite3_file_control (db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &journal) == SQLITE_OK &&
      journal != NULL && journal->pMethods != NULL)
    journal->pMethods->xFileControl (journal, SQLITE_FCNTL_LAST_ERRNO, &saved_errno);
  return saved_errno;
}

static KcStoreError
error_code_from_sqlite (int rc,
                        int system_errno)
{
  switch (rc & 0xff)
    {
    case SQLITE_FULL:
      return KC_STORE_ERROR_FULL;
    /* SQLite says SQLITE_FULL only for a short write; a write refused
     * outright for want of space (or past a file size limit) is an I/O
     * error to it, but the same full disk to the operator. */
    case SQLITE_IOERR:
      if (is_out_of_space (system_errno))
        return KC_STORE_ERROR_FULL;
      return KC_STORE_ERROR_FAILED;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return KC_STORE_ERROR_BUSY;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return KC_STORE_ERROR_CORRUPT;
    default:
      return KC_STORE_ERROR_FAILED;
    }
}

static void
set_sqlite_error (KcStore    *self,
                  int         rc,
                  GError    **error,
                  const char *what)
{
  int system_errno = self->db && (rc & 0xff) == SQLITE_IOERR ? failed_write_errno (self->db) : 0;
  const char *message = self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc);
  KcStoreError code = error_code_from_sqlite (rc, system_errno);

  if (code == KC_STORE_ERROR_FULL)
    g_set_error (error, KC_STORE_ERROR, code, "Call history %s (%s): the disk is full (%s)", what,
                 self->path, system_errno != 0 ? g_strerror (system_errno) : message);
  else
    g_set_error (error, KC_STORE_ERROR, code, "Call history %s (%s): %s", what, self->path,
                 message);
}

static gint64
now_unix (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static KcCachedStmt *
get_stmt (KcStore  *self,
          StmtId    id,
          GError  **error)
{
  if (self->stmts[id] == NULL)
    {
      int rc = sqlite3_prepare_v3 (self->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                                   &self->stmts[id], NULL);

      if (rc != SQLITE_OK)
        {
          set_sqlite_error (self, rc, error, "query failed");
          return NULL;
        }
    }
  return self->stmts[id];
}

/* *row: whether a row came back (FALSE when the statement is done) */
static gboolean
step (KcStore       *self,
      sqlite3_stmt  *stmt,
      gboolean      *row,
      GError       **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW || rc == SQLITE_DONE)
    {
      if (row)
        *row = rc == SQLITE_ROW;
      return TRUE;
    }
  set_sqlite_error (self, rc, error, "query failed");
  return FALSE;
}

static gboolean
run_stmt (KcStore  *self,
          StmtId    id,
          GError  **error)
{
  g_autoptr (KcCachedStmt) stmt = get_stmt (self, id, error);

  return stmt != NULL && step (self, stmt, NULL, error);
}

static void
rollback (KcStore *self)
{
  g_autoptr (GError) error = NULL;

  if (sqlite3_get_autocommit (self->db))
    return;
  if (!run_stmt (self, STMT_ROLLBACK, &error))
    g_warning ("%s", error->message);
}

static void
bind_text (sqlite3_stmt *stmt,
           int           index,
           const char   *text)
{
  sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
}

/* For text that outlives the statement's run: a KcCachedStmt is reset and
 * its bindings cleared when it leaves the scope that bound them, so SQLite
 * may keep the pointer instead of a copy (a sync binds five strings a row). */
static void
bind_text_static (sqlite3_stmt *stmt,
                  int           index,
                  const char   *text)
{
  sqlite3_bind_text (stmt, index, text, -1, SQLITE_STATIC);
}

static void
bind_time (sqlite3_stmt *stmt,
           int           index,
           gint64        unix_seconds)
{
  sqlite3_bind_int64 (stmt, index, unix_seconds);
}

static char *
column_strdup (sqlite3_stmt *stmt,
               int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

static gint64
column_time (sqlite3_stmt *stmt,
             int           column,
             gint64        fallback)
{
  if (sqlite3_column_type (stmt, column) != SQLITE_INTEGER)
    return fallback;
  return sqlite3_column_int64 (stmt, column);
}

/* KcRecord.id is the row id as fixed-width hex, so that comparing two ids
 * as strings orders them as the history does. */
static char *
row_id_to_string (gint64 row_id)
{
  return g_strdup_printf ("%016" G_GINT64_MODIFIER "x", row_id);
}

static gint64
row_id_from_string (const char *text)
{
  return g_ascii_strtoll (text, NULL, 16);
}

/* ?1..?12 as RECORD_CHANGED names them */
static void
bind_record_fields (sqlite3_stmt   *stmt,
                    const KcRecord *record)
{
  bind_text_static (stmt, 1, record->call_id);
  bind_text_static (stmt, 2, kc_direction_to_string (record->direction));
  bind_text_static (stmt, 3, record->from_number);
  bind_text_static (stmt, 4, record->to_number);
  bind_text_static (stmt, 5, record->extension);
  bind_time (stmt, 6, record->start_time);
  if (record->end_time >= record->start_time)
    bind_time (stmt, 7, record->end_time);
  sqlite3_bind_int64 (stmt, 8, MAX (record->duration, 0));
  sqlite3_bind_int64 (stmt, 9, MAX (record->answered, 0));
  bind_text_static (stmt, 10, kc_call_status_to_string (record->status));
  if (record->kerio_status != 0)
    sqlite3_bind_int (stmt, 11, record->kerio_status);
  sqlite3_bind_int (stmt, 12, record->voicemail ? 1 : 0);
}

static KcRecord *
record_from_row (sqlite3_stmt *stmt)
{
  KcRecord *record = kc_record_new ();
  const char *direction = (const char *) sqlite3_column_text (stmt, COL_DIRECTION);
  const char *status = (const char *) sqlite3_column_text (stmt, COL_STATUS);

  record->id = row_id_to_string (sqlite3_column_int64 (stmt, COL_ID));
  record->call_id = column_strdup (stmt, COL_CALL_ID);
  kc_direction_from_string (direction, &record->direction);
  record->from_number = column_strdup (stmt, COL_FROM);
  record->to_number = column_strdup (stmt, COL_TO);
  record->extension = column_strdup (stmt, COL_EXTENSION);
  record->start_time = column_time (stmt, COL_START, 0);
  record->duration = sqlite3_column_int64 (stmt, COL_DURATION);
  record->end_time = column_time (stmt, COL_END, record->start_time + record->duration);
  record->answered = sqlite3_column_int64 (stmt, COL_ANSWERED);
  kc_call_status_from_string (status, &record->status);
  record->kerio_status = sqlite3_column_int (stmt, COL_KERIO_STATUS);
  record->voicemail = sqlite3_column_int (stmt, COL_VOICEMAIL) != 0;
  record->recording_id = column_strdup (stmt, COL_RECORDING_ID);
  record->recording_path = column_strdup (stmt, COL_RECORDING_PATH);
  record->from_cdr = g_strcmp0 ((const char *) sqlite3_column_text (stmt, COL_SOURCE), "cdr") == 0;
  record->created_at = column_time (stmt, COL_CREATED, 0);
  record->updated_at = column_time (stmt, COL_UPDATED, 0);
  return record;
}

/* *row_id: the row with that call_id, or 0 when there is none (row ids
 * start at 1); from, to (may be NULL): its numbers */
static gboolean
find_by_call_id (KcStore     *self,
                 const char  *call_id,
                 gint64      *row_id,
                 char       **from,
                 char       **to,
                 GError     **error)
{
  g_autoptr (KcCachedStmt) stmt = get_stmt (self, STMT_FIND_BY_CALL_ID, error);
  gboolean row;

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, call_id);
  if (!step (self, stmt, &row, error))
    return FALSE;
  *row_id = row ? sqlite3_column_int64 (stmt, 0) : 0;
  if (row && from)
    *from = column_strdup (stmt, 1);
  if (row && to)
    *to = column_strdup (stmt, 2);
  return TRUE;
}

/* The trigram index's entry for a row: STMT_NUMBERS_INSERT, or
 * STMT_NUMBERS_DELETE with the numbers it was inserted with */
static gboolean
index_numbers (KcStore     *self,
               StmtId       which,
               gint64       row_id,
               const char  *from_number,
               const char  *to_number,
               GError     **error)
{
  g_autoptr (KcCachedStmt) stmt = get_stmt (self, which, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, row_id);
  bind_text_static (stmt, 2, from_number);
  bind_text_static (stmt, 3, to_number);
  return step (self, stmt, NULL, error);
}

/* *row_id: the row of the same call seen the other way (a live row for a
 * CDR, STMT_FIND_LIVE_MATCH, or the reverse), or 0 */
static gboolean
find_match (KcStore         *self,
            const KcRecord  *record,
            StmtId           which,
            gint64          *row_id,
            GError         **error)
{
  g_autoptr (KcCachedStmt) stmt = get_stmt (self, which, error);
  gboolean row;

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, record->from_number);
  bind_text (stmt, 2, record->to_number);
  bind_time (stmt, 3, record->start_time - KC_STORE_LIVE_MATCH_SLACK);
  bind_time (stmt, 4, record->start_time + KC_STORE_LIVE_MATCH_SLACK);
  bind_time (stmt, 5, record->start_time);
  if (!step (self, stmt, &row, error))
    return FALSE;
  *row_id = row ? sqlite3_column_int64 (stmt, 0) : 0;
  return TRUE;
}

/* which: STMT_INSERT, or STMT_INSERT_NEW, which leaves a known call_id
 * alone (*inserted FALSE); index: whether to add the row to the number
 * index now (else the caller does, index_new_rows()) */
static gboolean
insert_record (KcStore         *self,
               StmtId           which,
               const KcRecord  *record,
               const char      *source,
               gint64           now,
               gboolean         index,
               gboolean        *inserted,
               GError         **error)
{
  g_autoptr (KcCachedStmt) stmt = get_stmt (self, which, error);

  *inserted = FALSE;
  if (stmt == NULL)
    return FALSE;
  bind_record_fields (stmt, record);
  bind_time (stmt, 13, now);
  bind_text_static (stmt, 15, source);
  bind_text_static (stmt, 16, record->recording_id);
  bind_text_static (stmt, 17, record->recording_path);
  if (!step (self, stmt, NULL, error))
    return FALSE;
  *inserted = sqlite3_changes (self->db) > 0;
  if (!*inserted || !index)
    return TRUE;
  return index_numbers (self, STMT_NUMBERS_INSERT, sqlite3_last_insert_rowid (self->db),
                        record->from_number, record->to_number, error);
}

/* any_live: whether a live row may match (else the search is skipped);
 * last_id: the last row before the batch: the rows after it go into the
 * number index at the end of the batch, index_new_rows() */
static gboolean
upsert_one (KcStore         *self,
            const KcRecord  *record,
            gint64           now,
            gboolean         any_live,
            gint64           last_id,
            gboolean        *changed,
            gboolean        *added,
            GError         **error)
{
  g_autoptr (KcCachedStmt) update = NULL;
  g_autofree char *old_from = NULL;
  g_autofree char *old_to = NULL;
  gint64 row_id;

  *changed = *added = FALSE;
  /* Most CDRs of a sync are new: the insert itself looks the call_id up. */
  if (!any_live)
    {
      if (!insert_record (self, STMT_INSERT_NEW, record, "cdr", now, FALSE, added, error))
        return FALSE;
      if (*added)
        {
          *changed = TRUE;
          return TRUE;
        }
    }

  if (!find_by_call_id (self, record->call_id, &row_id, &old_from, &old_to, error))
    return FALSE;
  /* A live row of this call was already on screen; it becomes the CDR row. */
  if (row_id == 0 && any_live &&
      !find_match (self, record, STMT_FIND_LIVE_MATCH, &row_id, error))
    return FALSE;

  if (row_id == 0)
    {
      if (!insert_record (self, STMT_INSERT, record, "cdr", now, FALSE, added, error))
        return FALSE;
      *changed = TRUE;
      return TRUE;
    }

  update = get_stmt (self, STMT_UPDATE_FROM_CDR, error);
  if (update == NULL)
    return FALSE;
  bind_record_fields (update, record);
  bind_time (update, 13, now);
  sqlite3_bind_int64 (update, 14, row_id);
  if (!step (self, update, NULL, error))
    return FALSE;
  *changed = sqlite3_changes (self->db) > 0;

  /* A live row taken over has the CDR's numbers already (that is how it
   * matched); the PBX may have corrected a CDR's. A row of this batch is
   * not in the index yet. */
  if (*changed && old_from != NULL && row_id <= last_id &&
      (g_strcmp0 (old_from, record->from_number) != 0 ||
       g_strcmp0 (old_to, record->to_number) != 0))
    return index_numbers (self, STMT_NUMBERS_DELETE, row_id, old_from, old_to, error) &&
           index_numbers (self, STMT_NUMBERS_INSERT, row_id, record->from_number,
                          record->to_number, error);
  return TRUE;
}

/* *any_live: whether a live row started within the slack of RECORDS' span.
 * Live rows are the last few calls, so for most pages of a sync there is
 * none, and no record needs to look for its own. */
static gboolean
any_live_between (KcStore     *self,
                  GPtrArray   *records,
                  gboolean    *any_live,
                  GError     **error)
{
  g_autoptr (KcCachedStmt) stmt = NULL;
  gint64 first = G_MAXINT64, last = G_MININT64;

  *any_live = FALSE;
  for (guint i = 0; i < records->len; i++)
    {
      const KcRecord *record = g_ptr_array_index (records, i);

      first = MIN (first, record->start_time);
      last = MAX (last, record->start_time);
    }
  if (first > last)
    return TRUE;

  stmt = get_stmt (self, STMT_ANY_LIVE, error);
  if (stmt == NULL)
    return FALSE;
  bind_time (stmt, 1, first - KC_STORE_LIVE_MATCH_SLACK);
  bind_time (stmt, 2, last + KC_STORE_LIVE_MATCH_SLACK);
  return step (self, stmt, any_live, error);
}

/* *last_id: the table's last row id, 0 when it is empty */
static gboolean
get_last_id (KcStore  *self,
             gint64   *last_id,
             GError  **error)
{
  g_autoptr (KcCachedStmt) stmt = get_stmt (self, STMT_LAST_ID, error);
  gboolean row;

  if (stmt == NULL || !step (self, stmt, &row, error))
    return FALSE;
  *last_id = row ? sqlite3_column_int64 (stmt, 0) : 0;
  return TRUE;
}

/* The number index's entries of the rows after LAST_ID, with the numbers
 * they have now: one statement for a page of a sync instead of one per row
 * (2 % of the store's instructions). */
static gboolean
index_new_rows (KcStore  *self,
                gint64    last_id,
                GError  **error)
{
  g_autoptr (KcCachedStmt) stmt = get_stmt (self, STMT_NUMBERS_INSERT_SINCE, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, last_id);
  return step (self, stmt, NULL, error);
}

gboolean
kc_store_upsert_records (KcStore    *self,
                         GPtrArray  *records,
                         guint      *n_new,
                         GError    **error)
{
  gint64 now = now_unix ();
  gboolean any_changed = FALSE;
  gboolean any_live;
  gint64 last_id;
  guint added_count = 0;
  guint edited_count = 0;

  g_return_val_if_fail (KC_IS_STORE (self), FALSE);
  g_return_val_if_fail (records != NULL, FALSE);

  if (!run_stmt (self, STMT_BEGIN, error))
    return FALSE;

  if (!any_live_between (self, records, &any_live, error) ||
      !get_last_id (self, &last_id, error))
    goto fail;
  for (guint i = 0; i < records->len; i++)
    {
      gboolean changed, added;

      if (!upsert_one (self, g_ptr_array_index (records, i), now, any_live, last_id, &changed,
                       &added, error))
        goto fail;
      any_changed |= changed;
      added_count += added ? 1 : 0;
      edited_count += changed && !added ? 1 : 0;
    }
  if (added_count > 0 && !index_new_rows (self, last_id, error))
    goto fail;

  if (!run_stmt (self, STMT_COMMIT, error))
    goto fail;

  self->n_added += added_count;
  self->n_edited += edited_count;
  if (n_new)
    *n_new = added_count;
  if (any_changed)
    g_signal_emit (self, signals[CHANGED], 0);
  return TRUE;

fail:
  rollback (self);
  return FALSE;
}

/* *row_id: the live row with that call_id, 0 when there is none (its CDR
 * may have taken it over already) */
static gboolean
find_live_row (KcStore     *self,
               const char  *call_id,
               gint64      *row_id,
               char       **from_number,
               char       **to_number,
               GError     **error)
{
  g_autoptr (KcCachedStmt) stmt = get_stmt (self, STMT_FIND_LIVE_ROW, error);
  gboolean row;

  *row_id = 0;
  if (stmt == NULL)
    return FALSE;
  bind_text_static (stmt, 1, call_id);
  if (!step (self, stmt, &row, error))
    return FALSE;
  if (row)
    {
      *row_id = sqlite3_column_int64 (stmt, 0);
      *from_number = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      *to_number = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
    }
  return TRUE;
}

gboolean
kc_store_correct_live_record (KcStore         *self,
                              const char      *call_id,
                              const KcRecord  *record,
                              GError         **error)
{
  g_autofree char *old_from = NULL;
  g_autofree char *old_to = NULL;
  gint64 row_id;
  gboolean changed = FALSE;

  g_return_val_if_fail (KC_IS_STORE (self), FALSE);
  g_return_val_if_fail (call_id != NULL, FALSE);

  if (!run_stmt (self, STMT_BEGIN, error))
    return FALSE;
  if (!find_live_row (self, call_id, &row_id, &old_from, &old_to, error))
    goto fail;

  if (row_id != 0 && record == NULL)
    {
      g_autoptr (KcCachedStmt) stmt = get_stmt (self, STMT_DELETE_ROW, error);

      if (stmt == NULL)
        goto fail;
      sqlite3_bind_int64 (stmt, 1, row_id);
      if (!step (self, stmt, NULL, error) ||
          !index_numbers (self, STMT_NUMBERS_DELETE, row_id, old_from, old_to, error))
        goto fail;
      changed = TRUE;
    }
  else if (row_id != 0)
    {
      g_autoptr (KcCachedStmt) stmt = get_stmt (self, STMT_UPDATE_LIVE, error);

      if (stmt == NULL)
        goto fail;
      bind_record_fields (stmt, record);
      bind_time (stmt, 13, now_unix ());
      sqlite3_bind_int64 (stmt, 14, row_id);
      if (!step (self, stmt, NULL, error))
        goto fail;
      if (g_strcmp0 (old_from, record->from_number) != 0 ||
          g_strcmp0 (old_to, record->to_number) != 0)
        {
          if (!index_numbers (self, STMT_NUMBERS_DELETE, row_id, old_from, old_to, error) ||
              !index_numbers (self, STMT_NUMBERS_INSERT, row_id, record->from_number,
                              record->to_number, error))
            goto fail;
        }
      changed = TRUE;
    }

  if (!run_stmt (self, STMT_COMMIT, error))
    goto fail;
  if (changed)
    {
      self->n_edited++;
      g_signal_emit (self, signals[CHANGED], 0);
    }
  return TRUE;

fail:
  rollback (self);
  return FALSE;
}

gboolean
kc_store_add_live_record (KcStore   *self,
                          KcRecord  *record,
                          GError   **error)
{
  gint64 now = now_unix ();
  gboolean inserted = FALSE;
  gint64 row_id;

  g_return_val_if_fail (KC_IS_STORE (self), FALSE);
  g_return_val_if_fail (record != NULL, FALSE);

  if (!run_stmt (self, STMT_BEGIN, error))
    return FALSE;

  if (!find_by_call_id (self, record->call_id, &row_id, NULL, NULL, error))
    goto fail;
  /* Its CDR got here first: that row already tells the whole story. */
  if (row_id == 0 && !find_match (self, record, STMT_FIND_CDR_MATCH, &row_id, error))
    goto fail;
  if (row_id == 0)
    {
      if (!insert_record (self, STMT_INSERT, record, "live", now, TRUE, &inserted, error))
        goto fail;
    }

  if (!run_stmt (self, STMT_COMMIT, error))
    goto fail;

  if (inserted)
    {
      self->n_added++;
      g_signal_emit (self, signals[CHANGED], 0);
    }
  return TRUE;

fail:
  rollback (self);
  return FALSE;
}

typedef struct
{
  gint64             row_id;
  const KcRecording *recording;
  gint64             distance;
} LinkCandidate;

/* Finds the call `recording` belongs to and keeps it in `best` (row id ->
 * LinkCandidate) unless another recording started closer to that call's
 * start: several recordings matching one call then settle on the same one at
 * every sync instead of taking turns. */
static gboolean
collect_link (KcStore            *self,
              const KcRecording  *recording,
              gint64              longest,
              GHashTable         *best,
              GError            **error)
{
  g_autoptr (KcCachedStmt) stmt = NULL;
  gint64 row_id;
  LinkCandidate *candidate;
  gint64 distance;
  gboolean row;

  if (recording->id == NULL || recording->extension == NULL || recording->caller_id == NULL ||
      recording->started < 0)
    return TRUE;

  stmt = get_stmt (self, STMT_RECORDING_MATCH, error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, recording->extension);
  bind_text (stmt, 2, recording->caller_id);
  bind_time (stmt, 3, recording->started + RECORDING_SLACK);
  sqlite3_bind_int64 (stmt, 4, recording->started - RECORDING_SLACK);
  sqlite3_bind_int64 (stmt, 5, recording->started);
  sqlite3_bind_int64 (stmt, 6, longest);
  if (!step (self, stmt, &row, error))
    return FALSE;
  if (!row)
    return TRUE;

  row_id = sqlite3_column_int64 (stmt, 0);
  distance = ABS (sqlite3_column_int64 (stmt, 1) - recording->started);
  candidate = g_hash_table_lookup (best, &row_id);
  if (candidate == NULL)
    {
      candidate = g_new0 (LinkCandidate, 1);
      candidate->row_id = row_id;
      g_hash_table_insert (best, &candidate->row_id, candidate);
    }
  else if (distance > candidate->distance ||
           (distance == candidate->distance &&
            strcmp (recording->id, candidate->recording->id) >= 0))
    {
      return TRUE;
    }
  candidate->recording = recording;
  candidate->distance = distance;
  return TRUE;
}

/* *longest: the longest call (seconds) among those that started up to a
 * day before the first of RECORDINGS and until the last one started: the
 * span back from a recording's start in which its call can have started.
 * A call over a day long is beyond any call centre's. */
static gboolean
longest_call (KcStore     *self,
              GPtrArray   *recordings,
              gint64      *longest,
              GError     **error)
{
  g_autoptr (KcCachedStmt) stmt = NULL;
  gint64 first = G_MAXINT64, last = G_MININT64;
  gboolean row;

  for (guint i = 0; i < recordings->len; i++)
    {
      const KcRecording *recording = g_ptr_array_index (recordings, i);

      /* collect_link() skips these */
      if (recording->started < 0)
        continue;
      first = MIN (first, recording->started);
      last = MAX (last, recording->started);
    }
  *longest = 0;
  if (first > last)
    return TRUE;

  stmt = get_stmt (self, STMT_LONGEST_CALL, error);
  if (stmt == NULL)
    return FALSE;
  bind_time (stmt, 1, first - 24 * 3600);
  bind_time (stmt, 2, last + RECORDING_SLACK);
  if (!step (self, stmt, &row, error))
    return FALSE;
  *longest = row ? MAX (sqlite3_column_int64 (stmt, 0), 0) : 0;
  return TRUE;
}

static gboolean
set_recording (KcStore     *self,
               gint64       row_id,
               const char  *recording_id,
               gint64       now,
               gboolean    *changed,
               GError     **error)
{
  g_autoptr (KcCachedStmt) stmt = get_stmt (self, STMT_SET_RECORDING, error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, recording_id);
  bind_time (stmt, 2, now);
  sqlite3_bind_int64 (stmt, 3, row_id);
  if (!step (self, stmt, NULL, error))
    return FALSE;
  *changed = sqlite3_changes (self->db) > 0;
  return TRUE;
}

gboolean
kc_store_link_recordings (KcStore    *self,
                          GPtrArray  *recordings,
                          guint      *n_linked,
                          GError    **error)
{
  g_autoptr (GHashTable) best = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, g_free);
  gint64 now = now_unix ();
  GHashTableIter iter;
  gpointer value;
  gint64 longest;
  guint linked = 0;

  g_return_val_if_fail (KC_IS_STORE (self), FALSE);
  g_return_val_if_fail (recordings != NULL, FALSE);

  if (!run_stmt (self, STMT_BEGIN, error))
    return FALSE;

  if (!longest_call (self, recordings, &longest, error))
    goto fail;
  for (guint i = 0; i < recordings->len; i++)
    if (!collect_link (self, g_ptr_array_index (recordings, i), longest, best, error))
      goto fail;

  g_hash_table_iter_init (&iter, best);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      LinkCandidate *candidate = value;
      gboolean changed;

      if (!set_recording (self, candidate->row_id, candidate->recording->id, now, &changed,
                          error))
        goto fail;
      linked += changed ? 1 : 0;
    }

  if (!run_stmt (self, STMT_COMMIT, error))
    goto fail;

  self->n_edited += linked;
  if (n_linked)
    *n_linked = linked;
  if (linked > 0)
    g_signal_emit (self, signals[CHANGED], 0);
  return TRUE;

fail:
  rollback (self);
  return FALSE;
}

gboolean
kc_store_set_recording_path (KcStore     *self,
                             const char  *call_id,
                             const char  *path,
                             GError     **error)
{
  g_autoptr (KcCachedStmt) stmt = NULL;
  gint64 row_id;

  g_return_val_if_fail (KC_IS_STORE (self), FALSE);
  g_return_val_if_fail (call_id != NULL, FALSE);

  stmt = get_stmt (self, STMT_SET_RECORDING_PATH, error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, path);
  bind_time (stmt, 2, now_unix ());
  bind_text (stmt, 3, call_id);
  if (!step (self, stmt, NULL, error))
    return FALSE;

  if (sqlite3_changes (self->db) > 0)
    {
      self->n_edited++;
      g_signal_emit (self, signals[CHANGED], 0);
      return TRUE;
    }

  /* Nothing changed: the path was already that, or there is no such call. */
  if (!find_by_call_id (self, call_id, &row_id, NULL, NULL, error))
    return FALSE;
  if (row_id == 0)
    {
      g_set_error (error, KC_STORE_ERROR, KC_STORE_ERROR_FAILED,
                   "No call “%s” in the call history", call_id);
      return FALSE;
    }
  return TRUE;
}

KcRecord *
kc_store_lookup (KcStore     *self,
                 const char  *call_id,
                 GError     **error)
{
  g_autoptr (KcCachedStmt) stmt = NULL;
  gboolean row;

  g_return_val_if_fail (KC_IS_STORE (self), NULL);
  g_return_val_if_fail (call_id != NULL, NULL);

  stmt = get_stmt (self, STMT_LOOKUP, error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, call_id);
  if (!step (self, stmt, &row, error) || !row)
    return NULL;
  return record_from_row (stmt);
}

gint64
kc_store_get_latest_cdr_time (KcStore *self)
{
  g_autoptr (KcCachedStmt) stmt = NULL;
  g_autoptr (GError) error = NULL;
  gboolean row;

  g_return_val_if_fail (KC_IS_STORE (self), -1);

  stmt = get_stmt (self, STMT_LATEST_CDR, &error);
  if (stmt == NULL || !step (self, stmt, &row, &error))
    {
      /* Reading everything again is slow but loses nothing. */
      g_warning ("%s", error->message);
      return -1;
    }
  return row ? column_time (stmt, 0, -1) : -1;
}

gint64
kc_store_get_complete_until (KcStore *self)
{
  g_autoptr (KcCachedStmt) stmt = NULL;
  g_autoptr (GError) error = NULL;
  gboolean row;

  g_return_val_if_fail (KC_IS_STORE (self), -1);

  stmt = get_stmt (self, STMT_GET_COMPLETE, &error);
  if (stmt == NULL || !step (self, stmt, &row, &error))
    {
      /* Reading everything again is slow but loses nothing. */
      g_warning ("%s", error->message);
      return -1;
    }
  return row ? column_time (stmt, 0, -1) : -1;
}

gboolean
kc_store_set_complete_until (KcStore  *self,
                             gint64    unix_seconds,
                             GError  **error)
{
  g_autoptr (KcCachedStmt) stmt = NULL;

  g_return_val_if_fail (KC_IS_STORE (self), FALSE);
  g_return_val_if_fail (unix_seconds >= 0, FALSE);

  stmt = get_stmt (self, STMT_SET_COMPLETE, error);
  if (stmt == NULL)
    return FALSE;
  bind_time (stmt, 1, unix_seconds);
  return step (self, stmt, NULL, error);
}

void
kc_store_release_memory (KcStore *self)
{
  g_return_if_fail (KC_IS_STORE (self));

  sqlite3_db_release_memory (self->db);
#ifdef __GLIBC__
  /* The freed pages go back to the system, not only to malloc's free list */
  malloc_trim (0);
#endif
}

gint64
kc_store_count (KcStore *self)
{
  g_autoptr (KcCachedStmt) stmt = NULL;
  g_autoptr (GError) error = NULL;
  gboolean row;

  g_return_val_if_fail (KC_IS_STORE (self), -1);

  stmt = get_stmt (self, STMT_COUNT, &error);
  if (stmt == NULL || !step (self, stmt, &row, &error))
    {
      g_warning ("%s", error->message);
      return -1;
    }
  return sqlite3_column_int64 (stmt, 0);
}

GPtrArray *
kc_store_query (KcStore     *self,
                gint64       before_time,
                const char  *before_id,
                const char  *number,
                guint        limit,
                GError     **error)
{
  KcHistoryFilter filter = { (char *) number, -1, -1, -1, -1 };

  g_return_val_if_fail (KC_IS_STORE (self), NULL);

  return kc_store_query_history (self, &filter, before_time, before_id, FALSE, 0, limit, error);
}

/* Parameters of the history queries, as the fragments below number them */
enum
{
  HP_LIMIT = 1,
  HP_OFFSET = 2,
  HP_KEY_TIME = 3,
  HP_KEY_ID = 4,
  HP_NUMBER = 5,
  HP_DIRECTION = 6,
  HP_STATUS = 7,
  HP_SINCE = 8,
  HP_UNTIL = 9,
  HP_CALL_ID = 10,
};

typedef enum
{
  HISTORY_COUNT,
  HISTORY_ROWS,
  HISTORY_KEY,
  HISTORY_ROWID,
} HistorySelect;

static const char *const history_select[] = {
  [HISTORY_COUNT] = "SELECT count(*) FROM calls",
  [HISTORY_ROWS] = "SELECT " CALL_COLUMNS " FROM calls",
  [HISTORY_KEY] = "SELECT start_time, id FROM calls",
  [HISTORY_ROWID] = "SELECT id FROM calls",
};

static gboolean
filter_is_valid (const KcHistoryFilter *filter)
{
  return filter == NULL ||
         (filter->direction <= (int) KC_DIRECTION_OUTGOING &&
          filter->status <= (int) KC_CALL_STATUS_FAILED);
}

static gboolean
filter_has_number (const KcHistoryFilter *filter)
{
  return filter != NULL && filter->number != NULL && *filter->number != '\0';
}

/* Whether the trigram index can find the number */
static gboolean
filter_number_indexed (const KcHistoryFilter *filter)
{
  return filter_has_number (filter) && g_utf8_strlen (filter->number, -1) >= TRIGRAM;
}

static void
add_term (GString    *sql,
          gboolean   *first,
          const char *term)
{
  g_string_append (sql, *first ? " WHERE " : " AND ");
  g_string_append (sql, term);
  *first = FALSE;
}

/* Only constant fragments make up the text, so the shapes a filter can take
 * are few and each is prepared once; bind_history_filter() binds the values. */
static char *
history_sql (const KcHistoryFilter *filter,
             HistorySelect          select,
             gboolean               keyed,
             gboolean               newer)
{
  GString *sql;
  gboolean first = TRUE;

  /* Every row of calls has its entry in the number index and no other:
   * counting the entries spares a look-up of each row found. */
  if (select == HISTORY_COUNT && !keyed && filter_number_indexed (filter) &&
      filter->direction < 0 && filter->status < 0 && filter->since == -1 && filter->until == -1)
    return g_strdup ("SELECT count(*) FROM calls_numbers WHERE calls_numbers MATCH ?5");

  sql = g_string_new (history_select[select]);
  /* A number too short for the trigram index is a scan, which one or two
   * digits end early: they are in most rows. */
  if (keyed)
    add_term (sql, &first, newer ? "(start_time, id) > (?3, ?4)" : "(start_time, id) < (?3, ?4)");
  if (filter_number_indexed (filter))
    add_term (sql, &first, "id IN (SELECT rowid FROM calls_numbers WHERE calls_numbers MATCH ?5)");
  else if (filter_has_number (filter))
    add_term (sql, &first, "(instr(from_number, ?5) > 0 OR instr(to_number, ?5) > 0)");
  if (filter != NULL && filter->direction >= 0)
    add_term (sql, &first, "direction = ?6");
  /* With a number to find, the status index would fetch every row of a
   * common status one at a time (most of the table); the number narrows
   * better, so keep the planner off that index. */
  if (filter != NULL && filter->status >= 0)
    add_term (sql, &first, filter_has_number (filter) ? "+status = ?7" : "status = ?7");
  if (filter != NULL && filter->since != -1)
    add_term (sql, &first, "start_time >= ?8");
  if (filter != NULL && filter->until != -1)
    add_term (sql, &first, "start_time < ?9");
  if (select == HISTORY_KEY)
    add_term (sql, &first, "call_id = ?10");
  if (select == HISTORY_ROWS)
    g_string_append (sql, newer ? " ORDER BY start_time, id LIMIT ?1 OFFSET ?2"
                                : " ORDER BY start_time DESC, id DESC LIMIT ?1 OFFSET ?2");
  if (select == HISTORY_ROWID)
    g_string_append (sql, " LIMIT ?1");
  return g_string_free (sql, FALSE);
}

static void
bind_history_time (sqlite3_stmt *stmt,
                   int           index,
                   gint64        unix_seconds)
{
  bind_time (stmt, index, CLAMP (unix_seconds, HISTORY_TIME_MIN, HISTORY_TIME_MAX));
}

/* The number as one FTS5 string: the trigrams of its characters in a row,
 * whatever they are ("+", "*", quotes) */
static char *
fts_phrase (const char *number)
{
  GString *phrase = g_string_new ("\"");

  for (const char *c = number; *c != '\0'; c++)
    {
      if (*c == '"')
        g_string_append_c (phrase, '"');
      g_string_append_c (phrase, *c);
    }
  g_string_append_c (phrase, '"');
  return g_string_free (phrase, FALSE);
}

static void
bind_history_filter (sqlite3_stmt          *stmt,
                     const KcHistoryFilter *filter)
{
  if (filter == NULL)
    return;
  if (filter_number_indexed (filter))
    sqlite3_bind_text (stmt, HP_NUMBER, fts_phrase (filter->number), -1, g_free);
  else if (filter_has_number (filter))
    bind_text (stmt, HP_NUMBER, filter->number);
  if (filter->direction >= 0)
    bind_text (stmt, HP_DIRECTION, kc_direction_to_string (filter->direction));
  if (filter->status >= 0)
    bind_text (stmt, HP_STATUS, kc_call_status_to_string (filter->status));
  if (filter->since != -1)
    bind_history_time (stmt, HP_SINCE, filter->since);
  if (filter->until != -1)
    bind_history_time (stmt, HP_UNTIL, filter->until);
}

/* The statement for that shape of query, with FILTER bound */
static KcCachedStmt *
get_history_stmt (KcStore                *self,
                  const KcHistoryFilter  *filter,
                  HistorySelect           select,
                  gboolean                keyed,
                  gboolean                newer,
                  GError                **error)
{
  g_autofree char *sql = history_sql (filter, select, keyed, newer);
  sqlite3_stmt *stmt = g_hash_table_lookup (self->history_stmts, sql);

  if (stmt == NULL)
    {
      int rc = sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);

      if (rc != SQLITE_OK)
        {
          set_sqlite_error (self, rc, error, "query failed");
          return NULL;
        }
      g_hash_table_insert (self->history_stmts, g_steal_pointer (&sql), stmt);
    }
  bind_history_filter (stmt, filter);
  return stmt;
}

/* key_id: a row id, 0 for none */
static gboolean
count_history (KcStore                *self,
               const KcHistoryFilter  *filter,
               gint64                  key_time,
               gint64                  key_id,
               gint64                 *count,
               GError                **error)
{
  g_autoptr (KcCachedStmt) stmt = NULL;
  gboolean row;

  stmt = get_history_stmt (self, filter, HISTORY_COUNT, key_id != 0, TRUE, error);
  if (stmt == NULL)
    return FALSE;
  if (key_id != 0)
    {
      bind_time (stmt, HP_KEY_TIME, key_time);
      sqlite3_bind_int64 (stmt, HP_KEY_ID, key_id);
    }
  if (!step (self, stmt, &row, error))
    return FALSE;
  *count = row ? sqlite3_column_int64 (stmt, 0) : 0;
  return TRUE;
}

gboolean
kc_store_count_history (KcStore                *self,
                        const KcHistoryFilter  *filter,
                        gint64                  key_time,
                        const char             *key_id,
                        gint64                 *count,
                        GError                **error)
{
  g_return_val_if_fail (KC_IS_STORE (self), FALSE);
  g_return_val_if_fail (filter_is_valid (filter), FALSE);
  g_return_val_if_fail (count != NULL, FALSE);

  return count_history (self, filter, key_time, key_id ? row_id_from_string (key_id) : 0, count,
                        error);
}

GPtrArray *
kc_store_query_history (KcStore                *self,
                        const KcHistoryFilter  *filter,
                        gint64                  key_time,
                        const char             *key_id,
                        gboolean                newer,
                        gint64                  offset,
                        guint                   limit,
                        GError                **error)
{
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (KcCachedStmt) stmt = NULL;
  gboolean row;

  g_return_val_if_fail (KC_IS_STORE (self), NULL);
  g_return_val_if_fail (filter_is_valid (filter), NULL);
  g_return_val_if_fail (offset >= 0, NULL);

  stmt = get_history_stmt (self, filter, HISTORY_ROWS, key_id != NULL, newer, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, HP_LIMIT, limit);
  sqlite3_bind_int64 (stmt, HP_OFFSET, offset);
  if (key_id != NULL)
    {
      bind_time (stmt, HP_KEY_TIME, key_time);
      sqlite3_bind_int64 (stmt, HP_KEY_ID, row_id_from_string (key_id));
    }

  records = g_ptr_array_new_with_free_func ((GDestroyNotify) kc_record_free);
  while (TRUE)
    {
      if (!step (self, stmt, &row, error))
        return NULL;
      if (!row)
        break;
      g_ptr_array_add (records, record_from_row (stmt));
    }

  /* Walking toward newer rows reads them oldest first. */
  if (newer)
    for (guint i = 0, j = records->len; i + 1 < j; i++, j--)
      {
        gpointer swap = records->pdata[i];

        records->pdata[i] = records->pdata[j - 1];
        records->pdata[j - 1] = swap;
      }
  return g_steal_pointer (&records);
}

static int
compare_newest_first (gconstpointer a,
                      gconstpointer b)
{
  const KcRecord *ra = *(KcRecord *const *) a;
  const KcRecord *rb = *(KcRecord *const *) b;

  if (ra->start_time != rb->start_time)
    return ra->start_time < rb->start_time ? 1 : -1;
  return strcmp (rb->id, ra->id);
}

gboolean
kc_store_query_history_all (KcStore                *self,
                            const KcHistoryFilter  *filter,
                            guint                   max,
                            GPtrArray             **records,
                            GError                **error)
{
  g_autoptr (GArray) rowids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GPtrArray) found = NULL;
  g_autoptr (KcCachedStmt) stmt = NULL;
  gboolean row;

  g_return_val_if_fail (KC_IS_STORE (self), FALSE);
  g_return_val_if_fail (filter_is_valid (filter), FALSE);
  g_return_val_if_fail (records != NULL, FALSE);

  *records = NULL;
  /* Only row ids first: that much the number index answers without the
   * table, and it stops early when the rows are many. */
  stmt = get_history_stmt (self, filter, HISTORY_ROWID, FALSE, FALSE, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, HP_LIMIT, (gint64) max + 1);
  while (TRUE)
    {
      gint64 rowid;

      if (!step (self, stmt, &row, error))
        return FALSE;
      if (!row)
        break;
      rowid = sqlite3_column_int64 (stmt, 0);
      g_array_append_val (rowids, rowid);
    }
  g_clear_pointer (&stmt, cached_stmt_release);

  if (rowids->len > max)
    return TRUE;

  found = g_ptr_array_new_full (rowids->len, (GDestroyNotify) kc_record_free);
  for (guint i = 0; i < rowids->len; i++)
    {
      stmt = get_stmt (self, STMT_BY_ROWID, error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, g_array_index (rowids, gint64, i));
      if (!step (self, stmt, &row, error))
        return FALSE;
      if (row)
        g_ptr_array_add (found, record_from_row (stmt));
      g_clear_pointer (&stmt, cached_stmt_release);
    }
  g_ptr_array_sort (found, compare_newest_first);
  *records = g_steal_pointer (&found);
  return TRUE;
}

gboolean
kc_store_find_history (KcStore                *self,
                       const KcHistoryFilter  *filter,
                       const char             *call_id,
                       gint64                 *position,
                       GError                **error)
{
  g_autoptr (KcCachedStmt) stmt = NULL;
  gboolean row;

  g_return_val_if_fail (KC_IS_STORE (self), FALSE);
  g_return_val_if_fail (filter_is_valid (filter), FALSE);
  g_return_val_if_fail (call_id != NULL, FALSE);
  g_return_val_if_fail (position != NULL, FALSE);

  stmt = get_history_stmt (self, filter, HISTORY_KEY, FALSE, FALSE, error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, HP_CALL_ID, call_id);
  if (!step (self, stmt, &row, error))
    return FALSE;
  if (!row)
    {
      *position = -1;
      return TRUE;
    }
  return count_history (self, filter, sqlite3_column_int64 (stmt, 0),
                        sqlite3_column_int64 (stmt, 1), position, error);
}

void
kc_store_get_change_counts (KcStore *self,
                            guint64 *n_added,
                            guint64 *n_edited)
{
  g_return_if_fail (KC_IS_STORE (self));

  if (n_added)
    *n_added = self->n_added;
  if (n_edited)
    *n_edited = self->n_edited;
}

const char *
kc_store_get_path (KcStore *self)
{
  g_return_val_if_fail (KC_IS_STORE (self), NULL);

  return self->path;
}

char *
kc_store_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "kerio-cti", "calls.db", NULL);
}

static gboolean
set_errno_error (GError     **error,
                 int          saved_errno,
                 const char  *what,
                 const char  *path)
{
  KcStoreError code = KC_STORE_ERROR_FAILED;

  if (saved_errno == ENOSPC || saved_errno == EDQUOT)
    code = KC_STORE_ERROR_FULL;
  g_set_error (error, KC_STORE_ERROR, code, "%s %s: %s", what, path, g_strerror (saved_errno));
  return FALSE;
}

/* A history left readable by others (an older version, a copy made by
 * hand) is made private again; what cannot be changed (another owner) is
 * left to fail or not when SQLite opens it. */
static void
tighten (const char *path,
         mode_t      mode)
{
  GStatBuf st;

  if (g_stat (path, &st) == 0 && (st.st_mode & 0077) != 0 && g_chmod (path, mode) == 0)
    g_message ("%s was readable by others; it is private again (%o)", path, (unsigned) mode);
}

/* The folder too, unless it is plainly not ours alone: a shared temporary
 * folder (sticky, like /tmp), the home folder, another user's folder. A
 * history put there by hand keeps only its files private. */
static void
tighten_folder (const char *dir)
{
  g_autofree char *canonical = g_canonicalize_filename (dir, NULL);
  g_autofree char *home = g_canonicalize_filename (g_get_home_dir (), NULL);
  GStatBuf st;

  if (g_stat (canonical, &st) != 0 || (st.st_mode & S_ISVTX) != 0 || st.st_uid != getuid ()
      || g_str_equal (canonical, home) || g_str_equal (canonical, "/"))
    return;
  tighten (canonical, 0700);
}

/* The file is created here rather than by SQLite (which would make it 0644
 * less the umask) so that it is private; SQLite gives its -wal and -shm files
 * the database's own mode. */
static gboolean
create_file (const char  *path,
             GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  int fd;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    return set_errno_error (error, errno, "Could not create the folder", dir);

  fd = g_open (path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      if (errno == EEXIST)
        {
          tighten_folder (dir);
          for (const char *const *suffix = (const char *const[]){ "", "-wal", "-shm", NULL };
               *suffix; suffix++)
            {
              g_autofree char *file = g_strconcat (path, *suffix, NULL);

              tighten (file, 0600);
            }
          return TRUE;
        }
      return set_errno_error (error, errno, "Could not create", path);
    }
  close (fd);
  return TRUE;
}

gboolean
kc_store_query_int (KcStore     *self,
           const char  *sql,
           gint64      *value,
           GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL);

  *value = 0;
  if (rc == SQLITE_OK)
    {
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        {
          *value = sqlite3_column_int64 (stmt, 0);
          rc = SQLITE_OK;
        }
    }
  if (rc != SQLITE_OK)
    set_sqlite_error (self, rc, error, "could not be read");
  sqlite3_finalize (stmt);
  return rc == SQLITE_OK;
}

gboolean
kc_store_exec_sql (KcStore     *self,
                   const char  *sql,
                   GError     **error)
{
  int rc = sqlite3_exec (self->db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      set_sqlite_error (self, rc, error, "could not be set up");
      return FALSE;
    }
  return TRUE;
}

static gboolean
enable_wal (KcStore  *self,
            GError  **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (self->db, "PRAGMA journal_mode = WAL", -1, &stmt, NULL);

  if (rc == SQLITE_OK)
    rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      set_sqlite_error (self, rc, error, "could not be set up");
      sqlite3_finalize (stmt);
      return FALSE;
    }
  /* Some network file systems cannot share WAL memory; SQLite then keeps its
   * rollback journal, which is slower for readers but still correct. */
  if (g_ascii_strcasecmp ((const char *) sqlite3_column_text (stmt, 0), "wal") != 0)
    g_warning ("%s: WAL journal unavailable, using “%s”", self->path,
               (const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return TRUE;
}

/* Runs before anything writes, so another application's database (or any
 * other file) is left exactly as it was. */
static gboolean
check_ours (KcStore  *self,
            GError  **error)
{
  g_autoptr (GError) local_error = NULL;
  gint64 application_id;
  gint64 n_objects;

  if (!kc_store_query_int (self, "PRAGMA application_id", &application_id, &local_error) ||
      !kc_store_query_int (self, "SELECT count(*) FROM sqlite_master", &n_objects, &local_error))
    {
      if (g_error_matches (local_error, KC_STORE_ERROR, KC_STORE_ERROR_CORRUPT))
        {
          g_set_error (error, KC_STORE_ERROR, KC_STORE_ERROR_CORRUPT,
                       "%s is not a Kerio CTI call history, or it is damaged: %s",
                       self->path, sqlite3_errmsg (self->db));
          return FALSE;
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (application_id == KC_STORE_APPLICATION_ID || (application_id == 0 && n_objects == 0))
    return TRUE;

  g_set_error (error, KC_STORE_ERROR, KC_STORE_ERROR_CORRUPT,
               "%s is not a Kerio CTI call history: it holds another application's data",
               self->path);
  return FALSE;
}

static void
run_checkpoint (gpointer data,
                gpointer user_data)
{
  KcStore *self = user_data;
  int rc;

  g_atomic_int_set (&self->checkpoint_queued, 0);
  if (self->checkpoint_db == NULL)
    {
      rc = sqlite3_open_v2 (self->path, &self->checkpoint_db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
      if (rc != SQLITE_OK)
        {
          g_debug ("No checkpoint of %s: %s", self->path, sqlite3_errstr (rc));
          g_clear_pointer (&self->checkpoint_db, sqlite3_close);
          return;
        }
      sqlite3_busy_timeout (self->checkpoint_db, BUSY_TIMEOUT_MS);
    }
  /* PASSIVE: copies what no reader still needs, never waits for anyone.
   * A failure (disk full) loses nothing: the log keeps the pages, and the
   * next commit asks again. */
  rc = sqlite3_wal_checkpoint_v2 (self->checkpoint_db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL,
                                  NULL);
  if (rc != SQLITE_OK)
    g_debug ("Checkpoint of %s: %s", self->path, sqlite3_errmsg (self->checkpoint_db));
}

/* Replaces SQLite's automatic checkpoint (sqlite3_wal_hook() does) */
static int
on_wal_commit (void       *data,
               sqlite3    *db,
               const char *name,
               int         n_frames)
{
  KcStore *self = data;

  if (n_frames >= CHECKPOINT_FRAMES &&
      g_atomic_int_compare_and_exchange (&self->checkpoint_queued, 0, 1))
    g_thread_pool_push (self->checkpointer, self, NULL);
  return SQLITE_OK;
}

static gboolean
set_up (KcStore  *self,
        GError  **error)
{
  int rc;

  if (!create_file (self->path, error))
    return FALSE;

  /* One thread uses this connection: no need for SQLite's mutexes */
  rc = sqlite3_open_v2 (self->path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      set_sqlite_error (self, rc, error, "could not be opened");
      return FALSE;
    }
  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);

  if (!check_ours (self, error))
    return FALSE;

  if (!enable_wal (self, error) ||
      !kc_store_exec_sql (self, "PRAGMA synchronous = NORMAL", error) ||
      !kc_store_exec_sql (self, "PRAGMA cache_size = -" G_STRINGIFY (CACHE_KIB), error) ||
      !kc_store_exec_sql (self, "PRAGMA foreign_keys = ON", error))
    return FALSE;

  if (!kc_store_migrate (self, error))
    return FALSE;

  self->checkpointer = g_thread_pool_new (run_checkpoint, self, 1, FALSE, NULL);
  sqlite3_wal_hook (self->db, on_wal_commit, self);
  return TRUE;
}

KcStore *
kc_store_open (const char  *path,
               GError     **error)
{
  g_autoptr (KcStore) self = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (KC_TYPE_STORE, NULL);
  self->path = g_strdup (path);
  if (!set_up (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

static void
kc_store_finalize (GObject *object)
{
  KcStore *self = KC_STORE (object);

  if (self->checkpointer)
    g_thread_pool_free (self->checkpointer, TRUE, TRUE);
  sqlite3_close (self->checkpoint_db);
  for (guint i = 0; i < N_STMTS; i++)
    sqlite3_finalize (self->stmts[i]);
  g_hash_table_unref (self->history_stmts);
  sqlite3_close_v2 (self->db);
  g_free (self->path);

  G_OBJECT_CLASS (kc_store_parent_class)->finalize (object);
}

static void
kc_store_class_init (KcStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = kc_store_finalize;

  /* SQLite counts every allocation under a global mutex, for
   * sqlite3_memory_used() and heap limits, which nothing here asks for:
   * 5 % of the store's instructions in a sync. Only possible before SQLite starts; if
   * something else in the process started it first, the counting stays. */
  sqlite3_config (SQLITE_CONFIG_MEMSTATUS, 0);

  /* Emitted once after a write that changed any row. */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                   NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
finalize_stmt (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

static void
kc_store_init (KcStore *self)
{
  self->history_stmts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, finalize_stmt);
}

/* --- For the store's other files (kc-store-private.h) */

void
kc_store_stmt_release (KcStoreStmt *stmt)
{
  cached_stmt_release (stmt);
}

KcStoreStmt *
kc_store_prepare_cached (KcStore     *self,
                         const char  *sql,
                         GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (KC_IS_STORE (self), NULL);

  stmt = g_hash_table_lookup (self->history_stmts, sql);
  if (stmt == NULL)
    {
      int rc = sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);

      if (rc != SQLITE_OK)
        {
          set_sqlite_error (self, rc, error, "query failed");
          return NULL;
        }
      g_hash_table_insert (self->history_stmts, g_strdup (sql), stmt);
    }
  return stmt;
}

gboolean
kc_store_step (KcStore       *self,
               sqlite3_stmt  *stmt,
               gboolean      *row,
               GError       **error)
{
  g_return_val_if_fail (KC_IS_STORE (self), FALSE);
  return step (self, stmt, row, error);
}

gboolean
kc_store_begin (KcStore  *self,
                GError  **error)
{
  g_return_val_if_fail (KC_IS_STORE (self), FALSE);
  return run_stmt (self, STMT_BEGIN, error);
}

gboolean
kc_store_commit (KcStore  *self,
                 GError  **error)
{
  g_return_val_if_fail (KC_IS_STORE (self), FALSE);
  return run_stmt (self, STMT_COMMIT, error);
}

void
kc_store_rollback (KcStore *self)
{
  g_return_if_fail (KC_IS_STORE (self));
  rollback (self);
}

KcStoreStmt *
kc_store_prepare_history (KcStore                *self,
                          const KcHistoryFilter  *filter,
                          GError                **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (KC_IS_STORE (self), NULL);
  g_return_val_if_fail (filter_is_valid (filter), NULL);

  stmt = get_history_stmt (self, filter, HISTORY_ROWS, FALSE, FALSE, error);
  if (stmt == NULL)
    return NULL;
  /* No limit */
  sqlite3_bind_int64 (stmt, HP_LIMIT, -1);
  sqlite3_bind_int64 (stmt, HP_OFFSET, 0);
  return stmt;
}

KcRecord *
kc_store_record_from_stmt (KcStoreStmt *stmt)
{
  return record_from_row (stmt);
}
