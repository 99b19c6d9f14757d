/* bench-sync.c: history ingest, CallHistory.get pages -> parse -> SQLite
 *
 * Against a kerio-sim in another process started with --history N
 * --page-cap 500: one KcSync run into a fresh store at DB_PATH, timed from
 * the request of the first page to the end of the sync (every page stored,
 * then the one Recordings.get page); the rate counts the server's time to
 * build the pages too, so it is a lower bound for parse + store. Also the
 * longest main-loop iteration during the sync (the GUI would freeze that
 * long) and the CPU time per record of this process.
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

/* CPU time of the main thread only (the store's checkpoints run on
 * another) */
static double
thread_cpu_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
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
  double longest_iteration = 0;
  double longest_iteration_cpu = 0;
  guint n_long_iterations = 0;

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
  kc_sync_run_async (sync, NULL, sync_done, &run);
  while (!run.done)
    {
      double t = kc_bench_now_ms ();
      double c = thread_cpu_ms ();

      g_main_context_iteration (NULL, TRUE);
      t = kc_bench_now_ms () - t;
      c = thread_cpu_ms () - c;
      /* An iteration that waited for the network did not hold the loop;
       * one that dispatched the sync's work did. Both are counted: the
       * waits are short here (the simulator answers in a few ms). On a
       * loaded machine the wall time also counts the time the thread was
       * not running, hence its CPU time too. */
      longest_iteration = MAX (longest_iteration, t);
      longest_iteration_cpu = MAX (longest_iteration_cpu, c);
      n_long_iterations += t > 50 ? 1 : 0;
      if (kc_bench_now_ms () - wall > 600000)
        g_error ("The sync did not finish in 10 minutes");
    }
  if (!run.ok)
    g_error ("Sync: %s", run.error->message);
  wall = kc_bench_now_ms () - wall;
  cpu = kc_bench_cpu_ms () - cpu;
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
  kc_bench_result ("longest_iteration_ms", longest_iteration);
  kc_bench_result ("longest_iteration_cpu_ms", longest_iteration_cpu);
  kc_bench_result ("iterations_over_50_ms", n_long_iterations);
  kc_bench_result ("rss_mb", kc_bench_rss_mb ());
  return EXIT_SUCCESS;
}
