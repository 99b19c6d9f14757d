/* test-events.c: the call events over WebSocket, as a web page or a CRM
 * receives them
 *
 * `kerio-cti --headless --listen` runs as a child process against the
 * simulator, which lives in this test's main loop; WebSocket clients in this
 * process read what it serves and compare it with what its headless stream
 * prints, over real sockets.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>

#include "kc-test-headless.h"
#include "kc-test-util.h"
#include "kc-test-ws.h"
#include "sim/kc-sim-server.h"

#define TOKEN "test-token-0123456789abcdef"
#define SYNC_PREFIX "{\"event\":\"sync\""

typedef struct
{
  KcSimServer *sim;
  char        *home;
  KcTestProc  *proc;
  guint16      port;
  char        *ws_url;   /* ws://127.0.0.1:PORT/events */
  char        *page_url; /* http://127.0.0.1:PORT/ */
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;

  f->home = kc_test_make_tmpdir ();
  f->sim = kc_sim_server_new ();
  kc_sim_server_listen (f->sim, 0, NULL, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  if (f->proc)
    kc_test_proc_free (f->proc);
  g_clear_object (&f->sim);
  kc_test_rm_rf (f->home);
  g_free (f->home);
  g_free (f->ws_url);
  g_free (f->page_url);
}

static const char *
find_line (GPtrArray  *lines,
           const char *needle)
{
  for (guint i = 0; i < lines->len; i++)
    if (strstr (g_ptr_array_index (lines, i), needle))
      return g_ptr_array_index (lines, i);
  return NULL;
}

/* The port from the log line kerio-cti writes once it listens */
static guint16
port_from_log (KcTestProc *proc,
               const char *prefix)
{
  const char *line = NULL;
  g_autofree char *digits = NULL;
  const char *at;
  guint64 port;

  KC_TEST_WAIT_UNTIL ((line = find_line (proc->err, prefix)) != NULL || proc->exited, 20);
  if (line == NULL)
    {
      kc_test_proc_dump (proc, "kerio-cti");
      g_error ("kerio-cti did not say where it serves the events");
    }
  at = strstr (line, prefix) + strlen (prefix);
  digits = g_strndup (at, strspn (at, "0123456789"));
  g_assert_true (g_ascii_string_to_unsigned (digits, 10, 1, G_MAXUINT16, &port, NULL));
  return (guint16) port;
}

/* kerio-cti --headless --listen=127.0.0.1:0 against the simulator */
static void
start (Fixture           *f,
       const char *const *extra_env)
{
  g_autofree char *url = kc_sim_server_get_endpoint_url (f->sim);

  f->proc = kc_test_proc_spawn (f->home, url,
                                (const char *const[]){ "--headless", "--listen=127.0.0.1:0", NULL },
                                extra_env);
  f->port = port_from_log (f->proc, "Serving the call events at ws://127.0.0.1:");
  f->ws_url = g_strdup_printf ("ws://127.0.0.1:%u/events", f->port);
  f->page_url = g_strdup_printf ("http://127.0.0.1:%u/", f->port);
}

/* A client's messages but the "sync" events, as the headless helper keeps
 * stdout's (transfer container) */
static GPtrArray *
call_events (GPtrArray *messages)
{
  GPtrArray *calls = g_ptr_array_new ();

  for (guint i = 0; i < messages->len; i++)
    if (!g_str_has_prefix (g_ptr_array_index (messages, i), SYNC_PREFIX))
      g_ptr_array_add (calls, g_ptr_array_index (messages, i));
  return calls;
}

static guint
n_call_events (KcTestWs *ws)
{
  g_autoptr (GPtrArray) calls = call_events (ws->messages);

  return calls->len;
}

static void
assert_same_lines (GPtrArray *got,
                   GPtrArray *expected)
{
  for (guint i = 0; i < MIN (got->len, expected->len); i++)
    g_assert_cmpstr (g_ptr_array_index (got, i), ==, g_ptr_array_index (expected, i));
  g_assert_cmpuint (got->len, ==, expected->len);
}

/* Waits until the client has as many call events as stdout, then asserts
 * they are the same text in the same order */
static void
assert_client_has_stdout (Fixture  *f,
                          KcTestWs *ws)
{
  g_autoptr (GPtrArray) calls = NULL;

  KC_TEST_WAIT_UNTIL (n_call_events (ws) >= f->proc->out->len, 30);
  calls = call_events (ws->messages);
  assert_same_lines (calls, f->proc->out);
}

