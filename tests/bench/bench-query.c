/* bench-query.c: the history queries the window makes, on a big store
 *
 * On the store at DB_PATH (tests/bench/run fills it with 1,000,000 rows
 * through bench-sync), each query ROUNDS times with random arguments:
 *   newest_100   the first page, no filter
 *   window_100   100 rows after a random row, keyset (start_time, id)
 *   search       a number substring through KcHistoryModel, as the search
 *                box does: the filter, the row count and the first 100 rows
 *   count_status rows of one status over a random 7-day range
 *   day_stats    the figures of a random day of the history (the dashboard's
 *                "Today", kerio-cti --stats), after one first reading
 *                (first_day_stats) that also reads the calls the sync added
 *                into the follow-up
 *   call_backs   the callers still to be called back (the dashboard's and
 *                the tray's list)
 *   caller       a caller's history as the pop-up shows it: calls of the
 *                last 7 days and the last call of the other party of a
 *                random row, and the line that says it
 * and prints the median and the worst of each, in ms.
 *
 * usage: bench-query DB_PATH [ROUNDS]
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "core/kc-caller-summary.h"
#include "core/kc-history-model.h"
#include "core/kc-store-call-back.h"
#include "core/kc-store-stats.h"
#include "kc-bench-util.h"

#define DAY (24 * 3600)

static void
report (const char *name,
        GArray     *times)
{
  g_autofree char *median = g_strconcat (name, "_ms", NULL);
  g_autofree char *worst = g_strconcat (name, "_max_ms", NULL);

  kc_bench_result (median, kc_bench_quantile ((double *) times->data, times->len, 0.5));
  kc_bench_result (worst, kc_bench_quantile ((double *) times->data, times->len, 1.0));
  g_array_set_size (times, 0);
}

static KcRecord *
row_at (KcStore *store,
        gint64   position)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows =
    kc_store_query_history (store, NULL, 0, NULL, FALSE, position, 1, &error);

  if (rows == NULL || rows->len == 0)
    g_error ("No row at %" G_GINT64_FORMAT ": %s", position, error ? error->message : "");
  return g_ptr_array_steal_index (rows, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KcStore) store = NULL;
  g_autoptr (KcHistoryModel) model = NULL;
  g_autoptr (GArray) times = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (KcRecord) newest = NULL;
  g_autoptr (KcRecord) oldest = NULL;
  gint64 n_rows;
  guint rounds;

  if (argc < 2)
    {
      g_printerr ("usage: bench-query DB_PATH [ROUNDS]\n");
      return EXIT_FAILURE;
    }
  rounds = argc > 2 ? (guint) atoi (argv[2]) : 30;
  store = kc_store_open (argv[1], &error);
  if (store == NULL)
    g_error ("%s", error->message);
  n_rows = kc_store_count (store);
  if (n_rows < 1000)
    g_error ("The store has only %" G_GINT64_FORMAT " rows", n_rows);
  newest = row_at (store, 0);
  oldest = row_at (store, n_rows - 1);
  g_random_set_seed (42);

  for (guint i = 0; i < rounds; i++)
    {
      double t = kc_bench_now_ms ();
      g_autoptr (GPtrArray) rows =
        kc_store_query_history (store, NULL, 0, NULL, FALSE, 0, 100, &error);

      t = kc_bench_now_ms () - t;
      g_assert (rows && rows->len == 100);
      g_array_append_val (times, t);
    }
  report ("newest_100", times);

  for (guint i = 0; i < rounds; i++)
    {
      g_autoptr (KcRecord) key = row_at (store, g_random_int_range (0, (gint32) n_rows - 100));
      double t = kc_bench_now_ms ();
      g_autoptr (GPtrArray) rows =
        kc_store_query_history (store, NULL, key->start_time, key->call_id, FALSE, 0, 100, &error);

      t = kc_bench_now_ms () - t;
      g_assert (rows && rows->len == 100);
      g_array_append_val (times, t);
    }
  report ("window_100", times);

  model = kc_history_model_new (store);
  for (guint i = 0; i < rounds; i++)
    {
      g_autofree char *digits = g_strdup_printf ("%04d", g_random_int_range (0, 10000));
      KcHistoryFilter filter = { digits, -1, -1, -1, -1 };
      double t = kc_bench_now_ms ();
      guint n;

      kc_history_model_set_filter (model, &filter);
      n = g_list_model_get_n_items (G_LIST_MODEL (model));
      for (guint j = 0; j < MIN (n, 100); j++)
        g_object_unref (g_list_model_get_item (G_LIST_MODEL (model), j));
      t = kc_bench_now_ms () - t;
      g_array_append_val (times, t);
    }
  report ("search", times);

  for (guint i = 0; i < rounds; i++)
    {
      gint64 since = g_random_int_range ((gint32) oldest->start_time,
                                         (gint32) MAX (oldest->start_time + 1,
                                                       newest->start_time - 7 * DAY));
      KcHistoryFilter filter = { NULL, -1, g_random_int_range (0, KC_CALL_STATUS_FAILED + 1),
                                 since, since + 7 * DAY };
      gint64 count = 0;
      double t = kc_bench_now_ms ();

      if (!kc_store_count_history (store, &filter, 0, NULL, &count, &error))
        g_error ("%s", error->message);
      t = kc_bench_now_ms () - t;
      g_array_append_val (times, t);
    }
  report ("count_status", times);

  {
    g_autoptr (GDateTime) today = g_date_time_new_from_unix_local (newest->start_time);
    KcDayStats stats;
    double t = kc_bench_now_ms ();

    if (!kc_store_get_day_stats (store, today, NULL, &stats, &error))
      g_error ("%s", error->message);
    kc_bench_result ("first_day_stats_ms", kc_bench_now_ms () - t);
    g_printerr ("# a day: %u calls in, %u out, %u to call back\n", stats.incoming, stats.outgoing,
                stats.to_call_back);
  }
  for (guint i = 0; i < rounds; i++)
    {
      gint64 when = g_random_int_range ((gint32) oldest->start_time, (gint32) newest->start_time);
      g_autoptr (GDateTime) day = g_date_time_new_from_unix_local (when);
      KcDayStats stats;
      double t = kc_bench_now_ms ();

      if (!kc_store_get_day_stats (store, day, NULL, &stats, &error))
        g_error ("%s", error->message);
      t = kc_bench_now_ms () - t;
      g_array_append_val (times, t);
    }
  report ("day_stats", times);

  for (guint i = 0; i < rounds; i++)
    {
      double t = kc_bench_now_ms ();
      g_autoptr (GPtrArray) call_backs = kc_store_get_call_backs (store, NULL, &error);

      t = kc_bench_now_ms () - t;
      if (call_backs == NULL)
        g_error ("%s", error->message);
      g_array_append_val (times, t);
    }
  report ("call_backs", times);
  for (guint i = 0; i < rounds; i++)
    {
      g_autoptr (KcRecord) call = row_at (store, g_random_int_range (0, (gint32) n_rows));
      const char *number = call->direction == KC_DIRECTION_INCOMING ? call->from_number
                                                                    : call->to_number;
      g_autoptr (GDateTime) now = g_date_time_new_from_unix_local (newest->start_time);
      KcCallerHistory history;
      g_autofree char *line = NULL;
      double t = kc_bench_now_ms ();

      if (!kc_store_get_caller_history (store, number,
                                        kc_caller_summary_since (newest->start_time), &history,
                                        &error))
        g_error ("%s", error->message);
      line = kc_caller_summary_format (&history, now);
      t = kc_bench_now_ms () - t;
      g_assert (history.has_last);
      g_array_append_val (times, t);
    }
  report ("caller", times);
  return EXIT_SUCCESS;
}
