/* kc-store-context.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-store"

#include "kc-store-context.h"
#include "kc-store-private.h"

/* The other party of a call, spelled as the index calls_party_start
 * (migration v5) spells it: the planner uses the index only for this very
 * expression. */
#define PARTY "CASE direction WHEN 'kiruvchi' THEN from_number ELSE to_number END"

static const char count_recent_sql[] =
  "SELECT count(*) FROM calls WHERE " PARTY " = ?1 AND start_time >= ?2";

static const char last_call_sql[] =
  "SELECT start_time, direction, status, voicemail FROM calls WHERE " PARTY " = ?1"
  " ORDER BY start_time DESC LIMIT 1";

static const char names_sql[] =
  "SELECT d.name, n.crm_name, n.pbx_name FROM (SELECT ?1 AS number) AS q"
  " LEFT JOIN directory AS d ON d.number = q.number"
  " LEFT JOIN caller_names AS n ON n.number = q.number";

static const char set_pbx_name_sql[] =
  "INSERT INTO caller_names (number, pbx_name) VALUES (?1, ?2)"
  " ON CONFLICT (number) DO UPDATE SET pbx_name = excluded.pbx_name"
  " WHERE pbx_name IS NOT excluded.pbx_name";

static const char get_crm_sql[] =
  "SELECT crm_name, crm_url, crm_checked_at FROM caller_names"
  " WHERE number = ?1 AND crm_checked_at IS NOT NULL";

static const char set_crm_sql[] =
  "INSERT INTO caller_names (number, crm_name, crm_url, crm_checked_at) VALUES (?1, ?2, ?3, ?4)"
  " ON CONFLICT (number) DO UPDATE SET crm_name = excluded.crm_name,"
  " crm_url = excluded.crm_url, crm_checked_at = excluded.crm_checked_at";

static void
bind_text (sqlite3_stmt *stmt,
           int           index,
           const char   *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, index);
}