static void
wait_stdout (Fixture *f,
             guint    n)
{
  KC_TEST_WAIT_UNTIL (f->proc->out->len >= n, 30);
  g_assert_cmpuint (f->proc->out->len, ==, n);
}

/* --- The same events as the headless stream ----------------------------- */

static void
test_same_as_headless (Fixture       *f,
                       gconstpointer  data)
{
  const char *const group[] = { "1001", "1002", NULL };
  KcTestWs *clients[3];
  g_autofree char *in_id = NULL;
  g_autofree char *out_id = NULL;
  g_autofree char *missed_id = NULL;
  g_autofree char *group_id = NULL;
  g_autofree char *quick_id = NULL;
  g_autofree char *stdout_text = NULL;

  /* In this dialect a call to a group answered at 1002 says so */
  kc_sim_server_set_dialect (f->sim, KC_SIM_DIALECT_SDK);
  start (f, (const char *const[]){ "KERIO_SYNC_INTERVAL=0.005", NULL });
  /* Several clients at once, all connected before the first call */
  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    clients[i] = kc_test_ws_connect (f->ws_url, NULL, NULL);

  in_id = g_strdup (kc_sim_server_add_call (f->sim, "+998901234567", "Aziz Karimov", "1001",
                                            NULL));
  wait_stdout (f, 1);
  kc_sim_server_answer_call (f->sim, in_id);
  wait_stdout (f, 2);
  out_id = g_strdup (kc_sim_server_add_call (f->sim, "1002", NULL, "+998977654321", NULL));
  wait_stdout (f, 3);
  missed_id = g_strdup (kc_sim_server_add_call (f->sim, "+998935550000", NULL, "1003", NULL));
  wait_stdout (f, 4);
  kc_sim_server_end_call (f->sim, missed_id, KC_SIM_CDR_NO_ANSWER);
  wait_stdout (f, 5);
  kc_sim_server_end_call (f->sim, in_id, KC_SIM_CDR_NO_ANSWER);
  kc_sim_server_end_call (f->sim, out_id, KC_SIM_CDR_BUSY);
  wait_stdout (f, 7);

  /* A ring group call answered at 1002: "answeredBy" */
  group_id = g_strdup (kc_sim_server_add_group_call (f->sim, "+998901112233", NULL, "800", group));
  wait_stdout (f, 8);
  kc_sim_server_answer_call_at (f->sim, group_id, "1002");
  wait_stdout (f, 9);
  kc_sim_server_end_call (f->sim, group_id, KC_SIM_CDR_NO_ANSWER);
  wait_stdout (f, 10);

  /* Answered and hung up between two polls: it looks missed, and its CDR
   * then says otherwise: "corrected" */
  quick_id = g_strdup (kc_sim_server_add_call (f->sim, "+998907778899", NULL, "1004", NULL));
  wait_stdout (f, 11);
  kc_sim_server_answer_call (f->sim, quick_id);
  kc_sim_server_end_call (f->sim, quick_id, KC_SIM_CDR_NO_ANSWER);
  wait_stdout (f, 13);

  stdout_text = kc_test_lines_join (f->proc->out);
  g_assert_nonnull (strstr (stdout_text, "\"answeredBy\":\"1002\""));
  g_assert_nonnull (strstr (stdout_text, "\"corrected\":true"));

  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    {
      assert_client_has_stdout (f, clients[i]);
      /* The syncs since it connected, as printed */
      KC_TEST_WAIT_UNTIL (clients[i]->messages->len > f->proc->out->len, 30);
      for (guint j = 0; j < clients[i]->messages->len; j++)
        {
          const char *message = g_ptr_array_index (clients[i]->messages, j);

          if (g_str_has_prefix (message, SYNC_PREFIX))
            g_assert_true (kc_test_lines_have (f->proc->syncs, message));
        }
      g_assert_false (clients[i]->closed);
      kc_test_ws_free (clients[i]);
    }
}

/* --- Connecting mid-call ----------------------------------------------- */

