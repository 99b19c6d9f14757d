/* kc-store-call-back.c
 *
 * The tables are schema v5's (kc-store.c). Before each reading the rows
 * calls gained since follow_up_state.seen_id are read in, and every attempt
 * whose waiting is unknown (NULL) is worked out again; the triggers keep
 * the rows that change or go.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-store"

#include "kc-store-call-back.h"
#include "kc-store-private.h"

/* Nothing to read in nor to work out: the usual case, answered without a
 * write lock */
#define SQL_UP_TO_DATE                                                                       \
  "SELECT (SELECT seen_id FROM follow_up_state) = (SELECT coalesce (max (id), 0) FROM calls)" \
  " AND NOT EXISTS (SELECT 1 FROM follow_up WHERE waiting IS NULL)"

#define SQL_SEEN "SELECT seen_id, (SELECT coalesce (max (id), 0) FROM calls) FROM follow_up_state"

/* ?1 seen_id: the rows after it (replaced: a trigger may have put one in
 * already) */
#define SQL_READ_IN "INSERT OR REPLACE INTO follow_up SELECT * FROM follow_up_source WHERE call > ?1"

/* An answered call read in may reach the earlier attempts of its number */
#define SQL_RECHECK_NEW                                                      \
  "UPDATE follow_up SET waiting = NULL WHERE answered = 0 AND waiting = 1" \
  " AND number IN (SELECT number FROM follow_up WHERE call > ?1 AND answered = 1)"

#define SQL_SET_SEEN "UPDATE follow_up_state SET seen_id = ?1"

#define SQL_WORK_OUT                                                                          \
  "UPDATE follow_up SET waiting ="                                                            \
  " NOT EXISTS (SELECT 1 FROM follow_up r WHERE r.number = follow_up.number"                 \
  "  AND r.answered = 1 AND r.start_time >= follow_up.start_time)"                           \
  " AND NOT EXISTS (SELECT 1 FROM follow_up_done d WHERE d.number = follow_up.number"        \
  "  AND d.done_until >= follow_up.start_time)"                                              \
  " WHERE waiting IS NULL"

/* ?1 extension or NULL; grouped by caller, each caller's attempts oldest first */
#define SQL_WAITING                                                                  \
  "SELECT f.number, f.shown_number, f.start_time, c.call_id"                         \
  " FROM follow_up f JOIN calls c ON c.id = f.call"                                  \
  " WHERE f.waiting = 1 AND (?1 IS NULL OR f.extension = ?1)"                        \
  " ORDER BY f.number, f.start_time, f.call"

#define SQL_COUNT                                                                    \
  "SELECT count (DISTINCT number) FROM follow_up"                                    \
  " WHERE waiting = 1 AND start_time >= ?1 AND start_time < ?2"                      \
  " AND (?3 IS NULL OR extension = ?3)"

#define SQL_DONE                                                                     \
  "INSERT INTO follow_up_done (number, done_until) VALUES (?1, ?2)"                  \
  " ON CONFLICT (number) DO UPDATE SET done_until = max (done_until, excluded.done_until)"

#define SQL_RECHECK_NUMBER \
  "UPDATE follow_up SET waiting = NULL WHERE answered = 0 AND waiting = 1 AND number = ?1"

/* Runs SQL, with VALUE as ?1 when it has one */
static gboolean
run (KcStore     *self,
     const char  *sql,
     gint64       value,
     GError     **error)
{
  g_autoptr (KcStoreStmt) stmt = kc_store_prepare_cached (self, sql, error);

  if (stmt == NULL)
    return FALSE;
  if (sqlite3_bind_parameter_count (stmt) > 0)
    sqlite3_bind_int64 (stmt, 1, value);
  return kc_store_step (self, stmt, NULL, error);
}

static gboolean
up_to_date (KcStore   *self,
            gboolean  *clean,
            GError   **error)
{
  g_autoptr (KcStoreStmt) stmt = kc_store_prepare_cached (self, SQL_UP_TO_DATE, error);
  gboolean row;

  if (stmt == NULL || !kc_store_step (self, stmt, &row, error))
    return FALSE;
  *clean = row && sqlite3_column_int (stmt, 0) != 0;
  return TRUE;
}

static gboolean
read_in (KcStore  *self,
         GError  **error)
{
  gint64 seen, last;

  {
    g_autoptr (KcStoreStmt) stmt = kc_store_prepare_cached (self, SQL_SEEN, error);
    gboolean row;

    if (stmt == NULL || !kc_store_step (self, stmt, &row, error))
      return FALSE;
    if (!row)
      {
        g_set_error (error, KC_STORE_ERROR, KC_STORE_ERROR_CORRUPT,
                     "Call history %s: the follow-up's state is missing",
                     kc_store_get_path (self));
        return FALSE;
      }
    seen = sqlite3_column_int64 (stmt, 0);
    last = sqlite3_column_int64 (stmt, 1);
  }

  if (last != seen)
    {
      if (!run (self, SQL_READ_IN, seen, error) || !run (self, SQL_RECHECK_NEW, seen, error) ||
          !run (self, SQL_SET_SEEN, last, error))
        return FALSE;
    }
  return run (self, SQL_WORK_OUT, 0, error);
}

