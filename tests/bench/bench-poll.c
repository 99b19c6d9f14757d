/* bench-poll.c: CPU per poll cycle, client side only
 *
 * Against a kerio-sim in another process (so its CPU is not counted): puts
 * N_CALLS live calls in it through POST /sim/control, then runs N_POLLS
 * poll cycles back to back, each Status.getCalls over the kept-alive
 * connection, parsed, and diffed by the tracker, and divides this process's
 * CPU time by the number of polls.
 *
 * usage: bench-poll URL N_CALLS [N_POLLS]
 *   URL: the simulator's JSON-RPC endpoint, http://127.0.0.1:PORT/admin/api/jsonrpc/
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <libsoup/soup.h>

#include "core/kc-call-tracker.h"
#include "kc-bench-util.h"

static JsonNode *
control (SoupSession *session,
         GUri        *endpoint,
         const char  *request)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GUri) uri = g_uri_parse_relative (endpoint, "/sim/control", G_URI_FLAGS_NONE, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new_from_uri ("POST", uri);
  g_autoptr (GBytes) body = g_bytes_new (request, strlen (request));
  g_autoptr (GBytes) answer = NULL;

  soup_message_set_request_body_from_bytes (msg, "application/json", body);
  answer = soup_session_send_and_read (session, msg, NULL, &error);
  if (answer == NULL)
    g_error ("POST /sim/control: %s", error->message);
  return json_from_string (g_bytes_get_data (answer, NULL), &error);
}

typedef struct
{
  GPtrArray *calls;
  GError    *error;
  gboolean   done;
} Poll;

static void
poll_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Poll *poll = user_data;

  poll->calls = kc_kerio_client_get_calls_finish (KC_KERIO_CLIENT (source), result, &poll->error);
  poll->done = TRUE;
}

static void
poll_once (KcKerioClient *client,
           KcCallTracker *tracker)
{
  Poll poll = { 0 };

  kc_kerio_client_get_calls_async (client, NULL, poll_done, &poll);
  while (!poll.done)
    g_main_context_iteration (NULL, TRUE);
  if (poll.calls == NULL)
    g_error ("Status.getCalls: %s", poll.error->message);
  kc_call_tracker_apply_snapshot (tracker, poll.calls, g_get_real_time () / G_USEC_PER_SEC);
  g_ptr_array_unref (poll.calls);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (GUri) uri = NULL;
  g_autoptr (SoupSession) session = NULL;
  g_autoptr (KcKerioClient) client = NULL;
  g_autoptr (KcCallTracker) tracker = NULL;
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  guint n_calls, n_polls;
  double cpu, wall;

  if (argc < 3)
    {
      g_printerr ("usage: bench-poll URL N_CALLS [N_POLLS]\n");
      return EXIT_FAILURE;
    }
  uri = g_uri_parse (argv[1], G_URI_FLAGS_NONE, NULL);
  n_calls = (guint) atoi (argv[2]);
  n_polls = argc > 3 ? (guint) atoi (argv[3]) : 2000;
  session = soup_session_new ();

  for (guint i = 0; i < n_calls; i++)
    {
      g_autofree char *request =
        g_strdup_printf ("{\"action\":\"addCall\",\"from\":\"+99891%07u\",\"to\":\"%u\"}", i,
                         1001 + i % 10);
      g_autoptr (JsonNode) answer = control (session, uri, request);

      g_ptr_array_add (ids, g_strdup (json_object_get_string_member (json_node_get_object (answer),
                                                                      "id")));
    }

  client = kc_kerio_client_new (uri, "admin", "demo");
  tracker = kc_call_tracker_new (client, 1.0, "1001", 4);

  /* Login, the first snapshot's signals, the connection: not steady state */
  for (guint i = 0; i < 20; i++)
    poll_once (client, tracker);

  cpu = kc_bench_cpu_ms ();
  wall = kc_bench_now_ms ();
  for (guint i = 0; i < n_polls; i++)
    poll_once (client, tracker);
  cpu = kc_bench_cpu_ms () - cpu;
  wall = kc_bench_now_ms () - wall;

  for (guint i = 0; i < ids->len; i++)
    {
      g_autofree char *request =
        g_strdup_printf ("{\"action\":\"endCall\",\"id\":\"%s\",\"status\":3}",
                         (char *) ids->pdata[i]);
      g_autoptr (JsonNode) answer = control (session, uri, request);
    }

  kc_bench_result ("cpu_ms_per_poll", cpu / n_polls);
  kc_bench_result ("wall_ms_per_poll", wall / n_polls);
  return EXIT_SUCCESS;
}