/* The announcement as stdout printed it, in the state the call is in now */
static char *
announcement_now (const char *printed,
                  const char *state)
{
  g_autofree char *now = g_strdup_printf ("\"state\":\"%s\"", state);
  const char *was = strstr (printed, "\"state\":\"kelyapti\"");
  g_autofree char *before = NULL;

  g_assert_nonnull (was);
  before = g_strndup (printed, was - printed);
  return g_strconcat (before, now, was + strlen ("\"state\":\"kelyapti\""), NULL);
}

static void
test_mid_call (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *ringing_id = NULL;
  g_autofree char *talking_id = NULL;
  g_autofree char *outgoing_id = NULL;
  g_autofree char *expected = NULL;
  KcTestWs *late;

  start (f, NULL);
  ringing_id = g_strdup (kc_sim_server_add_call (f->sim, "+998901234567", NULL, "1001", NULL));
  wait_stdout (f, 1);
  talking_id = g_strdup (kc_sim_server_add_call (f->sim, "+998902223344", NULL, "1002", NULL));
  wait_stdout (f, 2);
  kc_sim_server_answer_call (f->sim, talking_id);
  wait_stdout (f, 3);
  outgoing_id = g_strdup (kc_sim_server_add_call (f->sim, "1003", NULL, "+998977654321", NULL));
  wait_stdout (f, 4);

  /* Each call in progress once, in its state now, in the tracker's order;
   * then nothing until something happens */
  late = kc_test_ws_connect (f->ws_url, NULL, NULL);
  KC_TEST_WAIT_UNTIL (late->messages->len >= 3, 20);
  g_assert_cmpstr (g_ptr_array_index (late->messages, 0), ==,
                   g_ptr_array_index (f->proc->out, 0));
  expected = announcement_now (g_ptr_array_index (f->proc->out, 1), "suhbatda");
  g_assert_cmpstr (g_ptr_array_index (late->messages, 1), ==, expected);
  g_assert_cmpstr (g_ptr_array_index (late->messages, 2), ==,
                   g_ptr_array_index (f->proc->out, 3));
  kc_test_run_for (0.5);
  g_assert_cmpuint (late->messages->len, ==, 3);

  /* Then the live events, as printed */
  kc_sim_server_answer_call (f->sim, ringing_id);
  wait_stdout (f, 5);
  kc_sim_server_end_call (f->sim, talking_id, KC_SIM_CDR_NO_ANSWER);
  wait_stdout (f, 6);
  KC_TEST_WAIT_UNTIL (late->messages->len >= 5, 20);
  g_assert_cmpstr (g_ptr_array_index (late->messages, 3), ==,
                   g_ptr_array_index (f->proc->out, 4));
  g_assert_cmpstr (g_ptr_array_index (late->messages, 4), ==,
                   g_ptr_array_index (f->proc->out, 5));
  kc_test_ws_free (late);
}

/* --- The token --------------------------------------------------------- */

static void
test_token (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *with_token = NULL;
  g_autofree char *with_wrong = NULL;
  KcTestWs *by_header;
  KcTestWs *by_query;

  start (f, (const char *const[]){ "KERIO_EVENTS_TOKEN=" TOKEN, NULL });
  /* A call in progress: a client let in would get it at once */
  kc_sim_server_add_call (f->sim, "+998901234567", NULL, "1001", NULL);
  wait_stdout (f, 1);

  with_wrong = g_strdup_printf ("%s?token=%s", f->ws_url, "test-token-0123456789abcdeX");
  g_assert_cmpuint (kc_test_ws_refused_status (f->ws_url, NULL, NULL), ==, 401);
  g_assert_cmpuint (kc_test_ws_refused_status (f->ws_url, NULL, "Bearer wrong-token-0123456789"),
                    ==, 401);
  g_assert_cmpuint (kc_test_ws_refused_status (f->ws_url, NULL, "Basic " TOKEN), ==, 401);
  g_assert_cmpuint (kc_test_ws_refused_status (with_wrong, NULL, NULL), ==, 401);
  g_assert_cmpuint (kc_test_ws_refused_status (f->ws_url, NULL, "Bearer " TOKEN "X"), ==, 401);

  by_header = kc_test_ws_connect (f->ws_url, NULL, "Bearer " TOKEN);
  with_token = g_strdup_printf ("%s?token=%s", f->ws_url, TOKEN);
  by_query = kc_test_ws_connect (with_token, NULL, NULL);
  KC_TEST_WAIT_UNTIL (by_header->messages->len == 1 && by_query->messages->len == 1, 20);
  g_assert_cmpstr (g_ptr_array_index (by_header->messages, 0), ==,
                   g_ptr_array_index (f->proc->out, 0));
  g_assert_cmpstr (g_ptr_array_index (by_query->messages, 0), ==,
                   g_ptr_array_index (f->proc->out, 0));
  kc_test_ws_free (by_header);
  kc_test_ws_free (by_query);
}

