/* bench-sync.c: history ingest, CallHistory.get pages -> parse -> SQLite
 *
 * Against a kerio-sim in another process started with --history N
 * --page-cap 500: one KcSync run into a fresh store at DB_PATH, timed from
 * the request of the first page to the store's "changed" (the commit); the
 * rate counts the server's time to build the pages too, so it is a lower
 * bound for parse + store. The Recordings.get that follows is not waited
 * for.
 * Then the baseline: BASELINE_N of those rows written again into another
 * fresh store one transaction per record, as a rate.
 *
 * usage: bench-sync URL DB_PATH [BASELINE_N]
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gstdio.h>

#include "core/kc-sync.h"
#include "kc-bench-util.h"

typedef struct
{
  guint    n_new;
  GError  *error;
  gboolean ok;
  gboolean done;
} Run;

static void
sync_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Run *run = user_data;

  run->ok = kc_sync_run_finish (KC_SYNC (source), result, &run->n_new, &run->error);
  run->done = TRUE;
}

static void
on_changed (KcStore *store,
            Run     *run)
{
  run->n_new = (guint) kc_store_count (store);
  run->ok = TRUE;
  run->done = TRUE;
}

static void
remove_db (const char *path)
{
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);

  g_remove (path);
  g_remove (wal);
  g_remove (shm);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GUri) uri = NULL;
  g_autoptr (KcKerioClient) client = NULL;
  g_autoptr (KcStore) store = NULL;
  g_autoptr (KcStore) baseline = NULL;
  g_autoptr (KcSync) sync = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  g_autofree char *baseline_path = NULL;
  guint baseline_n;
  Run run = { 0 };
  double wall, cpu, rate, baseline_rate;

  if (argc < 3)
    {
      g_printerr ("usage: bench-sync URL DB_PATH [BASELINE_N]\n");
      return EXIT_FAILURE;
    }
  uri = g_uri_parse (argv[1], G_URI_FLAGS_NONE, NULL);
  baseline_n = argc > 3 ? (guint) atoi (argv[3]) : 20000;
  remove_db (argv[2]);
  store = kc_store_open (argv[2], &error);
  if (store == NULL)
    g_error ("%s", error->message);
  client = kc_kerio_client_new (uri, "admin", "demo");

  sync = kc_sync_new (client, store, 60, "1001", 4);
  wall = kc_bench_now_ms ();
  cpu = kc_bench_cpu_ms ();
  g_signal_connect (store, "changed", G_CALLBACK (on_changed), &run);
  kc_sync_run_async (sync, NULL, sync_done, &run);
  if (!kc_bench_wait (&run.done, 600))
    g_error ("The sync did not finish in 10 minutes");
  if (!run.ok)
    g_error ("Sync: %s", run.error->message);
  wall = kc_bench_now_ms () - wall;
  cpu = kc_bench_cpu_ms () - cpu;
  g_signal_handlers_disconnect_by_func (store, on_changed, &run);
  rate = run.n_new / (wall / 1000.0);

  /* The baseline writes the same kind of rows: the newest BASELINE_N */
  rows = kc_store_query_history (store, NULL, 0, NULL, FALSE, 0, baseline_n, &error);
  if (rows == NULL)
    g_error ("%s", error->message);
  baseline_path = g_strconcat (argv[2], "-baseline", NULL);
  remove_db (baseline_path);
  baseline = kc_store_open (baseline_path, &error);
  if (baseline == NULL)
    g_error ("%s", error->message);
  {
    double t = kc_bench_now_ms ();

    for (guint i = 0; i < rows->len; i++)
      {
        g_autoptr (GPtrArray) one = g_ptr_array_new ();

        g_ptr_array_add (one, rows->pdata[i]);
        if (!kc_store_upsert_records (baseline, one, NULL, &error))
          g_error ("%s", error->message);
      }
    t = kc_bench_now_ms () - t;
    baseline_rate = rows->len / (t / 1000.0);
  }
  g_clear_object (&baseline);
  remove_db (baseline_path);

  kc_bench_result ("records", run.n_new);
  kc_bench_result ("records_per_s", rate);
  kc_bench_result ("records_per_cpu_s", run.n_new / (cpu / 1000.0));
  kc_bench_result ("baseline_records_per_s", baseline_rate);
  kc_bench_result ("speedup", rate / baseline_rate);
  kc_bench_result ("rss_mb", kc_bench_rss_mb ());
  return EXIT_SUCCESS;
}
