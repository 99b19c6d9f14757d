/* kc-store-stats.c
 *
 * One pass over the day's rows through the time index; each row goes
 * under the local hour its hour since midnight began at, which on a day
 * the clocks change is not its rank.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-store"

#include <string.h>

#include "kc-store-call-back.h"
#include "kc-store-private.h"
#include "kc-store-stats.h"

/* ?1 the day's start, ?2 its end, ?3 extension or NULL. The rows come
 * through the time index in its order; SQLite's GROUP BY would sort them
 * again, so the hours are counted here (a third of the time for a day of
 * 70,000 calls). */
#define SQL_DAY                                                                             \
  "SELECT start_time, direction = 'kiruvchi', status, duration, answered_duration"         \
  " FROM calls"                                                                             \
  " WHERE start_time >= ?1 AND start_time < ?2 AND (?3 IS NULL OR extension = ?3)"

enum
{
  COL_START,
  COL_INCOMING,
  COL_STATUS,
  COL_DURATION,
  COL_TALK,
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
  /* A day is 23 to 25 hours long */
  guint hour_of[25];

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

  /* The local hour each of the day's hours since midnight began at */
  for (guint i = 0; i < G_N_ELEMENTS (hour_of); i++)
    {
      g_autoptr (GDateTime) began = g_date_time_new_from_unix_utc (start + (gint64) i * 3600);
      g_autoptr (GDateTime) local = began ? g_date_time_to_timezone (began, tz) : NULL;

      hour_of[i] = local ? g_date_time_get_hour (local) : 0;
    }

  for (;;)
    {
      gboolean row, incoming;
      const char *status;
      KcCallStatus code;
      gint64 talk_seconds;
      guint hour;

      if (!kc_store_step (self, stmt, &row, error))
        return FALSE;
      if (!row)
        break;

      incoming = sqlite3_column_int (stmt, COL_INCOMING) != 0;
      status = (const char *) sqlite3_column_text (stmt, COL_STATUS);
      if (!kc_call_status_from_string (status, &code))
        code = KC_CALL_STATUS_FAILED;
      talk_seconds = MAX (sqlite3_column_int64 (stmt, COL_TALK), 0);
      hour = hour_of[MIN ((sqlite3_column_int64 (stmt, COL_START) - start) / 3600,
                          (gint64) G_N_ELEMENTS (hour_of) - 1)];

      if (code == KC_CALL_STATUS_ANSWERED)
        {
          n_answered++;
          talk += talk_seconds;
        }
      if (!incoming)
        {
          stats->outgoing++;
          continue;
        }
      stats->incoming++;
      if (code == KC_CALL_STATUS_ANSWERED)
        {
          stats->answered++;
          stats->hours[hour].answered++;
        }
      else if (code == KC_CALL_STATUS_MISSED)
        {
          stats->missed++;
          stats->hours[hour].missed++;
        }
      else
        continue;
      stats->longest_wait = MAX (stats->longest_wait,
                                 sqlite3_column_int64 (stmt, COL_DURATION) - talk_seconds);
    }
  if (n_answered > 0)
    stats->average_talk = (talk + n_answered / 2) / n_answered;

  return kc_store_count_call_backs (self, start, end, extension, &stats->to_call_back, error);
}