/* --- Origins ----------------------------------------------------------- */

static void
test_origins_default (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *own = NULL;
  g_autofree char *own_by_name = NULL;
  g_autofree char *other_port = NULL;
  g_autofree char *rebound = NULL;
  KcTestWs *ws;

  start (f, NULL);
  own = g_strdup_printf ("http://127.0.0.1:%u", f->port);
  own_by_name = g_strdup_printf ("http://localhost:%u", f->port);
  other_port = g_strdup_printf ("http://127.0.0.1:%u", f->port + 1);
  /* A site whose name now points at 127.0.0.1 */
  rebound = g_strdup_printf ("http://attacker.example:%u", f->port);

  g_assert_cmpuint (kc_test_ws_refused_status (f->ws_url, "https://evil.example", NULL), ==, 403);
  g_assert_cmpuint (kc_test_ws_refused_status (f->ws_url, other_port, NULL), ==, 403);
  g_assert_cmpuint (kc_test_ws_refused_status (f->ws_url, rebound, NULL), ==, 403);
  g_assert_cmpuint (kc_test_ws_refused_status (f->ws_url, "null", NULL), ==, 403);

  /* The events page's own origin, and a program that is no browser */
  ws = kc_test_ws_connect (f->ws_url, own, NULL);
  kc_test_ws_free (ws);
  ws = kc_test_ws_connect (f->ws_url, own_by_name, NULL);
  kc_test_ws_free (ws);
  ws = kc_test_ws_connect (f->ws_url, NULL, NULL);
  kc_test_ws_free (ws);
}

static void
test_origins_allowed (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *own = NULL;
  KcTestWs *ws;

  start (f, (const char *const[]){
                "KERIO_EVENTS_ORIGINS=https://crm.example.uz, http://intranet.example:8080/",
                NULL });
  own = g_strdup_printf ("http://127.0.0.1:%u", f->port);

  g_assert_cmpuint (kc_test_ws_refused_status (f->ws_url, "https://evil.example", NULL), ==, 403);
  g_assert_cmpuint (kc_test_ws_refused_status (f->ws_url, "http://crm.example.uz", NULL), ==,
                    403);
  ws = kc_test_ws_connect (f->ws_url, "https://crm.example.uz", NULL);
  kc_test_ws_free (ws);
  ws = kc_test_ws_connect (f->ws_url, "HTTPS://CRM.example.uz:443", NULL);
  kc_test_ws_free (ws);
  ws = kc_test_ws_connect (f->ws_url, "http://intranet.example:8080", NULL);
  kc_test_ws_free (ws);
  ws = kc_test_ws_connect (f->ws_url, own, NULL);
  kc_test_ws_free (ws);
}

/* --- Settings ---------------------------------------------------------- */

static void
assert_usage_error (Fixture           *f,
                    const char        *listen,
                    const char *const *env,
                    const char        *must_mention)
{
  g_autofree char *url = kc_sim_server_get_endpoint_url (f->sim);
  g_autofree char *option = listen ? g_strdup_printf ("--listen=%s", listen) : NULL;
  KcTestProc *proc = kc_test_proc_spawn (f->home, url,
                                         (const char *const[]){ "--headless", option, NULL },
                                         env);
  g_autofree char *err = NULL;

  g_assert_cmpint (kc_test_proc_wait_exit (proc), ==, 2);
  err = kc_test_lines_join (proc->err);
  if (!strstr (err, must_mention))
    g_error ("stderr does not mention %s:\n%s", must_mention, err);
  g_assert_cmpuint (proc->err->len, ==, 1);
  g_assert_cmpuint (proc->out->len, ==, 0);
  kc_test_proc_free (proc);
}