/* Brings follow_up up to date with calls */
static gboolean
catch_up (KcStore  *self,
          GError  **error)
{
  gboolean clean;

  if (!up_to_date (self, &clean, error))
    return FALSE;
  if (clean)
    return TRUE;
  if (!kc_store_begin (self, error))
    return FALSE;
  if (!read_in (self, error) || !kc_store_commit (self, error))
    {
      kc_store_rollback (self);
      return FALSE;
    }
  return TRUE;
}

static void
bind_text_or_null (sqlite3_stmt *stmt,
                   int           index,
                   const char   *text)
{
  if (text != NULL && *text != '\0')
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
}

static gint
compare_newest_first (gconstpointer a,
                      gconstpointer b)
{
  gint64 ta = kc_call_back_get_last_attempt (*(KcCallBack **) a);
  gint64 tb = kc_call_back_get_last_attempt (*(KcCallBack **) b);

  if (ta != tb)
    return ta > tb ? -1 : 1;
  return g_strcmp0 (kc_call_back_get_key (*(KcCallBack **) a),
                    kc_call_back_get_key (*(KcCallBack **) b));
}

GPtrArray *
kc_store_get_call_backs (KcStore     *self,
                         const char  *extension,
                         GError     **error)
{
  g_autoptr (GPtrArray) callers = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GArray) attempts = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (KcStoreStmt) stmt = NULL;
  g_autofree char *key = NULL;
  g_autofree char *number = NULL;
  g_autofree char *call_id = NULL;

  g_return_val_if_fail (KC_IS_STORE (self), NULL);

  if (!catch_up (self, error))
    return NULL;
  stmt = kc_store_prepare_cached (self, SQL_WAITING, error);
  if (stmt == NULL)
    return NULL;
  bind_text_or_null (stmt, 1, extension);

  for (;;)
    {
      gboolean row;
      const char *row_key;
      gint64 start;

      if (!kc_store_step (self, stmt, &row, error))
        return NULL;
      row_key = row ? (const char *) sqlite3_column_text (stmt, 0) : NULL;
      if (key != NULL && g_strcmp0 (key, row_key) != 0)
        {
          g_ptr_array_add (callers, kc_call_back_new (key, number, call_id,
                                                      (gint64 *) attempts->data, attempts->len));
          g_array_set_size (attempts, 0);
          g_clear_pointer (&key, g_free);
        }
      if (!row)
        break;

      if (key == NULL)
        key = g_strdup (row_key);
      /* The last attempt's number and call, as the PBX gave them */
      g_free (number);
      number = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      g_free (call_id);
      call_id = g_strdup ((const char *) sqlite3_column_text (stmt, 3));
      start = sqlite3_column_int64 (stmt, 2);
      g_array_append_val (attempts, start);
    }

  g_ptr_array_sort (callers, compare_newest_first);
  return g_steal_pointer (&callers);
}

gboolean
kc_store_mark_called_back (KcStore     *self,
                           const char  *key,
                           gint64       until,
                           GError     **error)
{
  g_return_val_if_fail (KC_IS_STORE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  if (!kc_store_begin (self, error))
    return FALSE;

  {
    g_autoptr (KcStoreStmt) done = kc_store_prepare_cached (self, SQL_DONE, error);
    g_autoptr (KcStoreStmt) recheck = NULL;

    if (done == NULL)
      goto fail;
    sqlite3_bind_text (done, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64 (done, 2, until);
    if (!kc_store_step (self, done, NULL, error))
      goto fail;

    recheck = kc_store_prepare_cached (self, SQL_RECHECK_NUMBER, error);
    if (recheck == NULL)
      goto fail;
    sqlite3_bind_text (recheck, 1, key, -1, SQLITE_TRANSIENT);
    if (!kc_store_step (self, recheck, NULL, error))
      goto fail;
  }

  if (!read_in (self, error) || !kc_store_commit (self, error))
    goto fail;
  return TRUE;

fail:
  kc_store_rollback (self);
  return FALSE;
}

gboolean
kc_store_count_call_backs (KcStore     *self,
                           gint64       since,
                           gint64       until,
                           const char  *extension,
                           guint       *n_callers,
                           GError     **error)
{
  g_autoptr (KcStoreStmt) stmt = NULL;
  gboolean row;

  g_return_val_if_fail (KC_IS_STORE (self), FALSE);
  g_return_val_if_fail (n_callers != NULL, FALSE);

  if (!catch_up (self, error))
    return FALSE;
  stmt = kc_store_prepare_cached (self, SQL_COUNT, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, since);
  sqlite3_bind_int64 (stmt, 2, until);
  bind_text_or_null (stmt, 3, extension);
  if (!kc_store_step (self, stmt, &row, error))
    return FALSE;
  *n_callers = row ? (guint) sqlite3_column_int64 (stmt, 0) : 0;
  return TRUE;
}
