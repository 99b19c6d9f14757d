/* bench-fetch.c: the client's share of history ingest, without the store
 *
 * Against a kerio-sim in another process started with --history N
 * --page-cap 500: every CallHistory.get page read through
 * kc_kerio_client_read_call_history_async() and dropped. CPU time of this
 * process per record (HTTP, JSON, KcCdr rows; the simulator's is not
 * counted), and the wall-clock rate, which includes the simulator's time.
 *
 * usage: bench-fetch URL
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kerio/kc-kerio-client.h"
#include "kc-bench-util.h"

typedef struct
{
  guint64  n_rows;
  GError  *error;
  gboolean ok;
  gboolean done;
} Run;

static gboolean
drop_page (GPtrArray  *page,
           gpointer    user_data,
           GError    **error)
{
  return TRUE;
}

static void
fetch_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Run *run = user_data;

  run->ok = kc_kerio_client_read_call_history_finish (KC_KERIO_CLIENT (source), result,
                                                      &run->n_rows, &run->error);
  run->done = TRUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (GUri) uri = NULL;
  g_autoptr (KcKerioClient) client = NULL;
  Run run = { 0 };
  double wall, cpu;

  if (argc < 2)
    {
      g_printerr ("usage: bench-fetch URL\n");
      return EXIT_FAILURE;
    }
  uri = g_uri_parse (argv[1], G_URI_FLAGS_NONE, NULL);
  client = kc_kerio_client_new (uri, "admin", "demo");

  wall = kc_bench_now_ms ();
  cpu = kc_bench_cpu_ms ();
  kc_kerio_client_read_call_history_async (client, -1, drop_page, NULL, NULL, fetch_done, &run);
  while (!run.done)
    g_main_context_iteration (NULL, TRUE);
  if (!run.ok)
    g_error ("Fetch: %s", run.error->message);
  wall = kc_bench_now_ms () - wall;
  cpu = kc_bench_cpu_ms () - cpu;

  kc_bench_result ("records", (double) run.n_rows);
  kc_bench_result ("records_per_s", run.n_rows / (wall / 1000.0));
  kc_bench_result ("cpu_us_per_record", cpu * 1000.0 / run.n_rows);
  return EXIT_SUCCESS;
}