static void
test_bad_settings (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr (GSocket) taken = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *taken_listen = NULL;
  KcTestProc *proc;
  KcTestWs *ws;
  guint16 port;

  /* Reachable from other computers, without a token */
  assert_usage_error (f, "0.0.0.0:8765", NULL, "KERIO_EVENTS_TOKEN");
  assert_usage_error (f, "192.0.2.10:8765", NULL, "KERIO_EVENTS_TOKEN");
  assert_usage_error (f, NULL, (const char *const[]){ "KERIO_EVENTS_LISTEN=[::]:8765", NULL },
                      "KERIO_EVENTS_TOKEN");
  /* Not an address and port */
  assert_usage_error (f, "localhost", NULL, "KERIO_EVENTS_LISTEN");
  assert_usage_error (f, "127.0.0.1:65536", NULL, "KERIO_EVENTS_LISTEN");
  assert_usage_error (f, "pbx.example.uz:8765", NULL, "KERIO_EVENTS_LISTEN");
  assert_usage_error (f, "127.0.0.1:8765",
                      (const char *const[]){ "KERIO_EVENTS_TOKEN=short", NULL },
                      "KERIO_EVENTS_TOKEN");
  assert_usage_error (f, "127.0.0.1:8765",
                      (const char *const[]){ "KERIO_EVENTS_ORIGINS=crm.example.uz", NULL },
                      "KERIO_EVENTS_ORIGINS");

  /* A port another program holds: the task fails, with why */
  taken = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  address = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_assert_true (g_socket_bind (taken, address, FALSE, &error));
  g_assert_true (g_socket_listen (taken, &error));
  g_clear_object (&address);
  address = g_socket_get_local_address (taken, &error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
  taken_listen = g_strdup_printf ("--listen=127.0.0.1:%u", port);
  proc = kc_test_proc_spawn (f->home, NULL,
                             (const char *const[]){ "--headless", taken_listen, NULL },
                             (const char *const[]){ "KERIO_PBX_HOST=http://127.0.0.1:9", NULL });
  g_assert_cmpint (kc_test_proc_wait_exit (proc), ==, 1);
  g_assert_true (kc_test_lines_have (proc->err, "Could not serve the events on 127.0.0.1:"));
  kc_test_proc_free (proc);

  /* Every address, with a token: served, to a client with the token */
  f->proc = kc_test_proc_spawn (f->home, NULL,
                                (const char *const[]){ "--headless", "--listen=0.0.0.0:0", NULL },
                                (const char *const[]){ "KERIO_EVENTS_TOKEN=" TOKEN,
                                                       "KERIO_PBX_HOST=http://127.0.0.1:9", NULL });
  f->port = port_from_log (f->proc, "Serving the call events at ws://0.0.0.0:");
  f->ws_url = g_strdup_printf ("ws://127.0.0.1:%u/events", f->port);
  g_assert_cmpuint (kc_test_ws_refused_status (f->ws_url, NULL, NULL), ==, 401);
  ws = kc_test_ws_connect (f->ws_url, NULL, "Bearer " TOKEN);
  kc_test_ws_free (ws);
}

/* --- The page ---------------------------------------------------------- */

static GBytes *
http_get (const char  *method,
          const char  *url,
          guint       *status,
          char       **content_type,
          char       **policy)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  g_autoptr (GError) error = NULL;
  GBytes *body = soup_session_send_and_read (session, msg, NULL, &error);
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);

  g_assert_no_error (error);
  *status = soup_message_get_status (msg);
  if (content_type)
    *content_type = g_strdup (soup_message_headers_get_content_type (headers, NULL));
  if (policy)
    *policy = g_strdup (soup_message_headers_get_one (headers, "Content-Security-Policy"));
  return body;
}

static void
test_page (Fixture       *f,
           gconstpointer  data)
{
  const char *paths[] = { "", "events.html" };
  g_autofree char *missing = NULL;
  g_autoptr (GBytes) body = NULL;
  guint status;

  start (f, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autofree char *url = g_strconcat (f->page_url, paths[i], NULL);
      g_autofree char *type = NULL;
      g_autofree char *policy = NULL;
      g_autoptr (GBytes) page = http_get ("GET", url, &status, &type, &policy);
      g_autofree char *text = g_strndup (g_bytes_get_data (page, NULL), g_bytes_get_size (page));

      g_assert_cmpuint (status, ==, 200);
      g_assert_cmpstr (type, ==, "text/html");
      g_assert_nonnull (strstr (text, "Kiruvchi qoʻngʻiroq"));
      g_assert_nonnull (strstr (text, "/events"));
      /* Nothing from elsewhere, its own WebSocket only */
      g_assert_nonnull (strstr (policy, "default-src 'none'"));
      g_assert_nonnull (strstr (policy, "connect-src 'self'"));
      g_assert_null (strstr (text, "src=\"http"));
    }

  missing = g_strconcat (f->page_url, "calls.db", NULL);
  body = http_get ("GET", missing, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 404);
  g_clear_pointer (&body, g_bytes_unref);
  body = http_get ("POST", f->page_url, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 405);
}

