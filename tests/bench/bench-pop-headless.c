/* bench-pop-headless.c: pop latency end to end, a ring in the simulator ->
 * the incoming_call line of `kerio-cti --headless`
 *
 * The simulator runs in this process; kerio-cti is a child, as an operator
 * runs it, with its live calls from the simulator's Asterisk Manager
 * Interface (SOURCE ami-11, ami-18, ami-1.8: the event family) or from
 * polls of Status.getCalls alone (poll-SECONDS). Its stdout is read line by
 * line on this main loop. The latency runs from kc_sim_server_add_call() to
 * the moment the line is read here, so it includes the AMI events' trip (or
 * the poll's), the tracker, the JSON line and the pipe; not the desktop
 * notification.
 *
 * Calls arrive stratified as in bench-pop (one at a random moment in each
 * n-th of the span): ten per poll interval with polls, ten a second with
 * AMI, where no interval paces them. Each is ended in the simulator, not
 * answered, once its line is read; kerio-cti then asks the PBX for the
 * missed call's CDR as it always does, so a ring may meet that request in
 * flight.
 *
 * usage: bench-pop-headless KERIO_CTI SOURCE [N_CALLS]
 * RESULT p50, p99, max (ms), polls (Status.getCalls during the calls)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <json-glib/json-glib.h>

#include "sim/kc-sim-server.h"
#include "kc-bench-util.h"
#include "kc-test-util.h"

#define EXTENSION "1001"
/* With AMI the fallback interval, if AMI dropped (it does not here) */
#define AMI_POLL_INTERVAL "1"
#define AMI_ARRIVALS_PER_S 10.0

typedef struct
{
  KcSimServer *sim;
  GHashTable  *added;     /* from number -> gint64* arrival (µs) */
  GArray      *latencies; /* ms */
  guint        n_calls;
  gboolean     ami;
  gboolean     ready;
  gboolean     done;
  gboolean     out_closed;
  gboolean     exited;
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
  kc_sim_server_add_call (bench->sim, from, NULL, EXTENSION, NULL);
  return G_SOURCE_REMOVE;
}

static void
on_line (Bench      *bench,
         const char *line,
         gint64      now)
{
  g_autoptr (JsonNode) root = NULL;
  JsonObject *object, *data;
  gint64 *at;
  double ms;

  if (!g_str_has_prefix (line, "{\"event\":\"incoming_call\""))
    return;
  root = json_from_string (line, NULL);
  object = root && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  data = object ? json_object_get_object_member (object, "data") : NULL;
  if (data == NULL)
    g_error ("Not an event: %s", line);
  at = g_hash_table_lookup (bench->added, json_object_get_string_member (data, "fromNumber"));
  if (at == NULL)
    return;
  ms = (now - *at) / 1000.0;
  g_array_append_val (bench->latencies, ms);
  kc_sim_server_end_call (bench->sim, json_object_get_string_member (data, "callId"),
                          KC_SIM_CDR_NO_ANSWER);
  if (bench->latencies->len == bench->n_calls)
    bench->done = TRUE;
}

static void read_next (GDataInputStream *stream,
                       Bench            *bench);

static void
line_read (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Bench *bench = user_data;
  gint64 now = g_get_monotonic_time ();
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source),
                                                                     result, NULL, NULL);

  if (line == NULL)
    {
      bench->out_closed = TRUE;
      return;
    }
  on_line (bench, line, now);
  read_next (G_DATA_INPUT_STREAM (source), bench);
}

static void
read_next (GDataInputStream *stream,
           Bench            *bench)
{
  g_data_input_stream_read_line_async (stream, G_PRIORITY_DEFAULT, NULL, line_read, bench);
}

static void
exited (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  Bench *bench = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  bench->exited = TRUE;
}

/* Ready: it has polled once, and with AMI it is logged in and has made
 * the poll that AMI coming up asks for */
static gboolean
check_ready (gpointer user_data)
{
  Bench *bench = user_data;

  bench->ready = kc_sim_server_get_request_count (bench->sim, "Status.getCalls") >= 1 &&
                 (!bench->ami || kc_sim_server_get_ami_login_count (bench->sim) >= 1);
  return bench->ready ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

static GSubprocess *
spawn (const char  *cti,
       const char  *home,
       KcSimServer *sim,
       const char  *poll_interval,
       gboolean     ami)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *url = kc_sim_server_get_endpoint_url (sim);
  g_autofree char *ami_address = NULL;
  GSubprocess *process;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  for (const char *const *x = (const char *const[]){ "XDG_DATA_HOME", "data", "XDG_CACHE_HOME",
                                                     "cache", "XDG_CONFIG_HOME", "config",
                                                     NULL };
       *x; x += 2)
    {
      g_autofree char *dir = g_build_filename (home, x[1], NULL);

      g_subprocess_launcher_setenv (launcher, x[0], dir, TRUE);
    }
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", "memory", TRUE);
  g_subprocess_launcher_setenv (launcher, "KERIO_PBX_HOST", url, TRUE);
  g_subprocess_launcher_setenv (launcher, "KERIO_API_USERNAME", KC_SIM_DEFAULT_USERNAME, TRUE);
  g_subprocess_launcher_setenv (launcher, "KERIO_API_PASSWORD", KC_SIM_DEFAULT_PASSWORD, TRUE);
  g_subprocess_launcher_setenv (launcher, "KERIO_POLL_INTERVAL", poll_interval, TRUE);
  g_subprocess_launcher_setenv (launcher, "KERIO_EXTENSION", EXTENSION, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "KERIO_AMI_USERNAME");
  g_subprocess_launcher_unsetenv (launcher, "KERIO_AMI_PASSWORD");
  if (ami)
    {
      ami_address = g_strdup_printf ("127.0.0.1:%u", kc_sim_server_get_ami_port (sim));
      g_subprocess_launcher_setenv (launcher, "KERIO_AMI", ami_address, TRUE);
    }
  else
    g_subprocess_launcher_unsetenv (launcher, "KERIO_AMI");
  g_subprocess_launcher_set_child_setup (launcher, kc_test_die_with_parent, NULL, NULL);
  process = g_subprocess_launcher_spawn (launcher, &error, cti, "--headless", NULL);
  if (process == NULL)
    g_error ("%s: %s", cti, error->message);
  return process;
}

