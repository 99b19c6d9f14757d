/* bench-pop.c: pop latency, a call appearing in the simulator -> "incoming-call"
 *
 * Simulator, client and tracker share one main loop, as in the app. Calls
 * arrive at random moments (stratified, see below), ten per poll interval
 * on average, so 200 calls
 * take about 20 intervals; each is ended in the simulator once it has popped.
 * The latency runs from kc_sim_server_add_call() to the tracker's
 * "incoming-call" signal; the notification itself (D-Bus to the desktop) is
 * not included.
 *
 * usage: bench-pop INTERVAL_SECONDS [N_CALLS]
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "core/kc-call-tracker.h"
#include "sim/kc-sim-server.h"
#include "kc-bench-util.h"

typedef struct
{
  KcSimServer *sim;
  GHashTable  *added;     /* from number -> gint64* arrival (µs) */
  GArray      *latencies; /* ms */
  guint        n_calls;
  guint        n_added;
  gboolean     connected;
  gboolean     done;
} Bench;

typedef struct
{
  Bench *bench;
  guint  index;
} Arrival;

static gboolean
arrive (gpointer user_data)
{
  Arrival *arrival = user_data;
  Bench *bench = arrival->bench;
  char *from = g_strdup_printf ("+99890%07u", arrival->index);
  gint64 *at = g_new (gint64, 1);

  *at = g_get_monotonic_time ();
  g_hash_table_insert (bench->added, from, at);
  kc_sim_server_add_call (bench->sim, from, NULL, "1001", NULL);
  bench->n_added++;
  return G_SOURCE_REMOVE;
}

static void
on_incoming (KcCallTracker *tracker,
             KcCall        *call,
             Bench         *bench)
{
  gint64 now = g_get_monotonic_time ();
  gint64 *at = g_hash_table_lookup (bench->added, kc_call_get_from_number (call));
  double ms;

  if (at == NULL)
    return;
  ms = (now - *at) / 1000.0;
  g_array_append_val (bench->latencies, ms);
  kc_sim_server_end_call (bench->sim, kc_call_get_call_id (call), KC_SIM_CDR_NO_ANSWER);
  if (bench->latencies->len == bench->n_calls)
    bench->done = TRUE;
}

static void
on_connection (KcCallTracker *tracker,
               GParamSpec    *pspec,
               Bench         *bench)
{
  if (kc_call_tracker_get_connection_state (tracker) == KC_CONNECTION_CONNECTED)
    bench->connected = TRUE;
}

int
main (int   argc,
      char *argv[])
{
  double interval = argc > 1 ? g_ascii_strtod (argv[1], NULL) : 1.0;
  guint n_calls = argc > 2 ? (guint) atoi (argv[2]) : 200;
  g_autoptr (GError) error = NULL;
  g_autoptr (KcSimServer) sim = kc_sim_server_new ();
  g_autoptr (KcKerioClient) client = NULL;
  g_autoptr (KcCallTracker) tracker = NULL;
  g_autoptr (GUri) uri = NULL;
  g_autofree char *url = NULL;
  g_autofree Arrival *arrivals = NULL;
  Bench bench = { 0 };
  double span_ms;

  if (interval <= 0 || n_calls == 0)
    {
      g_printerr ("usage: bench-pop INTERVAL_SECONDS [N_CALLS]\n");
      return EXIT_FAILURE;
    }
  if (!kc_sim_server_listen (sim, 0, NULL, &error))
    g_error ("%s", error->message);
  url = kc_sim_server_get_endpoint_url (sim);
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  client = kc_kerio_client_new (uri, KC_SIM_DEFAULT_USERNAME, KC_SIM_DEFAULT_PASSWORD);
  tracker = kc_call_tracker_new (client, interval, "1001", 4);

  bench.sim = sim;
  bench.n_calls = n_calls;
  bench.added = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  bench.latencies = g_array_new (FALSE, FALSE, sizeof (double));
  g_signal_connect (tracker, "incoming-call", G_CALLBACK (on_incoming), &bench);
  g_signal_connect (tracker, "notify::connection-state", G_CALLBACK (on_connection), &bench);
  kc_call_tracker_start (tracker);
  if (!kc_bench_wait (&bench.connected, 10))
    g_error ("The tracker never connected to the simulator");

  /* Ten arrivals per interval on average, uniform over the span and
   * stratified: one at a random moment in each n_calls-th of it. The
   * moments relative to the poll are then spread evenly (twenty in each
   * tenth of the interval) instead of by chance: the same population as
   * plain uniform arrivals, but its median is known to a few ms from 200
   * calls instead of to ±70 ms at a 2 s interval. */
  span_ms = n_calls * interval * 1000.0 / 10.0;
  arrivals = g_new0 (Arrival, n_calls);
  for (guint i = 0; i < n_calls; i++)
    {
      arrivals[i].bench = &bench;
      arrivals[i].index = i;
      g_timeout_add ((guint) ((i + g_random_double ()) * span_ms / n_calls), arrive,
                     &arrivals[i]);
    }

  if (!kc_bench_wait (&bench.done, span_ms / 1000.0 + 10 * interval + 10))
    g_error ("Only %u of %u calls popped up", bench.latencies->len, n_calls);

  kc_call_tracker_stop (tracker);
  kc_bench_result ("p50", kc_bench_quantile ((double *) bench.latencies->data,
                                             bench.latencies->len, 0.50));
  kc_bench_result ("p99", kc_bench_quantile ((double *) bench.latencies->data,
                                             bench.latencies->len, 0.99));
  g_array_unref (bench.latencies);
  g_hash_table_unref (bench.added);
  return EXIT_SUCCESS;
}