/* --- A client that stops reading --------------------------------------- */

/* A WebSocket client that shakes hands and then reads nothing, with a small
 * receive buffer, so the server's side fills soon */
static GSocket *
connect_stalled_client (guint16 port)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new_from_string ("127.0.0.1", port);
  g_autofree char *request = NULL;
  GSocket *socket;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_set_option (socket, SOL_SOCKET, SO_RCVBUF, 4096, &error));
  g_assert_true (g_socket_connect (socket, address, NULL, &error));
  request = g_strdup_printf ("GET /events HTTP/1.1\r\n"
                             "Host: 127.0.0.1:%u\r\n"
                             "Upgrade: websocket\r\n"
                             "Connection: Upgrade\r\n"
                             "Sec-WebSocket-Key: a2VyaW8tY3RpLXRlc3QhIQ==\r\n"
                             "Sec-WebSocket-Version: 13\r\n"
                             "\r\n",
                             port);
  g_assert_cmpint (g_socket_send (socket, request, strlen (request), NULL, &error), ==,
                   (gssize) strlen (request));
  g_socket_set_blocking (socket, FALSE);
  return socket;
}

/* Reads what is there; TRUE once the server has closed the connection */
static gboolean
drain (GSocket    *socket,
       GByteArray *into)
{
  guint8 buffer[65536];

  for (;;)
    {
      g_autoptr (GError) error = NULL;
      gssize n = g_socket_receive (socket, (char *) buffer, sizeof buffer, NULL, &error);

      if (n > 0)
        g_byte_array_append (into, buffer, n);
      else if (n == 0)
        return TRUE;
      else
        return !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
    }
}

/* The close code of the stream's close frame (0: none), and how many text
 * frames came before it */
static gushort
close_code (GByteArray *stream,
            guint      *n_text)
{
  const guint8 *end = stream->data + stream->len;
  const guint8 *p = (const guint8 *) g_strstr_len ((const char *) stream->data, stream->len,
                                                   "\r\n\r\n");

  g_assert_true (stream->len > 12 && memcmp (stream->data, "HTTP/1.1 101", 12) == 0);
  g_assert_nonnull (p);
  *n_text = 0;
  for (p += 4; p + 2 <= end;)
    {
      guint opcode = p[0] & 0x0f;
      guint64 length = p[1] & 0x7f;
      const guint8 *payload = p + 2;

      g_assert_cmpuint (p[1] & 0x80, ==, 0); /* a server's frames are not masked */
      if (length == 126)
        {
          length = (guint64) p[2] << 8 | p[3];
          payload = p + 4;
        }
      else if (length == 127)
        {
          length = 0;
          for (guint i = 0; i < 8; i++)
            length = length << 8 | p[2 + i];
          payload = p + 10;
        }
      if (payload + length > end)
        break;
      if (opcode == 0x1)
        (*n_text)++;
      if (opcode == 0x8)
        return length >= 2 ? (gushort) (payload[0] << 8 | payload[1]) : 1005;
      p = payload + length;
    }
  return 0;
}

typedef struct
{
  KcSimServer *sim;
  guint        count;
  GArray      *times; /* gint64 monotonic µs of each new Status.getCalls */
} PollWatch;

static gboolean
watch_polls (gpointer data)
{
  PollWatch *watch = data;
  guint count = kc_sim_server_get_request_count (watch->sim, "Status.getCalls");
  gint64 now = g_get_monotonic_time ();

  for (; watch->count < count; watch->count++)
    g_array_append_val (watch->times, now);
  return G_SOURCE_CONTINUE;
}