int
main (int   argc,
      char *argv[])
{
  const char *cti = argc > 1 ? argv[1] : NULL;
  const char *source = argc > 2 ? argv[2] : "";
  guint n_calls = argc > 3 ? (guint) atoi (argv[3]) : 200;
  g_autoptr (GError) error = NULL;
  g_autoptr (KcSimServer) sim = kc_sim_server_new ();
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GDataInputStream) out = NULL;
  g_autofree char *home = NULL;
  g_autofree Arrival *arrivals = NULL;
  const char *poll_interval = AMI_POLL_INTERVAL;
  gboolean ami = g_str_has_prefix (source, "ami-");
  KcSimAmiVersion version = KC_SIM_AMI_11;
  Bench bench = { 0 };
  double span_ms, interval = 0;
  guint polls;

  if (ami)
    ami = kc_sim_ami_version_from_name (source + strlen ("ami-"), &version);
  else if (g_str_has_prefix (source, "poll-"))
    {
      poll_interval = source + strlen ("poll-");
      interval = g_ascii_strtod (poll_interval, NULL);
    }
  if (cti == NULL || (!ami && interval <= 0) || n_calls == 0)
    {
      g_printerr ("usage: bench-pop-headless KERIO_CTI ami-11|ami-18|ami-1.8|poll-SECONDS "
                  "[N_CALLS]\n");
      return EXIT_FAILURE;
    }

  if (!kc_sim_server_listen (sim, 0, NULL, &error))
    g_error ("%s", error->message);
  if (ami)
    {
      kc_sim_server_set_ami_version (sim, version);
      if (!kc_sim_server_listen_ami (sim, 0, &error))
        g_error ("%s", error->message);
    }
  home = g_dir_make_tmp ("kc-bench-XXXXXX", &error);
  if (home == NULL)
    g_error ("%s", error->message);

  bench.sim = sim;
  bench.ami = ami;
  bench.n_calls = n_calls;
  bench.added = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  bench.latencies = g_array_new (FALSE, FALSE, sizeof (double));
  process = spawn (cti, home, sim, poll_interval, ami);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  read_next (out, &bench);
  g_subprocess_wait_async (process, NULL, exited, &bench);

  g_timeout_add (5, check_ready, &bench);
  if (!kc_bench_wait (&bench.ready, 20))
    g_error ("kerio-cti never got ready");
  kc_bench_wait (&bench.exited, 1.0);
  if (bench.exited)
    g_error ("kerio-cti exited");
  polls = kc_sim_server_get_request_count (sim, "Status.getCalls");

  span_ms = n_calls * 1000.0 / (ami ? AMI_ARRIVALS_PER_S : 10.0 / interval);
  arrivals = g_new0 (Arrival, n_calls);
  for (guint i = 0; i < n_calls; i++)
    {
      arrivals[i].bench = &bench;
      arrivals[i].index = i;
      g_timeout_add ((guint) ((i + g_random_double ()) * span_ms / n_calls), arrive,
                     &arrivals[i]);
    }

  if (!kc_bench_wait (&bench.done, span_ms / 1000.0 + 10 * MAX (interval, 1) + 10))
    g_error ("Only %u of %u calls popped up", bench.latencies->len, n_calls);
  polls = kc_sim_server_get_request_count (sim, "Status.getCalls") - polls;

  g_subprocess_send_signal (process, SIGTERM);
  if (!kc_bench_wait (&bench.exited, 10))
    g_subprocess_force_exit (process);
  kc_bench_wait (&bench.out_closed, 10);
  kc_test_rm_rf (home);

  kc_bench_result ("p50", kc_bench_quantile ((double *) bench.latencies->data,
                                             bench.latencies->len, 0.50));
  kc_bench_result ("p99", kc_bench_quantile ((double *) bench.latencies->data,
                                             bench.latencies->len, 0.99));
  kc_bench_result ("max", kc_bench_quantile ((double *) bench.latencies->data,
                                             bench.latencies->len, 1.0));
  kc_bench_result ("polls", polls);
  g_array_unref (bench.latencies);
  g_hash_table_unref (bench.added);
  return EXIT_SUCCESS;
}
