/* kc-store-stats.c
 *
 * One pass over the day's rows through the time index, grouped by the hours
 * elapsed since midnight; each group is then put under the local hour it
 * began at, which on a day clocks change is not its rank.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-store"

#include <string.h>

#include "kc-store-call-back.h"
#include "kc-store-private.h"
#include "kc-store-stats.h"

/* ?1 the day's start, ?2 its end, ?3 extension or NULL */
#define SQL_DAY                                                                             \
  "SELECT (start_time - ?1) / 3600,"                                                        \
  "  sum (direction = 'kiruvchi'),"                                                         \
  "  sum (direction = 'chiquvchi'),"                                                        \
  "  sum (direction = 'kiruvchi' AND status = 'javob berildi'),"                            \
  "  sum (direction = 'kiruvchi' AND status = 'javobsiz'),"                                 \
  "  sum (status = 'javob berildi'),"                                                       \
  "  sum (CASE WHEN status = 'javob berildi' THEN answered_duration ELSE 0 END),"           \
  "  max (CASE WHEN direction = 'kiruvchi' AND status IN ('javob berildi', 'javobsiz')"     \
  "   THEN max (duration - answered_duration, 0) END)"                                      \
  " FROM calls"                                                                             \
  " WHERE start_time >= ?1 AND start_time < ?2 AND (?3 IS NULL OR extension = ?3)"          \
  " GROUP BY 1"

enum
{
  COL_ELAPSED,
  COL_INCOMING,
  COL_OUTGOING,
  COL_IN_ANSWERED,
  COL_IN_MISSED,
  COL_ANSWERED,
  COL_TALK,
  COL_WAIT,
};

void
kc_day_bounds (GDateTime *day,
               gint64    *start,
               gint64    *end)
{
  GTimeZone *tz;
  g_autoptr (GDateTime) noon = NULL;
  g_autoptr (GDateTime) next_noon = NULL;
  g_autoptr (GDateTime) midnight = NULL;
  g_autoptr (GDateTime) next_midnight = NULL;
  int y, m, d;

  g_return_if_fail (day != NULL);

  /* Noon, to step a day whatever the clocks did at midnight; a midnight the
   * clocks skipped begins the day when they resume (GLib's rule) */
  tz = g_date_time_get_timezone (day);
  g_date_time_get_ymd (day, &y, &m, &d);
  noon = g_date_time_new (tz, y, m, d, 12, 0, 0);
  next_noon = g_date_time_add_days (noon, 1);
  midnight = g_date_time_new (tz, y, m, d, 0, 0, 0);
  g_date_time_get_ymd (next_noon, &y, &m, &d);
  next_midnight = g_date_time_new (tz, y, m, d, 0, 0, 0);
  *start = g_date_time_to_unix (midnight);
  /* Past year 9999 there is no next day to start */
  *end = next_midnight ? g_date_time_to_unix (next_midnight) : *start + 24 * 3600;
}

gboolean
kc_store_get_day_stats (KcStore     *self,
                        GDateTime   *day,
                        const char  *extension,
                        KcDayStats  *stats,
                        GError     **error)
{
  g_autoptr (KcStoreStmt) stmt = NULL;
  GTimeZone *tz;
  gint64 start, end;
  gint64 talk = 0;
  guint n_answered = 0;

  g_return_val_if_fail (KC_IS_STORE (self), FALSE);
  g_return_val_if_fail (day != NULL, FALSE);
  g_return_val_if_fail (stats != NULL, FALSE);

  memset (stats, 0, sizeof *stats);
  tz = g_date_time_get_timezone (day);
  kc_day_bounds (day, &start, &end);

  stmt = kc_store_prepare_cached (self, SQL_DAY, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, start);
  sqlite3_bind_int64 (stmt, 2, end);
  if (extension != NULL && *extension != '\0')
    sqlite3_bind_text (stmt, 3, extension, -1, SQLITE_TRANSIENT);

  for (;;)
    {
      g_autoptr (GDateTime) began = NULL;
      g_autoptr (GDateTime) local = NULL;
      gboolean row;
      int hour;

      if (!kc_store_step (self, stmt, &row, error))
        return FALSE;
      if (!row)
        break;

      stats->incoming += sqlite3_column_int (stmt, COL_INCOMING);
      stats->outgoing += sqlite3_column_int (stmt, COL_OUTGOING);
      stats->answered += sqlite3_column_int (stmt, COL_IN_ANSWERED);
      stats->missed += sqlite3_column_int (stmt, COL_IN_MISSED);
      n_answered += sqlite3_column_int (stmt, COL_ANSWERED);
      talk += sqlite3_column_int64 (stmt, COL_TALK);
      stats->longest_wait = MAX (stats->longest_wait, sqlite3_column_int64 (stmt, COL_WAIT));

      began = g_date_time_new_from_unix_utc (start +
                                             sqlite3_column_int64 (stmt, COL_ELAPSED) * 3600);
      local = began ? g_date_time_to_timezone (began, tz) : NULL;
      hour = local ? g_date_time_get_hour (local) : 0;
      stats->hours[hour].answered += sqlite3_column_int (stmt, COL_IN_ANSWERED);
      stats->hours[hour].missed += sqlite3_column_int (stmt, COL_IN_MISSED);
    }
  if (n_answered > 0)
    stats->average_talk = (talk + n_answered / 2) / n_answered;

  return kc_store_count_call_backs (self, start, end, extension, &stats->to_call_back, error);
}