/* Many calls at once, answered, then ended: three events each */
static void
call_batch (Fixture *f,
            guint    n)
{
  static guint serial;
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  guint before = f->proc->out->len;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *from = g_strdup_printf ("+99890%07u", ++serial);

      g_ptr_array_add (ids, g_strdup (kc_sim_server_add_call (f->sim, from, NULL, "1001", NULL)));
    }
  KC_TEST_WAIT_UNTIL (f->proc->out->len >= before + n, 60);
  for (guint i = 0; i < n; i++)
    kc_sim_server_answer_call (f->sim, g_ptr_array_index (ids, i));
  KC_TEST_WAIT_UNTIL (f->proc->out->len >= before + 2 * n, 60);
  for (guint i = 0; i < n; i++)
    kc_sim_server_end_call (f->sim, g_ptr_array_index (ids, i), KC_SIM_CDR_NO_ANSWER);
  KC_TEST_WAIT_UNTIL (f->proc->out->len >= before + 3 * n, 60);
}

static void
test_slow_client (Fixture       *f,
                  gconstpointer  data)
{
  PollWatch watch = { f->sim, 0, g_array_new (FALSE, FALSE, sizeof (gint64)) };
  g_autoptr (GSocket) stalled = NULL;
  g_autoptr (GByteArray) stream = g_byte_array_new ();
  gint64 started;
  gint64 dropped_at;
  gint64 longest = 0;
  guint n_polls = 0;
  guint n_batches = 0;
  guint n_text = 0;
  guint watch_source;
  KcTestWs *reader;

  /* One row per call keeps the simulator's answers small */
  kc_sim_server_set_dialect (f->sim, KC_SIM_DIALECT_SDK);
  start (f, NULL);
  reader = kc_test_ws_connect (f->ws_url, NULL, NULL);
  stalled = connect_stalled_client (f->port);

  watch_source = g_timeout_add (5, watch_polls, &watch);
  started = g_get_monotonic_time ();
  while (!kc_test_lines_have (f->proc->err, "Dropped the events client"))
    {
      g_assert_cmpuint (++n_batches, <=, 20);
      call_batch (f, 250);
    }
  dropped_at = g_get_monotonic_time ();
  /* The one that stopped reading, once */
  g_assert_cmpuint (kc_test_lines_count (f->proc->err, "Dropped the events client"), ==, 1);

  /* It reads again: what was on its way, then close code 1008 */
  KC_TEST_WAIT_UNTIL (drain (stalled, stream), 30);
  g_assert_cmpuint (close_code (stream, &n_text), ==, 1008);
  g_assert_cmpuint (n_text, >, 0);
  g_assert_cmpuint (n_text, <, f->proc->out->len);

  /* The other client has every event, and is still connected */
  call_batch (f, 10);
  assert_client_has_stdout (f, reader);
  g_assert_false (reader->closed);

  /* The polls kept their pace all along: no stall of the event loop */
  g_source_remove (watch_source);
  for (guint i = 1; i < watch.times->len; i++)
    {
      gint64 at = g_array_index (watch.times, gint64, i);

      if (at < started || at > dropped_at)
        continue;
      n_polls++;
      longest = MAX (longest, at - g_array_index (watch.times, gint64, i - 1));
    }
  g_test_message ("%u events; the stalled client dropped after %.1f s, having taken %u; %u "
                  "polls meanwhile (%.0f ms apart on average, poll interval 100 ms), the "
                  "longest gap %.0f ms",
                  f->proc->out->len, (dropped_at - started) / 1e6, n_text, n_polls,
                  (dropped_at - started) / 1e3 / MAX (n_polls, 1), longest / 1e3);
  /* Generous for a loaded machine and the sanitizers, which slow a poll of
   * 250 calls to 400 ms; a server that waited for the stalled client would
   * stop the polls altogether */
  g_assert_cmpint (longest, <, 2 * G_USEC_PER_SEC);
  g_assert_cmpfloat ((dropped_at - started) / 1e3 / MAX (n_polls, 1), <, 500);
  g_array_unref (watch.times);
  kc_test_ws_free (reader);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/events/same-as-headless", test_same_as_headless);
  ADD ("/events/mid-call", test_mid_call);
  ADD ("/events/token", test_token);
  ADD ("/events/origins/default", test_origins_default);
  ADD ("/events/origins/allowed", test_origins_allowed);
  ADD ("/events/bad-settings", test_bad_settings);
  ADD ("/events/page", test_page);
  ADD ("/events/slow-client", test_slow_client);
#undef ADD

  return g_test_run ();
}