static char *
column_dup (sqlite3_stmt *stmt,
            int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

/* Runs a statement that returns no row */
static gboolean
run (KcStore      *self,
     sqlite3_stmt *stmt,
     GError      **error)
{
  gboolean row;

  return kc_store_step (self, stmt, &row, error);
}

gboolean
kc_store_get_caller_history (KcStore          *self,
                             const char       *number,
                             gint64            since,
                             KcCallerHistory  *history,
                             GError          **error)
{
  g_autoptr (KcStoreStmt) stmt = NULL;
  gboolean row;

  g_return_val_if_fail (KC_IS_STORE (self), FALSE);
  g_return_val_if_fail (number != NULL, FALSE);
  g_return_val_if_fail (history != NULL, FALSE);

  *history = (KcCallerHistory) { 0 };
  stmt = kc_store_prepare_cached (self, count_recent_sql, error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, number);
  sqlite3_bind_int64 (stmt, 2, since);
  if (!kc_store_step (self, stmt, &row, error))
    return FALSE;
  history->n_recent = row ? (guint) sqlite3_column_int64 (stmt, 0) : 0;
  g_clear_pointer (&stmt, kc_store_stmt_release);

  stmt = kc_store_prepare_cached (self, last_call_sql, error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, number);
  if (!kc_store_step (self, stmt, &row, error))
    return FALSE;
  if (row)
    {
      history->has_last = TRUE;
      history->last_time = sqlite3_column_int64 (stmt, 0);
      kc_direction_from_string ((const char *) sqlite3_column_text (stmt, 1),
                                &history->last_direction);
      kc_call_status_from_string ((const char *) sqlite3_column_text (stmt, 2),
                                  &history->last_status);
      history->last_voicemail = sqlite3_column_int (stmt, 3) != 0;
    }
  return TRUE;
}

gboolean
kc_store_replace_directory (KcStore    *self,
                            GPtrArray  *entries,
                            GError    **error)
{
  g_return_val_if_fail (KC_IS_STORE (self), FALSE);
  g_return_val_if_fail (entries != NULL, FALSE);

  if (!kc_store_begin (self, error))
    return FALSE;
  {
    g_autoptr (KcStoreStmt) clear = kc_store_prepare_cached (self, "DELETE FROM directory", error);

    if (clear == NULL || !run (self, clear, error))
      goto fail;
  }
  for (guint i = 0; i < entries->len; i++)
    {
      const KcDirectoryEntry *entry = g_ptr_array_index (entries, i);
      g_autoptr (KcStoreStmt) insert = NULL;

      if (entry->number == NULL || *entry->number == '\0' || entry->name == NULL ||
          *entry->name == '\0')
        continue;
      /* A number listed twice keeps its first name, as the PBX lists it */
      insert = kc_store_prepare_cached (self,
                                        "INSERT INTO directory (number, name) VALUES (?1, ?2)"
                                        " ON CONFLICT (number) DO NOTHING",
                                        error);
      if (insert == NULL)
        goto fail;
      bind_text (insert, 1, entry->number);
      bind_text (insert, 2, entry->name);
      if (!run (self, insert, error))
        goto fail;
    }
  if (!kc_store_commit (self, error))
    goto fail;
  return TRUE;

fail:
  kc_store_rollback (self);
  return FALSE;
}

void
kc_caller_names_clear (KcCallerNames *names)
{
  g_clear_pointer (&names->directory, g_free);
  g_clear_pointer (&names->crm, g_free);
  g_clear_pointer (&names->pbx, g_free);
}

const char *
kc_caller_names_best (const KcCallerNames *names)
{
  if (names->directory != NULL)
    return names->directory;
  if (names->crm != NULL)
    return names->crm;
  return names->pbx;
}

gboolean
kc_store_get_caller_names (KcStore        *self,
                           const char     *number,
                           KcCallerNames  *names,
                           GError        **error)
{
  g_autoptr (KcStoreStmt) stmt = NULL;
  gboolean row;

  g_return_val_if_fail (KC_IS_STORE (self), FALSE);
  g_return_val_if_fail (names != NULL, FALSE);

  *names = (KcCallerNames) { 0 };
  if (number == NULL || *number == '\0')
    return TRUE;
  stmt = kc_store_prepare_cached (self, names_sql, error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, number);
  if (!kc_store_step (self, stmt, &row, error))
    return FALSE;
  if (row)
    {
      names->directory = column_dup (stmt, 0);
      names->crm = column_dup (stmt, 1);
      names->pbx = column_dup (stmt, 2);
    }
  return TRUE;
}

static gboolean
set_pbx_name (KcStore     *self,
              const char  *number,
              const char  *name,
              GError     **error)
{
  g_autoptr (KcStoreStmt) stmt = kc_store_prepare_cached (self, set_pbx_name_sql, error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, number);
  bind_text (stmt, 2, name);
  return run (self, stmt, error);
}

gboolean
kc_store_set_pbx_name (KcStore     *self,
                       const char  *number,
                       const char  *name,
                       GError     **error)
{
  g_return_val_if_fail (KC_IS_STORE (self), FALSE);
  g_return_val_if_fail (number != NULL && name != NULL, FALSE);

  return set_pbx_name (self, number, name, error);
}

gboolean
kc_store_set_pbx_names (KcStore     *self,
                        GHashTable  *names,
                        GError     **error)
{
  GHashTableIter iter;
  gpointer number, name;

  g_return_val_if_fail (KC_IS_STORE (self), FALSE);
  g_return_val_if_fail (names != NULL, FALSE);

  if (g_hash_table_size (names) == 0)
    return TRUE;
  if (!kc_store_begin (self, error))
    return FALSE;
  g_hash_table_iter_init (&iter, names);
  while (g_hash_table_iter_next (&iter, &number, &name))
    if (!set_pbx_name (self, number, name, error))
      {
        kc_store_rollback (self);
        return FALSE;
      }
  if (!kc_store_commit (self, error))
    {
      kc_store_rollback (self);
      return FALSE;
    }
  return TRUE;
}

gboolean
kc_store_get_crm_answer (KcStore     *self,
                         const char  *number,
                         char       **name,
                         char       **url,
                         gint64      *checked_at,
                         GError     **error)
{
  g_autoptr (KcStoreStmt) stmt = NULL;
  gboolean row;

  g_return_val_if_fail (KC_IS_STORE (self), FALSE);
  g_return_val_if_fail (number != NULL, FALSE);

  *name = NULL;
  *url = NULL;
  *checked_at = -1;
  stmt = kc_store_prepare_cached (self, get_crm_sql, error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, number);
  if (!kc_store_step (self, stmt, &row, error))
    return FALSE;
  if (row)
    {
      *name = column_dup (stmt, 0);
      *url = column_dup (stmt, 1);
      *checked_at = sqlite3_column_int64 (stmt, 2);
    }
  return TRUE;
}

gboolean
kc_store_set_crm_answer (KcStore     *self,
                         const char  *number,
                         const char  *name,
                         const char  *url,
                         gint64       checked_at,
                         GError     **error)
{
  g_autoptr (KcStoreStmt) stmt = NULL;

  g_return_val_if_fail (KC_IS_STORE (self), FALSE);
  g_return_val_if_fail (number != NULL, FALSE);

  stmt = kc_store_prepare_cached (self, set_crm_sql, error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, number);
  bind_text (stmt, 2, name);
  bind_text (stmt, 3, url);
  sqlite3_bind_int64 (stmt, 4, checked_at);
  return run (self, stmt, error);
}
